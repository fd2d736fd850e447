// Every refusal, from either port, is counted and logged here once; the
// transports only put it on the wire.

import type { Logger } from 'pino';
import { RelayError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';

export interface RefusalContext {
  remote: string;
  method: string;
  target: string;
  /** Which port: our server's (listener = --port, ingest, tls-ingest) or uWS's (uws, tls). */
  port: 'listener' | 'ingest' | 'tls-ingest' | 'uws' | 'tls';
}

export class Refusals {
  private readonly metrics: Metrics;
  private readonly log: Logger;

  constructor(metrics: Metrics, log: Logger) {
    this.metrics = metrics;
    this.log = log;
  }

  /** Normalizes anything thrown into a RelayError, counts and logs it. */
  record(thrown: unknown, ctx: RefusalContext): RelayError {
    const err = thrown instanceof RelayError ? thrown : new RelayError('INTERNAL');
    if (!(thrown instanceof RelayError)) this.log.error({ err: thrown, ...ctx }, 'unexpected error');
    this.metrics.refusals.inc({ code: err.code, status: String(err.status) });
    this.log.warn({ code: err.code, status: err.status, ...ctx, target: ctx.target.slice(0, 200) }, err.message);
    return err;
  }
}
