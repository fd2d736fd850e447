// When a pull relay tries again after a round of failed upstream attempts:
// exponential backoff with jitter, so that many edges that lost the same
// origin do not come back in step. The delay starts at
// RECONNECT_FIRST_DELAY_MS, grows by RECONNECT_GROWTH per failed round up
// to RECONNECT_MAX_DELAY_MS, and each delay is drawn uniformly from
// [d * (1 - RECONNECT_JITTER_RATIO), d * (1 + RECONNECT_JITTER_RATIO)].
// A connection that lasted STABLE_CONNECTION_MS resets it (pull-loop.ts).

export const RECONNECT_FIRST_DELAY_MS = 500;
export const RECONNECT_MAX_DELAY_MS = 10_000;
export const RECONNECT_GROWTH = 2;
export const RECONNECT_JITTER_RATIO = 0.3;
/** A connection that stayed up this long was a real one: the next drop starts the backoff from the beginning. */
export const STABLE_CONNECTION_MS = 10_000;

export class Backoff {
  private failedRounds = 0;
  private readonly random: () => number;

  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  /** The wait before the next round, in ms; each call counts one more failed round. */
  nextDelayMs(): number {
    const base = Math.min(RECONNECT_MAX_DELAY_MS, RECONNECT_FIRST_DELAY_MS * RECONNECT_GROWTH ** this.failedRounds);
    this.failedRounds = Math.min(this.failedRounds + 1, 30);
    return Math.round(base * (1 - RECONNECT_JITTER_RATIO + 2 * RECONNECT_JITTER_RATIO * this.random()));
  }

  reset(): void {
    this.failedRounds = 0;
  }
}
