// Turns an origin's mount list into the pull relays an edge wants (pure):
// every origin mount on demand, its URL on each origin in --origin order
// (the pull side fails over along them), except the mounts the edge's own
// config decides (a listed mount, with its relay-url or its local source,
// is never overridden by the origin). Invariant: the result is sorted by
// mount and says nothing about the edge's own mounts.

import type { PullSpec } from './pull-target.js';

export interface SpecOptions {
  /** Each origin's `http://host:port`, in --origin order. */
  bases: readonly string[];
  /** True for a mount the edge's own config decides. */
  isLocal: (mount: string) => boolean;
  idleMs: number;
}

export function originSpecs(mounts: readonly string[], opts: SpecOptions): PullSpec[] {
  return [...mounts]
    .sort()
    .filter((mount) => !opts.isLocal(mount))
    .map((mount) => ({ mount, urls: opts.bases.map((base) => `${base}${mount}`), onDemand: true, idleMs: opts.idleMs }));
}

/** Same specs in the same order: a poll that changed nothing needs no sync. */
export function sameSpecs(a: readonly PullSpec[], b: readonly PullSpec[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((spec, i) => {
    const other = b[i];
    return (
      spec.mount === other.mount &&
      spec.onDemand === other.onDemand &&
      spec.idleMs === other.idleMs &&
      spec.urls.length === other.urls.length &&
      spec.urls.every((url, j) => url === other.urls[j])
    );
  });
}
