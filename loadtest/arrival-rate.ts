// One listener's delivered rate over the steady window, measured from the
// first arrival of bytes in the window to the last, not at the window's
// edges. A server that coalesces writes (relaycast writes about 15 KB per
// listener once a second) would otherwise be under-read by up to one write:
// 6 kbit/s over a 20 s window at 128 kbps, for a listener that is in fact
// keeping up exactly.
//
// The rate is (bytes of every arrival after the first, up to and including
// the last) / (start of the last arrival - start of the first): for a
// stream arriving in equal bursts every T seconds that is exactly burst/T.
// Reads less than SAME_ARRIVAL_MS apart are one arrival (one server write
// can take several reads). A listener that received nothing for STALL_MS at
// either end of the window is measured to that edge instead, so a stall
// lowers its rate rather than being cut out of the measurement.

/** Reads closer together than this belong to one server write. */
export const SAME_ARRIVAL_MS = 5;
/** Silence at a window edge longer than this counts against the rate. */
export const STALL_MS = 3000;

export interface MeasuredRate {
  bytes: number;
  ms: number;
}

export class ArrivalRate {
  private openedAtMs: number | undefined;
  private openedAtBytes = 0;
  private firstAtMs: number | undefined;
  private firstEndBytes = 0;
  private inFirstArrival = false;
  private lastAtMs: number | undefined;
  private lastEndBytes = 0;
  private previousReadAtMs = -Infinity;

  /** The window opens with the listener's body byte count at `totalBytes`. */
  open(nowMs: number, totalBytes: number): void {
    this.openedAtMs = nowMs;
    this.openedAtBytes = totalBytes;
  }

  /** A read arrived; `totalBytes` is the body byte count after it. */
  receive(nowMs: number, totalBytes: number): void {
    if (this.openedAtMs === undefined) return;
    const newArrival = nowMs - this.previousReadAtMs > SAME_ARRIVAL_MS;
    this.previousReadAtMs = nowMs;
    if (this.firstAtMs === undefined) {
      this.firstAtMs = nowMs;
      this.firstEndBytes = totalBytes;
      this.inFirstArrival = true;
      return;
    }
    if (this.inFirstArrival && !newArrival) {
      this.firstEndBytes = totalBytes;
      return;
    }
    this.inFirstArrival = false;
    if (newArrival) this.lastAtMs = nowMs;
    this.lastEndBytes = totalBytes;
  }

  /** The window closes; undefined when it never opened. */
  close(nowMs: number, totalBytes: number): MeasuredRate | undefined {
    if (this.openedAtMs === undefined) return undefined;
    let startMs = this.firstAtMs;
    let startBytes = this.firstEndBytes;
    if (startMs === undefined || startMs - this.openedAtMs > STALL_MS) {
      startMs = this.openedAtMs;
      startBytes = this.openedAtBytes;
    }
    let endMs = this.lastAtMs;
    let endBytes = this.lastEndBytes;
    if (endMs === undefined || nowMs - endMs > STALL_MS || endMs <= startMs) {
      endMs = nowMs;
      endBytes = totalBytes;
    }
    return { bytes: endBytes - startBytes, ms: endMs - startMs };
  }
}
