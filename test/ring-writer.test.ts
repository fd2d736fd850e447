// The ring writer: what a source's bytes become in the ring. Only whole,
// confirmed MP3/ADTS frames are committed and indexed; junk, ID3v2 tags and
// half frames never reach a listener; unparseable streams still get through.
// Frames are built here from real headers with payloads that hold no 0xFF, so
// the only sync patterns in a stream are the ones a test puts there.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { FrameFormat } from '../relay/formats/frame-header.js';
import { FrameIndex } from '../relay/core/frame-index.js';
import { RingWriter } from '../relay/core/ring-writer.js';
import { Ring } from '../relay/core/ring.js';

/** MPEG-1 Layer III, 128 kbps, 44.1 kHz: 417 bytes, 418 with padding. */
const MP3_HEADER = [0xff, 0xfb, 0x90, 0x44];
const MP3_PADDED_HEADER = [0xff, 0xfb, 0x92, 0x44];
/** The same at 48 kHz: 384 bytes, and a different stream key. */
const MP3_48K_HEADER = [0xff, 0xfb, 0x94, 0x44];

/** Bytes in 0x20..0x6f: never 0xFF, never the run "ID3". */
function filler(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => 0x20 + ((seed * 13 + i) % 0x50));
}

function frame(header: number[], lengthBytes: number, seed: number): Uint8Array {
  const f = filler(lengthBytes, seed);
  f.set(header);
  return f;
}

function mp3Frame(seed: number, padded = false): Uint8Array {
  return padded ? frame(MP3_PADDED_HEADER, 418, seed) : frame(MP3_HEADER, 417, seed);
}

/** An ADTS frame (AAC LC, 44.1 kHz, stereo, no CRC) of `lengthBytes` including its 7-byte header. */
function adtsFrame(lengthBytes: number, seed: number): Uint8Array {
  const header = [
    0xff,
    0xf1,
    (1 << 6) | (4 << 2),
    (2 << 6) | ((lengthBytes >> 11) & 3),
    (lengthBytes >> 3) & 0xff,
    ((lengthBytes & 7) << 5) | 0x1f,
    0xfc,
  ];
  return frame(header, lengthBytes, seed);
}

