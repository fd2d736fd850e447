// The set of pull relays: which mounts take their stream from an upstream
// (the config file's `relay-url`; an edge's origin mounts), each run by one
// PullLoop. An always-on relay pulls from the moment it is configured; an
// on-demand one only while its mount has listeners: the listen path calls
// whenLive() for a mount with no source, which starts the pull and resolves
// once the upstream answered, and the pull stops `idleMs` after the last
// listener left. A relay mount's listeners wait through a reconnect: its
// grace after the upstream drops is at least RELAY_MIN_GRACE_MS (three of
// the longest backoff waits), or the mount's own source-grace-ms if longer.
// Invariant: one loop per relay mount, so one upstream connection per
// mount however many listeners it has.

import type { Logger } from 'pino';
import type { MountRegistry } from '../../relay/core/mounts.js';
import { RelayError } from '../../relay/errors.js';
import { type Metrics, RELAYCAST_VERSION } from '../../relay/metrics/metrics.js';
import { RECONNECT_MAX_DELAY_MS } from './backoff.js';
import { PULL_FAILURE_REASONS } from './pull-failure.js';
import { PullLoop } from './pull-loop.js';
import { logUrl } from './upstream-request.js';

export interface PullSpec {
  mount: string;
  urls: readonly string[];
  onDemand: boolean;
  idleMs: number;
}

/** A relay mount's listeners stay at least this long while it reconnects. */
export const RELAY_MIN_GRACE_MS = 3 * RECONNECT_MAX_DELAY_MS;
/** How long a listener of a relay mount with no source waits for the upstream before a 503 UPSTREAM_UNAVAILABLE. */
export const LIVE_WAIT_MS = 8000;
/** Per attempt: TCP connect plus the complete response head. */
export const CONNECT_TIMEOUT_MS = 5000;
/** Retry-After of UPSTREAM_UNAVAILABLE. */
const RETRY_AFTER_SECONDS = 5;

export type PullOwner = 'config' | 'origin';

export interface PullRelaysDeps {
  registry: MountRegistry;
  metrics: Metrics;
  log: Logger;
  /** Connected, no byte for this long: a stall (--source-timeout-ms). */
  stallMs: number;
}

interface Waiter {
  resolve(): void;
  reject(err: RelayError): void;
  timer: NodeJS.Timeout;
}

interface Relay {
  owner: PullOwner;
  spec: PullSpec;
  loop: PullLoop;
  idleTimer: NodeJS.Timeout | undefined;
  waiters: Set<Waiter>;
}

export class PullRelays {
  private readonly relays = new Map<string, Relay>();
  private readonly deps: PullRelaysDeps;
  private closed = false;

  constructor(deps: PullRelaysDeps) {
    this.deps = deps;
  }

  /** Replaces the relays `owner` wants ('config' from the config file, 'origin' from an edge's origin). */
  sync(owner: PullOwner, specs: readonly PullSpec[]): void {
    if (this.closed) return;
    const wanted = new Map(specs.map((spec) => [spec.mount, spec]));
    for (const [mount, relay] of this.relays) {
      if (relay.owner !== owner) continue;
      const spec = wanted.get(mount);
      if (!spec || !sameSpec(spec, relay.spec)) this.remove(relay, spec ? 'changed' : 'removed');
    }
    for (const spec of specs) {
      const held = this.relays.get(spec.mount);
      if (held?.owner === owner) continue;
      if (held) {
        // The config file's relay of a mount wins over an origin's.
        // Debug: an edge re-reads its origin every few seconds, and this holds until the config changes.
        this.deps.log.debug({ mount: spec.mount, owner, heldBy: held.owner }, 'relay mount already pulled by another owner; not changed');
        continue;
      }
      this.add(owner, spec);
    }
  }

