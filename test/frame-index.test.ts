// The frame index: spaced frame starts in a bounded FIFO, and the search a
// joining listener uses to land on a frame boundary that is still intact.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameIndex } from '../relay/core/frame-index.js';

/** Every entry of the index in order, found by walking firstAtOrAfter from the start. */
function entries(index: FrameIndex): number[] {
  const out: number[] = [];
  let next = index.firstAtOrAfter(-Infinity, -Infinity);
  while (next !== undefined) {
    out.push(next);
    next = index.firstAtOrAfter(next + 1, -Infinity);
  }
  return out;
}

describe('FrameIndex spacing', () => {
  test('an empty index has size 0 and finds nothing', () => {
    const index = new FrameIndex(10_000, 1024);
    assert.equal(index.size, 0);
    assert.equal(index.firstAtOrAfter(0, 0), undefined);
  });

  test('starts closer than spacingBytes to the last kept one are skipped; exactly spacingBytes apart is kept', () => {
    const index = new FrameIndex(100_000, 1024);
    for (const pos of [0, 100, 1000, 1500, 2000, 2524, 3547, 3548]) index.add(pos);
    assert.deepEqual(entries(index), [0, 1500, 2524, 3548]);
    assert.equal(index.size, 4);
  });

  test('spacing is measured from the last kept start, not the last offered one', () => {
    const index = new FrameIndex(100_000, 1000);
    // 417-byte frames: 0 kept, then the first start at least 1000 past it (1251), then past 2251 (2502)
    for (let pos = 0; pos <= 3000; pos += 417) index.add(pos);
    assert.deepEqual(entries(index), [0, 1251, 2502]);
  });

  test('the first start is kept whatever its position', () => {
    const index = new FrameIndex(100_000, 1024);
    index.add(5_000_000);
    assert.deepEqual(entries(index), [5_000_000]);
  });
});

describe('FrameIndex.firstAtOrAfter', () => {
  function spacedIndex(): FrameIndex {
    const index = new FrameIndex(100_000, 1);
    for (const pos of [0, 417, 835, 1252, 1669]) index.add(pos);
    return index;
  }

  test('a target on an entry returns that entry', () => {
    const index = spacedIndex();
    assert.equal(index.firstAtOrAfter(835, 0), 835);
    assert.equal(index.firstAtOrAfter(0, 0), 0);
    assert.equal(index.firstAtOrAfter(1669, 0), 1669);
  });

  test('a target between entries returns the next entry', () => {
    const index = spacedIndex();
    assert.equal(index.firstAtOrAfter(1, 0), 417);
    assert.equal(index.firstAtOrAfter(834, 0), 835);
    assert.equal(index.firstAtOrAfter(1253, 0), 1669);
  });

  test('a target before the first entry returns the first entry', () => {
    assert.equal(spacedIndex().firstAtOrAfter(-50, 0), 0);
  });

  test('oldest wins over an earlier target: entries before oldest are gone', () => {
    const index = spacedIndex();
    assert.equal(index.firstAtOrAfter(0, 418), 835);
    assert.equal(index.firstAtOrAfter(100, 1252), 1252);
  });

  test('the target wins over an earlier oldest', () => {
    assert.equal(spacedIndex().firstAtOrAfter(900, 10), 1252);
  });

  test('undefined when no entry is at or after the target', () => {
    assert.equal(spacedIndex().firstAtOrAfter(1670, 0), undefined);
  });

  test('undefined when no entry is at or after oldest', () => {
    assert.equal(spacedIndex().firstAtOrAfter(0, 1670), undefined);
  });

  test('the binary search agrees with a linear scan for every target over many entries', () => {
    const index = new FrameIndex(10_000_000, 1);
    const starts: number[] = [];
    for (let i = 0, pos = 0; i < 1000; i++) {
      starts.push(pos);
      index.add(pos);
      pos += 417 + (i % 3 === 0 ? 1 : 0);
    }
    const last = starts[starts.length - 1];
    for (let target = -1; target <= last + 2; target += 37) {
      const expected = starts.find((s) => s >= target);
      assert.equal(index.firstAtOrAfter(target, 0), expected, `target ${target}`);
    }
    assert.equal(index.firstAtOrAfter(last, 0), last);
    assert.equal(index.firstAtOrAfter(last + 1, 0), undefined);
  });
});

