// `relaycast relay --config FILE` and `--icecast-config FILE` through the
// real CLI: the file's settings take effect, flags and environment override
// them, and a broken file stops the relay before it starts (exit 2) with
// file:line:column: setting: reason.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { RawListener, rawRequest, SyntheticSource } from './support/clients.js';
import { CLI, RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const EXAMPLE = fileURLToPath(new URL('../../relaycast.example.yaml', import.meta.url));

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'relaycast-config-')), name);
  writeFileSync(path, text);
  return path;
}

/** Opens listeners until one is refused; resolves to how many were let in. */
async function listenersAdmitted(port: number, upTo: number): Promise<{ admitted: number; refusal: string }> {
  const open: RawListener[] = [];
  try {
    for (let i = 0; i < upTo; i++) {
      const l = new RawListener(port, '/listen');
      open.push(l);
      await waitFor(() => l.status !== 0 || l.closed, 5000, 'an answer');
      if (l.status !== 200) {
        const res = await rawRequest(port, 'GET /listen HTTP/1.0\r\n\r\n');
        return { admitted: i, refusal: `${res.status} ${res.body.trim()}` };
      }
    }
    return { admitted: upTo, refusal: '' };
  } finally {
    for (const l of open) l.destroy();
  }
}

test('a config file sets the limits, and a flag on the command line overrides the file', async (t) => {
  const file = tempFile('relaycast.yaml', 'max-listeners: 2\nburst-bytes: 4096\n');
  const fromFile = await RelayProcess.startFor(t, ['--config', file]);
  fromFile.expectWarnings('SERVER_FULL');
  const source = await SyntheticSource.connect(fromFile.ingestPort);
  t.after(() => source.close());
  source.send(40);
  const first = await listenersAdmitted(fromFile.ingestPort, 3);
  assert.equal(first.admitted, 2);
  assert.match(first.refusal, /^503 server has reached its listener limit/);

  const overridden = await RelayProcess.startFor(t, ['--config', file, '--max-listeners', '3']);
  overridden.expectWarnings('SERVER_FULL');
  const source2 = await SyntheticSource.connect(overridden.ingestPort);
  t.after(() => source2.close());
  source2.send(40);
  assert.equal((await listenersAdmitted(overridden.ingestPort, 4)).admitted, 3);
});

test('the environment overrides the file too', async (t) => {
  const file = tempFile('relaycast.yaml', 'max-listeners: 1\n');
  const relay = await RelayProcess.startFor(t, ['--config', file], { RELAYCAST_MAX_LISTENERS: '2' });
  relay.expectWarnings('SERVER_FULL');
  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  source.send(40);
  assert.equal((await listenersAdmitted(relay.ingestPort, 3)).admitted, 2);
});

