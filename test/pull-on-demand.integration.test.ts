// Issue 14, on-demand pull relays: no upstream connection until a listener
// comes, one upstream connection however many listeners, the pull stops
// on-demand-idle-ms after the last one leaves; the first listener's first
// byte follows the upstream's first byte at once (measured here: the fake
// upstream and the listener share this process's clock), on the front door
// and on the uWS port. Bad upstreams (404, an HTML page, garbage) are clear
// failures, logged and counted, and the listener waiting on them gets a 503.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import net from 'node:net';
import { test, type TestContext } from 'node:test';
import { FRAME_BYTES, frameSerials, RawListener, rawRequest, SyntheticSource } from './support/clients.js';
import { FakeUpstream, relayConfigYaml } from './support/fake-upstream.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const IDLE_MS = 400;

async function relayOf(t: TestContext, mounts: Record<string, Record<string, unknown>>, args: string[] = []): Promise<RelayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'relaycast-pull-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'relaycast.yaml');
  writeFileSync(file, relayConfigYaml(mounts));
  return RelayProcess.startFor(t, ['--config', file, ...args]);
}

/** Listens, and returns how long after the upstream's first body byte the listener's first body byte came. */
async function firstByteBehindUpstream(
  upstream: FakeUpstream,
  port: number,
  path: string,
  t: TestContext,
): Promise<{ listener: RawListener; lagMs: number }> {
  const before = upstream.connections.length;
  const listener = new RawListener(port, path);
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes > 0, 10_000, `the first audio byte of ${path}`);
  const conn = upstream.connections[before];
  assert.ok(conn, 'the listener made the relay connect');
  return { listener, lagMs: listener.firstByteAtMs - conn.firstBodyAtMs };
}

test('an on-demand relay connects only for listeners, once for several, streams the first bytes at once, and stops when idle', async (t) => {
  // Real-time frames, no burst: the first listener's first byte can only be the upstream's first frame.
  const upstream = await FakeUpstream.start({ metaInt: 8192 });
  t.after(() => upstream.close());
  const relay = await relayOf(t, { '/od.mp3': { 'relay-url': upstream.url(), 'on-demand': true, 'on-demand-idle-ms': IDLE_MS } }, [
    '--uws-port',
    '0',
  ]);
  await relay.waitForLog((l) => l.msg === 'relay mount configured' && l.mount === '/od.mp3' && l.onDemand === true);
  // The relay has served a request after configuring the relay: had it pulled at start, it would have connected by now.
  assert.equal((await rawRequest(relay.port, 'GET /status.json HTTP/1.0\r\n\r\n')).status, 200);
  assert.equal(upstream.connections.length, 0, 'no upstream connection before a listener');
  assert.equal(await relay.metric('relaycast_pull_connected', { mount: '/od.mp3' }), 0);

  const first = await firstByteBehindUpstream(upstream, relay.port, '/od.mp3', t);
  console.log(`# on-demand first byte, front door: ${first.lagMs.toFixed(1)} ms behind the upstream's first byte`);
  assert.ok(first.lagMs < 1000, `first byte ${first.lagMs.toFixed(1)} ms behind the upstream`);
  const more = [new RawListener(relay.port, '/od.mp3'), new RawListener(relay.port, '/od.mp3'), new RawListener(relay.uwsPort, '/od.mp3')];
  t.after(() => {
    for (const l of more) l.destroy();
  });
  await waitFor(() => more.every((l) => l.bodyBytes >= 5 * FRAME_BYTES), 10_000, 'three more listeners hearing it');
  assert.equal(upstream.connections.length, 1, 'one upstream connection for four listeners');
  assert.equal(more[2].headers.get('transfer-encoding'), 'chunked', 'the uWS listener');
  for (const l of [first.listener, ...more]) {
    const { serials } = frameSerials(l.body().subarray(0, l.bodyBytes - (l.bodyBytes % FRAME_BYTES)));
    for (let i = 1; i < serials.length; i++) assert.equal(serials[i], serials[i - 1] + 1);
  }

  for (const l of [first.listener, ...more]) l.destroy();
  await waitFor(() => upstream.open.length === 0, 5000, 'the upstream connection closed after the idle time');
  const idle = await relay.waitForLog((l) => l.msg === 'on-demand relay idle: stopping the pull');
  assert.equal(idle.idleMs, IDLE_MS);
  assert.equal(await relay.metric('relaycast_pull_connected', { mount: '/od.mp3' }), 0);

  // Again, through the uWS port this time: it waits for the upstream with res.onAborted set.
  // Two listeners at once on a cold relay: both wait on the one connection it makes.
  const together = new RawListener(relay.port, '/od.mp3');
  t.after(() => together.destroy());
  const again = await firstByteBehindUpstream(upstream, relay.uwsPort, '/od.mp3', t);
  await waitFor(() => together.bodyBytes > 0, 10_000, 'the listener that came at the same time hearing it');
  console.log(`# on-demand first byte, uWS port: ${again.lagMs.toFixed(1)} ms behind the upstream's first byte`);
  assert.ok(again.lagMs < 1000);
  assert.equal(upstream.connections.length, 2);
  assert.equal(await relay.metric('relaycast_pull_connects_total', { mount: '/od.mp3' }), 2);
  assert.equal(
    relay.countLogs((l) => l.code === 'UPSTREAM_FAILED'),
    0,
    'an idle stop is no failure',
  );
  again.listener.destroy();
  together.destroy();
  await relay.stop();
});

