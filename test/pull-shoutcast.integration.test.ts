// Issue 14, pull relays: a relaycast relay mount pulling a SHOUTcast
// v1-style `ICY 200 OK` server written here (test/support/fake-upstream.ts).
// Its audio reaches listeners byte-exact with the ICY metadata taken out,
// its titles become the mount's; a dropped upstream is reconnected while
// the listener stays; a refusing first URL fails over to the second; a
// redirect to a SHOUTcast v2-style answer is followed, with the URL's
// credentials sent and never logged.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { FRAME_BYTES, frameSerials, mp3Frame, RawListener, rawRequest } from './support/clients.js';
import { FakeUpstream, relayConfigYaml } from './support/fake-upstream.js';
import { splitIcyStream, streamTitleOf } from './support/icy-stream.js';
import { RelayProcess, TEST_SECRETS } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

/** The metadata interval of the fake upstream: small and not a multiple of a frame, so blocks land mid-frame. */
const UPSTREAM_METAINT = 1000;
/** What relaycast sends its own ICY listeners (relay/formats/icy-metadata.ts). */
const OUR_METAINT = 16000;

async function relayOf(t: TestContext, mounts: Record<string, Record<string, unknown>>, args: string[] = []): Promise<RelayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'relaycast-pull-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'relaycast.yaml');
  writeFileSync(file, relayConfigYaml(mounts));
  return RelayProcess.startFor(t, ['--config', file, ...args]);
}

async function upstreamFor(t: TestContext, opts: Parameters<typeof FakeUpstream.start>[0] = {}): Promise<FakeUpstream> {
  const upstream = await FakeUpstream.start(opts);
  t.after(() => upstream.close());
  return upstream;
}

/** Asserts `body` is whole numbered frames, each exactly as sent, in order with no gap; returns the serials. */
function assertExactFrames(body: Buffer, what: string): number[] {
  const { serials, trailing } = frameSerials(body.subarray(0, body.length - (body.length % FRAME_BYTES)));
  assert.ok(serials.length > 0, `${what}: no frames`);
  for (let i = 1; i < serials.length; i++) assert.equal(serials[i], serials[i - 1] + 1, `${what}: gap after frame ${serials[i - 1]}`);
  const expected = Buffer.concat(serials.map((s) => mp3Frame(s)));
  assert.ok(expected.equals(body.subarray(0, expected.length)), `${what}: bytes differ from what the upstream sent`);
  assert.equal(trailing, 0);
  return serials;
}

