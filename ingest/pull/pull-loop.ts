// One relay mount's pull: connect to its upstream URLs in order (the first
// that answers with audio wins: failover), feed the mount like any source,
// and when the connection fails or ends, go round again after a backoff
// with jitter (backoff.ts). After a drop the primary URL is tried first
// again. Every failure is logged once with code UPSTREAM_FAILED and counted
// by reason; every connect is logged and counted. The mount's listeners
// wait through the reconnect in the registry's grace window, which
// pull-relays.ts makes long enough for it.
// Invariant: at most one upstream connection per loop at any time, and
// none once stop() has returned.

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { updateMountTitle } from '../../relay/core/mount-title.js';
import type { MountRegistry, SourceInput } from '../../relay/core/mounts.js';
import { streamInfoFrom } from '../../relay/core/stream-info.js';
import { RelayError } from '../../relay/errors.js';
import type { Metrics } from '../../relay/metrics/metrics.js';
import { stripIcyMetadata } from '../icy-stripper.js';
import { Backoff, STABLE_CONNECTION_MS } from './backoff.js';
import { openUpstream, type UpstreamStream } from './pull-client.js';
import { runPullFeed } from './pull-feed.js';
import { PullFailure, type PullFailureReason } from './pull-failure.js';
import { logUrl } from './upstream-request.js';

export interface PullLoopDeps {
  registry: MountRegistry;
  metrics: Metrics;
  log: Logger;
  userAgent: string;
  /** Per attempt: TCP connect plus the complete response head. */
  connectTimeoutMs: number;
  /** Connected, no byte for this long: a stall (--source-timeout-ms). */
  stallMs: number;
  /** The mount has this relay's stream as its source now. */
  onLive(): void;
  /** Every URL failed in one round; `detail` is the last failure. */
  onRoundFailed(detail: string): void;
  /** Asked before each wait: false ends the loop (an on-demand relay nobody listens to any more). */
  keepTrying(): boolean;
  /** The loop ended by itself (keepTrying said no), not by stop(). */
  onIdle(): void;
}

export class PullLoop {
  readonly mount: string;
  private readonly urls: readonly string[];
  private readonly deps: PullLoopDeps;
  private stopped = true;
  private abort = new AbortController();
  private endFeed: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private waitTimer: NodeJS.Timeout | undefined;
  /** True while the mount is fed by an upstream connection of this loop. */
  connected = false;

  constructor(mount: string, urls: readonly string[], deps: PullLoopDeps) {
    this.mount = mount;
    this.urls = urls;
    this.deps = deps;
  }

  get running(): boolean {
    return !this.stopped;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.abort = new AbortController();
    void this.run();
  }

