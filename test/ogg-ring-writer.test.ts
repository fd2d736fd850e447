// The Ogg ring writer and header capture: only whole, CRC-checked pages are
// committed; a stream's header pages are kept and given to each new listener
// first; joins land on audio pages; chained streams and new sources bring
// new headers, which apply from their own position on.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameIndex } from '../relay/core/frame-index.js';
import { Mount } from '../relay/core/mount.js';
import { OggRingWriter } from '../relay/core/ogg-ring-writer.js';
import { Ring } from '../relay/core/ring.js';
import {
  OGG_BOS,
  OGG_CONTINUED,
  OGG_EOS,
  filler,
  oggPage,
  opusHeadPacket,
  opusTagsPacket,
  readPages,
  vorbisHeaderPacket,
  vorbisIdPacket,
} from './support/ogg-pages.js';

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** A Vorbis stream's header pages: the id packet alone, then comment + a setup header that spans two pages. */
function vorbisHeaders(serial: number): Uint8Array[] {
  const setup = vorbisHeaderPacket(5, 700);
  return [
    oggPage({ serial, sequence: 0, flags: OGG_BOS, packets: [vorbisIdPacket()] }),
    oggPage({ serial, sequence: 1, packets: [vorbisHeaderPacket(3, 60), setup.subarray(0, 510)], lastContinues: true, granule: -1 }),
    oggPage({ serial, sequence: 2, flags: OGG_CONTINUED, packets: [setup.subarray(510)] }),
  ];
}

function audioPages(serial: number, firstSequence: number, count: number, bytes = 1500): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    oggPage({
      serial,
      sequence: firstSequence + i,
      granule: (firstSequence + i) * 1024,
      packets: [filler(bytes - 300, i), filler(250, i + 1)],
    }),
  );
}

function mountOf(bufferBytes = 1 << 20): Mount {
  return new Mount('/o', 'application/ogg', { name: '' } as never, bufferBytes);
}

function writer(mount: Mount): OggRingWriter {
  assert.ok(mount.writer instanceof OggRingWriter);
  return mount.writer;
}

describe('OggRingWriter', () => {
  test('commits only whole pages, however the bytes arrive', () => {
    const ring = new Ring(1 << 16);
    const w = new OggRingWriter(ring, new FrameIndex(1 << 16, 1));
    const pages = [...vorbisHeaders(7), ...audioPages(7, 3, 4)];
    const stream = concat(...pages);
    let expectHead = 0;
    let nextPage = 0;
    for (let off = 0; off < stream.length; off += 333) {
      w.write(stream.subarray(off, off + 333));
      while (nextPage < pages.length && expectHead + pages[nextPage].length <= Math.min(stream.length, off + 333))
        expectHead += pages[nextPage++].length;
      assert.equal(ring.head, expectHead, `after ${off + 333} bytes`);
    }
    assert.equal(ring.head, stream.length);
    assert.deepEqual(ring.copyOut(0, ring.head), stream);
  });

  test('drops junk before the first page and a page whose CRC fails, and resyncs after it', () => {
    const ring = new Ring(1 << 16);
    const w = new OggRingWriter(ring, new FrameIndex(1 << 16, 1));
    const [a, b, c] = audioPages(9, 5, 3);
    const broken = oggPage({ serial: 9, sequence: 99, packets: [filler(400, 3)], badCrc: true });
    w.write(concat(filler(100, 1), Buffer.from('OggS'), a, broken, b, c));
    assert.deepEqual(ring.copyOut(0, ring.head), concat(a, b, c));
    assert.equal(w.statistics.syncLosses, 1);
    assert.equal(w.statistics.discardedBytes, 104 + broken.length);
  });

  test('a stream that is not Ogg at all is passed through after giveUpBytes', () => {
    const ring = new Ring(1 << 20);
    const w = new OggRingWriter(ring, new FrameIndex(1 << 20, 1), 70_000);
    w.write(filler(100_000, 2));
    assert.equal(w.frameFormat, undefined);
    const before = ring.head;
    w.write(filler(500, 3));
    assert.equal(ring.head, before + 500);
  });
});

