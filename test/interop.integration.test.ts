// The interop matrix (issue 3, "How it is checked"): the encoders a station
// moving from Icecast already runs push into the relay as configured for
// Icecast, and the players people use decode what listeners get.
// Sources: ezstream (libshout, with its credential-less probe and HTTP/1.0
// SOURCE) and liquidsoap's output.icecast (MP3, Ogg Vorbis, Ogg Opus); ffmpeg's
// PUT, -legacy_icecast and chunked PUT are in relay.integration.test.ts,
// its live MP3/AAC in formats.integration.test.ts, Ogg in interop-ogg.
// Players, on one live MP3 mount fed by ffmpeg: mpg123 (HTTP/1.0, ingest
// port), mpv, ffprobe, ffmpeg and gst-launch (souphttpsrc).

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hasTool, requireTool, startTool } from './support/clients.js';
import {
  assertCleanDecode,
  assertDecodedLive,
  assertMpvPlayed,
  decodeWithFfmpeg,
  decodeWithGstreamer,
  decodeWithMpg123,
  decodeWithMpv,
  ffmpegToneSource,
  probeWithFfprobe,
} from './support/interop.js';
import { PASSWORD, RelayProcess, SAMPLE_MP3 } from './support/relay-process.js';

/** The default burst: enough of a stream in the ring that a player's first read is a full burst. */
const BURST_BYTES = 65536;
/** 64 KiB of 128 kbps MP3: what a player gets at once before the live hand-off. */
const MP3_BURST_SECONDS = BURST_BYTES / 16000;
/** The encoders' relay keeps a small burst, so a few seconds of decoding reach well into live audio at any bitrate. */
const ENCODER_BURST_BYTES = 16384;
/** Seconds each encoder's stream is decoded, all but a second or so of it live. */
const ENCODER_DECODE_SECONDS = 6;

