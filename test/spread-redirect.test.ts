// Issue 14, item 3: a relay that is full (or at --redirect-over) sends new
// listeners to the peer with the most room, with a 302 that real players
// follow; sources and API routes are never sent away; a peer that goes
// down (or is draining, or full) gets nobody, and its change is logged once.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawListener, SyntheticSource, rawRequest, requireTool } from './support/clients.js';
import { assertListenerRefused, fakePeer } from './support/cluster.js';
import { assertDecodedLive, assertCleanDecode, decodeWithFfmpeg, decodeWithMpg123, ffmpegToneSource, MP3_128K } from './support/interop.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const CHECK_MS = '200';
/** The join burst (64 KiB) of a 128 kbit/s stream, in seconds. */
const BURST_SECONDS = 65536 / 16000;

/** A relay with a synthetic source on /live paced in real time, and `n` raw listeners holding bytes. */
async function fullRelay(t: import('node:test').TestContext, args: string[], n: number): Promise<RelayProcess> {
  const relay = await RelayProcess.startFor(t, args);
  const source = await SyntheticSource.connect(relay.ingestPort, { mount: '/live' });
  t.after(() => source.close());
  source.send(40);
  source.pace(38.28);
  for (let i = 0; i < n; i++) {
    const listener = new RawListener(relay.port, '/live');
    t.after(() => listener.destroy());
    await waitFor(() => listener.bodyBytes > 0, 5000, `listener ${i + 1} on ${relay.listenUrl}`);
  }
  return relay;
}

