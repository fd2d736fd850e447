// The shared byte ring: absolute positions over a wrapping buffer, the
// committed/staged split, and the guards on every call that moves a bound.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Ring } from '../relay/core/ring.js';

/** Bytes whose value is their absolute stream position (mod 256), so a misplaced byte shows. */
function positions(from: number, count: number): Uint8Array {
  return Uint8Array.from({ length: count }, (_, i) => (from + i) & 0xff);
}

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

/** Appends positions [stagedEnd, stagedEnd + count) in pieces no longer than the ring. */
function appendPositions(ring: Ring, count: number): void {
  const end = ring.stagedEnd + count;
  while (ring.stagedEnd < end) {
    const n = Math.min(end - ring.stagedEnd, Math.ceil(ring.capacityBytes / 2));
    ring.append(positions(ring.stagedEnd, n));
  }
}

describe('Ring construction', () => {
  test('a ring with a zero, negative, fractional or NaN capacity is refused with a RangeError', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN, Infinity]) {
      assert.throws(() => new Ring(capacity), RangeError, `capacity ${capacity}`);
    }
  });

  test('a new ring is empty: head, stagedEnd and tail are 0 and a view at 0 is empty', () => {
    const ring = new Ring(16);
    assert.equal(ring.capacityBytes, 16);
    assert.equal(ring.bytes.length, 16);
    assert.equal(ring.head, 0);
    assert.equal(ring.stagedEnd, 0);
    assert.equal(ring.tail, 0);
    assert.equal(ring.view(0, 100).length, 0);
  });

  test('the ring is backed by a plain ArrayBuffer, which V8 copies out of at memcpy speed', () => {
    const buffer = new Ring(8).bytes.buffer;
    assert.ok(buffer instanceof ArrayBuffer);
    assert.ok(!(buffer instanceof SharedArrayBuffer));
  });
});

describe('Ring staging and commit', () => {
  test('appended bytes are staged and invisible to readers until committed', () => {
    const ring = new Ring(16);
    ring.append(bytes(10, 11, 12, 13, 14));
    assert.equal(ring.stagedEnd, 5);
    assert.equal(ring.head, 0);
    assert.equal(ring.view(0, 100).length, 0);

    ring.commit(3);
    assert.equal(ring.head, 3);
    assert.deepEqual(ring.view(0, 100), bytes(10, 11, 12));
    assert.equal(ring.stagedEnd, 5);
  });

  test('commit at the current head is allowed and changes nothing', () => {
    const ring = new Ring(8);
    ring.append(positions(0, 4));
    ring.commit(2);
    ring.commit(2);
    assert.equal(ring.head, 2);
  });

  test('commit below head or past stagedEnd is a RangeError and leaves head alone', () => {
    const ring = new Ring(8);
    ring.append(positions(0, 6));
    ring.commit(4);
    assert.throws(() => ring.commit(3), RangeError);
    assert.throws(() => ring.commit(7), RangeError);
    assert.equal(ring.head, 4);
    assert.equal(ring.stagedEnd, 6);
  });

  test('truncate forgets staged bytes and the next append lands at the truncated position', () => {
    const ring = new Ring(16);
    ring.append(bytes(1, 2, 3, 4, 5, 6));
    ring.commit(2);
    ring.truncate(4);
    assert.equal(ring.stagedEnd, 4);
    ring.append(bytes(90, 91));
    assert.equal(ring.stagedEnd, 6);
    ring.commit(6);
    assert.deepEqual(ring.view(0, 100), bytes(1, 2, 3, 4, 90, 91));
  });

  test('truncate to head drops every staged byte', () => {
    const ring = new Ring(16);
    ring.append(bytes(1, 2, 3, 4, 5));
    ring.commit(3);
    ring.truncate(3);
    assert.equal(ring.stagedEnd, 3);
    assert.equal(ring.head, 3);
    assert.throws(() => ring.commit(4), RangeError);
  });

  test('truncate below head or past stagedEnd is a RangeError', () => {
    const ring = new Ring(16);
    ring.append(positions(0, 6));
    ring.commit(3);
    assert.throws(() => ring.truncate(2), RangeError);
    assert.throws(() => ring.truncate(7), RangeError);
    assert.equal(ring.stagedEnd, 6);
  });
});

