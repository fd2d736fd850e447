// Ogg Vorbis and Ogg Opus through the relay (issue 3, Formats): ffmpeg pushes
// each live, and a player that joins 10 s in gets the stream's header pages
// first, then audio from a page boundary mid-stream, and decodes it with no
// errors (ffmpeg, mpv, gst-launch). Chained streams and a source that comes
// back with a new stream give later listeners the new headers, and listeners
// already there get the new BOS pages in-band.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RawListener, hasTool, rawPutSource, requireTool, runTool } from './support/clients.js';
import {
  assertCleanDecode,
  assertDecodedLive,
  assertMpvPlayed,
  decodeFileWithFfmpeg,
  decodeWithFfmpeg,
  decodeWithGstreamer,
  decodeWithMpv,
  ffmpegToneSource,
} from './support/interop.js';
import { OGG_BOS, OGG_CONTINUED, readPages } from './support/ogg-pages.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

/** Small, so a listener starts close to live: well into the stream, not at its first audio page. */
const BURST_BYTES = 16384;
const JOIN_AT_SECONDS = 10;
/** Seconds each player decodes after joining: the small burst, then live pages in real time. */
const DECODE_SECONDS = 5;

interface OggCase {
  codec: 'vorbis' | 'opus';
  mount: string;
  contentType: string;
  encoder: string[];
  format: string;
  sampleRateHz: number;
  headerPackets: number;
  /** A floor under the encoder's rate, so BURST_BYTES is at most BURST_BYTES / this many seconds of audio. */
  minBytesPerSecond: number;
}

const CASES: OggCase[] = [
  {
    codec: 'vorbis',
    mount: '/vorbis.ogg',
    contentType: 'application/ogg',
    encoder: ['-c:a', 'libvorbis', '-q:a', '4'],
    format: 'ogg',
    sampleRateHz: 44100,
    headerPackets: 3,
    minBytesPerSecond: 8000,
  },
  {
    codec: 'opus',
    mount: '/opus.opus',
    contentType: 'audio/ogg',
    encoder: ['-c:a', 'libopus', '-b:a', '96k'],
    format: 'opus',
    sampleRateHz: 48000,
    headerPackets: 2,
    minBytesPerSecond: 8000,
  },
];

/** Seconds of audio the pages in `body` reach (the last page's granule position). */
function streamSeconds(body: Buffer, sampleRateHz: number): number {
  const { pages } = readPages(body);
  for (let i = pages.length - 1; i >= 0; i--) if (pages[i].granule >= 0n) return Number(pages[i].granule) / sampleRateHz;
  return 0;
}

