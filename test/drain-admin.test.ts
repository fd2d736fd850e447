// Issue 14, item 4, through POST /admin/drain and `relaycast drain`: /readyz
// fails at once while /healthz stays 200; a listener connected before keeps
// every live frame; new listeners go to the peer (or are refused DRAINING
// when none has room); at the deadline the ones left are ended cleanly and
// counted; `relaycast drain --wait` returns when the last listener has left.
// Every relay here is stopped with SIGTERM after its drain, and must shut
// down cleanly (RelayProcess.stop's health check).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { FRAME_BYTES, frameSerials, RawListener, SyntheticSource, rawRequest, trackTool } from './support/clients.js';
import { assertListenerRefused, assertRefused } from './support/cluster.js';
import { CLI, RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const ADMIN_PASSWORD = 'drain-admin-pw';
const AUTH = `Authorization: Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}\r\n`;

/** A relay with a paced synthetic source on /live and one listener holding frames. */
async function relayWithListener(
  t: TestContext,
  args: string[],
): Promise<{ relay: RelayProcess; listener: RawListener; source: SyntheticSource }> {
  const relay = await RelayProcess.startFor(t, ['--admin-password', ADMIN_PASSWORD, ...args]);
  const source = await SyntheticSource.connect(relay.ingestPort, { mount: '/live' });
  t.after(() => source.close());
  source.send(20);
  source.pace(38.28);
  const listener = new RawListener(relay.port, '/live');
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes > 0, 5000, 'the listener connected before the drain');
  return { relay, listener, source };
}

