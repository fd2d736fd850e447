// What an edge's origin poller hands its mounts to: the pull relays
// (ingest/pull/pull-relays.ts), seen through the one method the poller
// uses, so the poller can be tested with a recording target and the two
// sides meet at a seam of one call.

import type { PullOwner, PullSpec } from '../pull/pull-relays.js';

export type { PullSpec };

export interface PullTarget {
  /** Replaces the relays `owner` wants; the poller only ever says 'origin'. */
  sync(owner: PullOwner, specs: readonly PullSpec[]): void;
}
