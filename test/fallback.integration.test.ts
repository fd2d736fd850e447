// No dead air (issue 12): a mount's listeners move to its fallback when its
// source is gone, keep their connection, and come back when it returns
// (fallback-override); a listener of a mount without a source hears the
// fallback; streams of different formats are never joined. Synthetic
// numbered frames show every move lands on a frame boundary with nothing
// lost or doubled; real ffmpeg encoders and a decode of the recording show
// a player gets through it cleanly.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { frameSerials, RawListener, rawRequest, requireTool, runTool, SyntheticSource } from './support/clients.js';
import { splitIcyStream, streamTitleOf } from './support/icy-stream.js';
import { ffmpegToneSource, MP3_128K } from './support/interop.js';
import { PASSWORD, RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const LIVE_TAG = 1;
const AUTODJ_TAG = 2;

function configFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'relaycast-fallback-')), 'relaycast.yaml');
  writeFileSync(path, text);
  return path;
}

const STATION = configFile(
  [
    'mounts:',
    '  /live:',
    '    fallback-mount: /autodj',
    '    fallback-override: true',
    '    source-grace-ms: 300',
    '  /autodj: {}',
    '',
  ].join('\n'),
);

const basic = `Basic ${Buffer.from(`source:${PASSWORD}`).toString('base64')}`;
const setTitle = (port: number, mount: string, song: string) =>
  rawRequest(
    port,
    `GET /admin/metadata?mount=${mount}&mode=updinfo&song=${encodeURIComponent(song)} HTTP/1.0\r\nAuthorization: ${basic}\r\n\r\n`,
  );

function tagsOf(l: RawListener): number[] {
  return frameSerials(l.body()).tags;
}

test('a drop moves listeners to the fallback at a frame boundary and the return brings them back; nothing lost, nobody reconnects', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--config', STATION, '--flush-interval-ms', '100']);
  const autodj = await SyntheticSource.connect(relay.ingestPort, { mount: '/autodj', tag: AUTODJ_TAG });
  t.after(() => autodj.close());
  autodj.send(40);
  autodj.pace(40);
  let live = await SyntheticSource.connect(relay.ingestPort, { mount: '/live', tag: LIVE_TAG });
  t.after(() => live.close());
  live.send(40);
  live.pace(40);
  assert.equal((await setTitle(relay.ingestPort, '/autodj', 'AutoDJ song')).status, 200);
  assert.equal((await setTitle(relay.ingestPort, '/live', 'Live song')).status, 200);

  const onUws = new RawListener(relay.port, '/live');
  const onSocket = new RawListener(relay.ingestPort, '/live', { http10: true });
  const icy = new RawListener(relay.port, '/live', { headers: { 'Icy-MetaData': '1' } });
  const listeners = [onUws, onSocket];
  t.after(() => {
    for (const l of [...listeners, icy]) l.destroy();
  });
  await waitFor(() => listeners.every((l) => tagsOf(l).length > 50) && icy.bodyBytes > 20_000, 5000, 'live frames');

  const lastWholeLive = live.nextSerial - 1;
  live.dropMidFrame();
  await relay.waitForLog((l) => l.msg === 'listeners moved to the fallback' && l.mount === '/live', 5000);
  await waitFor(() => listeners.every((l) => tagsOf(l).filter((tag) => tag === AUTODJ_TAG).length >= 40), 5000, 'fallback frames');
  const status = (await (await fetch(`${relay.listenUrl}/status.json`)).json()) as {
    mounts: Array<{ mount: string; listeners: number; listenersOnFallback: number }>;
  };
  const liveStatus = status.mounts.find((m) => m.mount === '/live');
  assert.deepEqual({ ...liveStatus, mount: undefined }, { ...liveStatus, mount: undefined, listeners: 3, listenersOnFallback: 3 });
  assert.equal(await relay.metric('relaycast_listeners_on_fallback', { mount: '/live' }), 3);
  assert.equal(await relay.metric('relaycast_listeners', { mount: '/live' }), 3);
  assert.equal(await relay.metric('relaycast_listeners', { mount: '/autodj' }), 0, 'they are /live listeners');

  live = await SyntheticSource.connect(relay.ingestPort, { mount: '/live', tag: LIVE_TAG });
  // A returning encoder sends its title again (the mount that left took its title with it).
  assert.equal((await setTitle(relay.ingestPort, '/live', 'Live again')).status, 200);
  live.send(40);
  live.pace(40);
  await relay.waitForLog((l) => l.msg === 'listeners back from the fallback' && l.mount === '/live', 5000);
  await waitFor(
    () => listeners.every((l) => tagsOf(l).lastIndexOf(LIVE_TAG) > tagsOf(l).lastIndexOf(AUTODJ_TAG) + 40),
    5000,
    'live frames again',
  );

  for (const l of listeners) {
    assert.equal(l.closed, false, 'still connected');
    const { serials, tags } = frameSerials(l.body()); // throws on any broken frame
    // live, then the fallback, then live again: three runs, each gapless.
    const runs: Array<{ tag: number; serials: number[] }> = [];
    for (const [i, tag] of tags.entries()) {
      if (runs.at(-1)?.tag !== tag) runs.push({ tag, serials: [] });
      runs.at(-1)?.serials.push(serials[i]);
    }
    assert.deepEqual(
      runs.map((r) => r.tag),
      [LIVE_TAG, AUTODJ_TAG, LIVE_TAG],
    );
    for (const run of runs) {
      for (let k = 1; k < run.serials.length; k++) assert.equal(run.serials[k], run.serials[k - 1] + 1, `a gap in tag ${run.tag}`);
    }
    // The first source's frames up to its last whole one (flushed before the move), no half frame.
    assert.equal(runs[0].serials.at(-1), lastWholeLive);
  }
  assert.equal(await relay.metric('relaycast_fallback_moves_total', { mount: '/live', result: 'fallback' }), 3);
  assert.equal(await relay.metric('relaycast_fallback_moves_total', { mount: '/live', result: 'override' }), 3);
  assert.equal(await relay.metric('relaycast_listeners_on_fallback', { mount: '/live' }), 0);
  assert.equal(
    relay.countLogs((l) => l.msg === 'listener disconnected'),
    0,
  );

  // The ICY listener heard each mount's own title after each move.
  const titles = splitIcyStream(icy.body(), 16000)
    .blocks.map((b) => streamTitleOf(b.payload))
    .filter((title): title is string => title !== undefined);
  const heard = titles.filter((title) => title !== '');
  assert.deepEqual(
    heard.filter((title, i) => heard[i - 1] !== title),
    ['Live song', 'AutoDJ song', 'Live again'],
  );
});