/** ezstream 1.0's XML configuration (the <servers>/<streams>/<intakes> format, not the 0.x one). */
function ezstreamConfig(port: number, mount: string, file: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<ezstream>
  <servers>
    <server>
      <protocol>HTTP</protocol>
      <hostname>127.0.0.1</hostname>
      <port>${port}</port>
      <user>source</user>
      <password>${PASSWORD}</password>
      <tls>None</tls>
    </server>
  </servers>
  <streams>
    <stream>
      <mountpoint>${mount}</mountpoint>
      <format>MP3</format>
      <stream_name>ezstream interop</stream_name>
    </stream>
  </streams>
  <intakes>
    <intake>
      <type>file</type>
      <filename>${file}</filename>
      <stream_once>No</stream_once>
    </intake>
  </intakes>
  <metadata>
    <no_updates>Yes</no_updates>
  </metadata>
</ezstream>
`;
}

/** A liquidsoap 2.1 script: one sine, three output.icecast mounts (MP3 by LAME, Ogg Vorbis, Ogg Opus). */
function liquidsoapScript(port: number): string {
  const server = `host="127.0.0.1", port=${port}, password="${PASSWORD}"`;
  return `settings.log.stdout.set(true)
settings.log.file.set(false)
settings.init.allow_root.set(true)
s = mksafe(sine(440.))
output.icecast(%mp3(bitrate=128), ${server}, mount="/liquidsoap.mp3", s)
output.icecast(%ogg(%vorbis(quality=0.3)), ${server}, mount="/liquidsoap.ogg", s)
output.icecast(%ogg(%opus(bitrate=64)), ${server}, mount="/liquidsoap.opus", s)
`;
}

// Each test has its own encoder and mount, so they run side by side while liquidsoap and ezstream start.
describe('encoders push in as configured for Icecast', { concurrency: true }, () => {
  let relay: RelayProcess;
  let dir: string;
  const children: ChildProcess[] = [];
  const stderrOf = new Map<string, () => string>();

  before(async () => {
    relay = await RelayProcess.start(['--burst-bytes', String(ENCODER_BURST_BYTES)]);
    dir = mkdtempSync(join(tmpdir(), 'relaycast-interop-'));
    if (hasTool('ezstream')) {
      const config = join(dir, 'ezstream.xml');
      // ezstream refuses a configuration others can read (it holds the password).
      writeFileSync(config, ezstreamConfig(relay.ingestPort, '/ezstream', SAMPLE_MP3), { mode: 0o600 });
      const ez = startTool('ezstream', ['-c', config]);
      children.push(ez.child);
      stderrOf.set('ezstream', ez.stderr);
    }
    if (hasTool('liquidsoap')) {
      const script = join(dir, 'interop.liq');
      writeFileSync(script, liquidsoapScript(relay.ingestPort));
      const liq = startTool('liquidsoap', [script]);
      children.push(liq.child);
      stderrOf.set('liquidsoap', liq.stderr);
    }
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function filled(mount: string): Promise<void> {
    await relay.waitForMetric('relaycast_source_received_bytes_total', { mount }, (v) => v > ENCODER_BURST_BYTES, 20_000);
  }

  test('ezstream (libshout) is refused on its credential-less probe, then streams with HTTP/1.0 SOURCE and is decoded cleanly', async (t) => {
    if (!requireTool(t, 'ezstream') || !requireTool(t, 'ffmpeg')) return;
    const connected = await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === '/ezstream', 15_000);
    assert.equal(connected.method, 'SOURCE');
    assert.equal(connected.version, 'HTTP/1.0');
    assert.match(String(connected.agent), /^libshout\//);
    // libshout first sends SOURCE without credentials to learn the protocol: a 401 is the answer it expects.
    // It is counted as AUTH_PROBE, apart from real failures, and logged at debug only (issue 12 item 7).
    assert.ok((await relay.metric('relaycast_refusals_total', { code: 'AUTH_PROBE', status: '401' })) >= 1, 'the probe was answered 401');
    assert.equal(
      relay.countLogs((l) => l.code === 'AUTH_REQUIRED' && l.target === '/ezstream'),
      0,
      'no warning for a healthy connect',
    );
    await filled('/ezstream');
    // The sample is 128 kbps MP3, so the 16 KiB burst is 1 s of it.
    assertDecodedLive('ffmpeg', await decodeWithFfmpeg(`${relay.listenUrl}/ezstream`, ENCODER_DECODE_SECONDS), {
      seconds: ENCODER_DECODE_SECONDS,
      burstSeconds: ENCODER_BURST_BYTES / 16000,
    });
    assert.equal(relay.logs.filter((l) => l.msg === 'source connected' && l.mount === '/ezstream').length, 1, stderrOf.get('ezstream')?.());
  });

  // The lowest bitrate each stream may have (Vorbis quality 0.3 is VBR: 32 kbps is a floor, not its rate), so the burst is at most this long.
  for (const [mount, codec, minBytesPerSecond] of [
    ['/liquidsoap.mp3', 'mp3', 16000],
    ['/liquidsoap.ogg', 'vorbis', 4000],
    ['/liquidsoap.opus', 'opus', 8000],
  ] as const) {
    test(`liquidsoap output.icecast ${codec} is accepted and decoded by ffmpeg and mpv with no errors`, async (t) => {
      if (!requireTool(t, 'liquidsoap') || !requireTool(t, 'ffmpeg') || !requireTool(t, 'mpv')) return;
      // liquidsoap takes a few seconds to start; it sends SOURCE over HTTP/1.0.
      const connected = await relay
        .waitForLog((l) => l.msg === 'source connected' && l.mount === mount, 30_000)
        .catch((err: Error) => {
          throw new Error(`${err.message}; liquidsoap said: ${stderrOf.get('liquidsoap')?.()}`);
        });
      assert.match(String(connected.agent), /^Liquidsoap\//);
      await filled(mount);
      const url = `${relay.listenUrl}${mount}`;
      const [ffmpeg, mpv] = await Promise.all([decodeWithFfmpeg(url, ENCODER_DECODE_SECONDS), decodeWithMpv(url, ENCODER_DECODE_SECONDS)]);
      const expect = { seconds: ENCODER_DECODE_SECONDS, burstSeconds: ENCODER_BURST_BYTES / minBytesPerSecond };
      assertDecodedLive('ffmpeg', ffmpeg, expect);
      assertMpvPlayed(mpv, codec, expect);
    });
  }
});

// The players are independent listeners of one mount, so they run side by side: each still decodes its 8 s live.
describe('players decode a live MP3 mount', { concurrency: true }, () => {
  let relay: RelayProcess;
  let source: ChildProcess | undefined;
  const mount = '/live.mp3';

  before(async () => {
    relay = await RelayProcess.start();
    if (!hasTool('ffmpeg')) return; // the tests skip, or fail under CI
    source = ffmpegToneSource(relay, mount, { codec: ['-c:a', 'libmp3lame', '-b:a', '128k'], format: 'mp3', contentType: 'audio/mpeg' });
    await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === mount);
    await relay.waitForMetric('relaycast_source_received_bytes_total', { mount }, (v) => v > BURST_BYTES, 15_000);
  });
  after(async () => {
    source?.kill('SIGKILL');
    await relay.stop();
  });

  /** A player decodes this much of the mount: its 4.1 s burst, then live audio in real time. */
  const live = { seconds: 8, burstSeconds: MP3_BURST_SECONDS };

  test('mpg123 plays 300 frames (7.8 s) over HTTP/1.0 from the ingest port with no errors', async (t) => {
    if (!requireTool(t, 'ffmpeg') || !requireTool(t, 'mpg123')) return;
    const result = await decodeWithMpg123(`${relay.ingestUrl}${mount}`, 300);
    assertDecodedLive('mpg123', result, { seconds: (300 * 1152) / 44100, burstSeconds: MP3_BURST_SECONDS });
    const served = relay.logs.find((l) => l.msg === 'listener connected' && l.mount === mount && /mpg123/i.test(String(l.agent)));
    assert.equal(served?.transport, 'socket', 'mpg123 was served on the ingest port');
  });

  test('mpv plays 8 s from the listener port, past its burst, with no errors', async (t) => {
    if (!requireTool(t, 'ffmpeg') || !requireTool(t, 'mpv')) return;
    assertMpvPlayed(await decodeWithMpv(`${relay.listenUrl}${mount}`, live.seconds), 'mp3', live);
  });

  test('ffprobe reads the stream as 44.1 kHz stereo MP3 and ffmpeg decodes 8 s, past its burst, with no errors', async (t) => {
    if (!requireTool(t, 'ffmpeg') || !requireTool(t, 'ffprobe')) return;
    const url = `${relay.listenUrl}${mount}`;
    const [probe, decode] = await Promise.all([probeWithFfprobe(url), decodeWithFfmpeg(url, live.seconds)]);
    assertCleanDecode('ffprobe', probe.result);
    assert.equal(probe.stream?.codec_name, 'mp3');
    assert.equal(probe.stream?.sample_rate, '44100');
    assert.equal(probe.stream?.channels, 2);
    assertDecodedLive('ffmpeg', decode, live);
  });

  test('gst-launch souphttpsrc ! decodebin decodes 8 s, past its burst, with no errors', async (t) => {
    if (!requireTool(t, 'ffmpeg') || !requireTool(t, 'gst-launch-1.0')) return;
    assertDecodedLive('gst-launch-1.0', await decodeWithGstreamer(`${relay.listenUrl}${mount}`, live.seconds), live);
  });
});