/** An ID3v2.4 tag of `bodyBytes` (syncsafe size) around `body`, padded with text. */
function id3Tag(bodyBytes: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const tag = new Uint8Array(10 + bodyBytes);
  tag.set([
    0x49,
    0x44,
    0x33,
    0x04,
    0x00,
    0x00,
    (bodyBytes >> 21) & 0x7f,
    (bodyBytes >> 14) & 0x7f,
    (bodyBytes >> 7) & 0x7f,
    bodyBytes & 0x7f,
  ]);
  tag.set(filler(bodyBytes, 99), 10);
  tag.set(body, 10);
  return tag;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function setup(format: FrameFormat | undefined, opts: { capacityBytes?: number; giveUpBytes?: number } = {}) {
  const capacityBytes = opts.capacityBytes ?? 1 << 17;
  const ring = new Ring(capacityBytes);
  const index = new FrameIndex(capacityBytes, 1); // spacing 1: every frame start is kept
  const writer = new RingWriter(ring, index, format, opts.giveUpBytes);
  return { ring, index, writer };
}

/** Everything listeners can read, from the start of the stream. */
function committed(ring: Ring): Uint8Array {
  return ring.copyOut(0, ring.head);
}

function indexed(index: FrameIndex): number[] {
  const out: number[] = [];
  for (let next = index.firstAtOrAfter(0, 0); next !== undefined; next = index.firstAtOrAfter(next + 1, 0)) out.push(next);
  return out;
}

/** Frame start offsets of a list of frames laid end to end from `base`. */
function startsOf(frames: Uint8Array[], base = 0): number[] {
  const starts: number[] = [];
  let pos = base;
  for (const f of frames) {
    starts.push(pos);
    pos += f.length;
  }
  return starts;
}

describe('RingWriter with MP3 frames', () => {
  test('a single frame is not committed: sync needs a second header to confirm it', () => {
    const { ring, writer } = setup('mp3');
    assert.equal(writer.write(mp3Frame(1)), 0);
    assert.equal(ring.head, 0);
    assert.equal(ring.stagedEnd, 417);
    assert.equal(writer.write(mp3Frame(2).subarray(0, 4)), 417);
    assert.deepEqual(committed(ring), mp3Frame(1));
  });

  test('only whole frames are committed: a partial frame at the end stays staged and invisible', () => {
    const { ring, writer } = setup('mp3');
    const [f1, f2, f3] = [mp3Frame(1), mp3Frame(2), mp3Frame(3)];
    assert.equal(writer.write(concat(f1, f2, f3.subarray(0, 100))), 834);
    assert.equal(ring.head, 834);
    assert.equal(ring.stagedEnd, 934);
    assert.deepEqual(ring.view(0, 10_000), concat(f1, f2));

    assert.equal(writer.write(f3.subarray(100, 416)), 0);
    assert.equal(ring.head, 834);
    assert.equal(writer.write(f3.subarray(416)), 417);
    assert.deepEqual(committed(ring), concat(f1, f2, f3));
  });

  test('every committed frame start is indexed, padded frames included, and the staged partial frame is not', () => {
    const { ring, index, writer } = setup('mp3');
    const frames = [mp3Frame(1), mp3Frame(2, true), mp3Frame(3), mp3Frame(4, true)];
    writer.write(concat(...frames, mp3Frame(5).subarray(0, 200)));
    assert.equal(ring.head, 417 + 418 + 417 + 418);
    assert.deepEqual(indexed(index), [0, 417, 835, 1252]);
    assert.equal(index.firstAtOrAfter(1253, 0), undefined);
  });

  test('leading junk before the first frame is discarded and counted', () => {
    const { ring, writer } = setup('mp3');
    const frames = [mp3Frame(1), mp3Frame(2), mp3Frame(3)];
    writer.write(concat(filler(1000, 7), ...frames));
    assert.deepEqual(committed(ring), concat(...frames));
    assert.equal(writer.statistics.discardedBytes, 1000);
    assert.equal(writer.frameFormat, 'mp3');
  });

  test('a lone header in the junk that no second header confirms is discarded with the junk', () => {
    const { ring, index, writer } = setup('mp3');
    const junk = concat(filler(200, 1), Uint8Array.from(MP3_HEADER), filler(300, 2), Uint8Array.from([0xff, 0x00, 0xff]));
    const frames = [mp3Frame(1), mp3Frame(2)];
    writer.write(concat(junk, ...frames));
    assert.deepEqual(committed(ring), concat(...frames));
    assert.equal(writer.statistics.discardedBytes, junk.length);
    assert.deepEqual(indexed(index), [0, 417]);
  });

  test('an ID3v2 tag before the first frame is dropped', () => {
    const { ring, writer } = setup('mp3');
    const frames = [mp3Frame(1), mp3Frame(2)];
    const tag = id3Tag(100);
    writer.write(concat(tag, ...frames));
    assert.deepEqual(committed(ring), concat(...frames));
    assert.equal(writer.statistics.discardedBytes, 110);
  });

  test('a Xing/Info frame at the start of a pushed file is left out, as browsers would take the live stream for a 20 s file', () => {
    const file = new Uint8Array(readFileSync(new URL('../../samples/tone-128k.mp3', import.meta.url)));
    const ring = new Ring(1 << 21);
    const writer = new RingWriter(ring, new FrameIndex(1 << 21, 1024), 'mp3');
    writer.write(file);
    const firstFrameBytes = 417;
    assert.equal(String.fromCharCode(...file.subarray(36, 40)), 'Info', 'the sample starts with an Info frame');
    assert.equal(ring.head, file.length - firstFrameBytes, 'every other frame is committed');
    const committed = Buffer.from(ring.view(0, 64));
    assert.notEqual(committed.subarray(36, 40).toString('latin1'), 'Info');
    assert.deepEqual(committed.subarray(0, 4), Buffer.from(file.subarray(firstFrameBytes, firstFrameBytes + 4)));
    assert.equal(writer.statistics.discardedBytes, firstFrameBytes);
  });

  test('an ID3v2 tag is dropped whole even when what it holds looks like frames', () => {
    const { ring, writer } = setup('mp3');
    const embedded = concat(filler(10, 3), mp3Frame(50), mp3Frame(51), filler(10, 4));
    const tag = id3Tag(embedded.length, embedded);
    const frames = [mp3Frame(1), mp3Frame(2), mp3Frame(3)];
    writer.write(concat(tag, ...frames));
    assert.deepEqual(committed(ring), concat(...frames));
  });

  test('an ID3v2 tag that arrives in pieces is held until complete and then dropped whole', () => {
    const { ring, writer } = setup('mp3');
    const embedded = concat(filler(10, 3), mp3Frame(50), mp3Frame(51), filler(10, 4));
    const tag = id3Tag(embedded.length, embedded);
    const frames = [mp3Frame(1), mp3Frame(2), mp3Frame(3)];
    assert.equal(writer.write(tag.subarray(0, 20)), 0);
    assert.equal(writer.write(tag.subarray(20, 500)), 0);
    writer.write(concat(tag.subarray(500), ...frames));
    assert.deepEqual(committed(ring), concat(...frames));
    assert.equal(writer.statistics.discardedBytes, tag.length);
  });

  test('an ID3v2 tag whose first bytes arrive before its 10-byte header is complete is still dropped whole', () => {
    const { ring, writer } = setup('mp3');
    const embedded = concat(filler(10, 3), mp3Frame(50), mp3Frame(51), filler(10, 4));
    const tag = id3Tag(embedded.length, embedded);
    const frames = [mp3Frame(1), mp3Frame(2), mp3Frame(3)];
    writer.write(tag.subarray(0, 5));
    writer.write(concat(tag.subarray(5), ...frames));
    assert.equal(ring.head, 3 * 417, 'committed byte count');
    assert.deepEqual(committed(ring), concat(...frames));
  });

  test('a stream fed one byte at a time commits and indexes exactly what it does when fed whole', () => {
    const frames = [mp3Frame(1), mp3Frame(2, true), mp3Frame(3), mp3Frame(4), mp3Frame(5, true), mp3Frame(6)];
    const stream = concat(
      filler(333, 9),
      id3Tag(64),
      filler(21, 8),
      ...frames.slice(0, 3),
      filler(40, 5),
      ...frames.slice(3),
      mp3Frame(7).subarray(0, 99),
    );

    const whole = setup('mp3');
    whole.writer.write(stream);
    const trickled = setup('mp3');
    let total = 0;
    for (let i = 0; i < stream.length; i++) total += trickled.writer.write(stream.subarray(i, i + 1));

    const expected = concat(...frames);
    assert.deepEqual(committed(whole.ring), expected);
    assert.deepEqual(committed(trickled.ring), expected);
    assert.equal(total, expected.length);
    assert.deepEqual(indexed(trickled.index), indexed(whole.index));
    assert.deepEqual(indexed(whole.index), startsOf(frames));
    assert.equal(trickled.writer.statistics.discardedBytes, whole.writer.statistics.discardedBytes);
    assert.equal(trickled.ring.stagedEnd, whole.ring.stagedEnd);
  });

  test('a stream fed in uneven pieces commits exactly what it does when fed whole', () => {
    const frames = Array.from({ length: 40 }, (_, i) => mp3Frame(i, i % 3 === 0));
    const stream = concat(filler(50, 1), ...frames);
    const whole = setup('mp3');
    whole.writer.write(stream);

    let seed = 12345;
    const nextSize = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return 1 + (seed % 700);
    };
    const pieces = setup('mp3');
    for (let off = 0; off < stream.length; ) {
      const n = nextSize();
      pieces.writer.write(stream.subarray(off, off + n));
      off += n;
    }
    assert.deepEqual(committed(pieces.ring), concat(...frames));
    assert.deepEqual(committed(whole.ring), concat(...frames));
    assert.deepEqual(indexed(pieces.index), indexed(whole.index));
  });

  test('a write larger than one append slice (16 KiB) commits every whole frame in it', () => {
    const { ring, index, writer } = setup('mp3');
    const frames = Array.from({ length: 100 }, (_, i) => mp3Frame(i));
    assert.equal(writer.write(concat(...frames)), 100 * 417);
    assert.deepEqual(committed(ring), concat(...frames));
    assert.equal(index.size, 100);
  });

  test('frames that straddle the ring wrap are parsed and committed whole', () => {
    const { ring, index, writer } = setup('mp3', { capacityBytes: 2000 });
    const frames = Array.from({ length: 20 }, (_, i) => mp3Frame(i, i % 4 === 1));
    for (const f of frames) writer.write(f);
    const total = frames.reduce((n, f) => n + f.length, 0);
    assert.equal(ring.head, total);
    assert.deepEqual(ring.copyOut(ring.head - 3 * 417 - 1, ring.head), concat(...frames.slice(-3)));
    const starts = startsOf(frames);
    assert.ok(starts[17] - 10 >= ring.tail);
    assert.equal(index.firstAtOrAfter(starts[17] - 10, ring.tail), starts[17]);
    assert.equal(
      index.firstAtOrAfter(0, ring.tail),
      starts.find((s) => s >= ring.tail),
    );
  });

  test('a corrupt stretch mid-stream is discarded and the stream resyncs at the next frame', () => {
    const { ring, writer } = setup('mp3');
    const frames = [mp3Frame(1), mp3Frame(2), mp3Frame(3), mp3Frame(4), mp3Frame(5)];
    writer.write(concat(frames[0], frames[1], filler(50, 6), ...frames.slice(2)));
    assert.deepEqual(committed(ring), concat(...frames));
    assert.equal(writer.statistics.syncLosses, 1);
    assert.equal(writer.statistics.discardedBytes, 50);
  });
});

