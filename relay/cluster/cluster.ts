// This relay's place among its peers: the peers it checks, its drain, and
// the one decision the listen paths ask before admitting a listener: serve
// it here, send it to a peer (302), or refuse it. Both servers (our own and
// uWS, TLS or not) ask the same question with the request's path and query.
// Only new GET/HEAD listener requests come here; sources and API routes
// never do, so a drain keeps its sources and answers its status.
// Invariant: a listener is sent away only when this relay is draining, full
// (--max-listeners) or at --redirect-over, and only to a peer with room;
// with no such peer a full relay refuses as before (SERVER_FULL) and a
// draining one refuses DRAINING.

import type { Logger } from 'pino';
import type { RelayConfig } from '../config.js';
import type { MountRegistry } from '../core/mounts.js';
import { RelayError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { Drain } from './drain.js';
import { Peers } from './peers.js';

/** A 302 as every server puts it on the wire (the same shape as relay/api's answers). */
export interface RedirectAnswer {
  status: 302;
  headers: Array<[string, string]>;
  body: string;
}

export class Cluster {
  readonly peers: Peers;
  readonly drain: Drain;
  private readonly registry: MountRegistry;
  private readonly config: Readonly<RelayConfig>;
  private readonly metrics: Metrics;
  private readonly log: Logger;

  constructor(config: Readonly<RelayConfig>, registry: MountRegistry, metrics: Metrics, log: Logger) {
    this.config = config;
    this.registry = registry;
    this.metrics = metrics;
    this.log = log;
    this.peers = new Peers(config.peers, config.peerCheckMs, metrics, log);
    this.drain = new Drain(registry, config.drainDeadlineMs, metrics, log);
  }

  start(): void {
    this.peers.start();
  }

  stop(): void {
    this.peers.stop();
    this.drain.stop();
  }

  /** What /status.json adds at server level so that peers can judge this relay's room. */
  get serverRoom(): { maxListeners: number; redirectOver: number; draining: boolean } {
    return { maxListeners: this.registry.station.maxListeners, redirectOver: this.config.redirectOver, draining: this.drain.draining };
  }

  /**
   * For a new listener of `pathAndQuery` (as sent, e.g. `/live?x=1`): a 302 to
   * a peer, or undefined to serve it here (where the usual limits still apply).
   * Throws DRAINING when draining with no peer that has room.
   */
  redirectFor(pathAndQuery: string): RedirectAnswer | undefined {
    const draining = this.drain.draining;
    if (!draining && !this.overLimit()) return undefined;
    const peer = this.peers.take();
    if (!peer) {
      if (draining) throw new RelayError('DRAINING');
      return undefined;
    }
    this.metrics.redirects.inc({ peer });
    const location = `${peer}${pathAndQuery}`;
    // Per listener, so at debug: the counter carries the totals, the peer's state changes are logged at info.
    this.log.debug({ peer, path: pathAndQuery.split('?', 1)[0], draining }, 'listener sent to a peer');
    return {
      status: 302,
      headers: [
        ['Location', location],
        ['Content-Type', 'text/plain; charset=utf-8'],
        ['Cache-Control', 'no-store'],
      ],
      body: `${draining ? 'draining' : 'full'}: listen at ${peer}\n`,
    };
  }

  private overLimit(): boolean {
    const listeners = this.registry.listenerCount;
    const max = this.registry.station.maxListeners;
    const over = this.config.redirectOver;
    return (max > 0 && listeners >= max) || (over > 0 && listeners >= over);
  }
}
