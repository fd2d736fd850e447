// The end-to-end path with real encoders and players: ffmpeg pushes in three
// ways, ffmpeg and mpg123 decode what listeners get, and a new listener's
// first bytes are an immediate, frame-aligned burst.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { parseMp3Header } from '../relay/formats/frame-header.js';
import { RawListener, hasTool, requireTool, startTool } from './support/clients.js';
import { assertDecodedLive, decodeWithFfmpeg, decodeWithMpg123 } from './support/interop.js';
import { PASSWORD, RelayProcess, SAMPLE_MP3 } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const BURST_BYTES = 65536;

/** ffmpeg pushing the sample in real time, looping, in one of its three ways. */
function ffmpegSource(relay: RelayProcess, mount: string, how: 'put' | 'legacy' | 'chunked'): ChildProcess {
  const input = ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', SAMPLE_MP3, '-c', 'copy', '-f', 'mp3'];
  const icecast = `icecast://source:${PASSWORD}@127.0.0.1:${relay.ingestPort}${mount}`;
  const args =
    how === 'put'
      ? [...input, icecast]
      : how === 'legacy'
        ? [...input, '-legacy_icecast', '1', icecast]
        : [
            ...input,
            '-method',
            'PUT',
            '-chunked_post',
            '1',
            '-content_type',
            'audio/mpeg',
            `http://source:${PASSWORD}@127.0.0.1:${relay.ingestPort}${mount}`,
          ];
  return startTool('ffmpeg', args).child;
}

const HOWS = ['put', 'legacy', 'chunked'] as const;

describe('encoders push in and players decode', () => {
  let relay: RelayProcess;
  const sources: ChildProcess[] = [];

  before(async () => {
    relay = await RelayProcess.start();
    // ffmpeg's http:// client (chunked PUT) sends its credentials only after a 401 challenge.
    relay.expectWarnings('AUTH_REQUIRED');
    // All three start now, so their rings fill side by side rather than one test after another.
    if (hasTool('ffmpeg')) for (const how of HOWS) sources.push(ffmpegSource(relay, `/${how}`, how));
  });
  after(async () => {
    for (const s of sources) s.kill('SIGKILL');
    await relay.stop();
  });

  for (const how of HOWS) {
    test(`an ffmpeg ${how} source is decoded by ffmpeg from the listener port with no errors`, async (t) => {
      if (!requireTool(t, 'ffmpeg')) return;
      const mount = `/${how}`;
      const connected = await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === mount);
      assert.equal(connected.method, how === 'legacy' ? 'SOURCE' : 'PUT');
      assert.equal(connected.chunked, how === 'chunked');
      // ffmpeg's legacy mode sends SOURCE with HTTP/1.1; libshout's HTTP/1.0 SOURCE is tested with a raw client.
      // Let the ring hold a burst before the player joins.
      await relay.waitForMetric('relaycast_source_received_bytes_total', { mount }, (v) => v > BURST_BYTES, 10_000);
      // The sample is 128 kbps: the 64 KiB burst is 4.1 s, so 7 s decoded reach live audio.
      assertDecodedLive('ffmpeg', await decodeWithFfmpeg(`${relay.listenUrl}${mount}`, 7), {
        seconds: 7,
        burstSeconds: BURST_BYTES / 16000,
      });
    });
  }

  test('mpg123 plays over HTTP/1.0 from the ingest port with no errors', async (t) => {
    if (!requireTool(t, 'mpg123') || !requireTool(t, 'ffmpeg')) return;
    const mount = '/put';
    await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === mount);
    // 250 frames (6.5 s): past the 4.1 s burst.
    const result = await decodeWithMpg123(`${relay.ingestUrl}${mount}`, 250);
    assertDecodedLive('mpg123', result, { seconds: (250 * 1152) / 44100, burstSeconds: BURST_BYTES / 16000 });
    const agent = relay.logs.find((l) => l.msg === 'listener connected' && l.transport === 'socket');
    assert.ok(agent, 'mpg123 was served by the socket transport');
  });

  test('a new listener gets about --burst-bytes at once, starting on an MP3 frame', async (t) => {
    if (!requireTool(t, 'ffmpeg')) return;
    const mount = '/put';
    await relay.waitForMetric('relaycast_source_received_bytes_total', { mount }, (v) => v > 2 * BURST_BYTES, 15_000);
    const listener = new RawListener(relay.port, mount);
    t.after(() => listener.destroy());
    await waitFor(() => listener.bodyBytes >= BURST_BYTES - 2048, 5000, 'the burst');
    const firstByteMs = listener.firstByteAtMs - listener.connectedAtMs;
    // The burst is written when the listener joins, not on the real-time clock:
    // anything near a flush interval or a frame duration would mean it waited.
    assert.ok(firstByteMs < 500, `first byte after ${firstByteMs.toFixed(1)} ms`);
    const body = listener.body();
    const header = parseMp3Header((i) => body[i]);
    assert.ok(header, `first bytes are not an MP3 frame header: ${body.subarray(0, 4).toString('hex')}`);
    assert.equal(listener.status, 200);
    assert.equal(listener.headers.get('content-type'), 'audio/mpeg');
    // Frame-aligned at or after live - burst, so a little under --burst-bytes;
    // within 200 ms the real-time source adds at most ~3.2 KB on top.
    await waitFor(() => performance.now() - listener.firstByteAtMs > 250, 1000, '250 ms of listening');
    const inBurst = listener.bytesWithinMs(200);
    assert.ok(inBurst >= BURST_BYTES - 2048 && inBurst <= BURST_BYTES + 8192, `burst was ${inBurst} bytes`);
  });
});