describe('RingWriter across sources', () => {
  test('end() drops the partial frame and the next source is joined at its first frame with its junk discarded', () => {
    const { ring, index, writer } = setup('mp3');
    const old = [mp3Frame(1), mp3Frame(2)];
    writer.write(concat(...old, mp3Frame(3).subarray(0, 200)));
    assert.equal(ring.head, 834);
    writer.end();
    assert.equal(ring.stagedEnd, 834);

    const next = [mp3Frame(10), mp3Frame(11), mp3Frame(12)];
    const junk = mp3Frame(9).subarray(117); // the tail of a frame the new source started mid-way
    writer.write(concat(junk, ...next));
    assert.deepEqual(committed(ring), concat(...old, ...next));
    assert.deepEqual(indexed(index), [0, 417, 834, 1251, 1668]);
    assert.equal(writer.statistics.discardedBytes, junk.length);
  });

  test('end() with nothing staged changes nothing', () => {
    const { ring, writer } = setup('mp3');
    writer.write(concat(mp3Frame(1), mp3Frame(2)));
    writer.end();
    assert.equal(ring.head, 834);
    assert.equal(ring.stagedEnd, 834);
    assert.deepEqual(committed(ring), concat(mp3Frame(1), mp3Frame(2)));
  });

  test('a next source with a different sample rate syncs afresh at its first frame', () => {
    const { ring, writer } = setup('mp3');
    const old = [mp3Frame(1), mp3Frame(2)];
    writer.write(concat(...old, mp3Frame(3).subarray(0, 10)));
    writer.end();
    const next = [frame(MP3_48K_HEADER, 384, 20), frame(MP3_48K_HEADER, 384, 21)];
    writer.write(concat(filler(30, 2), ...next));
    assert.deepEqual(committed(ring), concat(...old, ...next));
    assert.equal(writer.statistics.syncLosses, 0);
  });

  test("the half frame of an ended source is never glued to the next source's bytes", () => {
    const { ring, writer } = setup('mp3');
    writer.write(concat(mp3Frame(1), mp3Frame(2), mp3Frame(3).subarray(0, 200)));
    writer.end();
    // 217 junk bytes put the next source's first header exactly 417 bytes after
    // the dead half frame's header: kept, that half frame would look confirmed
    writer.write(concat(filler(217, 5), mp3Frame(4), mp3Frame(5)));
    assert.deepEqual(committed(ring), concat(mp3Frame(1), mp3Frame(2), mp3Frame(4), mp3Frame(5)));
  });

  test('an ID3v2 tag longer than the free ring space does not corrupt committed bytes the ring still calls intact', () => {
    const { ring, index, writer } = setup('mp3', { capacityBytes: 4000 });
    const old = [mp3Frame(1), mp3Frame(2), mp3Frame(3), mp3Frame(4)];
    writer.write(concat(...old));
    writer.end();
    writer.write(id3Tag(2990)); // staged while incomplete: 1668 + 3000 > 4000 overwrites positions 0..667
    writer.write(concat(mp3Frame(5), mp3Frame(6)));
    const expected = concat(...old, mp3Frame(5), mp3Frame(6));
    for (let pos = ring.tail; pos < ring.head; pos++) {
      assert.equal(ring.byteAt(pos), expected[pos], `byteAt(${pos}) with tail ${ring.tail}`);
    }
    // a joining listener must not be sent to an overwritten frame start
    const join = index.firstAtOrAfter(0, ring.tail);
    assert.ok(join !== undefined && join >= 668, `join at ${join}`);
  });

  test('a later source that never syncs is passed through after giveUpBytes, like a first one', () => {
    const { ring, writer } = setup('mp3', { giveUpBytes: 1000 });
    writer.write(concat(mp3Frame(1), mp3Frame(2)));
    writer.end();
    writer.write(filler(1500, 3));
    const more = filler(50, 4);
    assert.equal(writer.write(more), more.length);
    assert.equal(ring.head, 834 + 3 + 50);
  });
});

