// Percentiles for the report. Nearest-rank, not interpolated: p99 of 3000
// listeners is a time one listener really saw, and p0/p100 are the min/max.
// Percentiles of an empty set are undefined (null in the report, printed
// "n/a"), never 0, which would read as a measurement.

/** Sorts a copy ascending by value (not as strings, as Array#sort would). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/**
 * The smallest value such that at least `p` percent of the values are less
 * than or equal to it. `sorted` must be ascending; `p` is 0 to 100.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number | undefined {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0..100`);
  const n = sorted.length;
  if (n === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sorted[rank - 1];
}

/** The report's summary of a set of values; null (JSON-safe) where the set is empty. */
export interface Distribution {
  count: number;
  min: number | null;
  p1: number | null;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export function distribution(values: ArrayLike<number>): Distribution {
  const sorted = sortedCopy(values);
  const at = (p: number) => percentileOfSorted(sorted, p) ?? null;
  return { count: sorted.length, min: at(0), p1: at(1), p50: at(50), p99: at(99), max: at(100) };
}

/** The middle value (the mean of the middle two for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