test("a listener of a mount without a source hears its fallback instead of a 404, and counts as that mount's", async (t) => {
  const relay = await RelayProcess.startFor(t, ['--config', STATION]);
  relay.expectWarnings('MOUNT_NOT_FOUND');
  const autodj = await SyntheticSource.connect(relay.ingestPort, { mount: '/autodj', tag: AUTODJ_TAG });
  t.after(() => autodj.close());
  autodj.send(60);
  const listener = new RawListener(relay.port, '/live');
  t.after(() => listener.destroy());
  await waitFor(() => tagsOf(listener).length >= 50, 5000, 'the fallback stream');
  assert.equal(listener.status, 200);
  assert.ok(tagsOf(listener).every((tag) => tag === AUTODJ_TAG));
  const connected = await relay.waitForLog((l) => l.msg === 'listener connected');
  assert.equal(connected.mount, '/live');
  assert.equal(connected.hearing, '/autodj');
  assert.equal(await relay.metric('relaycast_listeners', { mount: '/live' }), 1);
  assert.equal(await relay.metric('relaycast_listeners_on_fallback', { mount: '/live' }), 1);
  // A mount with no fallback and no source is still not found.
  assert.equal((await rawRequest(relay.ingestPort, 'GET /elsewhere HTTP/1.0\r\n\r\n')).status, 404);
});

function stop(child: ChildProcess): void {
  if (child.exitCode === null) child.kill('SIGKILL');
}