describe('RingWriter give-up and passthrough', () => {
  test('bytes that never sync are discarded until giveUpBytes, then passed through as they arrive', () => {
    const { ring, writer } = setup('mp3', { giveUpBytes: 1000 });
    const junk = filler(1500, 1);
    // the scan keeps the last 3 bytes (too short for a header) and discards 1497 >= 1000
    assert.equal(writer.write(junk), 3);
    assert.equal(writer.statistics.discardedBytes, 1497);
    assert.equal(writer.statistics.passthrough, true);
    assert.equal(writer.frameFormat, undefined);
    assert.deepEqual(committed(ring), junk.subarray(1497));

    const more = concat(filler(50, 2), mp3Frame(1).subarray(0, 100));
    assert.equal(writer.write(more), more.length);
    assert.deepEqual(committed(ring), concat(junk.subarray(1497), more));
  });

  test('bytes that never sync stay uncommitted while fewer than giveUpBytes have been discarded', () => {
    const { ring, writer } = setup('mp3', { giveUpBytes: 1000 });
    assert.equal(writer.write(filler(900, 1)), 0);
    assert.equal(ring.head, 0);
    assert.equal(writer.statistics.passthrough, false);
    assert.equal(writer.frameFormat, 'mp3');
  });

  test('an ID3v2 tag larger than giveUpBytes does not switch a framed stream to passthrough', () => {
    const { ring, index, writer } = setup('mp3', { giveUpBytes: 1000 });
    const tag = id3Tag(1190);
    const frames = [mp3Frame(1), mp3Frame(2), mp3Frame(3)];
    writer.write(tag);
    writer.write(concat(...frames, mp3Frame(4).subarray(0, 100)));
    assert.equal(writer.frameFormat, 'mp3');
    assert.deepEqual(committed(ring), concat(...frames));
    assert.deepEqual(indexed(index), [0, 417, 834]);
  });
});