  /** Ends the connection (the mount's source leaves, as a push source's would) and any wait. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.endFeed?.();
    // Now, not when the feed's end is seen a few microtasks later: the owner may drop the series right after.
    this.markDisconnected();
    clearTimeout(this.waitTimer);
    this.wake?.();
  }

  private async run(): Promise<void> {
    const backoff = new Backoff();
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let lastFailure = '';
      let connected = false;
      for (const url of this.urls) {
        if (signal.aborted) return;
        const outcome = await this.attempt(url, signal);
        if (outcome.connected) {
          connected = true;
          if (outcome.lastedMs >= STABLE_CONNECTION_MS) backoff.reset();
          break;
        }
        lastFailure = outcome.detail;
      }
      if (signal.aborted) return;
      if (!connected) this.deps.onRoundFailed(lastFailure);
      if (!this.deps.keepTrying()) {
        this.stopped = true;
        this.deps.onIdle();
        return;
      }
      await this.wait(backoff.nextDelayMs());
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.waitTimer = setTimeout(resolve, ms);
    });
  }

  /** One connection: resolves when it failed, or when it ended after feeding the mount. */
  private async attempt(
    url: string,
    signal: AbortSignal,
  ): Promise<{ connected: false; detail: string } | { connected: true; lastedMs: number }> {
    let upstream: UpstreamStream;
    try {
      upstream = await openUpstream(url, { timeoutMs: this.deps.connectTimeoutMs, userAgent: this.deps.userAgent, signal });
    } catch (err) {
      if (signal.aborted) return { connected: false, detail: 'stopped' };
      const failure = err instanceof PullFailure ? err : new PullFailure('bad_response', (err as Error).message);
      return { connected: false, detail: this.failed(url, failure.reason, failure.message) };
    }
    if (signal.aborted) {
      upstream.socket.destroy();
      return { connected: false, detail: 'stopped' };
    }
    let input: SourceInput;
    try {
      input = this.attach(url, upstream);
    } catch (err) {
      upstream.socket.destroy();
      const detail = err instanceof RelayError ? `${err.code}: ${err.message}` : (err as Error).message;
      return { connected: false, detail: this.failed(url, 'busy', detail) };
    }
    const startedMs = performance.now();
    const { reason, detail } = await this.feed(upstream.socket, input, upstream);
    const lastedMs = performance.now() - startedMs;
    // The registry removed the mount under us: that is the relay shutting down, not an upstream failure.
    if (input.stopped.aborted) this.stop();
    if (!signal.aborted) this.markDisconnected();
    if (!signal.aborted) this.failed(url, reason, `${detail} after ${Math.round(lastedMs)} ms`);
    else this.deps.log.info({ mount: this.mount, url: logUrl(url), seconds: Math.round(lastedMs) / 1000 }, 'pull stopped');
    return { connected: true, lastedMs };
  }

  private markDisconnected(): void {
    if (!this.connected) return;
    this.connected = false;
    this.deps.metrics.pullConnected.set({ mount: this.mount }, 0);
  }

  /** Takes the mount with the upstream's stream, as a push source would (MOUNT_BUSY and the rest are thrown). */
  private attach(url: string, upstream: UpstreamStream): SourceInput {
    const { registry, metrics, log } = this.deps;
    const shown = logUrl(upstream.url.href);
    const attached = registry.attachSource(this.mount, upstream.contentType, streamInfoFrom(upstream.head.headers), `relay:${shown}`, {
      relay: shown,
      protocol: upstream.head.protocol,
      chunked: upstream.head.chunked,
      icyMetaInt: upstream.metaInt,
    });
    const input =
      upstream.metaInt === undefined
        ? attached
        : stripIcyMetadata(attached, upstream.metaInt, (title, titleUrl) =>
            updateMountTitle({ metrics, log }, attached.mount, title, titleUrl, 'relay'),
          );
    this.connected = true;
    metrics.pullConnects.inc({ mount: this.mount });
    metrics.pullConnected.set({ mount: this.mount }, 1);
    log.info(
      {
        mount: this.mount,
        url: logUrl(url),
        ...(shown !== logUrl(url) ? { redirectedTo: shown } : {}),
        protocol: upstream.head.protocol,
        contentType: upstream.contentType,
        icyMetaInt: upstream.metaInt,
      },
      'pull connected',
    );
    this.deps.onLive();
    return input;
  }

  private feed(socket: Socket, input: SourceInput, upstream: UpstreamStream): Promise<{ reason: PullFailureReason; detail: string }> {
    return new Promise((resolve) => {
      this.endFeed = runPullFeed(socket, input, upstream.firstBytes, {
        chunked: upstream.head.chunked,
        stallMs: this.deps.stallMs,
        onEnd: (reason, detail) => {
          this.endFeed = undefined;
          resolve({ reason, detail });
        },
      });
    });
  }

  /** Logs and counts one failure; returns its one-line detail. */
  private failed(url: string, reason: PullFailureReason, detail: string): string {
    this.deps.metrics.pullFailures.inc({ mount: this.mount, reason });
    const err = new RelayError('UPSTREAM_FAILED', `${reason}: ${detail}`);
    this.deps.log.warn({ code: err.code, mount: this.mount, url: logUrl(url), reason }, err.message);
    return `${reason}: ${detail}`;
  }
}