test('ffmpeg on /live and /autodj: a recording across the drop, the fallback and the return decodes with no error', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const relay = await RelayProcess.startFor(t, ['--config', STATION]);
  const autodj = ffmpegToneSource(relay, '/autodj', { ...MP3_128K, sampleRateHz: 44100 });
  t.after(() => stop(autodj));
  let live = ffmpegToneSource(relay, '/live', { ...MP3_128K, sampleRateHz: 44100 });
  t.after(() => stop(live));
  await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === '/live', 10_000);
  await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === '/autodj', 10_000);
  await relay.waitForMetric('relaycast_source_received_bytes_total', { mount: '/live' }, (v) => v > 64_000, 10_000);
  const listener = new RawListener(relay.ingestPort, '/live', { http10: true });
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes > 96_000, 10_000, 'six seconds of live');
  stop(live);
  await relay.waitForLog((l) => l.msg === 'listeners moved to the fallback', 10_000);
  const atFallback = listener.bodyBytes;
  await waitFor(() => listener.bodyBytes > atFallback + 48_000, 10_000, 'three seconds of the fallback');
  live = ffmpegToneSource(relay, '/live', { ...MP3_128K, sampleRateHz: 44100 });
  await relay.waitForLog((l) => l.msg === 'listeners back from the fallback', 10_000);
  const atReturn = listener.bodyBytes;
  await waitFor(() => listener.bodyBytes > atReturn + 48_000, 10_000, 'three seconds of live again');
  assert.equal(listener.closed, false);

  const recording = join(mkdtempSync(join(tmpdir(), 'relaycast-rec-')), 'across.mp3');
  writeFileSync(recording, listener.body());
  const decoded = await runTool('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', recording, '-f', 'null', '-'], 30_000);
  assert.equal(decoded.code, 0, decoded.stderr);
  assert.equal(decoded.stderr, '', 'ffmpeg reported errors decoding the recording');
  assert.equal(
    relay.countLogs((l) => l.msg === 'listener disconnected'),
    0,
  );
});

test('a fallback of another sample rate is refused: logged, counted; a listener stays where it is, or ends cleanly when its mount is gone', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const relay = await RelayProcess.startFor(t, ['--config', STATION]);
  relay.expectWarnings('fallback refused: the streams differ in codec, sample rate or channels');
  const autodj = ffmpegToneSource(relay, '/autodj', { ...MP3_128K, sampleRateHz: 48000 });
  t.after(() => stop(autodj));
  await relay.waitForMetric('relaycast_source_received_bytes_total', { mount: '/autodj' }, (v) => v > 16_000, 10_000);
  // Arrives while /live has no source: hears the 48 kHz fallback.
  const early = new RawListener(relay.ingestPort, '/live', { http10: true });
  t.after(() => early.destroy());
  await waitFor(() => early.bodyBytes > 16_000, 10_000, 'the fallback');
  const live = ffmpegToneSource(relay, '/live', { ...MP3_128K, sampleRateHz: 44100 });
  t.after(() => stop(live));
  // /live returns at 44.1 kHz: the early listener's decoder is set up for 48 kHz, so it stays.
  const kept = await relay.waitForLog((l) => l.msg === 'fallback refused: the streams differ in codec, sample rate or channels', 10_000);
  assert.equal(kept.direction, 'override');
  assert.equal(kept.heard, 'mp3 48000 Hz 2 ch');
  assert.equal(kept.offered, 'mp3 44100 Hz 2 ch');
  assert.equal(await relay.metric('relaycast_fallback_moves_total', { mount: '/live', result: 'mismatch' }), 1);
  assert.equal(await relay.metric('relaycast_listeners_on_fallback', { mount: '/live' }), 1);
  assert.equal(early.closed, false);

  // A listener of live /live: when /live drops, the 48 kHz fallback is refused and it ends cleanly.
  const onLive = new RawListener(relay.ingestPort, '/live', { http10: true });
  t.after(() => onLive.destroy());
  await waitFor(() => onLive.bodyBytes > 16_000, 10_000, 'live bytes');
  stop(live);
  const refused = await relay.waitForLog(
    (l) => l.msg === 'fallback refused: the streams differ in codec, sample rate or channels' && l.direction === 'fallback',
    10_000,
  );
  assert.equal(refused.heard, 'mp3 44100 Hz 2 ch');
  assert.equal(refused.offered, 'mp3 48000 Hz 2 ch');
  await waitFor(() => onLive.cleanEnd, 5000, 'a clean end');
  const left = await relay.waitForLog((l) => l.msg === 'listener disconnected');
  assert.equal(left.reason, 'source_gone');
  assert.equal(early.closed, false, 'the listener on the fallback is untouched');
});