async function text(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

/** Asserts the serials are one run with no gap and no repeat. */
function assertContiguous(body: Buffer): number {
  const { serials } = frameSerials(body.subarray(0, body.length - (body.length % FRAME_BYTES)));
  for (let i = 1; i < serials.length; i++) assert.equal(serials[i], serials[i - 1] + 1, `frame ${i} follows frame ${i - 1}`);
  return serials.length;
}

test('POST /admin/drain: /readyz 503, /healthz 200, the old listener keeps every frame, a new one goes to the peer, the deadline ends it cleanly', async (t) => {
  const b = await RelayProcess.startFor(t);
  const { relay: a, listener, source } = await relayWithListener(t, ['--peer', b.listenUrl, '--peer-check-ms', '200']);
  a.expectWarnings('ADMIN_AUTH_REQUIRED', 'BAD_DEADLINE');
  await a.waitForLog((l) => l.msg === 'peer is up with room');
  assert.deepEqual(await text(`${a.listenUrl}/readyz`), { status: 200, body: 'ready\n' });

  const post = (query: string, auth = AUTH) => `POST /admin/drain${query} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Length: 0\r\n\r\n`;
  await assertRefused(a, a.port, post('', ''), { code: 'ADMIN_AUTH_REQUIRED', status: 401, body: /^admin credentials/ });
  await assertRefused(a, a.port, post('?deadline-ms=soon'), { code: 'BAD_DEADLINE', status: 400, body: /^deadline-ms must be/ });
  assert.deepEqual(await text(`${a.listenUrl}/readyz`), { status: 200, body: 'ready\n' }, 'a refused drain is no drain');

  const drained = await rawRequest(a.port, post('?deadline-ms=2500'));
  assert.equal(drained.status, 200);
  assert.match(drained.body, /^draining: 1 listeners connected, ended in 2500 ms unless they leave first\n$/);
  const bytesAtDrain = listener.bodyBytes;
  const started = await a.waitForLog((l) => l.msg === 'drain started: new listeners go to peers');
  assert.equal(started.by, 'admin');
  assert.match(String(started.remote), /^127\.0\.0\.1:\d+$/);
  assert.deepEqual(await text(`${a.listenUrl}/readyz`), { status: 503, body: 'draining\n' });
  assert.deepEqual(await text(`${a.listenUrl}/healthz`), { status: 200, body: 'ok\n' });
  assert.equal(await a.metric('relaycast_draining'), 1);
  assert.equal(await a.metric('relaycast_drain_listeners_remaining'), 1);
  const again = await rawRequest(a.port, post('?deadline-ms=100000'));
  const left = /^already draining: 1 listeners connected, ended in (\d+) ms/.exec(again.body);
  assert.ok(left && Number(left[1]) <= 2500, `idempotent, and a later deadline is not taken: ${again.body}`);
  const status = (await (await fetch(`${a.listenUrl}/status.json`)).json()) as { server: { draining: boolean } };
  assert.equal(status.server.draining, true);

  // A new listener lands on the peer and hears it there.
  const sent = await rawRequest(a.port, 'GET /live?n=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  assert.equal(sent.status, 302);
  assert.equal(sent.headers.get('location'), `${b.listenUrl}/live?n=2`);
  assert.match(sent.body, /^draining: listen at /);
  const bSource = await SyntheticSource.connect(b.ingestPort, { mount: '/live', tag: 7 });
  t.after(() => bSource.close());
  bSource.send(10);
  const landed = new RawListener(b.port, '/live?n=2');
  t.after(() => landed.destroy());
  await waitFor(() => landed.bodyBytes >= 10 * FRAME_BYTES, 5000, 'the redirected listener hearing the peer');
  assert.equal(await a.metric('relaycast_redirects_total', { peer: b.listenUrl }), 1);

  // The old listener streams live until the deadline, then gets a clean end of stream.
  await waitFor(() => listener.closed, 10_000, 'the deadline to end the old listener');
  assert.equal(listener.cleanEnd, true, 'ended cleanly (FIN), not reset');
  assert.ok(
    listener.bodyBytes > bytesAtDrain + 20 * FRAME_BYTES,
    `live frames after the drain began (${listener.bodyBytes - bytesAtDrain} bytes)`,
  );
  const frames = assertContiguous(listener.body());
  assert.ok(frames > 40, `${frames} frames, no gap`);
  await a.waitForLog((l) => l.msg === 'drain deadline passed: ending the listeners left' && l.listeners === 1);
  await a.waitForLog((l) => l.msg === 'drain: no listeners remain');
  const gone = await a.waitForLog((l) => l.msg === 'listener disconnected' && l.reason === 'drain');
  assert.equal(gone.sentBytes, listener.bodyBytes, 'every byte the relay sent arrived before the end');
  assert.equal(await a.metric('relaycast_listener_disconnects_total', { mount: '/live', reason: 'drain' }), 1);
  assert.equal(await a.metric('relaycast_drain_listeners_remaining'), 0);
  assert.equal(await a.metric('relaycast_source_connected', { mount: '/live' }), 1, 'the source stays');
  source.stop();
});

test('a draining relay with no peer that has room refuses new listeners with DRAINING, four ways; a second POST brings the deadline nearer', async (t) => {
  const { relay, listener } = await relayWithListener(t, []);
  relay.expectWarnings('DRAINING');
  const res = await rawRequest(relay.port, `POST /admin/drain HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}\r\n`);
  assert.equal(res.status, 200);
  await assertListenerRefused(relay, relay.port, '/live', {
    code: 'DRAINING',
    status: 503,
    body: /^this relay is draining and no peer has room/,
  });
  const refused = await rawRequest(relay.port, 'GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  assert.equal(refused.headers.get('retry-after'), '10');
  assert.equal(listener.closed, false, 'the listener connected before stays');

  // A second POST may bring the default deadline (600 s) nearer.
  const sooner = await rawRequest(relay.port, `POST /admin/drain?deadline-ms=300 HTTP/1.1\r\nHost: 127.0.0.1\r\n${AUTH}\r\n`);
  assert.match(sooner.body, /^already draining: 1 listeners connected, ended in \d+ ms/);
  await relay.waitForLog((l) => l.msg === 'drain deadline brought nearer' && l.deadlineMs === 300);
  await waitFor(() => listener.closed, 5000, 'the nearer deadline to end the listener');
  assert.equal(await relay.metric('relaycast_listener_disconnects_total', { mount: '/live', reason: 'drain' }), 1);
});

test('`relaycast drain --wait` returns 0 once the last listener has left, and never prints the password', async (t) => {
  const { relay, listener } = await relayWithListener(t, []);
  const dir = mkdtempSync(join(tmpdir(), 'relaycast-drain-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'admin-password');
  writeFileSync(file, `${ADMIN_PASSWORD}\n`, { mode: 0o600 });
  const cli = trackTool(spawn(process.execPath, [CLI, 'drain', '--url', relay.listenUrl, '--wait', '--admin-password-file', file]));
  let out = '';
  let err = '';
  cli.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  cli.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | null>((resolve) => cli.on('close', resolve));
  await waitFor(() => out.includes('1 listeners remain'), 10_000, '`relaycast drain` to report the listener it waits for');
  assert.equal(cli.exitCode, null, 'still waiting while a listener is connected');
  assert.equal(await relay.metric('relaycast_draining'), 1);
  const leftAtMs = performance.now();
  listener.destroy();
  assert.equal(await exited, 0, err);
  assert.ok(performance.now() >= leftAtMs);
  assert.match(out, /draining: 1 listeners connected, ended in 600000 ms/);
  assert.match(out, /no listeners remain\n$/);
  assert.equal(`${out}${err}`.includes(ADMIN_PASSWORD), false, 'the password is never printed');
  await relay.waitForLog((l) => l.msg === 'drain: no listeners remain');
});
