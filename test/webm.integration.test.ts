// WebM (Opus) through the relay (issue 12): ffmpeg pushes `-f webm` live, and
// a listener that joins 15 s in (many burst lengths past the stream's start,
// so its EBML header is long gone from any burst) gets the init segment, then
// a whole Cluster, then the live stream byte for byte; ffmpeg, mpv,
// gst-launch, VLC and Chromium's <audio> play it past their join burst with
// no decoder complaint. A source that restarts brings a new init segment,
// which later listeners get instead of the old one; a VP8 + Opus stream is
// joined on a keyframe; GStreamer's streamable webmmux (Clusters of unknown
// size) is joined and played the same way.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { RawListener, type ToolResult, hasTool, requireTool, runTool, startTool } from './support/clients.js';
import { assertCleanDecode, assertMpvPlayed, decodeWithMpv, ffmpegToneSource } from './support/interop.js';
import { PASSWORD, RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';
import { readWebm } from './support/webm-elements.js';

/** Small, so a late listener starts close to live; 15 s of 96 kbps Opus is about eleven bursts. */
const BURST_BYTES = 16384;
const JOIN_AT_SECONDS = 15;
const MOUNT = '/live.webm';
/** Seconds each player must decode: well past the burst (about 1.4 s of audio at 96 kbps). */
const PLAY_SECONDS = 6;

function opusWebmSource(relay: RelayProcess, mount: string): ChildProcess {
  return ffmpegToneSource(relay, mount, {
    codec: ['-c:a', 'libopus', '-b:a', '96k'],
    format: 'webm',
    contentType: 'audio/webm',
    sampleRateHz: 48000,
  });
}

/** The newest Cluster timecode in what `listener` has (ms of the stream), or -1. */
function lastTimecodeMs(listener: RawListener): number {
  return readWebm(listener.body()).clusters.at(-1)?.timecode ?? -1;
}

/** Seconds of audio in a WAV file, by ffprobe. */
async function wavSeconds(path: string): Promise<number> {
  const r = await runTool('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path]);
  assert.equal(r.code, 0, r.stderr);
  return Number(r.stdout.trim());
}

/**
 * gst-launch decodes the URL until the decoded buffers' timestamps span
 * `seconds`, then gets SIGINT and, with -e, ends with EOS and exits 0.
 * (identity eos-after, as decodeWithGstreamer uses, never ends a
 * matroskademux pipeline: the demuxer does not turn the flow's EOS into an
 * EOS event.)
 */
async function playWithGstreamer(url: string, seconds: number): Promise<{ result: ToolResult; spanS: number }> {
  const child = spawn(
    'gst-launch-1.0',
    ['-e', '-v', 'souphttpsrc', `location=${url}`, '!', 'decodebin', '!', 'audioconvert', '!', 'fakesink', 'silent=false', 'sync=false'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let firstS: number | undefined;
  let lastS = 0;
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    for (const m of text.matchAll(/fakesink0:sink.*? pts: (\d+):(\d+):([\d.]+)/g)) {
      const s = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
      firstS ??= s;
      lastS = s;
    }
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = once(child, 'close');
  try {
    await waitFor(() => firstS !== undefined && lastS - firstS >= seconds, 30_000, `gst-launch to decode ${seconds} s`);
  } finally {
    child.kill('SIGINT');
  }
  const [code] = (await exited) as [number | null];
  return { result: { code, stdout, stderr }, spanS: lastS - (firstS ?? lastS) };
}

// The players are independent listeners of one live mount: they run side by side, which keeps
// this file's wall time near the longest of them rather than their sum.
describe('WebM Opus pushed by ffmpeg, joined 15 s in', { concurrency: true }, () => {
  let relay: RelayProcess;
  let source: ChildProcess | undefined;
  let watcher: RawListener;
  let dir: string;

  before(async () => {
    relay = await RelayProcess.start(['--burst-bytes', String(BURST_BYTES)]);
    dir = mkdtempSync(join(tmpdir(), 'relaycast-webm-'));
    chmodSync(dir, 0o777); // VLC runs as nobody and writes its WAV here
    if (!hasTool('ffmpeg')) return; // the tests skip, or fail under CI
    source = opusWebmSource(relay, MOUNT);
    await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === MOUNT);
    // From the first byte: the stream's own clock, and the bytes a late joiner is compared with.
    watcher = new RawListener(relay.port, MOUNT);
    await waitFor(() => lastTimecodeMs(watcher) >= JOIN_AT_SECONDS * 1000, 30_000, `${JOIN_AT_SECONDS} s of WebM`);
  });
  after(async () => {
    source?.kill('SIGKILL');
    watcher?.destroy();
    await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a late listener gets the init segment, then a whole Cluster from mid-stream, then the live bytes exactly', async (t) => {
    if (!requireTool(t, 'ffmpeg')) return;
    const original = readWebm(watcher.body());
    assert.deepEqual(original.ebmlHeaders, [0], 'the watcher joined at the EBML header');
    const initBytes = original.clusters[0].offset;
    const init = watcher.body().subarray(0, initBytes);
    const listener = new RawListener(relay.port, MOUNT);
    t.after(() => listener.destroy());
    await waitFor(() => readWebm(listener.body()).clusters.length >= 3, 10_000, 'the init and three Clusters');
    assert.equal(listener.headers.get('content-type'), 'audio/webm');
    const body = listener.body();
    assert.deepEqual(body.subarray(0, initBytes), init, 'the init segment, byte for byte (a live Segment has unknown size)');
    const got = readWebm(body);
    assert.equal(got.clusters[0].offset, initBytes, 'a Cluster follows the init at once');
    const startMs = got.clusters[0].timecode ?? -1;
    assert.ok(startMs >= (JOIN_AT_SECONDS - 3) * 1000, `the first Cluster is ${startMs} ms into the stream, not its start`);
    // The rest is the live stream as the watcher has it.
    const same = readWebm(watcher.body()).clusters.find((c) => c.timecode === startMs);
    assert.ok(same, 'the watcher has the Cluster the listener started on');
    const n = body.length - initBytes;
    assert.deepEqual(body.subarray(initBytes), watcher.body().subarray(same.offset, same.offset + n));
    // HTTP/1.0 players on the ingest port get the same init first.
    const http10 = new RawListener(relay.ingestPort, MOUNT, { http10: true });
    t.after(() => http10.destroy());
    await waitFor(() => readWebm(http10.body()).clusters.length >= 2, 10_000, "the HTTP/1.0 listener's init and Clusters");
    assert.deepEqual(http10.body().subarray(0, initBytes), init);
    assert.equal(readWebm(http10.body()).clusters[0].offset, initBytes);
  });

  test(`ffmpeg and mpv joining late decode ${PLAY_SECONDS} s, past their burst, with no errors`, async (t) => {
    if (!requireTool(t, 'ffmpeg') || !requireTool(t, 'mpv')) return;
    const url = `${relay.listenUrl}${MOUNT}`;
    const wav = join(dir, 'ffmpeg.wav');
    const startedAt = performance.now();
    const [ffmpeg, mpv] = await Promise.all([
      runTool('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'warning', '-i', url, '-t', String(PLAY_SECONDS), '-y', wav]),
      decodeWithMpv(url, PLAY_SECONDS),
    ]);
    assertCleanDecode('ffmpeg', ffmpeg);
    // Opus's pre-skip trims a few ms from the start of the first packet.
    assert.ok((await wavSeconds(wav)) >= PLAY_SECONDS - 0.05, 'ffmpeg decoded every second it was asked for');
    // The burst holds under 2 s of audio: the rest had to arrive live.
    const elapsedS = (performance.now() - startedAt) / 1000;
    assert.ok(elapsedS >= PLAY_SECONDS - 2.5, `${elapsedS.toFixed(1)} s of wall time for ${PLAY_SECONDS} s of live audio`);
    assertMpvPlayed(mpv, 'opus', { seconds: PLAY_SECONDS, burstSeconds: (BURST_BYTES * 8) / 96_000 });
  });

  test(`gst-launch (souphttpsrc ! decodebin) joining late decodes ${PLAY_SECONDS} s of Opus with no errors`, async (t) => {
    if (!requireTool(t, 'gst-launch-1.0')) return;
    const startedAt = performance.now();
    const gst = await playWithGstreamer(`${relay.listenUrl}${MOUNT}`, PLAY_SECONDS);
    assertCleanDecode(
      'gst-launch-1.0',
      gst.result,
      gst.result.stdout
        .split('\n')
        .filter((l) => !l.includes('last-message'))
        .join('\n') + gst.result.stderr,
    );
    assert.ok(gst.spanS >= PLAY_SECONDS, `gst decoded ${gst.spanS.toFixed(2)} s`);
    const elapsedS = (performance.now() - startedAt) / 1000;
    assert.ok(elapsedS >= PLAY_SECONDS - 2.5, `${elapsedS.toFixed(1)} s of wall time for ${PLAY_SECONDS} s of live audio`);
  });

  test(`VLC (as an unprivileged user) joining late decodes ${PLAY_SECONDS} s to a WAV file`, async (t) => {
    if (!requireTool(t, 'cvlc') || !requireTool(t, 'runuser')) return;
    if (process.getuid?.() !== 0) return t.skip('runuser needs root to start VLC as nobody');
    const wav = join(dir, 'vlc.wav');
    // timeout(1) inside runuser: killing runuser alone would leave VLC running.
    const vlc = await runTool('runuser', [
      '-u',
      'nobody',
      '--',
      'timeout',
      '20',
      'cvlc',
      '-I',
      'dummy',
      '-q',
      '--play-and-exit',
      `--run-time=${PLAY_SECONDS}`,
      // The ingest port: the source is named (icy-name), so VLC retries as an ICY client with
      // HTTP/1.0, which the uWS listener port refuses with 505 until issue 15's front door lands.
      `${relay.ingestUrl}${MOUNT}`,
      '--sout',
      `#transcode{acodec=s16l,channels=2,samplerate=48000}:std{access=file,mux=wav,dst=${wav}}`,
    ]);
    assert.equal(vlc.code, 0, vlc.stderr);
    // -q leaves only VLC's complaint that nobody has no home for its pulse config.
    const trouble = vlc.stderr.split('\n').filter((l) => l.trim() !== '' && !/\/nonexistent\//.test(l));
    assert.deepEqual(trouble, [], 'VLC reported trouble');
    const seconds = await wavSeconds(wav);
    assert.ok(seconds >= PLAY_SECONDS - 0.1, `VLC decoded ${seconds} s`);
  });

  test("Chromium's <audio> plays the mount joined late: currentTime advances by 3 s", async (t) => {
    if (!requireTool(t, 'chromium')) return;
    const userDataDir = mkdtempSync(join(tmpdir(), 'relaycast-chromium-'));
    t.after(() => rmSync(userDataDir, { recursive: true, force: true }));
    const browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: (await runTool('sh', ['-c', 'command -v chromium'])).stdout.trim(),
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
    });
    t.after(() => browser.close());
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(`${relay.listenUrl}/status.json`);
    const url = `${relay.listenUrl}${MOUNT}`;
    // play()'s promise is not awaited: on a stream Chromium cannot start it never settles (it fails silently).
    await page.evaluate((src) => {
      const audio = document.createElement('audio');
      audio.id = 'player';
      audio.src = src;
      document.body.append(audio);
      audio.play().catch((err: Error) => audio.setAttribute('data-error', err.message));
    }, url);
    const audio = page.locator('#player');
    const time = () => audio.evaluate((a: HTMLAudioElement) => a.currentTime);
    const startedAt = await waitFor(async () => ((await time()) > 0 ? time() : undefined), 15_000, 'the audio element to start playing');
    await waitFor(async () => (await time()) >= startedAt + 3, 15_000, 'currentTime to advance by 3 s');
    assert.equal(await audio.evaluate((a: HTMLAudioElement) => a.error?.message ?? a.dataset.error ?? (a.paused ? 'paused' : '')), '');
  });
});

// Each test has a relay and an encoder of its own, so they run side by side.
describe('WebM sources that restart, video, and Clusters of unknown size', { concurrency: true }, () => {
  test('a new source with a new EBML header: listeners there get it in-band, later ones get the new init first', async (t) => {
    if (!requireTool(t, 'ffmpeg')) return;
    const relay = await RelayProcess.start(['--burst-bytes', String(BURST_BYTES)]);
    t.after(() => relay.stop());
    const mount = '/restart.webm';
    const first = opusWebmSource(relay, mount);
    t.after(() => first.kill('SIGKILL'));
    await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === mount);
    const before = new RawListener(relay.port, mount);
    t.after(() => before.destroy());
    await waitFor(() => lastTimecodeMs(before) >= 3000, 15_000, '3 s of the first stream');
    first.kill('SIGKILL');
    await relay.waitForLog((l) => l.msg === 'source disconnected' && l.mount === mount);
    // A different encoder setting gives a different init (its Tracks and Tags differ).
    const second = ffmpegToneSource(relay, mount, {
      codec: ['-c:a', 'libopus', '-b:a', '64k', '-ac', '1', '-metadata', 'title=second'],
      format: 'webm',
      contentType: 'audio/webm',
      sampleRateHz: 48000,
    });
    t.after(() => second.kill('SIGKILL'));
    await waitFor(
      () => readWebm(before.body()).ebmlHeaders.length === 2 && readWebm(before.body()).clusters.at(-1)?.timecode !== undefined,
      15_000,
      'the second EBML header in-band',
    );
    await waitFor(
      () => {
        const r = readWebm(before.body());
        const c = r.clusters.filter((x) => x.offset > r.ebmlHeaders[1]);
        return c.length > 0 && (c.at(-1)?.timecode ?? 0) >= 3000;
      },
      15_000,
      '3 s of the second stream',
    );
    const seen = readWebm(before.body());
    const secondStart = seen.ebmlHeaders[1];
    const secondInitEnd = seen.clusters.find((c) => c.offset > secondStart)?.offset ?? -1;
    const secondInit = before.body().subarray(secondStart, secondInitEnd);
    const firstInit = before.body().subarray(0, seen.clusters[0].offset);
    assert.notDeepEqual(secondInit, firstInit);
    const later = new RawListener(relay.port, mount);
    t.after(() => later.destroy());
    await waitFor(() => readWebm(later.body()).clusters.length >= 2, 10_000, "the later listener's init and Clusters");
    assert.deepEqual(later.body().subarray(0, secondInit.length), secondInit, 'the new init, not the old one');
    const got = readWebm(later.body());
    assert.deepEqual(got.ebmlHeaders, [0]);
    assert.equal(got.clusters[0].offset, secondInit.length);
    // What the later listener got decodes from its first byte.
    if (!hasTool('ffprobe')) return;
    const probe = await runTool('sh', ['-c', `ffprobe -v error -show_entries stream=channels -of csv=p=0 -i ${relay.listenUrl}${mount}`]);
    assert.equal(probe.stdout.trim(), '1', 'the new stream (mono) is what a new player opens');
  });

  test('a late listener starts on a keyframe Cluster (the burst is smaller than one) and ffmpeg decodes it cleanly', async (t) => {
    if (!requireTool(t, 'ffmpeg') || !requireTool(t, 'ffprobe')) return;
    const relay = await RelayProcess.start(['--burst-bytes', String(BURST_BYTES)]);
    t.after(() => relay.stop());
    const mount = '/video.webm';
    // A keyframe every 2 s (-g 50 at 25 fps): a Cluster of about 75 KB, several bursts long. ffmpeg
    // starts a video stream's Clusters at keyframes, so this proves the join and the players; the
    // rule that skips a Cluster led by a delta frame is guarded by webm-ring-writer.test.ts.
    const source = startTool('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=25',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-c:v',
      'libvpx',
      '-b:v',
      '300k',
      '-g',
      '50',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-c:a',
      'libopus',
      '-b:a',
      '64k',
      '-f',
      'webm',
      '-content_type',
      'video/webm',
      `icecast://source:${PASSWORD}@127.0.0.1:${relay.ingestPort}${mount}`,
    ]);
    t.after(() => source.child.kill('SIGKILL'));
    await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === mount);
    const watcher = new RawListener(relay.port, mount);
    t.after(() => watcher.destroy());
    await waitFor(() => lastTimecodeMs(watcher) >= 6000, 20_000, '6 s of video');
    const url = `${relay.listenUrl}${mount}`;
    const probe = await runTool('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'v',
      '-show_entries',
      'frame=key_frame,pts_time',
      '-read_intervals',
      '%+#2',
      '-of',
      'csv=p=0',
      url,
    ]);
    assert.equal(probe.code, 0, probe.stderr);
    const [first] = probe.stdout.trim().split('\n');
    const [key, ptsS] = first.split(',').map(Number);
    assert.equal(key, 1, `the first video frame a late player decodes is a keyframe (${first})`);
    assert.ok(ptsS >= 4, `from mid-stream (${ptsS} s), not its start`);
    const ffmpeg = await runTool('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'warning', '-i', url, '-t', '3', '-f', 'null', '-']);
    assertCleanDecode('ffmpeg', ffmpeg);
  });

  // GStreamer webmmux streamable=true, through shout2send: Clusters of unknown size.
  test('a late listener gets the init and a whole Cluster, and ffmpeg, gst-launch and mpv play it', async (t) => {
    if (!requireTool(t, 'gst-launch-1.0') || !requireTool(t, 'ffmpeg') || !requireTool(t, 'mpv')) return;
    const relay = await RelayProcess.start(['--burst-bytes', String(BURST_BYTES)]);
    t.after(() => relay.stop());
    const mount = '/gst.webm';
    // webmmux streamable=true writes every Cluster with an unknown size (01 ff ff ff ff ff ff ff),
    // as MediaRecorder does: a Cluster ends only where the next one starts.
    const source = startTool('gst-launch-1.0', [
      '-q',
      'audiotestsrc',
      'is-live=true',
      '!',
      'audioconvert',
      '!',
      'audioresample',
      '!',
      'opusenc',
      'bitrate=96000',
      '!',
      'webmmux',
      'streamable=true',
      '!',
      'shout2send',
      'ip=127.0.0.1',
      `port=${relay.ingestPort}`,
      `password=${PASSWORD}`,
      `mount=${mount}`,
    ]);
    t.after(() => source.child.kill('SIGKILL'));
    await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === mount, 15_000);
    const watcher = new RawListener(relay.port, mount);
    t.after(() => watcher.destroy());
    await waitFor(() => lastTimecodeMs(watcher) >= 8000, 20_000, '8 s of the GStreamer stream');
    const original = readWebm(watcher.body());
    const init = watcher.body().subarray(0, original.clusters[0].offset);
    assert.deepEqual(
      [...watcher.body().subarray(init.length, init.length + 12)],
      [0x1f, 0x43, 0xb6, 0x75, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      'the stream has Clusters of unknown size',
    );
    const listener = new RawListener(relay.port, mount);
    t.after(() => listener.destroy());
    await waitFor(() => readWebm(listener.body()).clusters.length >= 3, 10_000, 'the init and three Clusters');
    assert.deepEqual(listener.body().subarray(0, init.length), init, 'the init segment, byte for byte');
    const got = readWebm(listener.body());
    assert.equal(got.clusters[0].offset, init.length);
    assert.ok((got.clusters[0].timecode ?? 0) >= 5000, `joined ${got.clusters[0].timecode} ms in`);
    const url = `${relay.listenUrl}${mount}`;
    const [ffmpeg, gst, mpv] = await Promise.all([
      runTool('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'warning', '-i', url, '-t', '4', '-f', 'null', '-']),
      playWithGstreamer(url, 4),
      decodeWithMpv(url, 4),
    ]);
    assertCleanDecode('ffmpeg', ffmpeg);
    assertCleanDecode('gst-launch-1.0', gst.result, gst.result.stderr);
    // mpv says this of GStreamer's Opus blocks (no keyframe flag) on Icecast 2.4.4 too; anything else is trouble.
    const gstQuirk = /\[mkv\] This is a broken file! Packets with incorrect keyframe flag found\. Enabling workaround\.\n/;
    // GStreamer's opusenc runs at about 64 kbit/s: the 16 KiB burst is about 2 s of it.
    assertMpvPlayed({ ...mpv, stderr: mpv.stderr.replace(gstQuirk, '') }, 'opus', { seconds: 4, burstSeconds: 2 });
  });
});
