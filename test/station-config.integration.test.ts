// A station's config through the real CLI (issue 11): three mounts with
// three passwords, each encoder only on its own mount; a reload that
// changes a limit and a password while 200 listeners and three sources stay
// connected and keep receiving every frame; a broken file refused with the
// old config kept; hidden mounts and allowed content types.

import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { frameSerials, RawListener, rawRequest, SyntheticSource } from './support/clients.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const ADMIN = 'admin-secret';
const MOUNTS = ['/a', '/b', '/c'] as const;
const PASSWORDS: Record<string, string> = { '/a': 'pw-a', '/b': 'pw-b', '/c': 'pw-c' };

function stationYaml(over: { aMax?: number; bPassword?: string } = {}): string {
  return [
    'unlisted-mounts: refuse',
    'mounts:',
    '  /a:',
    `    source-password: ${PASSWORDS['/a']}`,
    `    max-listeners: ${over.aMax ?? 100}`,
    '  /b:',
    `    source-password: ${over.bPassword ?? PASSWORDS['/b']}`,
    '  /c:',
    `    source-password: ${PASSWORDS['/c']}`,
    '    stream-name: Configured name',
    '  /hidden:',
    '    hidden: true',
    '  /mp3only:',
    '    content-types: [audio/mpeg]',
    '',
  ].join('\n');
}

function configFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'relaycast-station-')), 'relaycast.yaml');
  writeFileSync(path, text);
  return path;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function refusedSource(port: number, mount: string, password: string): Promise<string> {
  const err = await SyntheticSource.connect(port, { mount, password }).then(
    (s) => {
      s.close();
      return undefined;
    },
    (e: Error) => e,
  );
  assert.ok(err, `a source on ${mount} with ${password} was accepted`);
  return err.message;
}

function titleUpdate(port: number, mount: string, auth: string, song: string) {
  return rawRequest(
    port,
    `GET /admin/metadata?mount=${encodeURIComponent(mount)}&mode=updinfo&song=${encodeURIComponent(song)} HTTP/1.0\r\nAuthorization: ${auth}\r\n\r\n`,
  );
}

test('three mounts, three passwords: each encoder only on its own mount, the others refused 401, unlisted ones 403', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--config', configFile(stationYaml()), '--admin-password', ADMIN]);
  relay.expectWarnings('AUTH_REQUIRED', 'MOUNT_UNLISTED', 'ADMIN_AUTH_REQUIRED');
  let refused = 0;
  for (const mount of MOUNTS) {
    for (const other of MOUNTS) {
      if (other === mount) continue;
      const answer = await refusedSource(relay.ingestPort, mount, PASSWORDS[other]);
      assert.match(answer, /HTTP\/1\.1 401 [^\n]*\r\n[\s\S]*source credentials missing or wrong/);
      refused++;
    }
    const source = await SyntheticSource.connect(relay.ingestPort, { mount, password: PASSWORDS[mount] });
    t.after(() => source.close());
    source.send(20);
  }
  // The server-wide password does not open a mount that has its own. (Eight failures in all: the
  // login limiter, issue 10, would refuse this address from the tenth.)
  await refusedSource(relay.ingestPort, '/a', 'test-pw');
  refused++;
  // Identical refusals are logged once per interval with a count (issue 10); the counter counts each one.
  await relay.waitForLog((l) => l.code === 'AUTH_REQUIRED');
  assert.equal(await relay.metric('relaycast_refusals_total', { code: 'AUTH_REQUIRED', status: '401' }), refused);

  const unlisted = await refusedSource(relay.ingestPort, '/elsewhere', 'test-pw');
  assert.match(unlisted, /403 [^\n]*\r\n[\s\S]*this mount is not in the config/);
  await relay.waitForLog((l) => l.code === 'MOUNT_UNLISTED');
  assert.equal(await relay.metric('relaycast_refusals_total', { code: 'MOUNT_UNLISTED', status: '403' }), 1);

  // A title update needs that mount's credentials (or the admin's).
  assert.equal((await titleUpdate(relay.ingestPort, '/b', basic('source', PASSWORDS['/a']), 'x')).status, 401);
  assert.equal((await titleUpdate(relay.ingestPort, '/b', basic('source', PASSWORDS['/b']), 'B song')).status, 200);
  assert.equal((await titleUpdate(relay.ingestPort, '/a', basic('admin', ADMIN), 'A song')).status, 200);

  // The config's stream name wins over the source's, in the headers and the status.
  const listener = new RawListener(relay.port, '/c');
  t.after(() => listener.destroy());
  await waitFor(() => listener.status === 200, 5000, 'the /c listener');
  assert.equal(listener.headers.get('icy-name'), 'Configured name');
  const status = (await (await fetch(`${relay.listenUrl}/status.json`)).json()) as {
    mounts: Array<{ mount: string; title: string; source: { name: string }; settings: { maxListeners: number; ownPassword: boolean } }>;
  };
  const byName = new Map(status.mounts.map((m) => [m.mount, m]));
  assert.equal(byName.get('/c')?.source.name, 'Configured name');
  assert.equal(byName.get('/b')?.title, 'B song');
  assert.deepEqual(byName.get('/a')?.settings.maxListeners, 100);
  assert.equal(byName.get('/a')?.settings.ownPassword, true);
  assert.doesNotMatch(JSON.stringify(status), /pw-[abc]/, 'no password in the status');
  assert.equal(await relay.metric('relaycast_mount_max_listeners', { mount: '/a' }), 100);
  // The operator's view has each mount's settings too, and no password either.
  const admin = await fetch(`${relay.listenUrl}/admin/listeners`, { headers: { authorization: basic('admin', ADMIN) } });
  const body = (await admin.json()) as { mounts: Record<string, { maxListeners: number; ownPassword: boolean; hidden: boolean }> };
  assert.deepEqual(
    { ...body.mounts['/a'] },
    {
      hidden: false,
      maxListeners: 100,
      burstBytes: 65536,
      maxLagBytes: 524288,
      slowPolicy: 'drop',
      sourceGraceMs: 30000,
      ownPassword: true,
      contentTypes: null,
    },
  );
  assert.doesNotMatch(JSON.stringify(body), /pw-[abc]/);
});

