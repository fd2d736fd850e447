// What each format becomes for a listener who joins mid-stream (issue 3,
// Formats): MP3 and AAC (ADTS) encoded live by ffmpeg are joined on a frame,
// so the first byte a late listener gets is a frame header and what it gets
// decodes from there with no errors; any other Content-Type is relayed byte
// for byte, with no alignment at all.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAdtsHeader, parseMp3Header, type FrameHeader } from '../relay/formats/frame-header.js';
import { RawListener, hasTool, rawPutSource, requireTool, runTool } from './support/clients.js';
import { assertCleanDecode, decodeFileWithFfmpeg, ffmpegToneSource } from './support/interop.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const BURST_BYTES = 16384;
/** Join once this much of the stream has gone by: between 5 and 10 s in. */
const JOIN_AFTER_SECONDS = 6;

interface FrameCase {
  name: string;
  mount: string;
  contentType: string;
  encoder: string[];
  format: string;
  legacy: boolean;
  bytesPerSecond: number;
  parse: (at: (i: number) => number) => FrameHeader | undefined;
  extension: string;
}

const FRAME_CASES: FrameCase[] = [
  {
    name: 'MP3 (libmp3lame, ffmpeg PUT)',
    mount: '/lame.mp3',
    contentType: 'audio/mpeg',
    encoder: ['-c:a', 'libmp3lame', '-b:a', '128k'],
    format: 'mp3',
    legacy: false,
    bytesPerSecond: 16000,
    parse: parseMp3Header,
    extension: 'mp3',
  },
  {
    name: 'AAC (ffmpeg aac in ADTS, -legacy_icecast SOURCE)',
    mount: '/live.aac',
    contentType: 'audio/aac',
    encoder: ['-c:a', 'aac', '-b:a', '96k'],
    format: 'adts',
    legacy: true,
    bytesPerSecond: 12000,
    parse: parseAdtsHeader,
    extension: 'aac',
  },
];

describe('MP3 and AAC encoded live: late listeners start on a frame', () => {
  let relay: RelayProcess;
  let dir: string;
  const sources: ChildProcess[] = [];

  before(async () => {
    relay = await RelayProcess.start(['--burst-bytes', String(BURST_BYTES)]);
    dir = mkdtempSync(join(tmpdir(), 'relaycast-formats-'));
    if (!hasTool('ffmpeg')) return; // the tests skip, or fail under CI
    for (const c of FRAME_CASES) {
      sources.push(ffmpegToneSource(relay, c.mount, { codec: c.encoder, format: c.format, contentType: c.contentType, legacy: c.legacy }));
    }
  });
  after(async () => {
    for (const s of sources) s.kill('SIGKILL');
    await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const c of FRAME_CASES) {
    test(`${c.name}: a listener joining ${JOIN_AFTER_SECONDS} s in gets a frame header first and decodes with no errors`, async (t) => {
      if (!requireTool(t, 'ffmpeg')) return;
      const connected = await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === c.mount);
      assert.equal(connected.method, c.legacy ? 'SOURCE' : 'PUT');
      await relay.waitForMetric(
        'relaycast_source_received_bytes_total',
        { mount: c.mount },
        (v) => v >= JOIN_AFTER_SECONDS * c.bytesPerSecond,
        20_000,
      );
      const listener = new RawListener(relay.port, c.mount);
      t.after(() => listener.destroy());
      // The burst and about two seconds of live audio.
      await waitFor(() => listener.bodyBytes >= BURST_BYTES + 2 * c.bytesPerSecond, 10_000, 'two seconds past the burst');
      listener.destroy();
      const body = listener.body();
      const first = c.parse((i) => body[i]);
      assert.ok(first, `the first bytes are not a frame header: ${body.subarray(0, 8).toString('hex')}`);
      // Frame after frame from there: the join was on a real frame, not a lookalike.
      let pos = 0;
      let frames = 0;
      for (let header: FrameHeader | undefined = first; header && pos + header.lengthBytes + 9 <= body.length; frames++) {
        pos += header.lengthBytes;
        header = c.parse((i) => body[pos + i]);
        assert.ok(header, `frame ${frames + 1} at byte ${pos} does not follow on`);
      }
      assert.ok(frames > 50, `${frames} frames`);
      const path = join(dir, `joined.${c.extension}`);
      writeFileSync(path, body.subarray(0, pos));
      assertCleanDecode('ffmpeg', await decodeFileWithFfmpeg(path));
    });
  }
});

