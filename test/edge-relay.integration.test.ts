// An origin and an edge, end to end (issue 14 item 2): a relaycast origin
// with an MP3 and an Ogg Vorbis mount pushed by ffmpeg, and a relaycast
// started with --origin. Edge listeners get the origin's stream info
// (icy-name, icy-genre), its title updates in their ICY metadata, and an
// Ogg stream that decodes; however many listen on the edge, the origin sees
// one connection per mount; a mount new on the origin is learnt and
// playable on the edge, and a removed one goes.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { RawListener, requireTool, startTool } from './support/clients.js';
import { setSong } from './support/icy-clients.js';
import { splitIcyStream, streamTitleOf } from './support/icy-stream.js';
import { ICECAST_HIDDEN_MOUNT, ICECAST_RELAY_PASSWORD, ICECAST_RELAY_USER, IcecastOrigin } from './support/icecast-origin.js';
import { MP3_128K, probeWithFfprobe } from './support/interop.js';
import { PASSWORD, RelayProcess, TEST_SECRETS } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const POLL_MS = 300;

/** ffmpeg pushing a live tone with a stream name and genre (what the edge must pass on). */
function source(origin: RelayProcess, mount: string, codec: string[], format: string, contentType: string): ChildProcess {
  return startTool('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100'],
    ...codec,
    ...['-f', format, '-content_type', contentType, '-ice_name', `Edge Test ${mount}`, '-ice_genre', 'Test Tones'],
    `icecast://source:${PASSWORD}@127.0.0.1:${origin.ingestPort}${mount}`,
  ]).child;
}

async function stopTool(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

const MP3 = ['-c:a', 'libmp3lame', '-b:a', '128k'];

test('edge listeners get the origin stream info, titles and a decodable Ogg stream over one upstream connection per mount', async (t) => {
  if (!requireTool(t, 'ffmpeg') || !requireTool(t, 'ffprobe')) return;
  const origin = await RelayProcess.startFor(t, ['--source-grace-ms', '0']);
  const tools = [
    source(origin, '/live.mp3', MP3, 'mp3', 'audio/mpeg'),
    source(origin, '/live.ogg', ['-c:a', 'libvorbis', '-b:a', '96k'], 'ogg', 'application/ogg'),
  ];
  const listeners: RawListener[] = [];
  t.after(async () => {
    for (const l of listeners) l.destroy();
    for (const child of tools) await stopTool(child);
  });
  await origin.waitForMetric('relaycast_source_connected', { mount: '/live.mp3' }, (v) => v === 1);
  await origin.waitForMetric('relaycast_source_connected', { mount: '/live.ogg' }, (v) => v === 1);
  const edge = await RelayProcess.startFor(t, ['--origin', origin.listenUrl, '--origin-poll-ms', String(POLL_MS)]);
  await edge.waitForMetric('relaycast_origin_mounts', {}, (v) => v === 2);

  // Two ICY listeners on the edge, one at the origin for comparison.
  const icy = { headers: { 'Icy-MetaData': '1' } };
  const atOrigin = new RawListener(origin.port, '/live.mp3', icy);
  listeners.push(atOrigin, new RawListener(edge.port, '/live.mp3', icy), new RawListener(edge.port, '/live.mp3', icy));
  await waitFor(() => listeners.every((l) => l.bodyBytes > 20_000), 15_000, 'audio at every listener');
  for (const l of listeners) assert.equal(l.status, 200);
  const [, atEdge, second] = listeners;
  for (const name of ['icy-name', 'icy-genre', 'content-type']) {
    assert.equal(atEdge.headers.get(name), atOrigin.headers.get(name), `${name} as at the origin`);
  }
  assert.equal(atEdge.headers.get('icy-name'), 'Edge Test /live.mp3');
  assert.equal(atEdge.headers.get('icy-genre'), 'Test Tones');
  assert.equal(
    await origin.metric('relaycast_listeners', { mount: '/live.mp3' }),
    2,
    'one listener at the origin, and one edge pull for two edge listeners',
  );
  assert.equal(await edge.metric('relaycast_listeners', { mount: '/live.mp3' }), 2);

  // A title set on the origin reaches the edge listeners' ICY metadata.
  assert.equal((await setSong(origin.port, '/live.mp3', 'Edge Artist - Edge Song')).status, 200);
  for (const l of [atEdge, second]) {
    const metaInt = Number(l.headers.get('icy-metaint'));
    assert.ok(metaInt > 0, 'the edge interleaves ICY metadata');
    await waitFor(
      () => splitIcyStream(l.body(), metaInt).blocks.some((b) => streamTitleOf(b.payload) === 'Edge Artist - Edge Song'),
      15_000,
      "the origin's title in the edge listener's metadata",
    );
  }

  // An Ogg listener on the edge: headers first, so ffprobe finds Vorbis at once.
  const probe = await probeWithFfprobe(`${edge.listenUrl}/live.ogg`);
  assert.equal(probe.result.code, 0, probe.result.stderr);
  assert.equal(probe.stream?.codec_name, 'vorbis');
  assert.equal(probe.result.stderr.trim(), '', 'ffprobe has nothing to complain about');
  assert.equal(
    edge.countLogs((l) => l.code === 'UPSTREAM_FAILED'),
    0,
    'no pull failed while the origin had its sources',
  );
  assert.equal(
    edge.countLogs((l) => l.msg === 'origin down'),
    0,
  );
  // The teardown ends the origin's sources, then the origin, then the edge: the edge may see both go.
  edge.expectWarnings('UPSTREAM_FAILED', 'origin down');
  for (const l of listeners) l.destroy();
});

test('a mount new on the origin is learnt and playable on the edge, and a removed one goes', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const origin = await RelayProcess.startFor(t, ['--source-grace-ms', '0']);
  const edge = await RelayProcess.startFor(t, ['--origin', origin.listenUrl, '--origin-poll-ms', String(POLL_MS)]);
  // The removed mount: its pull sees the upstream end, and a late listener is refused; the
  // teardown stops the origin before the edge, which may see it go.
  edge.expectWarnings('MOUNT_NOT_FOUND', 'UPSTREAM_FAILED', 'origin down');
  await edge.waitForLog((l) => l.msg === 'origin up');
  const tools: ChildProcess[] = [];
  const listeners: RawListener[] = [];
  t.after(async () => {
    for (const l of listeners) l.destroy();
    for (const child of tools) await stopTool(child);
  });

  tools.push(source(origin, '/new.mp3', MP3, 'mp3', 'audio/mpeg'));
  await edge.waitForLog((l) => l.msg === 'edge: origin mounts changed' && (l.added as string[]).includes('/new.mp3'), 15_000);
  const listener = new RawListener(edge.port, '/new.mp3');
  listeners.push(listener);
  await waitFor(() => listener.bodyBytes > 16_000, 15_000, 'the new mount heard on the edge');
  assert.equal(listener.headers.get('icy-name'), 'Edge Test /new.mp3');
  listener.destroy();

  await stopTool(tools[0]);
  await edge.waitForLog((l) => l.msg === 'edge: origin mounts changed' && (l.removed as string[]).includes('/new.mp3'), 15_000);
  await edge.waitForLog((l) => l.msg === 'relay mount removed' && l.mount === '/new.mp3');
  assert.equal(await edge.metric('relaycast_origin_mounts'), 0);
  assert.equal(
    edge.countLogs((l) => l.msg === 'origin down'),
    0,
  );
  // Gone from the edge: a new listener is refused as for any unknown mount (once its grace is over).
  await waitFor(
    async () => {
      const res = await fetch(`${edge.listenUrl}/new.mp3`, { signal: AbortSignal.timeout(3000) });
      await res.body?.cancel();
      return res.status === 404;
    },
    15_000,
    '/new.mp3 to be gone from the edge',
  );
});

