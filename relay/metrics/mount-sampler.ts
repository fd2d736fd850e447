// Per-mount gauges that are sampled rather than counted as they happen: the
// source's bitrate as measured from the bytes the ingest received, and how
// full the ring is. Taken on the relay's sample timer, so the cost is one
// pass over the mounts (not the listeners) per interval.

import type { Metrics } from './metrics.js';
import type { Mount } from '../core/mount.js';
import type { MountRegistry } from '../core/mounts.js';

interface LastSample {
  sourceBytes: number;
  atMs: number;
}

export class MountSampler {
  private readonly registry: MountRegistry;
  private readonly metrics: Metrics;
  private readonly last = new WeakMap<Mount, LastSample>();

  constructor(registry: MountRegistry, metrics: Metrics) {
    this.registry = registry;
    this.metrics = metrics;
  }

  sample(): void {
    const nowMs = performance.now();
    for (const mount of this.registry.mounts.values()) {
      const labels = { mount: mount.name };
      // A new mount is measured from its creation, so the first sample already has a rate.
      const previous = this.last.get(mount) ?? { sourceBytes: 0, atMs: nowMs - (Date.now() - mount.createdAtMs) };
      this.last.set(mount, { sourceBytes: mount.sourceBytes, atMs: nowMs });
      if (!mount.hasSource) mount.measuredBitsPerSecond = 0;
      else if (nowMs > previous.atMs) {
        mount.measuredBitsPerSecond = Math.round(((mount.sourceBytes - previous.sourceBytes) * 8 * 1000) / (nowMs - previous.atMs));
      }
      this.metrics.sourceBitrate.set(labels, mount.measuredBitsPerSecond / 8);
      this.metrics.ringFill.set(labels, mount.ring.head - mount.ring.tail);
      this.metrics.ringSize.set(labels, mount.ring.capacityBytes);
    }
  }
}
