// Slows password guessing per client address, on every port and for every
// credential (source, SHOUTcast, admin, title updates): each failed login
// adds one to the address's score, which leaks away at one per LEAK_MS; an
// address whose score has reached MAX_FAILURES is refused with 429
// AUTH_RATE_LIMITED before its credentials are even compared, until it has
// leaked below again (Retry-After says when).
// Invariants: memory is bounded (at most MAX_ADDRESSES entries, the least
// recently failed dropped first); no timers (decay is computed on access);
// a missing credential (libshout's probe, a browser before its prompt) is
// not a failure, only a wrong one is.

import { RelayError } from '../errors.js';

/** Failures an address may make in a burst before it is refused. */
export const MAX_FAILURES = 10;
/** One failure is forgiven this often: past the burst, one guess per 6 s (600 an hour). */
export const LEAK_MS = 6000;
/** Addresses tracked at once; beyond this the least recently failed is forgotten. */
export const MAX_ADDRESSES = 10_000;

interface Score {
  failures: number;
  atMs: number;
}

export class AuthLimiter {
  private readonly scores = new Map<string, Score>();
  private readonly now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.now = now;
  }

  /** Number of addresses tracked now (bounded by MAX_ADDRESSES). */
  get size(): number {
    return this.scores.size;
  }

  /** Throws AUTH_RATE_LIMITED when `remote` has failed too often lately. */
  gate(remote: string): void {
    const key = addressKeyOf(remote);
    const score = this.current(key);
    // Refused from the MAX_FAILURES-th failure until a whole failure has leaked away.
    if (score <= MAX_FAILURES - 1) return;
    const waitMs = (score - (MAX_FAILURES - 1)) * LEAK_MS;
    throw new RelayError('AUTH_RATE_LIMITED', `${key}`, Math.max(1, Math.ceil(waitMs / 1000)));
  }

  /** Counts one failed login from `remote`. */
  failed(remote: string): void {
    const key = addressKeyOf(remote);
    const failures = this.current(key) + 1;
    // Delete and set again: the Map's order is then least recently failed first.
    this.scores.delete(key);
    if (this.scores.size >= MAX_ADDRESSES) {
      const oldest = this.scores.keys().next();
      if (!oldest.done) this.scores.delete(oldest.value);
    }
    this.scores.set(key, { failures, atMs: this.now() });
  }

  /** The address's score after leaking since its last failure (dropped once it reaches 0). */
  private current(key: string): number {
    const score = this.scores.get(key);
    if (!score) return 0;
    const left = score.failures - (this.now() - score.atMs) / LEAK_MS;
    if (left > 0) return left;
    this.scores.delete(key);
    return 0;
  }
}

/**
 * The address part of a peer as the servers print it ("1.2.3.4:5678", "::ffff:1.2.3.4:5678",
 * uWS's bare "1.2.3.4" or IPv6 text). IPv6 peers are grouped by their /64, the unit
 * one subscriber usually holds, which also makes a trailing ":port" irrelevant.
 */
export function addressKeyOf(remote: string): string {
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})(?::\d+)?$/i.exec(remote);
  if (v4) return v4[1];
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(remote);
  const text = (bracketed ? bracketed[1] : remote).toLowerCase();
  if (!text.includes(':')) return text;
  const [head, tail] = text.split('::', 2);
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0');
  return [...front, ...zeros, ...back]
    .slice(0, 4)
    .map((group) => (Number.parseInt(group, 16) || 0).toString(16))
    .join(':');
}