test('a hidden mount plays but is not listed; a mount allowing only MP3 refuses Ogg with 415', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--config', configFile(stationYaml())]);
  relay.expectWarnings('MOUNT_NOT_FOUND', 'CONTENT_TYPE_NOT_ALLOWED');
  const hidden = await SyntheticSource.connect(relay.ingestPort, { mount: '/hidden' });
  t.after(() => hidden.close());
  hidden.send(40);
  const listener = new RawListener(relay.port, '/hidden');
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes >= 39 * 417, 5000, 'the hidden mount playing');
  const status = (await (await fetch(`${relay.listenUrl}/status.json`)).json()) as { mounts: unknown[] };
  assert.deepEqual(status.mounts, []);
  assert.equal((await fetch(`${relay.listenUrl}/hidden.m3u`)).status, 404);

  const ogg = await rawRequest(
    relay.ingestPort,
    `PUT /mp3only HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('source', 'test-pw')}\r\nContent-Type: application/ogg\r\n\r\n`,
  );
  assert.equal(ogg.status, 415);
  assert.match(ogg.body, /^this mount's config does not allow that content type: application\/ogg on \/mp3only; allowed: audio\/mpeg\n$/);
  await relay.waitForLog((l) => l.code === 'CONTENT_TYPE_NOT_ALLOWED');
  assert.equal(await relay.metric('relaycast_refusals_total', { code: 'CONTENT_TYPE_NOT_ALLOWED', status: '415' }), 1);
});