test('an edge of an Icecast 2.4 origin reads its stream list with the relay user and plays its public mounts, not the hidden one', async (t) => {
  if (!requireTool(t, 'icecast2') || !requireTool(t, 'ffmpeg')) return;
  TEST_SECRETS.add(ICECAST_RELAY_PASSWORD);
  const icecast = await IcecastOrigin.start();
  t.after(() => icecast.stop());
  await icecast.addSource('/one.mp3', MP3_128K);
  await icecast.addSource(ICECAST_HIDDEN_MOUNT, MP3_128K);
  const originUrl = `http://${ICECAST_RELAY_USER}:${ICECAST_RELAY_PASSWORD}@127.0.0.1:${icecast.port}`;
  const edge = await RelayProcess.startFor(t, ['--origin', originUrl, '--origin-poll-ms', String(POLL_MS)]);
  const changed = await edge.waitForLog((l) => l.msg === 'edge: origin mounts changed');
  assert.deepEqual(changed.added, ['/one.mp3'], 'the hidden mount is not listed, so not mirrored');
  const listener = new RawListener(edge.port, '/one.mp3');
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes > 16_000, 15_000, "Icecast's mount heard on the edge");
  assert.equal(listener.status, 200);
  assert.equal(listener.headers.get('content-type'), 'audio/mpeg');
  assert.equal(listener.headers.get('icy-name'), 'relaycast interop');
  const hidden = await fetch(`${edge.listenUrl}${ICECAST_HIDDEN_MOUNT}`);
  await hidden.body?.cancel();
  assert.equal(hidden.status, 404);
  assert.equal(
    edge.countLogs((l) => l.msg === 'origin down' || l.code === 'UPSTREAM_FAILED'),
    0,
  );
  // The refused hidden mount; and the teardown stops Icecast before the edge, which then sees it go.
  edge.expectWarnings('MOUNT_NOT_FOUND', 'UPSTREAM_FAILED', 'origin down');
  assert.ok(!edge.stdout.includes(ICECAST_RELAY_PASSWORD), 'the relay password is in no edge log line');
  listener.destroy();
});