test('a full relay sends its third listener to its peer, where ffmpeg and mpg123 hear live audio; sources and the API stay', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const b = await RelayProcess.startFor(t);
  const tone = ffmpegToneSource(b, '/live', MP3_128K);
  t.after(() => tone.kill('SIGKILL'));
  await b.waitForMetric('relaycast_source_connected', { mount: '/live' }, (v) => v === 1);
  const a = await fullRelay(t, ['--max-listeners', '2', '--peer', b.listenUrl, '--peer-check-ms', CHECK_MS, '--uws-port', '0'], 2);
  await a.waitForLog((l) => l.msg === 'peer is up with room' && l.peer === b.listenUrl);

  // The 302 on both listen paths, path and query kept; HEAD too, with no body.
  const raw = await rawRequest(a.port, 'GET /live?sid=1&x=%20y HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  assert.equal(raw.status, 302);
  assert.equal(raw.headers.get('location'), `${b.listenUrl}/live?sid=1&x=%20y`);
  assert.match(raw.body, /^full: listen at http:\/\/127\.0\.0\.1:\d+\n$/);
  const uws = await rawRequest(a.uwsPort, 'GET /live?sid=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  assert.equal(uws.status, 302, 'the uWS port redirects too');
  assert.equal(uws.headers.get('location'), `${b.listenUrl}/live?sid=2`);
  const head = await rawRequest(a.port, 'HEAD /live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  assert.equal(head.status, 302);
  assert.equal(head.headers.get('location'), `${b.listenUrl}/live`);

  // Not a listener request: answered here, full or not.
  const status = (await (await fetch(`${a.listenUrl}/status.json`)).json()) as { server: Record<string, unknown> };
  assert.deepEqual(
    { listeners: status.server.listeners, maxListeners: status.server.maxListeners, draining: status.server.draining },
    { listeners: 2, maxListeners: 2, draining: false },
  );
  const icecast = (await (await fetch(`${a.listenUrl}/status-json.xsl`)).json()) as { icestats: Record<string, unknown> };
  assert.deepEqual(
    [icecast.icestats.listeners, icecast.icestats.max_listeners, icecast.icestats.redirect_over, icecast.icestats.draining],
    [2, 2, 0, false],
    'the Icecast-shaped status says the same at its top',
  );
  const second = await SyntheticSource.connect(a.ingestPort, { mount: '/other' });
  second.close(); // taken with a 200, not sent away

  const connectsBefore = await b.metric('relaycast_listener_connects_total', { mount: '/live' });
  const seconds = Math.ceil(BURST_SECONDS) + 2;
  assertDecodedLive('ffmpeg', await decodeWithFfmpeg(`${a.listenUrl}/live`, seconds), { seconds, burstSeconds: BURST_SECONDS });
  if (requireTool(t, 'mpg123')) assertCleanDecode('mpg123', await decodeWithMpg123(`${a.listenUrl}/live`, 300));
  const players = b.logs.filter((l) => l.msg === 'listener connected' && /^(Lavf|mpg123)/.test(String(l.agent)));
  assert.equal(players.length, requireTool(t, 'mpg123') ? 2 : 1, 'the players were heard at the peer');
  assert.ok((await b.metric('relaycast_listener_connects_total', { mount: '/live' })) >= connectsBefore + players.length);
  assert.equal(await a.metric('relaycast_listeners', { mount: '/live' }), 2, 'the full relay kept its two');
  assert.equal(await a.metric('relaycast_redirects_total', { peer: b.listenUrl }), 3 + players.length);
  assert.equal(await a.metric('relaycast_peer_up', { peer: b.listenUrl }), 1);
});

test('a peer that goes down gets no more listeners and its fall is logged once; a draining peer gets none', async (t) => {
  const draining = await fakePeer(t, { listeners: 0, maxListeners: 0, redirectOver: 0, draining: true });
  const b = await RelayProcess.start();
  t.after(() => (b.exitCode === null ? b.stop() : undefined));
  const a = await fullRelay(t, ['--max-listeners', '1', '--peer', draining.url, '--peer', b.listenUrl, '--peer-check-ms', CHECK_MS], 1);
  a.expectWarnings('SERVER_FULL', 'peer is down: no listeners are sent to it');
  await a.waitForLog((l) => l.msg === 'peer is draining' && l.peer === draining.url);
  await a.waitForLog((l) => l.msg === 'peer is up with room' && l.peer === b.listenUrl);
  const sent = await rawRequest(a.port, 'GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  assert.equal(sent.headers.get('location'), `${b.listenUrl}/live`, 'the draining peer, listed first, is passed over');

  await b.stop();
  const isDown = (l: { msg: string; peer?: unknown }) => l.msg === 'peer is down: no listeners are sent to it' && l.peer === b.listenUrl;
  await a.waitForLog(isDown);
  await draining.nextChecks(3);
  assert.equal(a.countLogs(isDown), 1, 'down is logged once, not per check');
  assert.equal(
    a.countLogs((l) => l.msg === 'peer is draining'),
    1,
    'an unchanged peer is not logged again',
  );
  assert.equal(await a.metric('relaycast_peer_up', { peer: b.listenUrl }), 0);
  assert.equal(await a.metric('relaycast_peer_room_listeners', { peer: b.listenUrl }), 0);
  assert.equal(await a.metric('relaycast_peer_room_listeners', { peer: draining.url }), 0);
  await assertListenerRefused(a, a.port, '/live', { code: 'SERVER_FULL', status: 503, body: /^server has reached its listener limit/ });
  assert.equal(await a.metric('relaycast_redirects_total', { peer: b.listenUrl }), 1);
  assert.equal(await a.metric('relaycast_redirects_total', { peer: draining.url }), 0);
});

test('--redirect-over sends listeners on before the relay is full, to the peer with the most room, and keeps them when none has room', async (t) => {
  const small = await fakePeer(t, { listeners: 8, maxListeners: 10, redirectOver: 0, draining: false });
  const big = await fakePeer(t, { listeners: 5, maxListeners: 100, redirectOver: 20, draining: false });
  const a = await fullRelay(t, ['--redirect-over', '1', '--peer', small.url, '--peer', big.url, '--peer-check-ms', CHECK_MS], 1);
  await a.waitForMetric('relaycast_peer_room_listeners', { peer: big.url }, (v) => v === 15);
  await a.waitForMetric('relaycast_peer_room_listeners', { peer: small.url }, (v) => v === 2);
  const res = await rawRequest(a.port, 'GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), `${big.url}/live`, 'the peer with the most room (its --redirect-over counts)');

  // Both full: the relay serves the listener itself (it is over --redirect-over, not full).
  small.server = { ...small.server, listeners: 10 };
  big.server = { ...big.server, listeners: 20 };
  await a.waitForLog((l) => l.msg === 'peer is full' && l.peer === big.url);
  await a.waitForLog((l) => l.msg === 'peer is full' && l.peer === small.url);
  const kept = new RawListener(a.port, '/live');
  t.after(() => kept.destroy());
  await waitFor(() => kept.bodyBytes > 0, 5000, 'the listener kept here');
  assert.equal(kept.status, 200);
  assert.equal(await a.metric('relaycast_listeners', { mount: '/live' }), 2);
  assert.equal(await a.metric('relaycast_redirects_total', { peer: big.url }), 1);
});