test('a reload changes a limit and a password while 200 listeners and three sources stay, every frame delivered; a broken file is refused whole', async (t) => {
  const file = configFile(stationYaml());
  const relay = await RelayProcess.startFor(t, ['--config', file, '--admin-password', ADMIN]);
  relay.expectWarnings('MOUNT_FULL', 'ADMIN_AUTH_REQUIRED', 'RELOAD_REFUSED', 'config reload refused; the running config stays');
  const sources = new Map<string, SyntheticSource>();
  for (const mount of MOUNTS) {
    const source = await SyntheticSource.connect(relay.ingestPort, { mount, password: PASSWORDS[mount] });
    t.after(() => source.close());
    source.send(20);
    source.pace(40);
    sources.set(mount, source);
  }
  const listeners: RawListener[] = [];
  t.after(() => {
    for (const l of listeners) l.destroy();
  });
  for (let i = 0; i < 200; i++) listeners.push(new RawListener(i % 2 ? relay.port : relay.ingestPort, MOUNTS[i % 3]));
  await waitFor(() => listeners.every((l) => l.bodyBytes > 0), 15_000, '200 listeners receiving');
  const onA = listeners.filter((_, i) => i % 3 === 0).length;

  writeFileSync(file, stationYaml({ aMax: onA, bPassword: 'pw-b-new' }));
  relay.child.kill('SIGHUP');
  const reloaded = await relay.waitForLog((l) => l.msg === 'config reloaded');
  assert.deepEqual(reloaded.changed, []);
  assert.equal(await relay.metric('relaycast_config_last_reload_successful'), 1);
  assert.equal(await relay.metric('relaycast_mount_max_listeners', { mount: '/a' }), onA);

  // /a is now full at the listeners it has; the next one is refused, nobody is dropped.
  const extra = await rawRequest(relay.ingestPort, 'GET /a HTTP/1.0\r\n\r\n');
  assert.equal(extra.status, 503);
  assert.match(extra.body, /^mount has reached its listener limit/);
  // /b's old password no longer sets its title; the new one does. Its source stays.
  assert.equal((await titleUpdate(relay.ingestPort, '/b', basic('source', PASSWORDS['/b']), 'old pw')).status, 401);
  assert.equal((await titleUpdate(relay.ingestPort, '/b', basic('source', 'pw-b-new'), 'new pw')).status, 200);

  // A broken file: refused whole, the running config stays, the metric says so.
  writeFileSync(file, 'mounts:\n  /a:\n    max-listeners: many\n');
  relay.child.kill('SIGHUP');
  const refused = await relay.waitForLog((l) => l.msg === 'config reload refused; the running config stays');
  assert.match(String((refused.errors as string[])[0]), /relaycast\.yaml:3:20: mounts\.\/a\.max-listeners: must be integer/);
  assert.equal(await relay.metric('relaycast_config_last_reload_successful'), 0);
  const viaAdmin = await fetch(`${relay.listenUrl}/admin/reload`, { method: 'POST', headers: { authorization: basic('admin', ADMIN) } });
  assert.equal(viaAdmin.status, 422);
  assert.equal(await relay.metric('relaycast_refusals_total', { code: 'RELOAD_REFUSED', status: '422' }), 1);
  assert.match(await viaAdmin.text(), /^the config file has errors; the running config stays: 1 error\(s\), first: .*max-listeners/);
  assert.equal((await rawRequest(relay.ingestPort, 'GET /a HTTP/1.0\r\n\r\n')).status, 503, 'the old limit still holds');
  assert.equal((await fetch(`${relay.listenUrl}/admin/reload`, { method: 'POST' })).status, 401);

  // Every listener and source is still connected, and each got every frame in order.
  for (const [mount, source] of sources) {
    assert.equal(source.socket.destroyed, false, `the ${mount} source is still connected`);
    assert.equal(await relay.metric('relaycast_source_connected', { mount }), 1);
  }
  const sentNow = new Map([...sources].map(([m, s]) => [m, s.nextSerial]));
  await waitFor(
    () => listeners.every((l, i) => latestSerial(l) >= (sentNow.get(MOUNTS[i % 3]) ?? 0) - 1),
    15_000,
    'every listener past the reloads',
  );
  for (const [i, l] of listeners.entries()) {
    assert.equal(l.closed, false, `listener ${i} still connected`);
    const { serials } = frameSerials(l.body());
    for (let k = 1; k < serials.length; k++)
      assert.equal(serials[k], serials[k - 1] + 1, `listener ${i} has a gap after frame ${serials[k - 1]}`);
  }
  assert.equal(await relay.metric('relaycast_listeners', { mount: '/a' }), onA);
  assert.equal(
    relay.countLogs((l) => l.msg === 'listener disconnected'),
    0,
  );
});

function latestSerial(l: RawListener): number {
  const { serials } = frameSerials(l.body());
  return serials.length === 0 ? -1 : serials[serials.length - 1];
}