describe('Ring wrap-around and absolute positions', () => {
  test('bytes past the end of the buffer wrap to its start at position % capacity', () => {
    const ring = new Ring(8);
    ring.append(positions(0, 5));
    ring.commit(5);
    ring.append(positions(5, 6)); // positions 5..10: 8, 9, 10 wrap to indexes 0, 1, 2
    ring.commit(11);
    assert.deepEqual(ring.bytes, bytes(8, 9, 10, 3, 4, 5, 6, 7));
    assert.equal(ring.head, 11);
    assert.equal(ring.tail, 3);
    for (let pos = 3; pos < 11; pos++) assert.equal(ring.byteAt(pos), pos, `byteAt(${pos})`);
  });

  test('tail counts staged bytes too: they have already overwritten the oldest committed ones', () => {
    const ring = new Ring(10);
    appendPositions(ring, 12);
    ring.commit(4);
    assert.equal(ring.head, 4);
    assert.equal(ring.tail, 2);
  });

  test('positions keep counting over many wraps when bytes arrive one at a time', () => {
    const ring = new Ring(7);
    for (let pos = 0; pos < 100; pos++) {
      ring.append(bytes(pos));
      ring.commit(pos + 1);
    }
    assert.equal(ring.head, 100);
    assert.equal(ring.stagedEnd, 100);
    assert.equal(ring.tail, 93);
    assert.deepEqual(ring.copyOut(93, 100), positions(93, 7));
  });

  test('an append that spans the wrap is split across the end and the start of the buffer', () => {
    const ring = new Ring(10);
    ring.append(positions(0, 7));
    ring.commit(7);
    ring.append(positions(7, 9)); // 7..15
    ring.commit(16);
    assert.equal(ring.tail, 6);
    assert.deepEqual(ring.copyOut(6, 16), positions(6, 10));
  });

  test('an append of exactly the capacity replaces the whole buffer', () => {
    const ring = new Ring(6);
    ring.append(positions(0, 3));
    ring.append(positions(3, 6));
    ring.commit(9);
    assert.equal(ring.tail, 3);
    assert.deepEqual(ring.copyOut(3, 9), positions(3, 6));
  });

  test('a chunk longer than the ring keeps its last capacityBytes bytes at their absolute positions', () => {
    const ring = new Ring(4);
    ring.append(positions(0, 6)); // positions 0..5; 2..5 survive
    ring.commit(6);
    assert.equal(ring.tail, 2);
    assert.deepEqual(ring.copyOut(2, 6), positions(2, 4));
  });
});

describe('Ring views', () => {
  test('a view is zero-copy: it shares the ring buffer', () => {
    const ring = new Ring(8);
    ring.append(positions(0, 4));
    ring.commit(4);
    const view = ring.view(1, 2);
    assert.equal(view.buffer, ring.bytes.buffer);
    assert.equal(view.byteOffset, 1);
    assert.deepEqual(view, bytes(1, 2));
  });

  test('a view never crosses the wrap: the rest comes from a second view at the start of the buffer', () => {
    const ring = new Ring(8);
    appendPositions(ring, 11);
    ring.commit(11);
    const first = ring.view(6, 100);
    assert.deepEqual(first, bytes(6, 7));
    assert.equal(first.byteOffset, 6);
    const second = ring.view(6 + first.length, 100);
    assert.deepEqual(second, bytes(8, 9, 10));
    assert.equal(second.byteOffset, 0);
  });

  test('a view never reaches past head into staged bytes', () => {
    const ring = new Ring(16);
    ring.append(positions(0, 10));
    ring.commit(6);
    assert.deepEqual(ring.view(2, 100), bytes(2, 3, 4, 5));
  });

  test('a view is at most maxBytes long', () => {
    const ring = new Ring(16);
    ring.append(positions(0, 10));
    ring.commit(10);
    assert.deepEqual(ring.view(3, 4), bytes(3, 4, 5, 6));
    assert.equal(ring.view(3, 0).length, 0);
  });

  test('a view at head or beyond it is empty', () => {
    const ring = new Ring(16);
    ring.append(positions(0, 10));
    ring.commit(6);
    assert.equal(ring.view(6, 100).length, 0);
    assert.equal(ring.view(9, 100).length, 0);
  });

  test('a view that ends at head after the wrap stops exactly at head', () => {
    const ring = new Ring(8);
    appendPositions(ring, 13);
    ring.commit(12);
    assert.deepEqual(ring.view(8, 100), bytes(8, 9, 10, 11));
  });
});

