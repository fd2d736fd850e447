// The request-head deadline of every connection on our node:net server that
// has not yet sent its whole head, kept by one sweep timer instead of a
// timer per socket: at thousands of accepts a second a Timeout per socket,
// and the closure it holds, were measurable memory and accept-path work
// (BENCHMARKS.md, "Where the front door's memory went").
//
// Invariant: every connection's timeout is the same, so insertion order is
// deadline order and a sweep stops at the first entry not yet due. A
// connection leaves by delete() (its head arrived or it was refused) or, if
// its socket is already gone, at its deadline without a call. The timer runs
// only while something waits and never keeps the process alive.

import type { Socket } from 'node:net';
import type { HeadReader } from '../formats/request-head.js';

/** Longest gap between sweeps: a head timeout fires at most this late. */
const MAX_SWEEP_MS = 1000;

export interface PendingHead {
  deadlineMs: number;
  /** Created on the first read; dropped with the entry once the head is complete. */
  reader: HeadReader | undefined;
  /** Bytes of a PROXY protocol header read so far; undefined once looked for (or never, under TLS). */
  proxyPrefix?: Buffer;
  /** The client address a PROXY header gave. */
  proxied?: string;
}

export class HeadDeadlines {
  private readonly pending = new Map<Socket, PendingHead>();
  private readonly timeoutMs: number;
  private readonly sweepMs: number;
  private readonly onExpired: (socket: Socket) => void;
  private timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number, onExpired: (socket: Socket) => void) {
    this.timeoutMs = timeoutMs;
    this.sweepMs = Math.max(10, Math.min(MAX_SWEEP_MS, Math.ceil(timeoutMs / 10)));
    this.onExpired = onExpired;
    this.sweep = this.sweep.bind(this);
  }

  add(socket: Socket, nowMs: number): PendingHead {
    const entry: PendingHead = { deadlineMs: nowMs + this.timeoutMs, reader: undefined };
    this.pending.set(socket, entry);
    if (!this.timer) {
      this.timer = setInterval(this.sweep, this.sweepMs);
      this.timer.unref();
    }
    return entry;
  }

  get(socket: Socket): PendingHead | undefined {
    return this.pending.get(socket);
  }

  delete(socket: Socket): void {
    this.pending.delete(socket);
    if (this.pending.size === 0) this.stop();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    const nowMs = performance.now();
    for (const [socket, entry] of this.pending) {
      if (entry.deadlineMs > nowMs) break;
      this.pending.delete(socket);
      if (!socket.destroyed) this.onExpired(socket);
    }
    if (this.pending.size === 0) this.stop();
  }
}