  /**
   * The listen path calls this for a mount with no source: undefined if it is
   * not a relay mount, or its mount exists (live, or waiting in its grace);
   * otherwise a promise that starts the pull and resolves once the mount has
   * its source, or rejects with UPSTREAM_UNAVAILABLE (503) when every URL
   * failed or LIVE_WAIT_MS passed (it resolves then too when the mount's
   * fallback plays: the listener is sent there like any sourceless mount's).
   */
  whenLive(mount: string): Promise<void> | undefined {
    const relay = this.relays.get(mount);
    if (!relay || this.closed || this.deps.registry.get(mount)) return undefined;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          relay.waiters.delete(waiter);
          // A mount with a fallback that plays: its listener hears that (the registry sends it there) instead of a 503.
          if (this.deps.registry.hasFallbackFor(mount)) resolve();
          else reject(new RelayError('UPSTREAM_UNAVAILABLE', `${mount}: no stream in ${LIVE_WAIT_MS} ms`, RETRY_AFTER_SECONDS));
        }, LIVE_WAIT_MS),
      };
      relay.waiters.add(waiter);
      relay.loop.start();
    });
  }

  /** Whether `mount` is a relay mount now (of either owner). */
  has(mount: string): boolean {
    return this.relays.has(mount);
  }

  /** Shutdown: every pull ends now, every waiting listener is refused. */
  stopAll(): void {
    this.closed = true;
    for (const relay of [...this.relays.values()]) this.remove(relay, 'shutdown');
  }

  /** The registry's listener count of `mount` changed: an on-demand relay starts or arms its idle stop. */
  onListeners(mount: string, listeners: number): void {
    const relay = this.relays.get(mount);
    if (!relay?.spec.onDemand) return;
    if (listeners > 0) {
      clearTimeout(relay.idleTimer);
      relay.idleTimer = undefined;
      relay.loop.start();
    } else this.armIdle(relay);
  }

  private add(owner: PullOwner, spec: PullSpec): void {
    const { registry, metrics, log } = this.deps;
    const relay: Relay = { owner, spec, loop: undefined as unknown as PullLoop, idleTimer: undefined, waiters: new Set() };
    relay.loop = new PullLoop(spec.mount, spec.urls, {
      registry,
      metrics,
      log,
      userAgent: `relaycast/${RELAYCAST_VERSION}`,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      stallMs: this.deps.stallMs,
      onLive: () => {
        for (const waiter of relay.waiters) {
          clearTimeout(waiter.timer);
          waiter.resolve();
        }
        relay.waiters.clear();
        if (spec.onDemand && registry.homeSize(spec.mount) === 0) this.armIdle(relay);
      },
      onRoundFailed: (detail) => this.refuseWaiters(relay, detail),
      keepTrying: () => !spec.onDemand || registry.homeSize(spec.mount) > 0 || relay.waiters.size > 0,
      onIdle: () => log.info({ mount: spec.mount }, 'on-demand relay idle: nobody listens, not reconnecting'),
    });
    this.relays.set(spec.mount, relay);
    registry.setMinGrace(spec.mount, RELAY_MIN_GRACE_MS);
    metrics.initPull(spec.mount, PULL_FAILURE_REASONS);
    log.info(
      { mount: spec.mount, owner, urls: spec.urls.map(logUrl), onDemand: spec.onDemand, idleMs: spec.idleMs },
      'relay mount configured',
    );
    if (!spec.onDemand || registry.homeSize(spec.mount) > 0) relay.loop.start();
  }

  private remove(relay: Relay, why: 'changed' | 'removed' | 'shutdown'): void {
    const mount = relay.spec.mount;
    clearTimeout(relay.idleTimer);
    relay.loop.stop();
    this.refuseWaiters(relay, `relay ${why}`, why === 'shutdown' ? new RelayError('SHUTTING_DOWN') : undefined);
    this.relays.delete(mount);
    this.deps.registry.setMinGrace(mount, undefined);
    this.deps.metrics.removePull(mount, PULL_FAILURE_REASONS);
    if (why !== 'shutdown') this.deps.log.info({ mount, owner: relay.owner, why }, 'relay mount removed');
  }

  private armIdle(relay: Relay): void {
    clearTimeout(relay.idleTimer);
    relay.idleTimer = setTimeout(() => {
      relay.idleTimer = undefined;
      if (this.deps.registry.homeSize(relay.spec.mount) > 0 || relay.waiters.size > 0 || !relay.loop.running) return;
      this.deps.log.info({ mount: relay.spec.mount, idleMs: relay.spec.idleMs }, 'on-demand relay idle: stopping the pull');
      relay.loop.stop();
    }, relay.spec.idleMs);
  }

  private refuseWaiters(relay: Relay, detail: string, refusal?: RelayError): void {
    // Not at shutdown; otherwise a mount with a fallback that plays sends its waiting listeners there instead of a 503.
    const toFallback = refusal === undefined && this.deps.registry.hasFallbackFor(relay.spec.mount);
    for (const waiter of relay.waiters) {
      clearTimeout(waiter.timer);
      if (toFallback) waiter.resolve();
      else waiter.reject(refusal ?? new RelayError('UPSTREAM_UNAVAILABLE', `${relay.spec.mount}: ${detail}`, RETRY_AFTER_SECONDS));
    }
    relay.waiters.clear();
  }
}

function sameSpec(a: PullSpec, b: PullSpec): boolean {
  return a.onDemand === b.onDemand && a.idleMs === b.idleMs && a.urls.length === b.urls.length && a.urls.every((u, i) => u === b.urls[i]);
}
