// A drain: the relay stops taking listeners (they are sent to peers, or
// refused DRAINING), keeps its sources, and lets the listeners it has stay
// until they leave or the deadline passes; then it ends them cleanly
// (reason `drain`). Started by POST /admin/drain or SIGUSR2; /readyz fails
// from the first moment. It is never undone: a drained process is one that
// is about to go (a Kubernetes preStop hook, a maintenance window).
// Invariant: start() is idempotent (a second call may only bring the
// deadline nearer); three lines are logged per drain: its start, its
// deadline (only if listeners were still there), and "no listeners remain".

import type { Logger } from 'pino';
import type { MountRegistry } from '../core/mounts.js';
import type { Metrics } from '../metrics/metrics.js';

/** Who started the drain, for its log line. */
export type DrainCause = { by: 'signal'; signal: string } | { by: 'admin'; remote: string };

export interface DrainState {
  /** False when this call started it; true when a drain was already under way. */
  already: boolean;
  listeners: number;
  /** Milliseconds until the listeners left are ended. */
  deadlineInMs: number;
}

/** How often a drain looks at how many listeners remain (gauge and "no listeners remain"). */
const WATCH_MS = 100;

export class Drain {
  private readonly registry: MountRegistry;
  private readonly defaultDeadlineMs: number;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private startedAtMs = 0;
  private deadlineAtMs = 0;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private active = false;

  constructor(registry: MountRegistry, defaultDeadlineMs: number, metrics: Metrics, log: Logger) {
    this.registry = registry;
    this.defaultDeadlineMs = defaultDeadlineMs;
    this.metrics = metrics;
    this.log = log;
    metrics.draining.set(0);
    metrics.drainListenersRemaining.set(0);
  }

  get draining(): boolean {
    return this.active;
  }

  /** Starts the drain, or brings an under-way drain's deadline nearer when `deadlineMs` ends sooner. */
  start(cause: DrainCause, deadlineMs = this.defaultDeadlineMs): DrainState {
    const nowMs = performance.now();
    const listeners = this.registry.listenerCount;
    if (this.active) {
      const wanted = nowMs + deadlineMs;
      if (wanted < this.deadlineAtMs && this.deadlineTimer) {
        this.log.info({ ...cause, deadlineMs, listeners }, 'drain deadline brought nearer');
        this.schedule(wanted, nowMs);
      }
      // No deadline pending: the last listener has already left.
      const deadlineInMs = this.deadlineTimer ? Math.max(0, Math.round(this.deadlineAtMs - nowMs)) : 0;
      return { already: true, listeners, deadlineInMs };
    }
    this.active = true;
    this.startedAtMs = nowMs;
    this.metrics.draining.set(1);
    this.metrics.drainListenersRemaining.set(listeners);
    this.log.info({ ...cause, deadlineMs, listeners, sources: this.registry.sourceCount }, 'drain started: new listeners go to peers');
    this.schedule(nowMs + deadlineMs, nowMs);
    this.watchTimer = setInterval(() => this.watch(), WATCH_MS);
    this.watchTimer.unref();
    this.watch();
    return { already: false, listeners, deadlineInMs: deadlineMs };
  }

  /** Lets go of the timers (shutdown). */
  stop(): void {
    clearTimeout(this.deadlineTimer);
    clearInterval(this.watchTimer);
    this.deadlineTimer = undefined;
    this.watchTimer = undefined;
  }

  private schedule(atMs: number, nowMs: number): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineAtMs = atMs;
    this.deadlineTimer = setTimeout(() => this.onDeadline(), Math.max(0, atMs - nowMs));
    this.deadlineTimer.unref();
  }

  private watch(): void {
    const remaining = this.registry.listenerCount;
    this.metrics.drainListenersRemaining.set(remaining);
    if (remaining > 0) return;
    clearInterval(this.watchTimer);
    this.watchTimer = undefined;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.log.info({ afterMs: Math.round(performance.now() - this.startedAtMs) }, 'drain: no listeners remain');
  }

  private onDeadline(): void {
    this.deadlineTimer = undefined;
    const left = [];
    for (const mount of this.registry.mounts.values()) left.push(...mount.listeners);
    this.log.info(
      { listeners: left.length, afterMs: Math.round(performance.now() - this.startedAtMs) },
      'drain deadline passed: ending the listeners left',
    );
    // Cleanly: the player sees the end of the stream (and may reconnect, to a peer through the redirect).
    for (const listener of left) listener.close('drain', true);
    this.watch();
  }
}