test('a broken config file stops the relay before it binds, naming file, line, column and setting', () => {
  const file = tempFile('broken.yaml', 'port: 0\nmax-listeners: lots\nmounts:\n  /live:\n    passwd: x\n');
  const run = spawnSync(process.execPath, [CLI, 'relay', '--config', file], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(run.status, 2);
  assert.match(run.stderr, new RegExp(`${file}:2:16: max-listeners: use a whole number from 0 to 10000000`));
  assert.match(run.stderr, new RegExp(`${file}:5:5: mounts\\./live\\.passwd: unknown mount setting`));
  assert.equal(run.stdout, '', 'nothing was started or logged');
});

test('the example config in the repository is valid as written', () => {
  const run = spawnSync(process.execPath, [CLI, 'config', 'check', EXAMPLE], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(run.stderr, '');
  assert.equal(run.status, 0);
  assert.match(run.stdout, /valid \(\d+ settings, 3 mounts\)/);
});

test('--icecast-config runs with an icecast.xml and lists what it read and what it does not honour', async (t) => {
  const xml = tempFile(
    'icecast.xml',
    '<icecast><limits><clients>1</clients><client-timeout>30</client-timeout></limits>' +
      '<authentication><source-password>from-xml</source-password></authentication>' +
      '<listen-socket><port>0</port></listen-socket><hostname>radio.example</hostname></icecast>',
  );
  const relay = await RelayProcess.startFor(t, ['--icecast-config', xml]);
  relay.expectWarnings('SERVER_FULL');
  assert.match(relay.stderr, /<limits><clients> -> max-listeners: 1/);
  assert.match(relay.stderr, /<limits><client-timeout>: a listener that keeps reading is never timed out/);
  assert.match(relay.stderr, /<hostname>: relaycast builds URLs/);
  assert.match(relay.stderr, /source-password: \(set\)/);
  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  source.send(40);
  assert.equal((await listenersAdmitted(relay.ingestPort, 2)).admitted, 1);
});

test('relaycast config convert prints the YAML of an icecast.xml', () => {
  const xml = tempFile(
    'icecast.xml',
    '<icecast><limits><queue-size>262144</queue-size></limits><mount type="normal"><mount-name>/live</mount-name><password>pw</password></mount></icecast>',
  );
  const run = spawnSync(process.execPath, [CLI, 'config', 'convert', xml], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^max-lag-bytes: 262144$/m);
  assert.match(run.stdout, /^ {4}source-password: pw$/m);
});

test("Debian's shipped icecast.xml runs as it is: its limit holds, its default admin password is warned about", async (t) => {
  const xml = '/etc/icecast2/icecast.xml';
  if (!existsSync(xml)) {
    if (process.env.CI === 'true') assert.fail(`${xml} missing: .ci/run installs icecast2`);
    t.skip('icecast2 not installed');
    return;
  }
  // The test helper's flags move the ports (the file binds 8000) and set the source password; the rest is the file's.
  const relay = await RelayProcess.startFor(t, ['--icecast-config', xml]);
  relay.expectWarnings("this password is Icecast's shipped default: change it");
  assert.match(relay.stderr, /<limits><clients> -> max-listeners: 100/);
  const warned = await relay.waitForLog((l) => l.msg === "this password is Icecast's shipped default: change it");
  assert.equal(warned.setting, 'admin-password');
  assert.doesNotMatch(JSON.stringify(relay.logs), /hackme/, 'the password itself is never logged');
  // The file's admin password (hackme) is the one in force: it may list listeners.
  const admin = await fetch(`${relay.listenUrl}/admin/listeners`, {
    headers: { authorization: `Basic ${Buffer.from('admin:hackme').toString('base64')}` },
  });
  assert.equal(admin.status, 200);
  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  source.send(40);
  const listener = new RawListener(relay.port, '/listen');
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes >= 39 * 417, 5000, 'the stream');
});

test('the example config runs as written: each mount takes its own password and sends its stream name', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--config', EXAMPLE]);
  const live = await SyntheticSource.connect(relay.ingestPort, { mount: '/live', password: 'change-me-live' });
  t.after(() => live.close());
  live.send(40);
  const listener = new RawListener(relay.port, '/live');
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes >= 39 * 417, 5000, 'the /live stream');
  assert.equal(listener.headers.get('icy-name'), 'Live from the studio');
  const autodj = await SyntheticSource.connect(relay.ingestPort, { mount: '/autodj', password: 'change-me-autodj' });
  t.after(() => autodj.close());
  autodj.send(10);
  const status = (await (await fetch(`${relay.listenUrl}/status.json`)).json()) as { mounts: Array<{ mount: string }> };
  assert.deepEqual(
    status.mounts.map((m) => m.mount),
    ['/live'],
    '/autodj is hidden',
  );
});

test('without a config file, POST /admin/reload is refused 409 NO_CONFIG_FILE, logged and counted, and SIGHUP leaves the relay running', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--admin-password', 'reload-admin']);
  relay.expectWarnings('NO_CONFIG_FILE');
  const auth = `Basic ${Buffer.from('admin:reload-admin').toString('base64')}`;
  const res = await fetch(`${relay.listenUrl}/admin/reload`, { method: 'POST', headers: { authorization: auth } });
  assert.equal(res.status, 409);
  assert.equal(await res.text(), 'the relay was started without --config or --icecast-config; there is nothing to reload\n');
  await relay.waitForLog((l) => l.code === 'NO_CONFIG_FILE');
  assert.equal(await relay.metric('relaycast_refusals_total', { code: 'NO_CONFIG_FILE', status: '409' }), 1);
  relay.child.kill('SIGHUP');
  await relay.waitForLog((l) => l.msg === 'SIGHUP: reloading');
  assert.equal((await fetch(`${relay.listenUrl}/healthz`)).status, 200, 'still running');
});