test('bad upstreams (404, an HTML page, garbage, silence, no answer) are clear failures; a waiting listener gets 503 UPSTREAM_UNAVAILABLE', async (t) => {
  const notFound = await FakeUpstream.start({ head: 'HTTP/1.0 404 Not Found\r\nContent-Type: text/plain', fixedBody: 'nope\n' });
  const html = await FakeUpstream.start({ head: 'HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8', fixedBody: '<html></html>' });
  const garbage = await FakeUpstream.start({ head: 'hello there', fixedBody: '' });
  // Answers its head, then never a byte: a stall.
  const silent = await FakeUpstream.start({ framesPerSecond: 0 });
  // Takes the connection and never answers: a timeout.
  const muted = new Set<net.Socket>();
  const mute = net.createServer((socket) => muted.add(socket.on('error', () => undefined))).listen(0, '127.0.0.1');
  await once(mute, 'listening');
  t.after(async () => {
    for (const u of [notFound, html, garbage, silent]) await u.close();
    for (const socket of muted) socket.destroy();
    await new Promise((resolve) => mute.close(resolve));
  });
  const relay = await relayOf(
    t,
    {
      '/nf.mp3': { 'relay-url': notFound.url(), 'on-demand': true },
      '/html.mp3': { 'relay-url': html.url(), 'on-demand': true },
      '/junk.mp3': { 'relay-url': garbage.url(), 'on-demand': true },
      '/silent.mp3': { 'relay-url': silent.url() },
      '/mute.mp3': { 'relay-url': `http://127.0.0.1:${(mute.address() as net.AddressInfo).port}/` },
    },
    ['--source-timeout-ms', '500'],
  );
  relay.expectWarnings('UPSTREAM_FAILED', 'UPSTREAM_UNAVAILABLE');
  const cases = [
    { mount: '/nf.mp3', reason: 'status', detail: /answered 404$/ },
    { mount: '/html.mp3', reason: 'not_audio', detail: /sent "text\/html; charset=utf-8"$/ },
    { mount: '/junk.mp3', reason: 'bad_response', detail: /bad status line "hello there"$/ },
  ];
  for (const c of cases) {
    const res = await rawRequest(relay.port, `GET ${c.mount} HTTP/1.1\r\nHost: x\r\n\r\n`, 10_000);
    assert.equal(res.status, 503, c.mount);
    assert.equal(res.body.split('\n').length, 2, `${c.mount}: a one-line body`);
    assert.match(res.body, /^this relay mount's upstream cannot be reached now: /);
    assert.equal(res.headers.get('retry-after'), '5');
    const failure = await relay.waitForLog((l) => l.code === 'UPSTREAM_FAILED' && l.mount === c.mount);
    assert.equal(failure.reason, c.reason);
    assert.match(String(failure.msg), c.detail);
    await relay.waitForLog((l) => l.code === 'UPSTREAM_UNAVAILABLE' && l.target === c.mount);
    assert.equal(await relay.metric('relaycast_pull_failures_total', { mount: c.mount, reason: c.reason }), 1);
  }
  assert.equal(await relay.metric('relaycast_refusals_total', { code: 'UPSTREAM_UNAVAILABLE', status: '503' }), 3);
  const stall = await relay.waitForLog((l) => l.code === 'UPSTREAM_FAILED' && l.mount === '/silent.mp3');
  assert.equal(stall.reason, 'stall');
  assert.match(String(stall.msg), /: stall: no data for 500 ms after \d+ ms$/);
  const timeout = await relay.waitForLog((l) => l.code === 'UPSTREAM_FAILED' && l.mount === '/mute.mp3', 10_000);
  assert.equal(timeout.reason, 'timeout');
  assert.match(String(timeout.msg), /no response head in 5000 ms$/);
  assert.ok((await relay.metric('relaycast_pull_failures_total', { mount: '/mute.mp3', reason: 'timeout' })) >= 1);
  // Nobody listens: an on-demand relay does not go on retrying.
  assert.equal(notFound.connections.length, 1);
  await relay.stop();
});

test("a listener of an on-demand relay whose upstream fails hears the mount's fallback instead of a 503", async (t) => {
  const notFound = await FakeUpstream.start({ head: 'HTTP/1.0 404 Not Found', fixedBody: '' });
  t.after(() => notFound.close());
  const relay = await relayOf(t, {
    '/od.mp3': { 'relay-url': notFound.url(), 'on-demand': true, 'fallback-mount': '/backup' },
    '/backup': {},
  });
  relay.expectWarnings('UPSTREAM_FAILED');
  const backup = await SyntheticSource.connect(relay.port, { mount: '/backup', tag: 7 });
  t.after(() => backup.close());
  backup.send(40);
  await relay.waitForMetric('relaycast_source_received_bytes_total', { mount: '/backup' }, (v) => v >= 39 * FRAME_BYTES);
  const listener = new RawListener(relay.port, '/od.mp3');
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes >= 10 * FRAME_BYTES, 10_000, 'the fallback heard on the relay mount');
  assert.equal(listener.status, 200);
  const { tags } = frameSerials(listener.body().subarray(0, listener.bodyBytes - (listener.bodyBytes % FRAME_BYTES)));
  assert.ok(
    tags.every((tag) => tag === 7),
    'every frame is the fallback source',
  );
  assert.ok(relay.logs.some((l) => l.code === 'UPSTREAM_FAILED' && l.mount === '/od.mp3' && l.reason === 'status'));
  assert.equal(
    relay.countLogs((l) => l.code === 'UPSTREAM_UNAVAILABLE'),
    0,
  );
  assert.equal(await relay.metric('relaycast_listeners', { mount: '/od.mp3' }), 1);
  listener.destroy();
  backup.close();
  await relay.stop();
});
