import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enableIcy, IcyInterleaver } from '../relay/core/icy-interleaver.js';
import { encodeIcyBlock, ICY_METAINT } from '../relay/formats/icy-metadata.js';
import { Listener, MAX_WRITE_BYTES } from '../relay/core/listener.js';
import { Mount } from '../relay/core/mount.js';
import { splitIcyStream, streamTitleOf } from './support/icy-stream.js';

/** A pseudo-random byte pattern, so a byte out of place shows. */
function pattern(from: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = ((from + i) * 2654435761) >>> 24;
  return out;
}

function setTitle(mount: Mount, title: string): void {
  mount.title = title;
  mount.icyBlock = encodeIcyBlock(title, '');
  mount.titleVersion++;
}

/**
 * Feeds a mount's ring in chunks of the given sizes and writes to one ICY
 * listener after each, as fan-out does; refused writes are simulated by
 * `refuseEvery` (the bytes still count, as a sink copies them).
 */
function run(opts: { ringBytes: number; chunks: number[]; titles?: Map<number, string>; refuseEvery?: number }) {
  const mount = new Mount<Listener>('/m', 'application/octet-stream', {}, opts.ringBytes);
  const listener = new Listener({ remoteAddress: '', userAgent: '', acceptedAtMs: 0, transport: 'socket' }, mount);
  assert.equal(enableIcy(listener, '1'), true);
  const icy = new IcyInterleaver(MAX_WRITE_BYTES);
  const out: Buffer[] = [];
  const writeSizes: number[] = [];
  let fed = 0;
  let writes = 0;
  opts.chunks.forEach((size, i) => {
    const title = opts.titles?.get(i);
    if (title !== undefined) setTitle(mount, title);
    mount.ring.append(pattern(fed, size));
    fed += size;
    mount.ring.commit(fed);
    while (listener.pos < mount.ring.head) {
      const view = icy.next(listener, mount.ring, listener.pos, mount.ring.head);
      out.push(Buffer.from(view)); // a sink copies; the view may be reused
      writeSizes.push(view.length);
      listener.pos += icy.audioBytes;
      writes++;
      if (opts.refuseEvery && writes % opts.refuseEvery === 0) break; // blocked until the next chunk
    }
  });
  return { stream: Buffer.concat(out), fed, listener, writeSizes };
}

test('blocks sit after exactly every 16000 audio bytes and the audio is the ring, byte for byte', () => {
  const chunks = Array.from({ length: 60 }, (_, i) => 1000 + ((i * 7919) % 9000));
  const { stream, fed, writeSizes } = run({ ringBytes: 1 << 20, chunks });
  const { audio, blocks } = splitIcyStream(stream, ICY_METAINT);
  assert.deepEqual(audio, pattern(0, fed));
  assert.notEqual(fed % ICY_METAINT, 0, 'the feed ends between two boundaries');
  assert.equal(blocks.length, Math.floor(fed / ICY_METAINT));
  for (const [i, b] of blocks.entries()) assert.equal(b.atAudioBytes, (i + 1) * ICY_METAINT);
  assert.ok(
    blocks.every((b) => b.units === 0),
    'no title set: every block is a single 0x00',
  );
  assert.ok(Math.max(...writeSizes) <= MAX_WRITE_BYTES);
});

test('a title change is sent once at the next boundary, then 0x00 until it changes again', () => {
  const chunks = Array.from({ length: 40 }, () => 5000);
  const titles = new Map([
    [0, 'First'],
    [15, "Second's title"],
    [30, 'Sigur Rós – Hoppípolla'],
  ]);
  const { stream } = run({ ringBytes: 1 << 20, chunks, titles });
  const { blocks } = splitIcyStream(stream, ICY_METAINT);
  const sent = blocks.map((b) => (b.units === 0 ? '' : streamTitleOf(b.payload)));
  assert.deepEqual(
    sent.filter((t) => t !== ''),
    ['First', "Second's title", 'Sigur Rós – Hoppípolla'],
  );
  assert.equal(sent[0], 'First', 'the first boundary carries the title set before it');
  // Title 2 arrives with chunk 15 (75000 bytes fed before it): the first boundary after is 80000.
  assert.equal(blocks[sent.indexOf("Second's title")].atAudioBytes, 80_000);
});

test('a write never exceeds MAX_WRITE_BYTES even with a 4080-byte title and a wrapping ring', () => {
  const chunks = Array.from({ length: 200 }, (_, i) => 3000 + ((i * 104729) % 14000));
  const titles = new Map(Array.from({ length: 20 }, (_, k) => [k * 10, 'x'.repeat(4000) + k] as [number, string]));
  const { stream, fed, writeSizes } = run({ ringBytes: 64 * 1024, chunks, titles });
  assert.ok(Math.max(...writeSizes) <= MAX_WRITE_BYTES, `largest write ${Math.max(...writeSizes)}`);
  const { audio, blocks } = splitIcyStream(stream, ICY_METAINT);
  assert.deepEqual(audio, pattern(0, fed));
  for (const [i, b] of blocks.entries()) assert.equal(b.atAudioBytes, (i + 1) * ICY_METAINT);
  assert.ok(
    blocks.some((b) => b.units === 251),
    'the long titles were sent',
  );
});

test('refused writes keep the count exact: the listener resumes where its bytes ended', () => {
  const chunks = Array.from({ length: 120 }, (_, i) => 700 + ((i * 31) % 6000));
  const titles = new Map([
    [5, 'A'],
    [60, 'B'],
  ]);
  const { stream, listener } = run({ ringBytes: 4 << 20, chunks, titles, refuseEvery: 2 });
  const { audio, blocks } = splitIcyStream(stream, ICY_METAINT);
  assert.deepEqual(audio, pattern(0, listener.pos));
  for (const [i, b] of blocks.entries()) assert.equal(b.atAudioBytes, (i + 1) * ICY_METAINT);
  assert.deepEqual(
    blocks.filter((b) => b.units > 0).map((b) => streamTitleOf(b.payload)),
    ['A', 'B'],
  );
});

test('a listener that did not ask for metadata is not switched on, nor is one on an Ogg mount', () => {
  const mp3 = new Mount<Listener>('/a', 'audio/mpeg', {}, 1 << 16);
  const ogg = new Mount<Listener>('/b', 'audio/ogg', {}, 1 << 16);
  const meta = { remoteAddress: '', userAgent: '', acceptedAtMs: 0, transport: 'uws' as const };
  assert.equal(enableIcy(new Listener(meta, mp3), undefined), false);
  assert.equal(enableIcy(new Listener(meta, mp3), '0'), false);
  assert.equal(enableIcy(new Listener(meta, ogg), '1'), false);
});
