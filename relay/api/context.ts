// What the protocol servers share: built once by relay-server.ts.

import type { Logger } from 'pino';
import type { Cluster } from '../cluster/cluster.js';
import type { RelayConfig } from '../config.js';
import type { FanOut } from '../core/fan-out.js';
import type { Metrics } from '../metrics/metrics.js';
import type { MountRegistry } from '../core/mounts.js';
import type { AuthLimiter } from './auth-limiter.js';
import type { Refusals } from './refusals.js';

export interface RelayContext {
  readonly config: Readonly<RelayConfig>;
  readonly registry: MountRegistry;
  readonly fanOut: FanOut;
  readonly metrics: Metrics;
  readonly refusals: Refusals;
  /** Failed logins per client address, for every credential on every port. */
  readonly authLimiter: AuthLimiter;
  readonly log: Logger;
  /** Peers, redirects and the drain (relay/cluster/). */
  readonly cluster: Cluster;
  /** Pull relays (ingest/pull/pull-relays.ts): the listen path waits on whenLive() for a relay mount with no source. */
  readonly pullRelays?: LiveGate;
  /** Set by the entry when the relay runs from a config file: re-reads it (POST /admin/reload, SIGHUP). */
  readonly control: { reload?: () => ReloadOutcome };
}

/** What the listen path needs of the pull relays (the servers cannot import ingest's class from here). */
export interface LiveGate {
  /** Undefined: go on at once; a promise: wait for it (it rejects with a RelayError to send). */
  whenLive(mount: string): Promise<void> | undefined;
}

/** What a reload did: applied, or refused whole with the reasons. */
export type ReloadOutcome = { ok: true; changed: string[]; needRestart: string[] } | { ok: false; errors: string[] };
