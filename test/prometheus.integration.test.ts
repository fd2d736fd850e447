// The shipped monitoring works end to end: Debian's real Prometheus, started
// on loopback with deploy/prometheus/prometheus.yml (target and interval
// replaced), scrapes a relay with listeners attached. Through Prometheus's
// HTTP API the listener count equals the listeners this test connected, and
// every PromQL expression of the Grafana dashboard returns data.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RawListener, SyntheticSource, requireTool, runTool } from './support/clients.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PROMETHEUS_YML = join(REPO, 'deploy/prometheus/prometheus.yml');
const DASHBOARD_JSON = join(REPO, 'deploy/grafana/dashboards/relaycast.json');

interface Panel {
  title: string;
  type: string;
  datasource?: { uid: string };
  targets?: Array<{ expr: string }>;
}

interface PromResult {
  status: string;
  data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

/** The dashboard's expressions as Grafana would send them with "All" mounts selected. */
function dashboardExpressions(): Array<{ panel: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_JSON, 'utf8')) as { panels: Panel[] };
  const out: Array<{ panel: string; expr: string }> = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      out.push({ panel: panel.title, expr: target.expr.replaceAll('$__rate_interval', '1m').replaceAll('$mount', '.*') });
    }
  }
  return out;
}

test('the Grafana dashboard loads from file provisioning: a datasource variable, no __inputs, every panel on it', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_JSON, 'utf8')) as {
    __inputs?: unknown;
    uid: string;
    templating: { list: Array<{ name: string; type: string; query: unknown }> };
    panels: Panel[];
  };
  assert.equal(dashboard.__inputs, undefined);
  assert.equal(dashboard.uid, 'relaycast');
  const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
  assert.deepEqual([variable?.name, variable?.query], ['datasource', 'prometheus']);
  for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: '${datasource}' is Grafana's datasource variable, spelled literally in the dashboard JSON; it is no JS template.
    assert.equal(panel.datasource?.uid, '${datasource}', `panel ${panel.title} uses the datasource variable`);
    assert.ok((panel.targets ?? []).length > 0, `panel ${panel.title} has a query`);
  }
  const titles = dashboard.panels.map((p) => p.title).join('\n');
  for (const wanted of [
    /Listeners per mount/,
    /Bytes out per second/,
    /CPU per connection/,
    /Memory per connection/,
    /lag distribution/i,
    /disconnects by reason/,
    /Source up\/down/,
    /Source bitrate/,
    /Time to first byte/,
  ]) {
    assert.match(titles, wanted);
  }
  assert.ok(dashboardExpressions().length >= 20);
});

test('a real Prometheus scraping the relay sees the listeners connected, and every dashboard query returns data', async (t) => {
  if (!requireTool(t, 'prometheus') || !requireTool(t, 'promtool')) return;
  const relay = await RelayProcess.startFor(t);
  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  source.send(40);
  source.pace(38.28);
  const listeners = [
    new RawListener(relay.port, '/listen'),
    new RawListener(relay.port, '/listen'),
    new RawListener(relay.ingestPort, '/listen', { http10: true }),
  ];
  t.after(() => {
    for (const l of listeners) l.destroy();
  });
  // One more that comes and goes, so sessions and disconnects have been observed.
  const visitor = new RawListener(relay.port, '/listen');
  await waitFor(() => listeners.every((l) => l.bodyBytes > 0) && visitor.bodyBytes > 0, 5000, 'listeners receiving');
  visitor.destroy();

  const dir = mkdtempSync(join(tmpdir(), 'relaycast-prometheus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const shipped = readFileSync(PROMETHEUS_YML, 'utf8');
  assert.match(shipped, /targets: \["relaycast:8000"\]/);
  const config = shipped.replace('relaycast:8000', `127.0.0.1:${relay.port}`).replaceAll('scrape_interval: 15s', 'scrape_interval: 1s');
  const configPath = join(dir, 'prometheus.yml');
  writeFileSync(configPath, config);
  const check = await runTool('promtool', ['check', 'config', configPath]);
  assert.equal(check.code, 0, check.stdout + check.stderr);

  const prometheus = spawn(
    'prometheus',
    [`--config.file=${configPath}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--web.listen-address=127.0.0.1:0'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  prometheus.stderr.setEncoding('utf8').on('data', (s: string) => (log += s));
  t.after(async () => {
    if (prometheus.exitCode !== null) return;
    prometheus.kill('SIGTERM');
    await once(prometheus, 'exit');
  });
  const listening = await waitFor(
    () => /msg="Listening on" address=127\.0\.0\.1:(\d+)/.exec(log) ?? undefined,
    20_000,
    'Prometheus to listen',
  );
  const api = `http://127.0.0.1:${listening[1]}/api/v1`;
  const query = async (expr: string): Promise<PromResult['data']['result']> => {
    const res = await fetch(`${api}/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as PromResult;
    assert.equal(body.status, 'success', `${expr}: ${JSON.stringify(body)}`);
    return body.data.result;
  };

  await waitFor(async () => (await query('up{job="relaycast"}'))[0]?.value[1] === '1', 20_000, 'the relaycast target to be up');
  const listenersSeen = await waitFor(
    async () => {
      const result = await query('sum(relaycast_listeners{mount="/listen"})');
      return result[0]?.value[1] === String(listeners.length) ? result[0].value[1] : undefined;
    },
    20_000,
    `Prometheus to see ${listeners.length} listeners`,
  );
  assert.equal(Number(listenersSeen), listeners.length);

  // rate() needs two scrapes inside its window; give each expression a deadline.
  const empty: string[] = [];
  for (const { panel, expr } of dashboardExpressions()) {
    try {
      await waitFor(async () => (await query(expr)).length > 0, 15_000, expr);
    } catch {
      empty.push(`${panel}: ${expr}`);
    }
  }
  assert.deepEqual(empty, [], 'dashboard queries that returned no data');

  // The dashboard's mount variable lists the mount.
  const labels = (await (await fetch(`${api}/label/mount/values?match[]=relaycast_listeners`)).json()) as { data: string[] };
  assert.deepEqual(labels.data, ['/listen']);
});
