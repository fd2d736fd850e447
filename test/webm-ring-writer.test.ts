// The WebM ring writer and init capture (issue 12): the ring holds the
// source's bytes exactly, however they arrive; the init segment (EBML header
// to the first Cluster) is kept and given to each new listener first; joins
// land only on Clusters that begin with their Timecode (and, with video, a
// keyframe); unknown sizes, junk, a new source and a new EBML header.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameIndex } from '../relay/core/frame-index.js';
import { Mount } from '../relay/core/mount.js';
import { Ring } from '../relay/core/ring.js';
import { WebmRingWriter } from '../relay/core/webm-ring-writer.js';
import { type BlockSpec, cluster, concat, ebmlHeader, readWebm, segmentHead, segmentStart } from './support/webm-elements.js';

const AUDIO = [{ number: 1, type: 2, codec: 'A_OPUS' }];
const VIDEO = [
  { number: 1, type: 1, codec: 'V_VP8' },
  { number: 2, type: 2, codec: 'A_OPUS' },
];

/** An audio stream: init, then `count` Clusters of `perCluster` numbered blocks, starting at serial `first`. */
function audioStream(opts: {
  count: number;
  perCluster?: number;
  unknownSize?: boolean;
  first?: number;
  bytes?: number;
  tracks?: typeof AUDIO;
}) {
  const init = concat(ebmlHeader(), segmentStart(), segmentHead(opts.tracks ?? AUDIO));
  const per = opts.perCluster ?? 3;
  const clusters: Uint8Array[] = [];
  let serial = opts.first ?? 0;
  for (let c = 0; c < opts.count; c++) {
    const blocks: BlockSpec[] = Array.from({ length: per }, () => ({
      track: 1,
      keyframe: true,
      serial: serial++,
      bytes: opts.bytes ?? 60,
    }));
    clusters.push(cluster(c * 1000, blocks, { unknownSize: opts.unknownSize }));
  }
  return { init, clusters, bytes: concat(init, ...clusters) };
}

function clusterStarts(init: Uint8Array, clusters: Uint8Array[], base = 0): number[] {
  const starts: number[] = [];
  let pos = base + init.length;
  for (const c of clusters) {
    starts.push(pos);
    pos += c.length;
  }
  return starts;
}

/** Every position the index holds, read back through firstAtOrAfter. */
function indexed(index: FrameIndex, end: number): number[] {
  const out: number[] = [];
  for (let p = index.firstAtOrAfter(0, 0); p !== undefined && p < end; p = index.firstAtOrAfter(p + 1, 0)) out.push(p);
  return out;
}

function fresh(bufferBytes = 1 << 20) {
  const ring = new Ring(bufferBytes);
  const index = new FrameIndex(bufferBytes, 1);
  return { ring, index, writer: new WebmRingWriter(ring, index) };
}

function mountOf(bufferBytes = 1 << 20): Mount & { writer: WebmRingWriter } {
  const mount = new Mount('/w', 'audio/webm', { name: '' } as never, bufferBytes);
  assert.ok(mount.writer instanceof WebmRingWriter);
  return mount as Mount & { writer: WebmRingWriter };
}

