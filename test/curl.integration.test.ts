// curl as a player, on both ports: HTTP/1.1 (de-chunked by curl) on the
// listener port and HTTP/1.0 (-0, close-delimited) on the ingest port. A
// live synthetic source numbers its frames, so what curl wrote must be
// whole frames from a frame header, every one in order, well past the
// join burst.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { FRAME_BYTES, frameSerials, requireTool, trackTool } from './support/clients.js';
import { liveMount } from './support/live-mount.js';

/** 64 KiB of frames: the burst each curl gets at once. */
const BURST_FRAMES = Math.floor(65536 / FRAME_BYTES);
const LISTEN_SECONDS = 3;

/** curl writing the stream to stdout for --max-time seconds (it then exits 28, "operation timed out"). */
function curlFor(url: string, seconds: number, extra: string[]): Promise<{ code: number | null; body: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const child = trackTool(
      spawn('curl', ['-sS', '-N', '--max-time', String(seconds), ...extra, url], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    const parts: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => parts.push(b));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('close', (code) => resolve({ code, body: Buffer.concat(parts), stderr }));
  });
}

for (const [port, flags, how] of [
  ['port', [], 'HTTP/1.1 on the listener port'],
  ['ingestPort', ['-0'], 'HTTP/1.0 on the ingest port'],
] as const) {
  test(`curl (${how}) gets whole numbered frames from a frame header, in order, live past its burst`, async (t) => {
    if (!requireTool(t, 'curl')) return;
    const { relay, source } = await liveMount(t, [], { frames: 300, framesPerSecond: 38.28 });
    const { code, body, stderr } = await curlFor(`http://127.0.0.1:${relay[port]}/listen`, LISTEN_SECONDS, [...flags]);
    assert.equal(code, 28, `curl ended by --max-time, not otherwise: ${stderr}`);
    const { serials } = frameSerials(body.subarray(0, body.length - (body.length % FRAME_BYTES))); // throws on a broken frame
    for (let i = 1; i < serials.length; i++) assert.equal(serials[i], serials[i - 1] + 1, `gap after frame ${serials[i - 1]}`);
    // The burst: up to 64 KiB behind live when curl joined (the source had sent 300 frames and more since).
    assert.ok(serials[0] >= 300 - BURST_FRAMES && serials[0] < 300, `the first frame is ${serials[0]}`);
    const live = serials.filter((s) => s >= 300).length;
    // About 38 frames a second arrive live; half of that over the whole time is a floor a loaded machine still clears.
    assert.ok(live >= 19 * (LISTEN_SECONDS - 1), `${live} live frames in ${LISTEN_SECONDS} s`);
    assert.ok(source.nextSerial > 300);
  });
}