describe('Ogg Vorbis and Opus pushed by ffmpeg', () => {
  let relay: RelayProcess;
  const sources: ChildProcess[] = [];
  /** Listeners from the start of each stream: the stream's own clock, to join 10 s in. */
  const watchers = new Map<string, RawListener>();

  before(async () => {
    relay = await RelayProcess.start(['--burst-bytes', String(BURST_BYTES)]);
    if (!hasTool('ffmpeg')) return; // the tests skip, or fail under CI
    for (const c of CASES) {
      sources.push(
        ffmpegToneSource(relay, c.mount, { codec: c.encoder, format: c.format, contentType: c.contentType, sampleRateHz: c.sampleRateHz }),
      );
    }
    for (const c of CASES) {
      await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === c.mount);
      watchers.set(c.mount, new RawListener(relay.port, c.mount));
    }
  });
  after(async () => {
    for (const s of sources) s.kill('SIGKILL');
    for (const w of watchers.values()) w.destroy();
    await relay.stop();
  });

  for (const c of CASES) {
    test(`a listener joining ${c.codec} ${JOIN_AT_SECONDS} s in gets the header pages, then audio from a mid-stream page`, async (t) => {
      if (!requireTool(t, 'ffmpeg')) return;
      const watcher = watchers.get(c.mount)!;
      await waitFor(() => streamSeconds(watcher.body(), c.sampleRateHz) >= JOIN_AT_SECONDS, 20_000, `${JOIN_AT_SECONDS} s of ${c.codec}`);
      const listener = new RawListener(relay.port, c.mount);
      t.after(() => listener.destroy());
      await waitFor(() => readPages(listener.body()).pages.length >= c.headerPackets + 3, 5000, 'headers and three audio pages');
      assert.equal(listener.headers.get('content-type'), c.contentType);
      const { pages } = readPages(listener.body());
      assert.ok(
        pages.every((p) => p.crcOk),
        'every page is intact',
      );
      assert.equal(pages[0].flags, OGG_BOS, 'the first page is the BOS page');
      // The watcher saw this stream from its start: its pages before the first with a granule position are the headers.
      const original = readPages(watcher.body());
      const headerPages = original.pages.findIndex((p) => p.granule > 0n);
      assert.ok(headerPages >= 2, `${headerPages} header pages`);
      const firstAudio = pages[headerPages];
      const originalHeaders = watcher.body().subarray(0, original.pages[headerPages].offset);
      assert.deepEqual(listener.body().subarray(0, firstAudio.offset), originalHeaders, 'the header pages, byte for byte');
      assert.equal(firstAudio.flags & OGG_CONTINUED, 0, 'audio starts with a whole packet');
      assert.equal(firstAudio.serial, pages[0].serial);
      const startSeconds = Number(firstAudio.granule) / c.sampleRateHz;
      assert.ok(startSeconds >= JOIN_AT_SECONDS - 3, `audio starts at ${startSeconds.toFixed(1)} s of the stream, not at its start`);
      // The rest is the live stream as the watcher has it, page for page.
      const same = original.pages.find((p) => p.sequence === firstAudio.sequence);
      assert.ok(same, 'the watcher has the page the listener started on');
      const n = listener.body().length - firstAudio.offset;
      assert.deepEqual(listener.body().subarray(firstAudio.offset), watcher.body().subarray(same.offset, same.offset + n));
      // HTTP/1.0 players on the ingest port get the same headers first.
      const http10 = new RawListener(relay.ingestPort, c.mount, { http10: true });
      t.after(() => http10.destroy());
      await waitFor(() => http10.bodyBytes > originalHeaders.length + 1000, 5000, "the HTTP/1.0 listener's headers and audio");
      assert.deepEqual(http10.body().subarray(0, originalHeaders.length), originalHeaders);
      assert.equal(readPages(http10.body()).pages[headerPages].flags & OGG_CONTINUED, 0);
    });

    test(`ffmpeg, mpv and gst-launch joining ${c.codec} mid-stream decode it with no errors`, async (t) => {
      if (!requireTool(t, 'ffmpeg') || !requireTool(t, 'mpv') || !requireTool(t, 'gst-launch-1.0')) return;
      const watcher = watchers.get(c.mount)!;
      await waitFor(() => streamSeconds(watcher.body(), c.sampleRateHz) >= JOIN_AT_SECONDS, 20_000, `${JOIN_AT_SECONDS} s of ${c.codec}`);
      const url = `${relay.listenUrl}${c.mount}`;
      const [ffmpeg, mpv, gst] = await Promise.all([
        decodeWithFfmpeg(url, DECODE_SECONDS),
        decodeWithMpv(url, DECODE_SECONDS),
        decodeWithGstreamer(url, DECODE_SECONDS),
      ]);
      const live = { seconds: DECODE_SECONDS, burstSeconds: BURST_BYTES / c.minBytesPerSecond };
      assertDecodedLive('ffmpeg', ffmpeg, live);
      assertMpvPlayed(mpv, c.codec, live);
      assertDecodedLive('gst-launch-1.0', gst, live);
    });
  }
});

