// The pull target of an edge built without pull relays (ingest/pull/ is
// not merged yet): it takes the origin's specs and says once, at warn, that
// the mounts are listed but not pulled, so an operator is never left
// guessing why an edge is silent. The lead replaces it with PullRelays in
// relay/relay-server.ts (one line) when the pull side lands.

import type { Logger } from 'pino';
import type { PullSpec, PullTarget } from './pull-target.js';

export class UnwiredPullTarget implements PullTarget {
  /** The last specs handed over, for tests and the status of this build. */
  specs: readonly PullSpec[] = [];
  private warned = false;
  private readonly log: Logger;

  constructor(log: Logger) {
    this.log = log;
  }

  sync(_owner: 'config' | 'origin', specs: readonly PullSpec[]): void {
    this.specs = specs;
    if (this.warned || specs.length === 0) return;
    this.warned = true;
    this.log.warn({ mounts: specs.length }, 'edge: this build has no pull relays; origin mounts are listed but not pulled');
  }
}
