// Percentile math of the load tool's report: nearest rank, numeric order,
// nothing invented for an empty set.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { distribution, percentileOfSorted, sortedCopy } from '../loadtest/stats.js';

const ONE_TO_HUNDRED = Array.from({ length: 100 }, (_, i) => i + 1);

test('percentiles of 1..100 are the nearest ranks', () => {
  assert.equal(percentileOfSorted(ONE_TO_HUNDRED, 0), 1);
  assert.equal(percentileOfSorted(ONE_TO_HUNDRED, 1), 1);
  assert.equal(percentileOfSorted(ONE_TO_HUNDRED, 50), 50);
  assert.equal(percentileOfSorted(ONE_TO_HUNDRED, 99), 99);
  assert.equal(percentileOfSorted(ONE_TO_HUNDRED, 99.5), 100);
  assert.equal(percentileOfSorted(ONE_TO_HUNDRED, 100), 100);
});

test('a percentile is always a value that was measured', () => {
  const values = [3, 7];
  assert.equal(percentileOfSorted(values, 50), 3);
  assert.equal(percentileOfSorted(values, 51), 7);
  assert.equal(percentileOfSorted([42], 1), 42);
  assert.equal(percentileOfSorted([42], 99), 42);
});

test('p99 of 3000 values is the 2970th smallest', () => {
  const values = Array.from({ length: 3000 }, (_, i) => i);
  assert.equal(percentileOfSorted(values, 99), 2969);
  assert.equal(percentileOfSorted(values, 1), 29);
});

test('values are sorted as numbers, not as strings', () => {
  assert.deepEqual([...sortedCopy([10, 9, 100, 1.5, -2])], [-2, 1.5, 9, 10, 100]);
});

test('an empty set has no percentiles, and its distribution is all null', () => {
  assert.equal(percentileOfSorted([], 50), undefined);
  assert.deepEqual(distribution([]), { count: 0, min: null, p1: null, p50: null, p99: null, max: null });
});

test('a distribution does not depend on the order of its input', () => {
  const shuffled = [...ONE_TO_HUNDRED].reverse();
  assert.deepEqual(distribution(shuffled), { count: 100, min: 1, p1: 1, p50: 50, p99: 99, max: 100 });
});

test('a percentile outside 0..100 is a programming error', () => {
  assert.throws(() => percentileOfSorted([1], 101), RangeError);
  assert.throws(() => percentileOfSorted([1], -1), RangeError);
  assert.throws(() => percentileOfSorted([1], Number.NaN), RangeError);
});
