// Where frames start in a mount's ring, so a new listener can begin on a frame
// boundary instead of mid-frame (which Icecast 2.4 does, and players then
// skip or click). Entries are absolute ring positions in ascending order, at
// least `spacingBytes` apart; old entries fall off the front as the ring
// overwrites them. Backed by ring-buffer-ts: a bounded FIFO is all it is.

import ringBufferTs from 'ring-buffer-ts';

// A CommonJS package: its class comes through the default export under ESM.
const { RingBuffer } = ringBufferTs;
type RingBuffer<T> = InstanceType<typeof ringBufferTs.RingBuffer<T>>;

export class FrameIndex {
  private readonly starts: RingBuffer<number>;
  private readonly spacingBytes: number;
  private last = -Infinity;

  /** Holds enough entries to cover `coverBytes` of ring at one per `spacingBytes`. */
  constructor(coverBytes: number, spacingBytes: number) {
    this.spacingBytes = spacingBytes;
    this.starts = new RingBuffer<number>(Math.ceil(coverBytes / spacingBytes) + 2);
  }

  /** Records a frame start; positions must not go backwards. */
  add(pos: number): void {
    if (pos - this.last < this.spacingBytes) return;
    this.starts.add(pos);
    this.last = pos;
  }

  /**
   * The first indexed start at or after `target` and at or after `oldest`
   * (bytes before `oldest` are gone), or undefined when there is none.
   */
  firstAtOrAfter(target: number, oldest: number): number | undefined {
    const want = Math.max(target, oldest);
    let lo = 0;
    let hi = this.starts.getBufferLength();
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.starts.get(mid) as number) < want) lo = mid + 1;
      else hi = mid;
    }
    // get(length) wraps to the oldest entry once the buffer is full
    return lo < this.starts.getBufferLength() ? this.starts.get(lo) : undefined;
  }

  /**
   * The last indexed start before `target` and at or after `oldest`, or
   * undefined when there is none: for a format whose join points are sparse
   * (WebM Clusters), a join further back than asked beats none.
   */
  lastBefore(target: number, oldest: number): number | undefined {
    let lo = 0;
    let hi = this.starts.getBufferLength();
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.starts.get(mid) as number) < target) lo = mid + 1;
      else hi = mid;
    }
    const found = lo > 0 ? (this.starts.get(lo - 1) as number) : undefined;
    return found !== undefined && found >= oldest ? found : undefined;
  }

  get size(): number {
    return this.starts.getBufferLength();
  }
}