describe('Ring discard', () => {
  test('discard removes a staged stretch and moves the later staged bytes down', () => {
    const ring = new Ring(16);
    ring.append(bytes(1, 2, 3));
    ring.commit(3);
    ring.append(bytes(40, 41, 42, 43, 44, 45));
    ring.discard(4, 7);
    assert.equal(ring.stagedEnd, 6);
    assert.equal(ring.head, 3);
    ring.commit(6);
    assert.deepEqual(ring.view(0, 100), bytes(1, 2, 3, 40, 44, 45));
  });

  test('discard from head drops the leading staged bytes', () => {
    const ring = new Ring(16);
    ring.append(bytes(1, 2));
    ring.commit(2);
    ring.append(bytes(50, 51, 52, 53));
    ring.discard(2, 4);
    ring.commit(ring.stagedEnd);
    assert.deepEqual(ring.view(0, 100), bytes(1, 2, 52, 53));
  });

  test('discard of the whole staged area leaves stagedEnd at head', () => {
    const ring = new Ring(16);
    ring.append(bytes(1, 2, 3, 4));
    ring.commit(1);
    ring.discard(1, 4);
    assert.equal(ring.stagedEnd, 1);
  });

  test('discard of an empty range changes nothing', () => {
    const ring = new Ring(16);
    ring.append(bytes(1, 2, 3, 4));
    ring.commit(1);
    ring.discard(3, 3);
    assert.equal(ring.stagedEnd, 4);
    assert.deepEqual(ring.copyOut(0, 4), bytes(1, 2, 3, 4));
  });

  test('discard of a stretch that crosses the wrap joins the bytes on either side of it', () => {
    const ring = new Ring(10);
    ring.append(positions(0, 8));
    ring.commit(8);
    ring.append(bytes(100, 101, 102, 103, 104, 105)); // positions 8..13, indexes 8, 9, 0, 1, 2, 3
    ring.discard(9, 12); // drops 101 (index 9), 102 (index 0), 103 (index 1)
    assert.equal(ring.stagedEnd, 11);
    assert.deepEqual(ring.copyOut(4, 11), bytes(4, 5, 6, 7, 100, 104, 105));
    ring.commit(11);
    assert.deepEqual(ring.view(8, 100), bytes(100, 104));
    assert.deepEqual(ring.view(10, 100), bytes(105));
  });

  test('discard whose moved remainder crosses the wrap keeps every remaining byte in order', () => {
    const ring = new Ring(10);
    ring.append(positions(0, 8));
    ring.commit(8);
    ring.append(bytes(100, 101, 102, 103, 104, 105));
    ring.discard(8, 9); // the rest (101..105) moves down across index 9 -> 0
    assert.equal(ring.stagedEnd, 13);
    assert.deepEqual(ring.copyOut(8, 13), bytes(101, 102, 103, 104, 105));
    assert.deepEqual(ring.copyOut(4, 8), positions(4, 4));
  });

  test('discard reaching into committed bytes or past stagedEnd, or with from > to, is a RangeError', () => {
    const ring = new Ring(16);
    ring.append(positions(0, 8));
    ring.commit(4);
    assert.throws(() => ring.discard(3, 5), RangeError);
    assert.throws(() => ring.discard(5, 9), RangeError);
    assert.throws(() => ring.discard(6, 5), RangeError);
    assert.equal(ring.stagedEnd, 8);
    assert.deepEqual(ring.copyOut(0, 8), positions(0, 8));
  });

  for (const undo of ['truncate', 'discard'] as const) {
    test(`tail never moves back over bytes that staged data already overwrote, after ${undo}`, () => {
      const ring = new Ring(8);
      ring.append(positions(0, 6));
      ring.commit(6);
      ring.append(bytes(200, 201, 202, 203, 204, 205)); // staged 6..11 overwrite indexes 0..3 (positions 0..3)
      assert.equal(ring.tail, 4);
      if (undo === 'truncate') ring.truncate(6);
      else ring.discard(6, 12);
      // every position the ring calls intact must still hold what was written there
      for (let pos = ring.tail; pos < ring.head; pos++) {
        assert.equal(ring.byteAt(pos), pos, `byteAt(${pos}) with tail ${ring.tail}`);
      }
    });
  }
});

describe('Ring copyOut', () => {
  test('copyOut returns a copy across the wrap that does not alias the ring', () => {
    const ring = new Ring(8);
    appendPositions(ring, 12);
    ring.commit(12);
    const out = ring.copyOut(5, 12);
    assert.deepEqual(out, positions(5, 7));
    assert.notEqual(out.buffer, ring.bytes.buffer);
    out.fill(0);
    assert.deepEqual(ring.copyOut(5, 12), positions(5, 7));
  });

  test('copyOut can read staged bytes up to stagedEnd', () => {
    const ring = new Ring(8);
    ring.append(positions(0, 6));
    ring.commit(2);
    assert.deepEqual(ring.copyOut(1, 6), positions(1, 5));
  });

  test('copyOut of an empty range is an empty array', () => {
    const ring = new Ring(8);
    ring.append(positions(0, 3));
    assert.equal(ring.copyOut(2, 2).length, 0);
  });

  test('copyOut before tail, past stagedEnd, or with from > to is a RangeError', () => {
    const ring = new Ring(8);
    appendPositions(ring, 12);
    ring.commit(10);
    assert.equal(ring.tail, 4);
    assert.throws(() => ring.copyOut(3, 8), RangeError);
    assert.throws(() => ring.copyOut(4, 13), RangeError);
    assert.throws(() => ring.copyOut(8, 7), RangeError);
    assert.deepEqual(ring.copyOut(4, 12), positions(4, 8));
  });
});
