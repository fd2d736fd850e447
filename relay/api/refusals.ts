// Every refusal, from any port, is counted and logged here once; the
// transports only put it on the wire. The metric counts every refusal; the
// log does not repeat itself: the first refusal of a kind (code, reason,
// client address, port, method and path) is logged at once, the same kind again within
// REPEAT_INTERVAL_MS is only counted, and one summary line per interval says
// how many were left out (so 10 000 wrong passwords a second write one line
// per interval, not 10 000). libshout's credential-less first request
// (AUTH_PROBE) is a normal part of connecting and is logged at debug.
// Nothing secret is logged: targets go through redactSecrets (and the logger
// redacts every field again).

import type { Logger } from 'pino';
import { RelayError } from '../errors.js';
import { redactSecrets } from '../formats/redact.js';
import type { Metrics } from '../metrics/metrics.js';
import { addressKeyOf } from './auth-limiter.js';

/** Identical refusals within this window are logged once, with a count. */
export const REPEAT_INTERVAL_MS = 10_000;
/** Kinds of refusal remembered at once; beyond this the oldest is forgotten (its count logged first). */
const MAX_KINDS = 1000;
/** Longest target logged. */
const MAX_TARGET_CHARS = 200;

export interface RefusalContext {
  remote: string;
  method: string;
  target: string;
  /** Which port: our server's (listener = --port, ingest, tls-ingest) or uWS's (uws, tls). */
  port: 'listener' | 'ingest' | 'tls-ingest' | 'uws' | 'tls';
}

interface Kind {
  code: RelayError['code'];
  status: number;
  reason: string;
  address: string;
  port: RefusalContext['port'];
  firstAtMs: number;
  repeats: number;
}

export class Refusals {
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private readonly kinds = new Map<string, Kind>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(metrics: Metrics, log: Logger) {
    this.metrics = metrics;
    this.log = log;
  }

  /** Normalizes anything thrown into a RelayError, counts and logs it. */
  record(thrown: unknown, ctx: RefusalContext): RelayError {
    const err = thrown instanceof RelayError ? thrown : new RelayError('INTERNAL');
    if (!(thrown instanceof RelayError)) this.log.error({ err: thrown, ...ctx, target: safeTarget(ctx.target) }, 'unexpected error');
    this.metrics.refusals.inc({ code: err.code, status: String(err.status) });
    if (err.code !== 'INTERNAL' && this.isRepeat(err, ctx)) return err;
    const level = err.code === 'AUTH_PROBE' ? 'debug' : 'warn';
    this.log[level]({ code: err.code, status: err.status, ...ctx, target: safeTarget(ctx.target) }, err.message);
    return err;
  }

  /** True when the same kind of refusal was logged less than REPEAT_INTERVAL_MS ago (then it is only counted). */
  private isRepeat(err: RelayError, ctx: RefusalContext): boolean {
    const address = addressKeyOf(ctx.remote);
    // The path (not the query, which may differ per guess) is part of the kind: a brute force repeats one path.
    const path = ctx.target.split('?', 1)[0].slice(0, MAX_TARGET_CHARS);
    const key = `${err.code} ${address} ${ctx.port} ${ctx.method} ${path} ${err.message}`;
    const nowMs = performance.now();
    const kind = this.kinds.get(key);
    if (kind && nowMs - kind.firstAtMs < REPEAT_INTERVAL_MS) {
      kind.repeats++;
      this.sweepTimer ??= setTimeout(() => this.sweep(), REPEAT_INTERVAL_MS).unref();
      return true;
    }
    if (kind) this.summarize(kind);
    this.kinds.delete(key);
    if (this.kinds.size >= MAX_KINDS) {
      const [oldestKey, oldest] = this.kinds.entries().next().value as [string, Kind];
      this.summarize(oldest);
      this.kinds.delete(oldestKey);
    }
    this.kinds.set(key, { code: err.code, status: err.status, reason: err.message, address, port: ctx.port, firstAtMs: nowMs, repeats: 0 });
    return false;
  }

  /** Logs the counts of windows that have closed and forgets them. */
  private sweep(): void {
    this.sweepTimer = undefined;
    const nowMs = performance.now();
    let nextDueMs = Infinity;
    for (const [key, kind] of this.kinds) {
      if (nowMs - kind.firstAtMs < REPEAT_INTERVAL_MS) {
        if (kind.repeats > 0) nextDueMs = Math.min(nextDueMs, kind.firstAtMs + REPEAT_INTERVAL_MS);
        continue;
      }
      this.summarize(kind);
      this.kinds.delete(key);
    }
    // Next when the earliest open window with repeats closes, so each count is logged on time.
    if (nextDueMs < Infinity) this.sweepTimer = setTimeout(() => this.sweep(), Math.max(1, nextDueMs - nowMs + 1)).unref();
  }

  private summarize(kind: Kind): void {
    if (kind.repeats === 0) return;
    const level = kind.code === 'AUTH_PROBE' ? 'debug' : 'warn';
    this.log[level](
      {
        code: kind.code,
        status: kind.status,
        remote: kind.address,
        port: kind.port,
        repeats: kind.repeats,
        intervalMs: REPEAT_INTERVAL_MS,
      },
      `${kind.reason} (${kind.repeats} more like this; logged once per ${REPEAT_INTERVAL_MS / 1000} s)`,
    );
    kind.repeats = 0;
  }

  /** Logs what is still being counted (shutdown), so no count is lost. */
  flush(): void {
    clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const kind of this.kinds.values()) this.summarize(kind);
    this.kinds.clear();
  }
}

function safeTarget(target: string): string {
  return redactSecrets(target).slice(0, MAX_TARGET_CHARS);
}
