// One fuzz case per call for each parser a client's bytes reach: the
// request-head reader, the chunked decoder, the ICY stripper, and the MP3,
// ADTS and Ogg parsers as the ring writers drive them. Each case builds a
// valid input from the PRNG, maybe breaks it, feeds it in random pieces, and
// checks what must hold whatever the bytes: only RelayErrors are thrown, the
// split never changes the outcome, a valid input comes out exactly, and
// nothing that leaves a parser breaks its invariant (field values hold only
// field-value bytes; the ring holds only whole frames or pages).

import assert from 'node:assert/strict';
import { ChunkedDecoder } from '../../ingest/chunked-decoder.js';
import { IcyStripper } from '../../ingest/icy-stripper.js';
import { FrameIndex } from '../../relay/core/frame-index.js';
import { OggRingWriter } from '../../relay/core/ogg-ring-writer.js';
import { RingWriter } from '../../relay/core/ring-writer.js';
import { Ring } from '../../relay/core/ring.js';
import { RelayError } from '../../relay/errors.js';
import { PARSERS, type FrameFormat } from '../../relay/formats/frame-header.js';
import { HeadReader, type RequestHead } from '../../relay/formats/request-head.js';
import { oggPage, readPages } from '../support/ogg-pages.js';
import { inPieces, type Prng } from './prng.js';
import { fuzzedHead } from './request-fuzz.js';

export type FuzzTarget = (rng: Prng) => void;

/** Breaks a copy of `bytes`: flips, inserts, deletes or duplicates a few bytes. */
export function mutate(rng: Prng, bytes: Uint8Array, maxEdits = 4): Uint8Array {
  let out = Array.from(bytes);
  for (let n = rng.int(1, maxEdits); n > 0; n--) {
    const at = rng.int(0, out.length);
    switch (rng.int(0, 3)) {
      case 0:
        if (out.length > 0) out[Math.min(at, out.length - 1)] ^= 1 << rng.int(0, 7);
        break;
      case 1:
        out.splice(at, 0, ...rng.bytes(rng.int(1, 4)));
        break;
      case 2:
        out.splice(at, rng.int(1, 8));
        break;
      default:
        out = [...out.slice(0, at), ...out.slice(Math.max(0, at - 16), at), ...out.slice(at)];
    }
  }
  return Uint8Array.from(out);
}

function expectRelayError(err: unknown): string {
  if (!(err instanceof RelayError)) throw err;
  return err.code;
}

type HeadOutcome = { head: RequestHead; rest: Buffer } | string | undefined;

function readHead(push: (reader: HeadReader) => HeadOutcome): HeadOutcome {
  try {
    return push(new HeadReader());
  } catch (err) {
    return expectRelayError(err);
  }
}

const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const requestHead: FuzzTarget = (rng) => {
  const bytes = rng.chance(0.7) ? mutate(rng, fuzzedHead(rng)) : fuzzedHead(rng);
  const whole = readHead((reader) => reader.push(Buffer.from(bytes)));
  const pieced = readHead((reader) => {
    let result: HeadOutcome;
    inPieces(rng, bytes, 8, (piece) => {
      if (result === undefined) result = reader.push(Buffer.from(piece));
    });
    return result;
  });
  // The pieces after the one that completed the head are not pushed, so only the start of `rest` is compared.
  const outcome = (o: HeadOutcome) => (o === undefined || typeof o === 'string' ? o : o.head);
  assert.deepEqual(outcome(pieced), outcome(whole), 'the split changed the outcome');
  if (pieced && typeof pieced !== 'string' && whole && typeof whole !== 'string') {
    assert.deepEqual(pieced.rest, whole.rest.subarray(0, pieced.rest.length));
  }
  if (whole && typeof whole !== 'string') {
    for (const [name, value] of whole.head.headers) assert.match(value, FIELD_VALUE, `header ${name} holds a forbidden byte`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: a target with a control byte is what this looks for.
    assert.doesNotMatch(whole.head.target, /[\x00-\x20\x7f]/);
  }
};

function chunkedEncoding(rng: Prng, payload: Uint8Array): Uint8Array {
  const parts: Buffer[] = [];
  for (let pos = 0; pos < payload.length; ) {
    const n = Math.min(payload.length - pos, rng.int(1, 3000));
    let size = n.toString(16);
    if (rng.chance(0.5)) size = size.toUpperCase();
    size = '0'.repeat(rng.chance(0.3) ? rng.int(0, 12) : 0) + size;
    const ext = rng.chance(0.2) ? ';name=value' : '';
    parts.push(Buffer.from(`${size}${ext}\r\n`), Buffer.from(payload.subarray(pos, pos + n)), Buffer.from('\r\n'));
    pos += n;
  }
  parts.push(Buffer.from(`${'0'.repeat(rng.int(1, 10))}\r\n${rng.chance(0.3) ? 'X-Trailer: 1\r\n' : ''}\r\n`));
  return Buffer.concat(parts);
}

const chunked: FuzzTarget = (rng) => {
  const payload = rng.bytes(rng.int(0, 8000));
  const valid = chunkedEncoding(rng, payload);
  const broken = rng.chance(0.4);
  const input = broken ? mutate(rng, valid) : valid;
  const out: Buffer[] = [];
  const decoder = new ChunkedDecoder((bytes) => out.push(Buffer.from(bytes)));
  try {
    inPieces(rng, input, 10, (piece) => {
      if (!decoder.done) decoder.push(piece);
    });
  } catch (err) {
    expectRelayError(err);
    assert.ok(broken, 'a valid chunked body was refused');
    return;
  }
  if (!broken) {
    assert.equal(decoder.done, true);
    assert.deepEqual(Buffer.concat(out), Buffer.from(payload));
  }
};

const icyStripper: FuzzTarget = (rng) => {
  const metaInt = rng.int(1, 3000);
  const audio = rng.bytes(rng.int(0, 20_000));
  const parts: Buffer[] = [];
  const titles: string[] = [];
  for (let pos = 0; pos < audio.length; pos += metaInt) {
    parts.push(Buffer.from(audio.subarray(pos, pos + metaInt)));
    if (pos + metaInt > audio.length) break;
    if (rng.chance(0.5)) {
      parts.push(Buffer.from([0]));
      continue;
    }
    const title = `t${rng.int(0, 1e6)}${"x'".repeat(rng.int(0, 20))}`;
    const payload = Buffer.from(`StreamTitle='${title}';`);
    const blocks = Math.ceil(payload.length / 16);
    const block = Buffer.alloc(1 + blocks * 16);
    block[0] = blocks;
    payload.copy(block, 1);
    parts.push(block);
    titles.push(title);
  }
  const got: Buffer[] = [];
  const seen: string[] = [];
  const stripper = new IcyStripper(
    metaInt,
    (bytes) => got.push(Buffer.from(bytes)),
    (fields) => seen.push(fields.get('StreamTitle') ?? ''),
  );
  inPieces(rng, Buffer.concat(parts), 12, (piece) => stripper.push(piece));
  assert.deepEqual(Buffer.concat(got), Buffer.from(audio), 'the audio came out changed');
  assert.deepEqual(seen, titles);
};

/** Bytes 0x20..0x6f: never 0xFF (no false sync) and never "ID3" or "OggS". */
function filler(rng: Prng, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => rng.int(0x20, 0x6f));
}

