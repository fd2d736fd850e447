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
  /** Set by the entry when the relay runs from a config file: re-reads it (POST /admin/reload, SIGHUP). */
  readonly control: { reload?: () => ReloadOutcome };
}

/** What a reload did: applied, or refused whole with the reasons. */
export type ReloadOutcome = { ok: true; changed: string[]; needRestart: string[] } | { ok: false; errors: string[] };
