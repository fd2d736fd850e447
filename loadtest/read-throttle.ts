// The slow reader's pace: a token bucket filled at `rateBytesPerS`. Each read
// spends tokens; when the balance goes negative the socket is paused until
// the bucket is back at zero. Paused, the kernel's receive window closes and
// the server sees a listener that cannot keep up, as with a player on a bad
// mobile link.
//
// Unused credit is capped at one second of rate, so a reader that was idle
// (because the server sent less than the rate) does not then swallow a large
// backlog at full speed.

const MAX_CREDIT_SECONDS = 1;

export class ReadThrottle {
  private readonly rateBytesPerMs: number;
  private readonly maxCreditBytes: number;
  private balanceBytes = 0;
  private lastMs: number;

  constructor(rateBytesPerS: number, nowMs: number) {
    this.rateBytesPerMs = rateBytesPerS / 1000;
    this.maxCreditBytes = rateBytesPerS * MAX_CREDIT_SECONDS;
    this.lastMs = nowMs;
  }

  /** Spends `bytes` read at `nowMs`; returns how long to pause reading (0: keep reading). */
  consume(nowMs: number, bytes: number): number {
    if (nowMs > this.lastMs) {
      this.balanceBytes = Math.min(this.maxCreditBytes, this.balanceBytes + (nowMs - this.lastMs) * this.rateBytesPerMs);
      this.lastMs = nowMs;
    }
    this.balanceBytes -= bytes;
    return this.balanceBytes < 0 ? -this.balanceBytes / this.rateBytesPerMs : 0;
  }
}

/** One read per ~100 ms at the slow rate keeps the pace smooth; bounds keep reads sane. */
export function slowReadBufferBytes(rateBytesPerS: number): number {
  return Math.max(512, Math.min(16_384, Math.round(rateBytesPerS / 10)));
}
