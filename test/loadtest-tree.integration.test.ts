// The load tool's pieces for benches past one process (issue 14 item 6) and
// over HTTPS (issue 15), against real relays on loopback: several --url
// targets round-robin, --address-block source addresses, --raw reports of
// two processes merged into one, and https:// listeners verified against the
// test CA (refused without it, accepted with --insecure). A few dozen
// listeners each: these are tests, not load.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeReports, readReportInput } from '../loadtest/report-merge.js';
import type { LoadtestReport } from '../loadtest/report.js';
import { runTool } from './support/clients.js';
import { liveMount } from './support/live-mount.js';
import { CLI } from './support/relay-process.js';
import { makeTestCa, type TestCa } from './support/tls-certs.js';

const REAL_TIME = { frames: 300, framesPerSecond: 38.28 };
const ADMIN_PW = 'admin-secret';

function loadtest(args: string[], timeoutMs = 40_000) {
  return runTool(process.execPath, [CLI, 'loadtest', '--duration', '6', '--ramp', '50', '--json', ...args], timeoutMs);
}

function parsed(run: { code: number | null; stdout: string; stderr: string }): LoadtestReport {
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as LoadtestReport;
}

describe('relaycast loadtest across several targets and processes', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'relaycast-loadtest-tree-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('listeners are spread round-robin over every --url and each target is counted on its own', async (t) => {
    const a = await liveMount(t, [], REAL_TIME);
    const b = await liveMount(t, [], REAL_TIME);
    const report = parsed(
      await loadtest(['--url', `${a.relay.listenUrl}/listen`, '--url', `${b.relay.listenUrl}/listen`, '--listeners', '21']),
    );
    assert.equal(report.connected, 21);
    assert.equal(report.failed, 0);
    assert.deepEqual(report.targets, [`${a.relay.listenUrl}/listen`, `${b.relay.listenUrl}/listen`]);
    assert.deepEqual(
      report.perTarget.map((p) => [p.listeners, p.connected, p.streamingAtEnd]),
      [
        [11, 11, 11],
        [10, 10, 10],
      ],
    );
    // Each relay saw exactly its share (plus liveMount's own listener).
    assert.equal(await a.relay.metric('relaycast_listener_connects_total', { mount: '/listen' }), 12);
    assert.equal(await b.relay.metric('relaycast_listener_connects_total', { mount: '/listen' }), 11);
    assert.ok(
      report.steady && report.steady.deliveredKbps.min !== null && report.steady.deliveredKbps.min > 120,
      'every listener at the rate',
    );
  });

  test('--address-block binds the listeners to 127.N.0.x, as the relay sees them', async (t) => {
    const { relay } = await liveMount(t, ['--admin-password', ADMIN_PW], REAL_TIME);
    const running = loadtest(['--url', `${relay.listenUrl}/listen`, '--listeners', '12', '--address-block', '7']);
    await relay.waitForMetric('relaycast_listeners', { mount: '/listen' }, (n) => n === 13);
    const res = await fetch(`${relay.listenUrl}/admin/listeners?mount=/listen`, {
      headers: { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_PW}`).toString('base64')}` },
    });
    const { listeners } = (await res.json()) as { listeners: Array<{ address: string; userAgent: string }> };
    const ours = listeners.filter((l) => l.userAgent === 'relaycast-loadtest').map((l) => l.address);
    assert.equal(ours.length, 12);
    for (const address of ours) assert.match(address, /^127\.7\.0\.\d+:\d+$/);
    assert.equal(parsed(await running).connected, 12);
  });

  test('two load processes with --raw and their own blocks merge into one report of every listener', async (t) => {
    const { relay } = await liveMount(t, [], REAL_TIME);
    const url = `${relay.listenUrl}/listen`;
    const raw = [join(dir, 'p1.json'), join(dir, 'p2.json')];
    const [one, two] = await Promise.all([
      loadtest(['--url', url, '--listeners', '9', '--address-block', '1', '--raw', raw[0]]),
      loadtest(['--url', url, '--listeners', '11', '--address-block', '2', '--raw', raw[1]]),
    ]);
    const parts = [parsed(one), parsed(two)];
    const merged = mergeReports(raw.map(readReportInput));
    assert.equal(merged.processes, 2);
    assert.equal(merged.listeners, 20);
    assert.equal(merged.connected, 20);
    assert.equal(merged.failed, 0);
    assert.equal(merged.firstByteMs.count, 20);
    assert.equal(merged.bodyBytes, parts[0].bodyBytes + parts[1].bodyBytes);
    assert.equal(merged.steady?.deliveredKbps.count, 20);
    assert.equal(await relay.metric('relaycast_listener_connects_total', { mount: '/listen' }), 21);
  });
});

describe('relaycast loadtest over HTTPS', () => {
  let ca: TestCa;
  let leaf: { cert: string; key: string };
  before(() => {
    ca = makeTestCa();
    leaf = ca.issue('radio', ['localhost']);
  });
  after(() => ca.remove());

  test('https:// listeners verified with --tls-ca stream at the rate, with handshake times and a handshake rate', async (t) => {
    const { relay } = await liveMount(t, ['--tls-port', '0', '--tls-cert', leaf.cert, '--tls-key', leaf.key], REAL_TIME);
    const report = parsed(
      await loadtest(['--url', `https://localhost:${relay.tlsPort}/listen`, '--listeners', '20', '--tls-ca', ca.caCert]),
    );
    assert.equal(report.connected, 20);
    assert.equal(report.failed, 0);
    assert.equal(report.target, `https://localhost:${relay.tlsPort}/listen`);
    assert.ok(report.tls, 'TLS figures');
    assert.equal(report.tls.handshakes, 20);
    assert.equal(report.tls.handshakeMs.count, 20);
    assert.ok(report.tls.peakPerS !== null && report.tls.peakPerS >= 1);
    assert.ok(report.steady && report.steady.deliveredKbps.min !== null && report.steady.deliveredKbps.min > 120);
    assert.equal(report.serverClosed.total, 0);
  });

  test('an https:// listener refuses an unknown certificate unless --insecure', async (t) => {
    const { relay } = await liveMount(t, ['--tls-port', '0', '--tls-cert', leaf.cert, '--tls-key', leaf.key], REAL_TIME);
    const url = `https://localhost:${relay.tlsPort}/listen`;
    const refused = await loadtest(['--url', url, '--listeners', '3']);
    assert.equal(refused.code, 1, 'no listener connected');
    const report = JSON.parse(refused.stdout) as LoadtestReport;
    assert.equal(report.failed, 3);
    assert.deepEqual(Object.keys(report.failures), ['UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
    const insecure = parsed(await loadtest(['--url', url, '--listeners', '3', '--insecure']));
    assert.equal(insecure.connected, 3);
  });
});