describe('WebmRingWriter', () => {
  for (const unknownSize of [false, true]) {
    test(`bytes split at every point are relayed exactly, with the init kept and every Cluster indexed (${unknownSize ? 'unknown' : 'known'}-size Clusters)`, () => {
      const { init, clusters, bytes } = audioStream({ count: 4, unknownSize });
      const starts = clusterStarts(init, clusters);
      for (let split = 0; split <= bytes.length; split++) {
        const { ring, index, writer } = fresh();
        writer.write(bytes.subarray(0, split));
        assert.ok(ring.head <= split);
        writer.write(bytes.subarray(split));
        assert.deepEqual(ring.copyOut(0, ring.head), bytes, `split at ${split}`);
        assert.deepEqual(writer.init.current, init, `init, split at ${split}`);
        assert.deepEqual(indexed(index, ring.head), starts, `index, split at ${split}`);
        assert.equal(writer.statistics.discardedBytes, 0);
      }
    });
  }

  test('bytes that arrive one at a time, or in three pieces split anywhere, give the same ring and index', () => {
    const { init, clusters, bytes } = audioStream({ count: 3, unknownSize: true });
    const starts = clusterStarts(init, clusters);
    const { ring, index, writer } = fresh();
    let committed = 0;
    for (let i = 0; i < bytes.length; i++) committed += writer.write(bytes.subarray(i, i + 1));
    assert.equal(committed, bytes.length);
    assert.deepEqual(ring.copyOut(0, ring.head), bytes);
    assert.deepEqual(indexed(index, ring.head), starts);
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % (bytes.length + 1);
    };
    for (let round = 0; round < 300; round++) {
      const [a, b] = [next(), next()].sort((x, y) => x - y);
      const f = fresh();
      for (const piece of [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]) f.writer.write(piece);
      assert.deepEqual(f.ring.copyOut(0, f.ring.head), bytes, `splits ${a}, ${b}`);
      assert.deepEqual(indexed(f.index, f.ring.head), starts, `splits ${a}, ${b}`);
    }
  });

  test('an element is committed only once whole; a body over 64 KiB is committed as it arrives', () => {
    const { init, clusters, bytes } = audioStream({ count: 1, perCluster: 2, bytes: 100 });
    const { ring, writer } = fresh();
    writer.write(bytes.subarray(0, bytes.length - 10));
    const lastBlock = bytes.length - (clusters[0].length - clusters[0].lastIndexOf(0xa3));
    assert.equal(ring.head, lastBlock, 'the last, incomplete SimpleBlock waits');
    const big = audioStream({ count: 1, perCluster: 1, bytes: 200_000 });
    const f = fresh();
    f.writer.write(big.bytes.subarray(0, init.length + 100_000));
    assert.ok(f.ring.head > init.length + 90_000, `a large block's body flows (${f.ring.head})`);
  });

  test('junk before the EBML header is dropped and counted; a stream with no EBML is passed through after giveUpBytes', () => {
    const { bytes } = audioStream({ count: 2 });
    const { ring, writer } = fresh();
    const junk = Uint8Array.from({ length: 500 }, (_, i) => (i * 7) & 0xff);
    writer.write(concat(junk, bytes));
    assert.deepEqual(ring.copyOut(0, ring.head), bytes);
    assert.equal(writer.statistics.discardedBytes, 500);
    const ring2 = new Ring(1 << 20);
    const passthrough = new WebmRingWriter(ring2, new FrameIndex(1 << 20, 1), 70_000);
    passthrough.write(new Uint8Array(100_000).fill(0x42));
    assert.equal(passthrough.frameFormat, undefined);
    const before = ring2.head;
    passthrough.write(bytes.subarray(0, 500));
    assert.equal(ring2.head, before + 500, 'from then on every byte is relayed, even EBML');
  });

  test('bytes that stop being EBML mid-stream lose sync; the writer resyncs at the next Cluster and keeps joining there', () => {
    const { init, clusters } = audioStream({ count: 4 });
    const garbage = Uint8Array.from([0x00, 0x00, 0x13, 0x37, 0x00]);
    const { ring, index, writer } = fresh();
    writer.write(concat(init, clusters[0], clusters[1], garbage, clusters[2], clusters[3]));
    assert.deepEqual(ring.copyOut(0, ring.head), concat(init, ...clusters));
    assert.equal(writer.statistics.syncLosses, 1);
    assert.equal(writer.statistics.discardedBytes, garbage.length);
    assert.deepEqual(indexed(index, ring.head), clusterStarts(init, clusters));
  });

  test('a Cluster that does not begin with its Timecode is no join point', () => {
    const init = concat(ebmlHeader(), segmentStart(), segmentHead(AUDIO));
    const good = cluster(0, [{ track: 1, keyframe: true, serial: 0 }]);
    const noTime = cluster(0, [{ track: 1, keyframe: true, serial: 1 }], { noTimecode: true });
    const { ring, index, writer } = fresh();
    writer.write(concat(init, good, noTime, good));
    assert.deepEqual(indexed(index, ring.head), [init.length, init.length + good.length + noTime.length]);
  });

  test('with video, only a Cluster whose first video block is a keyframe is a join point (SimpleBlock or BlockGroup)', () => {
    const init = concat(ebmlHeader(), segmentStart(), segmentHead(VIDEO));
    const key = cluster(0, [
      { track: 2, keyframe: true, serial: 0 },
      { track: 1, keyframe: true, serial: 1 },
    ]);
    const delta = cluster(40, [{ track: 1, keyframe: false, serial: 2 }]);
    const keyGroup = cluster(80, [{ track: 1, keyframe: true, serial: 3, group: true }]);
    const deltaGroup = cluster(120, [{ track: 1, keyframe: false, serial: 4, group: true }]);
    const { ring, index, writer } = fresh();
    writer.write(concat(init, key, delta, keyGroup, deltaGroup));
    const starts = clusterStarts(init, [key, delta, keyGroup, deltaGroup]);
    assert.deepEqual(indexed(index, ring.head), [starts[0], starts[2]]);
  });

  test('a known Segment size is relayed as sent but given to late joiners as unknown, in the same width', () => {
    const head = concat(ebmlHeader(), segmentStart(5_000_000, 4), segmentHead(AUDIO));
    const body = cluster(0, [{ track: 1, keyframe: true, serial: 0 }]);
    const { ring, writer } = fresh();
    writer.write(concat(head, body));
    assert.deepEqual(ring.copyOut(0, ring.head), concat(head, body));
    const expected = concat(ebmlHeader(), segmentStart(undefined, 4), segmentHead(AUDIO));
    assert.deepEqual(writer.init.current, expected);
  });
});