function frameOf(rng: Prng, format: FrameFormat): Uint8Array {
  if (format === 'mp3') {
    const padded = rng.chance(0.3);
    const f = filler(rng, padded ? 418 : 417);
    f.set([0xff, 0xfb, padded ? 0x92 : 0x90, 0x44]);
    return f;
  }
  const lengthBytes = rng.int(8, 1500);
  const f = filler(rng, lengthBytes);
  f.set([
    0xff,
    0xf1,
    (1 << 6) | (4 << 2),
    (2 << 6) | ((lengthBytes >> 11) & 3),
    (lengthBytes >> 3) & 0xff,
    ((lengthBytes & 7) << 5) | 0x1f,
    0xfc,
  ]);
  return f;
}

function frameWriter(format: FrameFormat): FuzzTarget {
  return (rng) => {
    // At least two: a lone frame is never confirmed by a second header, so it is rightly not committed.
    const frames = Array.from({ length: rng.int(2, 60) }, () => frameOf(rng, format));
    const clean = Buffer.concat(frames);
    const broken = rng.chance(0.5);
    const input = broken ? mutate(rng, Buffer.concat([filler(rng, rng.int(0, 300)), clean]), 6) : clean;
    const ring = new Ring(1 << 20);
    const index = new FrameIndex(1 << 20, 1);
    const writer = new RingWriter(ring, index, format);
    inPieces(rng, input, 16, (piece) => writer.write(piece));
    writer.end();
    const committed = Buffer.from(ring.copyOut(0, ring.head));
    if (!broken) {
      assert.deepEqual(committed, clean, 'a clean stream came out changed');
      return;
    }
    if (writer.frameFormat === undefined) return; // gave up and passed the bytes through: allowed
    // Every indexed start in the ring is a frame header, and the next frame follows it exactly.
    for (let pos = index.firstAtOrAfter(0, 0); pos !== undefined; pos = index.firstAtOrAfter(pos + 1, 0)) {
      const header = PARSERS[format]((i) => ring.byteAt(pos + i));
      assert.ok(header, `no ${format} header at indexed position ${pos}`);
      assert.ok(pos + header.lengthBytes <= ring.head, 'a half frame was committed');
    }
  };
}

const oggWriter: FuzzTarget = (rng) => {
  const serial = rng.int(1, 1000);
  const pages = Array.from({ length: rng.int(1, 30) }, (_, sequence) =>
    oggPage({ serial, sequence, flags: sequence === 0 ? 0x02 : 0, granule: sequence * 960, packets: [filler(rng, rng.int(1, 2000))] }),
  );
  const clean = Buffer.concat(pages);
  const broken = rng.chance(0.5);
  const input = broken ? mutate(rng, Buffer.concat([filler(rng, rng.int(0, 300)), clean]), 6) : clean;
  const ring = new Ring(1 << 20);
  const writer = new OggRingWriter(ring, new FrameIndex(1 << 20, 1));
  inPieces(rng, input, 16, (piece) => writer.write(piece));
  const committed = ring.copyOut(0, ring.head);
  if (!broken) {
    assert.deepEqual(Buffer.from(committed), clean, 'a clean Ogg stream came out changed');
    return;
  }
  if (writer.frameFormat === undefined) return;
  const { pages: read, trailing } = readPages(committed);
  assert.equal(trailing, 0, 'a half page was committed');
  assert.ok(
    read.every((p) => p.crcOk),
    'a page whose CRC fails was committed',
  );
};

export const FUZZ_TARGETS: Record<string, FuzzTarget> = {
  'request-head': requestHead,
  chunked,
  'icy-stripper': icyStripper,
  'mp3-frames': frameWriter('mp3'),
  'adts-frames': frameWriter('adts'),
  'ogg-pages': oggWriter,
};