describe('Ogg header capture and joins', () => {
  test('a new listener gets the Vorbis header pages, then starts on an audio page near its burst', () => {
    const mount = mountOf();
    const headers = vorbisHeaders(7);
    const audio = audioPages(7, 3, 40);
    writer(mount).write(concat(...headers, ...audio));
    assert.deepEqual(writer(mount).headers.current, concat(...headers));
    const pos = mount.joinPosition(10_000);
    const audioStart = concat(...headers).length;
    // On a page boundary of audio, just under 10000 bytes behind live.
    const offsets = audio.map((_, i) => audioStart + audio.slice(0, i).reduce((n, p) => n + p.length, 0));
    assert.ok(offsets.includes(pos), `join at ${pos} is not an audio page start`);
    assert.ok(mount.ring.head - pos <= 10_000 && mount.ring.head - pos > 10_000 - 1500, `join ${mount.ring.head - pos} behind live`);
    const prefix = mount.joinPrefix(pos);
    assert.ok(prefix);
    const firstBytes = readPages(concat(prefix, mount.ring.copyOut(pos, mount.ring.head)));
    assert.equal(firstBytes.trailing, 0);
    assert.deepEqual(
      firstBytes.pages.slice(0, 4).map((p) => p.sequence),
      [0, 1, 2, offsets.indexOf(pos) + 3],
    );
    assert.ok(firstBytes.pages.every((p) => p.crcOk));
  });

  test('Opus headers are OpusHead and OpusTags; a join never lands on a page that continues a packet', () => {
    const mount = mountOf();
    const head = oggPage({ serial: 3, sequence: 0, flags: OGG_BOS, packets: [opusHeadPacket()] });
    const tags = oggPage({ serial: 3, sequence: 1, packets: [opusTagsPacket()] });
    const audio = oggPage({ serial: 3, sequence: 2, granule: 960, packets: [filler(1275, 4)] });
    const open = oggPage({ serial: 3, sequence: 3, granule: -1, packets: [filler(1020, 5)], lastContinues: true });
    const rest = oggPage({ serial: 3, sequence: 4, flags: OGG_CONTINUED, granule: 2000, packets: [filler(100, 6)] });
    writer(mount).write(concat(head, tags, audio, open, rest));
    const openPos = head.length + tags.length + audio.length;
    assert.equal(mount.joinPosition(rest.length + open.length), openPos);
    assert.deepEqual(mount.joinPrefix(openPos), concat(head, tags));
    // The page that finishes a packet begun on the page before is no place to start: the join waits for live.
    assert.equal(mount.joinPosition(rest.length + 10), mount.ring.head);
  });

  test('a chained stream (EOS, then a new BOS) brings new headers that apply from their own position', () => {
    const mount = mountOf();
    const first = vorbisHeaders(1);
    const second = vorbisHeaders(2);
    const audio1 = audioPages(1, 3, 10);
    audio1[9] = oggPage({ serial: 1, sequence: 12, flags: OGG_EOS, granule: 99_999, packets: [filler(1000, 1)] });
    const audio2 = audioPages(2, 3, 10);
    writer(mount).write(concat(...first, ...audio1));
    const oldJoin = mount.joinPosition(4000);
    writer(mount).write(concat(...second, ...audio2));
    // Someone who joined before the chain keeps the first stream's headers and gets the second's in-band.
    assert.deepEqual(mount.joinPrefix(oldJoin), concat(...first));
    const newJoin = mount.joinPosition(4000);
    assert.deepEqual(mount.joinPrefix(newJoin), concat(...second));
    assert.deepEqual(writer(mount).headers.current, concat(...second));
  });

  test('a listener who joins while headers are still arriving starts at their BOS page with no prefix', () => {
    const mount = mountOf();
    writer(mount).write(concat(...vorbisHeaders(1), ...audioPages(1, 3, 10)));
    const [bos, comment] = vorbisHeaders(2);
    const bosPos = mount.ring.head;
    writer(mount).write(concat(bos, comment));
    const pos = mount.joinPosition(100);
    assert.equal(pos, bosPos);
    assert.equal(mount.joinPrefix(pos), undefined);
  });

  test('a new source after a drop mid-page: the half page is gone and its headers replace the old ones', () => {
    const mount = mountOf();
    const audio = audioPages(1, 3, 10);
    writer(mount).write(concat(...vorbisHeaders(1), ...audio.slice(0, 9), audio[9].subarray(0, 700)));
    const committed = mount.ring.head;
    mount.writer.end();
    assert.equal(mount.ring.stagedEnd, committed);
    const next = vorbisHeaders(5);
    writer(mount).write(concat(filler(50, 9), ...next, ...audioPages(5, 3, 10)));
    assert.deepEqual(mount.ring.copyOut(committed, committed + next[0].length), next[0]);
    assert.deepEqual(mount.joinPrefix(mount.joinPosition(3000)), concat(...next));
    readPages(mount.ring.copyOut(0, mount.ring.head)); // throws on a half page
  });

  test('a join position in the bytes the ring has overwritten is never used', () => {
    const mount = mountOf(64 * 1024);
    writer(mount).write(concat(...vorbisHeaders(1), ...audioPages(1, 3, 100)));
    const pos = mount.joinPosition(30_000);
    assert.ok(pos >= mount.ring.tail);
    assert.deepEqual(mount.joinPrefix(pos), concat(...vorbisHeaders(1)));
  });
});