describe('FrameIndex once full', () => {
  // coverBytes 10 at spacing 1 holds ceil(10 / 1) + 2 = 12 entries
  const HELD = 12;

  test('the oldest entries fall off the front once the index is full', () => {
    const index = new FrameIndex(10, 1);
    for (let pos = 0; pos < 30; pos++) index.add(pos);
    assert.equal(index.size, HELD);
    assert.deepEqual(
      entries(index),
      Array.from({ length: HELD }, (_, i) => 18 + i),
    );
  });

  test('a target before the oldest held entry returns the oldest held entry', () => {
    const index = new FrameIndex(10, 1);
    for (let pos = 0; pos < 30; pos++) index.add(pos);
    assert.equal(index.firstAtOrAfter(0, 0), 18);
  });

  test('a target past the newest entry is undefined, never the wrapped-around oldest entry', () => {
    const index = new FrameIndex(10, 1);
    for (let pos = 0; pos < 30; pos++) index.add(pos);
    assert.equal(index.firstAtOrAfter(29, 0), 29);
    assert.equal(index.firstAtOrAfter(30, 0), undefined);
    assert.equal(index.firstAtOrAfter(10_000, 0), undefined);
    assert.equal(index.firstAtOrAfter(0, 30), undefined);
  });

  test('searches stay ordered at every wrap offset of the underlying buffer', () => {
    for (let count = HELD; count <= 3 * HELD + 1; count++) {
      const index = new FrameIndex(10, 1);
      for (let i = 0; i < count; i++) index.add(i * 100);
      const oldest = (count - HELD) * 100;
      const newest = (count - 1) * 100;
      assert.equal(index.firstAtOrAfter(0, 0), oldest, `count ${count}: oldest`);
      assert.equal(index.firstAtOrAfter(newest, 0), newest, `count ${count}: newest`);
      assert.equal(index.firstAtOrAfter(newest + 1, 0), undefined, `count ${count}: past newest`);
      assert.equal(index.firstAtOrAfter(newest - 150, 0), newest - 100, `count ${count}: between`);
      assert.equal(index.firstAtOrAfter(0, oldest + 1), oldest + 100, `count ${count}: oldest bound`);
    }
  });

  test('the index holds enough entries to cover coverBytes at the spacing', () => {
    const index = new FrameIndex(10_000, 1000);
    for (let pos = 0; pos <= 100_000; pos += 1000) index.add(pos);
    // ceil(10000 / 1000) + 2 = 12 entries: 89000..100000
    assert.equal(index.size, 12);
    assert.equal(index.firstAtOrAfter(0, 0), 89_000);
    assert.equal(index.firstAtOrAfter(90_000, 0), 90_000);
  });

  test('lastBefore finds the newest start before a target, not one the ring has lost, across the wrap', () => {
    const index = new FrameIndex(10_000, 1000);
    assert.equal(index.lastBefore(5000, 0), undefined, 'empty');
    for (let pos = 0; pos <= 100_000; pos += 1000) index.add(pos);
    assert.equal(index.lastBefore(95_500, 0), 95_000);
    assert.equal(index.lastBefore(95_000, 0), 94_000, 'strictly before');
    assert.equal(index.lastBefore(1_000_000, 0), 100_000);
    assert.equal(index.lastBefore(89_000, 0), undefined, 'nothing older is held');
    assert.equal(index.lastBefore(95_500, 95_001), undefined, 'older than the oldest intact byte');
  });
});