describe('other Content-Types are relayed byte for byte', () => {
  let relay: RelayProcess;

  before(async () => {
    relay = await RelayProcess.start(['--burst-bytes', String(BURST_BYTES)]);
  });
  after(() => relay.stop());

  /**
   * Sends `stream` in uneven pieces to one listener there from the start and
   * one that joins halfway: the first gets exactly the stream, the second
   * exactly its last bytes, from wherever its burst began.
   */
  async function relaysExactly(t: { after: (fn: () => void) => void }, mount: string, contentType: string, stream: Buffer): Promise<void> {
    const source = await rawPutSource(relay.ingestPort, mount, contentType);
    t.after(() => source.destroy());
    const early = new RawListener(relay.port, mount);
    t.after(() => early.destroy());
    // Connected before the first byte (uWS sends the response head with the first body write).
    await relay.waitForLog((l) => l.msg === 'listener connected' && l.mount === mount);
    const half = Math.floor(stream.length / 2);
    for (let off = 0, n = 1; off < half; off += n, n = ((n * 7 + 13) % 5000) + 1)
      source.write(stream.subarray(off, Math.min(half, off + n)));
    await waitFor(() => early.bodyBytes >= half, 5000, 'the first half');
    assert.equal(early.headers.get('content-type'), contentType);
    const late = new RawListener(relay.port, mount);
    t.after(() => late.destroy());
    await waitFor(() => late.bodyBytes > 0, 5000, "the late listener's burst");
    source.write(stream.subarray(half));
    await waitFor(() => early.bodyBytes >= stream.length, 5000, 'the whole stream');
    assert.ok(early.body().equals(stream), 'the early listener got the stream byte for byte');
    await waitFor(() => late.body().equals(stream.subarray(stream.length - late.bodyBytes)), 5000, "the late listener's bytes");
    // With nothing to align on, the join is exactly --burst-bytes behind live.
    assert.equal(late.bodyBytes, stream.length - half + BURST_BYTES);
  }

  test('application/octet-stream full of MP3, ADTS and Ogg lookalikes arrives unchanged, no byte dropped or aligned', async (t) => {
    const stream = randomBytes(200_000);
    // Sync patterns a frame or page parser would act on, every few KB.
    for (let at = 1000; at + 2600 < stream.length; at += 3001) {
      stream.set([0xff, 0xfb, 0x90, 0x44], at);
      stream.set([0xff, 0xf1, 0x50, 0x80], at + 1000);
      stream.write('OggS\0\x02', at + 2000, 'latin1');
      stream.write('ID3\x04\0\0\0\0\x10\0', at + 2500, 'latin1');
    }
    await relaysExactly(t, '/bytes', 'application/octet-stream', stream);
  });

  test('video/mp2t made by ffmpeg arrives unchanged', async (t) => {
    if (!requireTool(t, 'ffmpeg')) return;
    const dir = mkdtempSync(join(tmpdir(), 'relaycast-ts-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'tone.ts');
    const made = await runTool('ffmpeg', [
      '-hide_banner',
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=8',
      '-c:a',
      'libmp3lame',
      '-b:a',
      '128k',
      '-f',
      'mpegts',
      path,
    ]);
    assert.equal(made.code, 0, made.stderr);
    await relaysExactly(t, '/tv', 'video/mp2t', readFileSync(path));
  });
});
