// What an edge's origin poller hands its mounts to: the pull relays
// (ingest/pull/pull-relays.ts, issue 14's PullRelays), seen through the one
// method the poller uses, so the two sides meet at a seam of one call.
// PullSpec is the same shape as the pull side's (TREE.md names both).

export interface PullSpec {
  mount: string;
  /** Upstream URLs tried in order (one per origin, in --origin order). */
  urls: readonly string[];
  onDemand: boolean;
  /** How long after the last listener leaves an on-demand pull stops. */
  idleMs: number;
}

export interface PullTarget {
  /** Replaces the relays `owner` wants; the poller only ever says 'origin'. */
  sync(owner: 'config' | 'origin', specs: readonly PullSpec[]): void;
}