test('an ICY 200 OK upstream is relayed byte-exact without its metadata, and its titles reach ICY listeners', async (t) => {
  const upstream = await upstreamFor(t, { metaInt: UPSTREAM_METAINT, burstFrames: 40 });
  upstream.title = 'First Artist - First Song';
  const relay = await relayOf(t, { '/relay.mp3': { 'relay-url': upstream.url('/;stream.mp3') } });
  await relay.waitForLog((l) => l.msg === 'pull connected' && l.mount === '/relay.mp3');
  assert.equal(upstream.connections.length, 1);
  const request = upstream.connections[0].request;
  assert.match(request, /^GET \/;stream\.mp3 HTTP\/1\.1\r\n/);
  assert.match(request, /\r\nIcy-MetaData: 1(\r\n|$)/);
  assert.match(request, /\r\nUser-Agent: relaycast\/\d+\.\d+\.\d+(\r\n|$)/);
  const connected = relay.logs.find((l) => l.msg === 'pull connected');
  assert.equal(connected?.protocol, 'ICY');
  assert.equal(connected?.icyMetaInt, UPSTREAM_METAINT);

  const plain = new RawListener(relay.port, '/relay.mp3');
  const icy = new RawListener(relay.port, '/relay.mp3', { headers: { 'Icy-MetaData': '1' } });
  t.after(() => {
    plain.destroy();
    icy.destroy();
  });
  await waitFor(
    () => plain.bodyBytes >= 60 * FRAME_BYTES && icy.bodyBytes >= OUR_METAINT * 2 + 500,
    10_000,
    'both listeners hearing frames',
  );
  assert.equal(plain.status, 200);
  assert.equal(plain.headers.get('icy-name'), 'Fake Upstream');
  assert.equal(plain.headers.get('icy-genre'), 'Test');
  assert.equal(plain.headers.get('icy-br'), '128');
  assertExactFrames(plain.body(), 'plain listener');

  upstream.title = 'Second Artist - Second Song';
  await relay.waitForLog((l) => l.msg === 'title changed' && l.title === 'Second Artist - Second Song' && l.via === 'relay');
  const titles = new Set<string>();
  await waitFor(
    () => {
      const { blocks } = splitIcyStream(icy.body(), OUR_METAINT);
      for (const b of blocks) if (b.units > 0) titles.add(streamTitleOf(b.payload) ?? '');
      return titles.has('Second Artist - Second Song');
    },
    15_000,
    'the second title in the ICY listener stream',
  );
  assert.ok(titles.has('First Artist - First Song'), `titles seen: ${[...titles].join(' | ')}`);
  assertExactFrames(splitIcyStream(icy.body(), OUR_METAINT).audio, 'ICY listener audio');
  assertExactFrames(plain.body(), 'plain listener, later');
  assert.equal(await relay.metric('relaycast_pull_connects_total', { mount: '/relay.mp3' }), 1);
  assert.equal(await relay.metric('relaycast_pull_connected', { mount: '/relay.mp3' }), 1);
  // Before the upstream goes (the after-hooks): its close would be a failure, and stop() checks none is logged.
  plain.destroy();
  icy.destroy();
  await relay.stop();
});

test('an upstream that drops is reconnected with the listener still there, hearing the new audio', async (t) => {
  const upstream = await upstreamFor(t, { metaInt: UPSTREAM_METAINT, burstFrames: 20 });
  // A push mount's listeners would be ended 100 ms after its source left; a relay mount's wait through the reconnect.
  const relay = await relayOf(t, { '/relay.mp3': { 'relay-url': upstream.url() } }, ['--source-grace-ms', '100']);
  relay.expectWarnings('UPSTREAM_FAILED');
  const listener = new RawListener(relay.port, '/relay.mp3');
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes >= 30 * FRAME_BYTES, 10_000, 'frames before the drop');
  upstream.drop();
  const beforeDrop = upstream.nextSerial;
  await relay.waitForLog((l) => l.code === 'UPSTREAM_FAILED' && l.reason === 'ended');
  await relay.waitForLog((l) => l.msg === 'source disconnected' && l.mount === '/relay.mp3' && l.graceMs === 30_000);
  await relay.waitForMetric('relaycast_pull_connects_total', { mount: '/relay.mp3' }, (v) => v === 2);
  await waitFor(
    () => {
      const { serials } = frameSerials(listener.body().subarray(0, listener.bodyBytes - (listener.bodyBytes % FRAME_BYTES)));
      return serials.some((s) => s >= beforeDrop + 10);
    },
    10_000,
    'frames sent after the reconnect',
  );
  assert.equal(listener.closed, false, 'the listener stayed through the reconnect');
  assert.equal(upstream.connections.length, 2);
  assert.equal(await relay.metric('relaycast_pull_failures_total', { mount: '/relay.mp3', reason: 'ended' }), 1);
  assert.equal(await relay.metric('relaycast_listeners', { mount: '/relay.mp3' }), 1);
});