describe('Ogg streams that change: chaining and a new source', () => {
  let relay: RelayProcess;
  let dir: string;

  before(async () => {
    relay = await RelayProcess.start(['--burst-bytes', String(BURST_BYTES)]);
    dir = mkdtempSync(join(tmpdir(), 'relaycast-ogg-'));
  });
  after(async () => {
    await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A Vorbis file of `seconds` of a tone, written by ffmpeg. */
  async function vorbisFile(name: string, hz: number, seconds: number): Promise<Buffer> {
    const path = join(dir, name);
    const r = await runTool('ffmpeg', [
      '-hide_banner',
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=${hz}:sample_rate=44100:duration=${seconds}`,
      '-f',
      'lavfi',
      '-i',
      `anoisesrc=amplitude=0.05:sample_rate=44100:duration=${seconds}`,
      '-filter_complex',
      'amix=inputs=2',
      '-c:a',
      'libvorbis',
      '-f',
      'ogg',
      path,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return readFileSync(path);
  }

  /**
   * Each logical stream in `bytes` (split at its BOS pages) decodes from its
   * first byte with no errors. Split because ffmpeg 5.1 itself reports
   * timestamp errors on any chained Vorbis file, even two of its own files
   * concatenated; each part on its own is what a decoder starts afresh on.
   */
  async function decodesCleanly(name: string, bytes: Buffer): Promise<void> {
    const starts = readPages(bytes)
      .pages.filter((p) => p.flags & OGG_BOS)
      .map((p) => p.offset);
    for (let i = 0; i < starts.length; i++) {
      const path = join(dir, `${name}-${i}.ogg`);
      writeFileSync(path, bytes.subarray(starts[i], starts[i + 1] ?? bytes.length));
      assertCleanDecode(`ffmpeg on logical stream ${i} of ${name}`, await decodeFileWithFfmpeg(path));
    }
  }

  test('a chained stream: listeners there get the new BOS in-band, later ones get the new headers first', async (t) => {
    if (!requireTool(t, 'ffmpeg')) return;
    const first = await vorbisFile('first.ogg', 440, 6);
    const second = await vorbisFile('second.ogg', 660, 12);
    const secondPages = readPages(second).pages;
    const source = await rawPutSource(relay.ingestPort, '/chain.ogg', 'application/ogg');
    t.after(() => source.destroy());
    source.write(first);
    const before = new RawListener(relay.port, '/chain.ogg');
    t.after(() => before.destroy());
    await waitFor(() => before.bodyBytes > 0, 5000, "the first listener's burst");
    // Chained Ogg: the second file's BOS follows the first's EOS page.
    source.write(second);
    await waitFor(() => before.body().includes(second.subarray(second.length - 2000)), 5000, 'the end of the second stream');
    const seen = readPages(before.body())
      .pages.filter((p) => p.flags & OGG_BOS)
      .map((p) => p.serial);
    assert.deepEqual(seen, [readPages(first).pages[0].serial, secondPages[0].serial], 'both BOS pages, the second in-band');
    await decodesCleanly('before', before.body());

    const later = new RawListener(relay.port, '/chain.ogg');
    t.after(() => later.destroy());
    await waitFor(() => later.bodyBytes >= BURST_BYTES, 5000, "the second listener's burst");
    const got = readPages(later.body()).pages;
    const headerPages = secondPages.findIndex((p) => p.granule > 0n);
    const secondHeaderBytes = secondPages[headerPages].offset;
    assert.deepEqual(
      later.body().subarray(0, secondHeaderBytes),
      second.subarray(0, secondHeaderBytes),
      "the second stream's header pages first",
    );
    assert.ok(got[headerPages].sequence > headerPages + 1, `then audio from mid-stream (page ${got[headerPages].sequence})`);
    assert.ok(got.every((p) => p.serial === secondPages[0].serial));
    await decodesCleanly('later', later.body());
  });

  test('a source that drops mid-page and a new source with a new stream: no half page, new headers for new listeners', async (t) => {
    if (!requireTool(t, 'ffmpeg')) return;
    const first = await vorbisFile('a.ogg', 440, 8);
    const second = await vorbisFile('b.ogg', 550, 8);
    const firstPages = readPages(first).pages;
    const cut = firstPages[6].offset + 100; // mid-page
    const source1 = await rawPutSource(relay.ingestPort, '/reconnect.ogg', 'application/ogg');
    source1.write(first.subarray(0, cut));
    const listener = new RawListener(relay.port, '/reconnect.ogg');
    t.after(() => listener.destroy());
    const wholePages = first.subarray(0, firstPages[6].offset);
    await waitFor(() => listener.body().includes(wholePages.subarray(wholePages.length - 1000)), 5000, "the first source's whole pages");
    source1.end();
    await relay.waitForLog((l) => l.msg === 'source disconnected' && l.mount === '/reconnect.ogg');
    const source2 = await rawPutSource(relay.ingestPort, '/reconnect.ogg', 'application/ogg');
    t.after(() => source2.destroy());
    source2.write(second);
    await waitFor(() => listener.body().includes(second.subarray(second.length - 2000)), 5000, 'the new stream');
    // The first stream's headers, its whole pages from the join on (no half page), then the second stream.
    const firstHeaderBytes = firstPages[firstPages.findIndex((p) => p.granule > 0n)].offset;
    const body = listener.body();
    assert.deepEqual(body.subarray(0, firstHeaderBytes), first.subarray(0, firstHeaderBytes));
    const audio = body.subarray(firstHeaderBytes);
    const expected = Buffer.concat([wholePages, second]);
    assert.deepEqual(audio, expected.subarray(expected.length - audio.length));
    assert.ok(
      firstPages.some((p) => p.offset === wholePages.length - (audio.length - second.length)),
      "the listener's audio began on a page",
    );
    await decodesCleanly('reconnect', body);
    const later = new RawListener(relay.port, '/reconnect.ogg');
    t.after(() => later.destroy());
    const secondPages = readPages(second).pages;
    const headerBytes = secondPages[secondPages.findIndex((p) => p.granule > 0n)].offset;
    await waitFor(() => later.bodyBytes > headerBytes + 1000, 5000, 'headers and audio');
    assert.deepEqual(later.body().subarray(0, headerBytes), second.subarray(0, headerBytes));
  });
});
