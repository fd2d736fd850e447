// Header values many listeners share (User-Agent), kept once for all of
// them. A value parsed from a request head is a slice of the whole head's
// text, so keeping it on a listener kept the head too (about 100-200 bytes
// each, measured in a heap snapshot at 10000 listeners); here it is copied
// into a string of its own, and equal values are one string.
// Invariant: bounded (1024 values of at most 256 characters); beyond that,
// values are still copied, not shared.

const MAX_SHARED = 1024;
/** Longer values are copied but not kept in the table. */
const MAX_SHARED_LENGTH = 256;
const shared = new Map<string, string>();

/** `value` as a string that holds no larger one alive, equal values shared. */
export function sharedString(value: string): string {
  const known = shared.get(value);
  if (known !== undefined) return known;
  // A Buffer round trip makes a flat copy; String.prototype.slice would make another slice.
  const copy = Buffer.from(value, 'latin1').toString('latin1');
  if (shared.size < MAX_SHARED && copy.length <= MAX_SHARED_LENGTH) shared.set(copy, copy);
  return copy;
}
