import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IcyStripper } from '../ingest/icy-stripper.js';
import { encodeIcyBlock } from '../relay/formats/icy-metadata.js';

/** Audio bytes with a recognizable pattern and no relation to block bytes. */
function audioBytes(from: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (from + i) % 251;
  return out;
}

/** A source stream with inline metadata: `blocks[k]` follows the k-th run of metaInt audio bytes. */
function interleave(metaInt: number, totalAudio: number, titleAt: (k: number) => string | undefined): Buffer {
  const parts: Buffer[] = [];
  let k = 0;
  for (let pos = 0; pos < totalAudio; pos += metaInt) {
    const n = Math.min(metaInt, totalAudio - pos);
    parts.push(audioBytes(pos, n));
    if (n < metaInt) break;
    const title = titleAt(k++);
    parts.push(title === undefined ? Buffer.from([0]) : Buffer.from(encodeIcyBlock(title, '')));
  }
  return Buffer.concat(parts);
}

function strip(stream: Buffer, metaInt: number, splits: number[]) {
  const audio: Buffer[] = [];
  const titles: string[] = [];
  const stripper = new IcyStripper(
    metaInt,
    (b) => audio.push(Buffer.from(b)),
    (f) => titles.push(f.get('StreamTitle') ?? '?'),
  );
  let at = 0;
  for (const cut of [...splits, stream.length]) {
    stripper.push(stream.subarray(at, cut));
    at = cut;
  }
  return { audio: Buffer.concat(audio), titles };
}

const TITLE_AT = (k: number) => (k === 1 ? 'One' : k === 3 ? 'Sigur Rós – Hoppípolla' : k === 4 ? 'x'.repeat(4000) : undefined);

test('inline metadata is removed and its titles reported, in one chunk', () => {
  const stream = interleave(100, 1000, TITLE_AT);
  const { audio, titles } = strip(stream, 100, []);
  assert.deepEqual(audio, audioBytes(0, 1000));
  assert.deepEqual(titles, ['One', 'Sigur Rós – Hoppípolla', 'x'.repeat(4000)]);
});

test('a stream split at every single byte position gives the same audio and titles', () => {
  const stream = interleave(64, 640, TITLE_AT);
  const whole = strip(stream, 64, []);
  for (let cut = 1; cut < stream.length; cut++) {
    const { audio, titles } = strip(stream, 64, [cut]);
    assert.deepEqual(audio, whole.audio, `split at ${cut}`);
    assert.deepEqual(titles, whole.titles, `split at ${cut}`);
  }
});

test('a stream fed one byte at a time, and in odd sizes, gives the same audio and titles', () => {
  const stream = interleave(16000, 100_000, TITLE_AT);
  const byteByByte = strip(
    stream,
    16000,
    Array.from({ length: stream.length - 1 }, (_, i) => i + 1),
  );
  assert.deepEqual(byteByByte.audio, audioBytes(0, 100_000));
  assert.equal(byteByByte.titles.length, 3);
  const odd: number[] = [];
  for (let at = 0, step = 1; at < stream.length; step = (step * 7 + 3) % 5003) {
    at += step;
    odd.push(at);
  }
  const oddSizes = strip(
    stream,
    16000,
    odd.filter((c) => c < stream.length),
  );
  assert.deepEqual(oddSizes.audio, audioBytes(0, 100_000));
  assert.deepEqual(oddSizes.titles, byteByByte.titles);
});

test('an invalid metaint is refused', () => {
  assert.throws(
    () =>
      new IcyStripper(
        0,
        () => undefined,
        () => undefined,
      ),
    RangeError,
  );
});