test('a first URL that refuses connections fails over to the second, counted as a connect failure', async (t) => {
  const upstream = await upstreamFor(t, { burstFrames: 10 });
  const dead = await FakeUpstream.start();
  const deadUrl = dead.url();
  await dead.close(); // nothing listens there now: connections are refused
  const relay = await relayOf(t, { '/relay.mp3': { 'relay-url': [deadUrl, upstream.url()] } });
  relay.expectWarnings('UPSTREAM_FAILED');
  const connected = await relay.waitForLog((l) => l.msg === 'pull connected');
  assert.equal(connected.url, upstream.url());
  const failure = relay.logs.find((l) => l.code === 'UPSTREAM_FAILED');
  assert.equal(failure?.reason, 'connect');
  assert.equal(failure?.url, deadUrl);
  assert.match(String(failure?.msg), /^a relay mount's upstream failed: connect: 127\.0\.0\.1:\d+: ECONNREFUSED$/);
  assert.equal(await relay.metric('relaycast_pull_failures_total', { mount: '/relay.mp3', reason: 'connect' }), 1);
  const listener = new RawListener(relay.port, '/relay.mp3');
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes >= 10 * FRAME_BYTES, 10_000, 'frames from the second URL');
  assertExactFrames(listener.body(), 'listener');
  listener.destroy();
  await relay.stop();
});

test('a 302 to a SHOUTcast v2-style HTTP/1.0 answer is followed, credentials in the URL are sent but never logged, and a redirect loop is a failure', async (t) => {
  // SHOUTcast v2 answers HTTP/1.0 200 with icy-* headers (no ICY status line).
  const v2 = await upstreamFor(t, {
    head: 'HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\nicy-name: V2 Station\r\nicy-pub: 0\r\nicy-metaint: 2000',
    metaInt: 2000,
    burstFrames: 10,
  });
  v2.title = 'V2 Title';
  const redirect = await upstreamFor(t, { head: `HTTP/1.1 302 Found\r\nLocation: ${v2.url('/v2')}\r\nContent-Length: 0`, fixedBody: '' });
  const loop = await upstreamFor(t, { head: 'HTTP/1.1 301 Moved Permanently\r\nLocation: /again', fixedBody: '' });
  TEST_SECRETS.add('s3cret-relay-pw');
  const withCredentials = redirect.url('/start').replace('http://', 'http://relayuser:s3cret-relay-pw@');
  const relay = await relayOf(t, {
    '/v2.mp3': { 'relay-url': withCredentials },
    '/loop.mp3': { 'relay-url': loop.url('/start'), 'on-demand': true },
  });
  relay.expectWarnings('UPSTREAM_FAILED', 'UPSTREAM_UNAVAILABLE');
  const connected = await relay.waitForLog((l) => l.msg === 'pull connected' && l.mount === '/v2.mp3');
  assert.equal(connected.url, redirect.url('/start').replace('http://', 'http://relayuser:***@'));
  assert.equal(connected.redirectedTo, v2.url('/v2'));
  assert.equal(connected.protocol, 'HTTP/1.0');
  const basic = `Basic ${Buffer.from('relayuser:s3cret-relay-pw').toString('base64')}`;
  assert.match(redirect.connections[0].request, new RegExp(`\\r\\nAuthorization: ${basic.replace('+', '\\+')}(\\r\\n|$)`));
  await relay.waitForLog((l) => l.msg === 'title changed' && l.title === 'V2 Title');
  const listener = new RawListener(relay.port, '/v2.mp3');
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes >= 10 * FRAME_BYTES, 10_000, 'frames through the redirect');
  assertExactFrames(listener.body(), 'listener');
  assert.equal(listener.headers.get('icy-name'), 'V2 Station');

  const refused = await rawRequest(relay.port, 'GET /loop.mp3 HTTP/1.0\r\n\r\n', 10_000);
  assert.equal(refused.status, 503);
  const failure = await relay.waitForLog((l) => l.code === 'UPSTREAM_FAILED' && l.mount === '/loop.mp3');
  assert.equal(failure.reason, 'redirect');
  assert.match(String(failure.msg), /more than 4 redirects$/);
  assert.equal(loop.connections.length, 5, 'the first request and four redirects');
  listener.destroy();
  await relay.stop();
});