describe('RingWriter with ADTS frames', () => {
  test('whole ADTS frames of varying length are committed and indexed; a partial one stays staged', () => {
    const { ring, index, writer } = setup('adts');
    const frames = [adtsFrame(371, 1), adtsFrame(300, 2), adtsFrame(512, 3), adtsFrame(7, 4), adtsFrame(280, 5)];
    const n = writer.write(concat(filler(25, 9), ...frames, adtsFrame(400, 6).subarray(0, 399)));
    assert.equal(n, 371 + 300 + 512 + 7 + 280);
    assert.deepEqual(committed(ring), concat(...frames));
    assert.deepEqual(indexed(index), startsOf(frames));
    assert.equal(ring.stagedEnd - ring.head, 399);
    assert.equal(writer.statistics.discardedBytes, 25);
  });

  test('an ADTS stream fed one byte at a time commits what it does when fed whole', () => {
    const frames = Array.from({ length: 12 }, (_, i) => adtsFrame(200 + i * 37, i));
    const stream = concat(filler(17, 3), ...frames);
    const trickled = setup('adts');
    for (let i = 0; i < stream.length; i++) trickled.writer.write(stream.subarray(i, i + 1));
    assert.deepEqual(committed(trickled.ring), concat(...frames));
    assert.deepEqual(indexed(trickled.index), startsOf(frames));
  });

  test('an ID3v2 tag is not skipped as a unit for ADTS, but its bytes are still discarded', () => {
    const { ring, writer } = setup('adts');
    const frames = [adtsFrame(300, 1), adtsFrame(300, 2)];
    writer.write(concat(id3Tag(40), ...frames));
    assert.deepEqual(committed(ring), concat(...frames));
  });
});

describe('RingWriter without a frame format', () => {
  test('a stream of unknown format is committed byte for byte as it arrives', () => {
    const { ring, index, writer } = setup(undefined);
    assert.equal(writer.frameFormat, undefined);
    assert.equal(writer.statistics.passthrough, true);
    const a = Uint8Array.from([0x4f, 0x67, 0x67, 0x53, 0xff, 0xfb]); // "OggS" and a stray sync pattern
    const b = mp3Frame(1).subarray(0, 5);
    assert.equal(writer.write(a), a.length);
    assert.equal(ring.head, a.length);
    assert.equal(writer.write(b), b.length);
    assert.equal(writer.write(new Uint8Array(0)), 0);
    assert.deepEqual(committed(ring), concat(a, b));
    assert.equal(ring.stagedEnd, ring.head);
    assert.equal(index.size, 0);
  });

  test('end() on an unframed stream loses nothing, since everything was committed', () => {
    const { ring, writer } = setup(undefined);
    writer.write(filler(100, 1));
    writer.end();
    writer.write(filler(10, 2));
    assert.deepEqual(committed(ring), concat(filler(100, 1), filler(10, 2)));
  });
});