describe('WebM joins', () => {
  test('WebM and Matroska content types get the WebM writer; a Matroska DocType is walked the same way', () => {
    for (const type of ['audio/webm', 'video/webm; codecs=vp8', 'audio/x-matroska', 'video/x-matroska', 'Video/Matroska']) {
      assert.ok(new Mount('/m', type, { name: '' } as never, 1 << 16).writer instanceof WebmRingWriter, type);
    }
    assert.ok(!(new Mount('/m', 'application/octet-stream', { name: '' } as never, 1 << 16).writer instanceof WebmRingWriter));
    const mount = mountOf();
    const init = concat(ebmlHeader('matroska'), segmentStart(), segmentHead(AUDIO));
    const clusters = [0, 1, 2].map((i) => cluster(i * 1000, [{ track: 1, keyframe: true, serial: i, bytes: 1100 }]));
    mount.writer.write(concat(init, ...clusters));
    assert.deepEqual(mount.joinPrefix(mount.joinPosition(1)), init);
    assert.equal(mount.joinPosition(1), clusterStarts(init, clusters)[2]);
  });

  test('a new listener gets the init segment, then a whole Cluster near its burst, with no block missing after it', () => {
    const mount = mountOf();
    const { init, clusters, bytes } = audioStream({ count: 40, perCluster: 5, bytes: 200 });
    mount.writer.write(bytes);
    const pos = mount.joinPosition(5000);
    const starts = clusterStarts(init, clusters);
    assert.ok(starts.includes(pos), `join at ${pos} is a Cluster start`);
    assert.ok(mount.ring.head - pos <= 5000 && mount.ring.head - pos > 5000 - clusters[0].length);
    const got = concat(mount.joinPrefix(pos) ?? new Uint8Array(0), mount.ring.copyOut(pos, mount.ring.head));
    assert.deepEqual(got.subarray(0, init.length), init);
    const read = readWebm(got);
    assert.equal(read.clusters[0].offset, init.length, 'the first Cluster follows the init at once');
    const serials = read.clusters.flatMap((c) => c.serials);
    assert.deepEqual(
      serials,
      Array.from({ length: serials.length }, (_, i) => serials[0] + i),
      'no block missing',
    );
    assert.equal(serials.at(-1), 199);
  });

  test('a burst smaller than a Cluster starts at the last Cluster before it, not mid-Cluster', () => {
    const mount = mountOf();
    const { init, clusters, bytes } = audioStream({ count: 5, perCluster: 20, bytes: 500 });
    mount.writer.write(bytes);
    assert.equal(mount.joinPosition(1000), clusterStarts(init, clusters)[4]);
  });

  test('while the init is still arriving a listener starts at the EBML header with no prefix', () => {
    const mount = mountOf();
    mount.writer.write(audioStream({ count: 3 }).bytes);
    const headerPos = mount.ring.head;
    mount.writer.write(concat(ebmlHeader(), segmentStart(), segmentHead(AUDIO)));
    const pos = mount.joinPosition(100);
    assert.equal(pos, headerPos);
    assert.equal(mount.joinPrefix(pos), undefined);
  });

  test('a source that comes back with a new EBML header replaces the init for new listeners; earlier joins keep the old one', () => {
    const mount = mountOf();
    const first = audioStream({ count: 10, tracks: AUDIO });
    const partial = cluster(99, [{ track: 1, keyframe: true, serial: 999 }]);
    mount.writer.write(concat(first.bytes, partial.subarray(0, 30)));
    const oldJoin = mount.joinPosition(200);
    const committed = mount.ring.head;
    mount.writer.end();
    assert.equal(mount.ring.stagedEnd, committed, 'the half element is gone');
    const tracks2 = [{ number: 1, type: 2, codec: 'A_VORBIS' }];
    const second = audioStream({ count: 10, tracks: tracks2, first: 1000 });
    mount.writer.write(second.bytes);
    assert.deepEqual(mount.joinPrefix(oldJoin), first.init);
    const newJoin = mount.joinPosition(200);
    assert.ok(newJoin > committed + second.init.length);
    assert.deepEqual(mount.joinPrefix(newJoin), second.init);
    assert.deepEqual(mount.writer.init.current, second.init);
  });

  test('a join position in the bytes the ring has overwritten is never used, and its init is still given', () => {
    const mount = mountOf(64 * 1024);
    const { init, bytes } = audioStream({ count: 200, perCluster: 4, bytes: 150 });
    mount.writer.write(bytes);
    const pos = mount.joinPosition(30_000);
    assert.ok(pos >= mount.ring.tail);
    assert.deepEqual(mount.joinPrefix(pos), init);
  });
});
