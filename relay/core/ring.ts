// The shared byte ring of one mount: the source's bytes are copied in once,
// every listener reads them through its own cursor (an absolute position).
//
// Positions are absolute byte counts since the mount's stream began; the
// byte at position p lives at index p % capacityBytes. Doubles hold exact
// integers to 2^53, about 285 years at 1 MB/s.
//
//        tail                                      head        stagedEnd
//          |<------------- committed ------------->|<-staged-->|
//   -------[=======================================|###########]-------
//          |<------------------------ capacityBytes ----------------->|  (at most)
//
// - committed bytes [tail, head) are what listeners may read;
// - staged bytes [head, stagedEnd) are written but not yet visible (the
//   incomplete frame at the end of what the source sent);
// - tail = max(0, highestEnd - capacityBytes), where highestEnd is the
//   furthest stagedEnd ever reached: everything before it has been
//   overwritten, and truncating or discarding staged bytes does not bring it
//   back. A cursor at pos is intact while pos >= tail.
// Empty when head == tail; writing never blocks: the oldest bytes go.
// The buffer is a plain ArrayBuffer, not a SharedArrayBuffer: V8 copies out
// of a shared buffer with relaxed atomic loads, byte by byte when unaligned,
// about 13 us per 16 KB against 1 us (measured on Node 20.20), and the
// node:net sink copies every write (BENCHMARKS.md, "Where the front door's
// CPU went"). Worker threads that need the bytes can be given a shared one
// then.

export class Ring {
  readonly capacityBytes: number;
  readonly bytes: Uint8Array;
  /** End of committed (readable) bytes. */
  head = 0;
  /** End of everything written, committed or not. */
  stagedEnd = 0;
  // The last view handed out: in one fan-out tick every caught-up listener
  // asks for the same (pos, length), so they share one view object instead
  // of allocating one each.
  private lastViewStart = -1;
  private lastView: Uint8Array = new Uint8Array(0);
  /** The furthest stagedEnd has been: bytes before highestEnd - capacity are gone. */
  private highestEnd = 0;

  constructor(capacityBytes: number) {
    if (!Number.isInteger(capacityBytes) || capacityBytes <= 0) {
      throw new RangeError(`ring capacity must be a positive integer, got ${capacityBytes}`);
    }
    this.capacityBytes = capacityBytes;
    this.bytes = new Uint8Array(new ArrayBuffer(capacityBytes));
  }

  /** Oldest position still intact. */
  get tail(): number {
    return Math.max(0, this.highestEnd - this.capacityBytes);
  }

  /** Copies `chunk` in after the staged bytes: the one copy an ingest byte gets. */
  append(chunk: Uint8Array): void {
    let src = chunk;
    // Only the last capacityBytes of an oversized chunk survive, at their own positions.
    if (src.length > this.capacityBytes) src = src.subarray(src.length - this.capacityBytes);
    const start = (this.stagedEnd + chunk.length - src.length) % this.capacityBytes;
    const first = Math.min(src.length, this.capacityBytes - start);
    this.bytes.set(first === src.length ? src : src.subarray(0, first), start);
    if (first < src.length) this.bytes.set(src.subarray(first), 0);
    this.stagedEnd += chunk.length;
    if (this.stagedEnd > this.highestEnd) this.highestEnd = this.stagedEnd;
  }

  /** Makes staged bytes up to `pos` readable. */
  commit(pos: number): void {
    if (pos < this.head || pos > this.stagedEnd) {
      throw new RangeError(`commit(${pos}) outside [${this.head}, ${this.stagedEnd}]`);
    }
    this.head = pos;
  }

  /** Forgets staged bytes after `pos` (a source ended mid-frame). */
  truncate(pos: number): void {
    if (pos < this.head || pos > this.stagedEnd) {
      throw new RangeError(`truncate(${pos}) outside [${this.head}, ${this.stagedEnd}]`);
    }
    this.stagedEnd = pos;
  }

  /**
   * Removes staged bytes [from, to), moving later staged bytes down. Only junk
   * between frames takes this path (a new source's first bytes, a corrupt
   * stretch), so the extra copy it makes is rare and small.
   */
  discard(from: number, to: number): void {
    if (from < this.head || to > this.stagedEnd || from > to) {
      throw new RangeError(`discard(${from}, ${to}) outside staged [${this.head}, ${this.stagedEnd}]`);
    }
    if (from === to) return;
    const rest = this.copyOut(to, this.stagedEnd);
    this.stagedEnd = from;
    this.append(rest);
  }

  byteAt(pos: number): number {
    return this.bytes[pos % this.capacityBytes];
  }

  /**
   * A zero-copy view of committed bytes from `pos`: at most `maxBytes`, never
   * across the wrap (the caller asks again for the rest). Empty at head.
   */
  view(pos: number, maxBytes: number): Uint8Array {
    const start = pos % this.capacityBytes;
    const length = Math.max(0, Math.min(this.head - pos, maxBytes, this.capacityBytes - start));
    if (start === this.lastViewStart && length === this.lastView.length) return this.lastView;
    this.lastViewStart = start;
    this.lastView = this.bytes.subarray(start, start + length);
    return this.lastView;
  }

  /** A copy of [from, to), which must be intact. */
  copyOut(from: number, to: number): Uint8Array {
    if (from < this.tail || to > this.stagedEnd || from > to) {
      throw new RangeError(`copyOut(${from}, ${to}) outside [${this.tail}, ${this.stagedEnd}]`);
    }
    const out = new Uint8Array(to - from);
    let done = 0;
    while (done < out.length) {
      const start = (from + done) % this.capacityBytes;
      const n = Math.min(out.length - done, this.capacityBytes - start);
      out.set(this.bytes.subarray(start, start + n), done);
      done += n;
    }
    return out;
  }
}
