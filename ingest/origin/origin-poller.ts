// An edge's view of its origin(s): every --origin-poll-ms it reads the
// mount list of the first origin that answers (--origin order: the first is
// tried first on every poll, so the edge goes back to it once it is up
// again) and hands the pull relays one on-demand spec per mount, so a new
// origin mount is heard on the edge within one poll and a removed one goes.
// Invariants: a poll that fails on every origin changes nothing (mounts are
// never dropped because the origin could not be read); each origin's state
// is logged once per change (up -> down, down -> up), never once per poll;
// polls never overlap; sync is called only when the specs change. No log
// line holds an origin's credentials (labels are host:port).

import type { Logger } from 'pino';
import type { MountList } from '../../relay/formats/mount-list.js';
import type { OriginUrl } from '../../relay/formats/origin-url.js';
import type { Metrics } from '../../relay/metrics/metrics.js';
import { fetchMountList } from './list-fetch.js';
import { originSpecs, sameSpecs } from './origin-specs.js';
import type { PullSpec, PullTarget } from './pull-target.js';

/** A list request gets this long at most, however long the poll interval. */
const MAX_LIST_TIMEOUT_MS = 5000;
const MIN_LIST_TIMEOUT_MS = 1000;

export interface OriginPollerOptions {
  /** In --origin order. */
  origins: readonly OriginUrl[];
  pollMs: number;
  target: PullTarget;
  /** True for a mount the edge's own config decides (read at every poll: a reload may change it). */
  isLocal: (mount: string) => boolean;
  /** Idle time of the on-demand pulls: default-mount on-demand-idle-ms (read at every poll: a reload may change it). */
  idleMs: () => number;
  metrics: Pick<Metrics, 'originMounts' | 'originUp' | 'originPolls'>;
  log: Logger;
}

type OriginState = 'up' | 'down';

export class OriginPoller {
  private readonly opts: OriginPollerOptions;
  private readonly log: Logger;
  private readonly states = new Map<string, OriginState>();
  private readonly stopped = new AbortController();
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  /** The last list an origin gave; kept through failed polls. */
  private known: string[] | undefined;
  private synced: PullSpec[] = [];

  constructor(opts: OriginPollerOptions) {
    this.opts = opts;
    this.log = opts.log.child({ component: 'origin' });
    this.timeoutMs = Math.min(MAX_LIST_TIMEOUT_MS, Math.max(MIN_LIST_TIMEOUT_MS, opts.pollMs));
    opts.metrics.originMounts.set(0);
    for (const origin of opts.origins) {
      opts.metrics.originUp.set({ origin: origin.label }, 0);
      for (const result of ['ok', 'failed']) opts.metrics.originPolls.inc({ origin: origin.label, result }, 0);
    }
  }

  /** The mounts mirrored now (after the edge's own are taken out). */
  get mounts(): readonly string[] {
    return this.synced.map((spec) => spec.mount);
  }

  /** Polls now, then every pollMs after each poll ends. */
  start(): void {
    this.log.info(
      { origins: this.opts.origins.map((o) => `${o.label}${o.document}`), pollMs: this.opts.pollMs },
      'edge: mirroring the origin mounts',
    );
    void this.pollNow();
  }

  /** One poll (or the one under way); resolves when it is done. Never rejects. */
  pollNow(): Promise<void> {
    if (this.stopped.signal.aborted) return Promise.resolve();
    this.polling ??= this.poll().finally(() => {
      this.polling = undefined;
      if (this.stopped.signal.aborted) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.pollNow(), this.opts.pollMs);
      this.timer.unref();
    });
    return this.polling;
  }

  /** The edge's config changed (reload): the same origin list, the specs built again. */
  resync(): void {
    if (this.known) this.apply(this.known);
  }

  stop(): void {
    this.stopped.abort();
    clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    for (const origin of this.opts.origins) {
      let list: MountList;
      try {
        list = await fetchMountList(origin, this.timeoutMs, this.stopped.signal);
      } catch (err) {
        if (this.stopped.signal.aborted) return;
        this.markDown(origin, err instanceof Error ? err.message : String(err));
        continue;
      }
      if (this.stopped.signal.aborted) return;
      this.markUp(origin, list.mounts.length, list.skipped);
      try {
        this.apply(list.mounts);
      } catch (err) {
        // A bug on the pull side, not the origin's: logged, and the next poll tries again.
        this.log.error({ err }, 'edge: the origin mount list could not be applied');
      }
      return;
    }
    // No origin answered: the last list stays, and with it every mirrored mount.
  }

  private apply(mounts: string[]): void {
    this.known = mounts;
    const specs = originSpecs(mounts, {
      bases: this.opts.origins.map((o) => o.base),
      isLocal: this.opts.isLocal,
      idleMs: this.opts.idleMs(),
    });
    this.opts.metrics.originMounts.set(specs.length);
    if (sameSpecs(specs, this.synced)) return;
    const before = new Set(this.synced.map((s) => s.mount));
    const after = new Set(specs.map((s) => s.mount));
    this.log.info(
      {
        mounts: specs.length,
        added: [...after].filter((m) => !before.has(m)),
        removed: [...before].filter((m) => !after.has(m)),
        originMounts: mounts.length,
      },
      'edge: origin mounts changed',
    );
    this.opts.target.sync('origin', specs);
    this.synced = specs;
  }

  private markUp(origin: OriginUrl, mounts: number, skipped: number): void {
    this.opts.metrics.originUp.set({ origin: origin.label }, 1);
    this.opts.metrics.originPolls.inc({ origin: origin.label, result: 'ok' });
    if (this.states.get(origin.label) === 'up') return;
    this.states.set(origin.label, 'up');
    this.log.info({ origin: origin.label, document: origin.document, mounts, skipped }, 'origin up');
  }

  private markDown(origin: OriginUrl, reason: string): void {
    this.opts.metrics.originUp.set({ origin: origin.label }, 0);
    this.opts.metrics.originPolls.inc({ origin: origin.label, result: 'failed' });
    if (this.states.get(origin.label) === 'down') return;
    this.states.set(origin.label, 'down');
    const keeping = this.known === undefined ? 'no mount list yet' : `keeping the last list (${this.synced.length} mounts)`;
    this.log.warn({ origin: origin.label, document: origin.document, reason, keeping }, 'origin down');
  }
}
