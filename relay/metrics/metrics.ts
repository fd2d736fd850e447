// Prometheus metrics (prom-client). Labels are the mount and small fixed sets
// (disconnect reason, refusal code); never a per-connection label. Series for
// a mount exist from the moment it is created, at zero, and every one of
// them (gauges, counters, histograms) goes when the mount goes (after its
// grace), so a scrape's size follows the live mounts, not every name ever
// seen. A metric with a mount label must be in both initMount and
// removeMount (test/metrics-churn.integration.test.ts counts the series).
//
// Per-connection cost, as the README defines it:
// - relaycast_connection_cpu_ratio: process CPU seconds per second over the
//   last sample interval, divided by open connections (listeners + sources);
// - relaycast_connection_memory_bytes: resident memory above the baseline
//   taken before the first connection, divided by open connections.

import { createRequire } from 'node:module';
import client from 'prom-client';
import { ERRORS, type ErrorCode } from '../errors.js';
import { DISCONNECT_REASONS } from '../core/disconnect-reason.js';

/** relaycast's own version, from package.json (read once at start-up). */
export const RELAYCAST_VERSION = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

const LAG_BUCKETS_BYTES = [0, 4096, 16384, 65536, 131072, 262144, 524288, 1048576];
const FIRST_BYTE_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
// From a probe that leaves at once to a listener who stays all day.
const SESSION_BUCKETS_SECONDS = [1, 10, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400];
const BURST_BUCKETS_BYTES = [0, 8192, 16384, 32768, 65536, 131072, 262144];

export class Metrics {
  readonly registry = new client.Registry();

  readonly listeners = this.gauge('relaycast_listeners', 'Listeners connected now.', ['mount']);
  readonly mountMaxListeners = this.gauge(
    'relaycast_mount_max_listeners',
    "The mount's own listener limit in force (0 = only the server-wide limit).",
    ['mount'],
  );
  readonly configReloadSuccessful = this.gauge(
    'relaycast_config_last_reload_successful',
    'Whether the last config reload worked (1) or was refused (0).',
  );
  readonly configReloadSuccessTimestamp = this.gauge(
    'relaycast_config_last_reload_success_timestamp_seconds',
    'When the config was last loaded or reloaded successfully (Unix time).',
  );
  readonly listenersOnFallback = this.gauge(
    'relaycast_listeners_on_fallback',
    'Listeners of the mount who are hearing its fallback now (they count in relaycast_listeners too).',
    ['mount'],
  );
  readonly fallbackMoves = this.counter(
    'relaycast_fallback_moves_total',
    'Listeners moved to a fallback (fallback), back from one (override), or not moved because the formats differ (mismatch).',
    ['mount', 'result'],
  );
  readonly intros = this.counter(
    'relaycast_intros_total',
    "New listeners who heard the mount's intro (played), or did not because its format differs from the stream (mismatch).",
    ['mount', 'result'],
  );
  readonly listenerPeak = this.gauge('relaycast_listeners_peak', 'Most listeners connected at once since the mount appeared.', ['mount']);
  readonly listenerConnects = this.counter('relaycast_listener_connects_total', 'Listeners accepted.', ['mount']);
  readonly listenerDisconnects = this.counter(
    'relaycast_listener_disconnects_total',
    'Listeners gone, by reason: client, slow, source_gone, limit, shutdown, admin, drain.',
    ['mount', 'reason'],
  );
  readonly slowListeners = this.counter(
    'relaycast_slow_listeners_total',
    'Listeners that fell past --max-lag-bytes, by what was done: drop or live (moved to live).',
    ['mount', 'action'],
  );
  readonly bytesOut = this.counter('relaycast_listener_sent_bytes_total', 'Stream bytes handed to listener sockets.', ['mount']);
  readonly bytesIn = this.counter('relaycast_source_received_bytes_total', 'Stream bytes received from sources.', ['mount']);
  readonly sourceConnected = this.gauge('relaycast_source_connected', '1 while the mount has a source.', ['mount']);
  readonly sourceConnects = this.counter('relaycast_source_connects_total', 'Sources accepted.', ['mount']);
  // Pull relays (ingest/pull/): these series live as long as the relay is configured, not as long as
  // its mount, since a relay that cannot connect has no mount; initPull/removePull keep them.
  readonly pullConnects = this.counter(
    'relaycast_pull_connects_total',
    'Connections a relay mount made to its upstream that answered with audio.',
    ['mount'],
  );
  readonly pullFailures = this.counter(
    'relaycast_pull_failures_total',
    "A relay mount's failed or ended upstream connections, by reason: connect, timeout, status, redirect, not_audio, bad_response, stall, ended, busy.",
    ['mount', 'reason'],
  );
  readonly pullConnected = this.gauge('relaycast_pull_connected', '1 while the relay mount is connected to an upstream.', ['mount']);
  readonly titleUpdates = this.counter(
    'relaycast_title_updates_total',
    'Title updates accepted (admin/metadata, admin.cgi, inline ICY, Ogg comment headers).',
    ['mount'],
  );
  readonly refusals = this.counter('relaycast_refusals_total', 'Requests refused, by error code and status.', ['code', 'status']);
  readonly lag = this.histogram(
    'relaycast_listener_lag_bytes',
    "Each listener's distance behind live, sampled once per sample interval.",
    LAG_BUCKETS_BYTES,
  );
  readonly firstByte = this.histogram(
    'relaycast_listener_first_byte_seconds',
    'From request to the first stream byte handed to the socket.',
    FIRST_BYTE_BUCKETS_SECONDS,
  );
  readonly burst = this.histogram(
    'relaycast_listener_burst_bytes',
    'Bytes behind live a new listener starts (the burst it is sent at once).',
    BURST_BUCKETS_BYTES,
  );
  readonly session = this.histogram(
    'relaycast_listener_session_seconds',
    'How long listeners stayed, observed when they leave.',
    SESSION_BUCKETS_SECONDS,
  );
  readonly sourceBitrate = this.gauge(
    'relaycast_source_measured_bytes_per_second',
    "The source's bitrate as measured at the ingest: bytes per second over the last sample interval (x8 for bits; 0 without a source).",
    ['mount'],
  );
  readonly ringFill = this.gauge('relaycast_ring_fill_bytes', 'Stream bytes the ring holds now (at most relaycast_ring_size_bytes).', [
    'mount',
  ]);
  readonly ringSize = this.gauge('relaycast_ring_size_bytes', "The ring's capacity per mount (--buffer-bytes).", ['mount']);
  readonly ringBytes = this.gauge(
    'relaycast_ring_bytes',
    'Memory allocated to the rings of all mounts together (each mount, including one in its grace, holds --buffer-bytes).',
  );
  readonly mounts = this.gauge('relaycast_mounts', 'Mounts that exist now, with or without a source (at most --max-mounts).');
  // --- an edge's origin (issue 14): ingest/origin/ ---
  readonly originMounts = this.gauge(
    'relaycast_origin_mounts',
    "Origin mounts this edge mirrors now (the origin's list less the edge's own config mounts).",
  );
  readonly originUp = this.gauge('relaycast_origin_up', "1 when this origin's last mount-list poll worked, 0 when it failed.", ['origin']);
  readonly originPolls = this.counter('relaycast_origin_polls_total', "Polls of an origin's mount list, by result.", ['origin', 'result']);
  readonly buildInfo = this.gauge('relaycast_build_info', 'Always 1; labels say which relaycast and which Node.js run.', [
    'version',
    'node',
  ]);
  readonly connectionCpu = this.gauge(
    'relaycast_connection_cpu_ratio',
    'Process CPU seconds per second over the last sample interval, divided by open connections.',
  );
  readonly connectionMemory = this.gauge(
    'relaycast_connection_memory_bytes',
    'Resident memory above the idle baseline, divided by open connections.',
  );
  readonly baselineMemory = this.gauge(
    'relaycast_idle_resident_memory_bytes',
    'Resident memory measured at start-up, before any connection.',
  );

  // --- past one machine (issue 14): peers, redirects, drain ---
  readonly draining = this.gauge('relaycast_draining', '1 from the start of a drain (POST /admin/drain, SIGUSR2), else 0.');
  readonly drainListenersRemaining = this.gauge(
    'relaycast_drain_listeners_remaining',
    'While draining: listeners still connected (0 when not draining).',
  );
  readonly redirects = this.counter('relaycast_redirects_total', 'New listeners sent to a peer with a 302, by peer base URL.', ['peer']);
  readonly peerUp = this.gauge('relaycast_peer_up', "1 when the peer's last status check answered, else 0.", ['peer']);
  readonly peerRoom = this.gauge(
    'relaycast_peer_room_listeners',
    'Listeners the peer has room for as last checked (0 when down, full or draining; +Inf with no limit).',
    ['peer'],
  );

  constructor() {
    client.collectDefaultMetrics({ register: this.registry });
    // Gauges that prom-client names *_total, which promtool rejects; the same
    // counts stay available as nodejs_active_handles and nodejs_active_requests.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(name);
    }
    this.buildInfo.set({ version: RELAYCAST_VERSION, node: process.version }, 1);
    // Every refusal series exists from the start, so rate() and alerts see the first one.
    for (const [code, entry] of Object.entries(ERRORS) as Array<[ErrorCode, { status: number }]>) {
      if (entry.status > 0) this.refusals.inc({ code, status: String(entry.status) }, 0);
    }
  }

  /** Creates every series of a new mount at zero, so rate() works from the start. */
  initMount(mount: string): void {
    this.listeners.set({ mount }, 0);
    this.listenerPeak.set({ mount }, 0);
    this.listenersOnFallback.set({ mount }, 0);
    for (const result of ['fallback', 'override', 'mismatch']) this.fallbackMoves.inc({ mount, result }, 0);
    for (const result of ['played', 'mismatch']) this.intros.inc({ mount, result }, 0);
    this.listenerConnects.inc({ mount }, 0);
    for (const reason of DISCONNECT_REASONS) this.listenerDisconnects.inc({ mount, reason }, 0);
    this.bytesOut.inc({ mount }, 0);
    for (const action of ['drop', 'live']) this.slowListeners.inc({ mount, action }, 0);
    this.bytesIn.inc({ mount }, 0);
    this.sourceConnected.set({ mount }, 0);
    this.sourceConnects.inc({ mount }, 0);
    this.titleUpdates.inc({ mount }, 0);
    this.sourceBitrate.set({ mount }, 0);
    this.ringFill.set({ mount }, 0);
    this.lag.zero({ mount });
    this.firstByte.zero({ mount });
    this.burst.zero({ mount });
    this.session.zero({ mount });
  }

  /**
   * Drops every series of a removed mount. Counters go too: a mount that comes back starts
   * again at zero, which Prometheus reads as a counter reset, and a relay that saw thousands
   * of short-lived mounts does not serve (and hold) their series forever.
   */
  removeMount(mount: string): void {
    this.listeners.remove({ mount });
    this.listenerPeak.remove({ mount });
    this.listenerConnects.remove({ mount });
    for (const reason of DISCONNECT_REASONS) this.listenerDisconnects.remove({ mount, reason });
    for (const action of ['drop', 'live']) this.slowListeners.remove({ mount, action });
    this.bytesOut.remove({ mount });
    this.bytesIn.remove({ mount });
    this.sourceConnected.remove({ mount });
    this.sourceConnects.remove({ mount });
    this.titleUpdates.remove({ mount });
    this.sourceBitrate.remove({ mount });
    this.ringFill.remove({ mount });
    this.ringSize.remove({ mount });
    this.mountMaxListeners.remove({ mount });
    this.listenersOnFallback.remove({ mount });
    for (const result of ['fallback', 'override', 'mismatch']) this.fallbackMoves.remove({ mount, result });
    for (const result of ['played', 'mismatch']) this.intros.remove({ mount, result });
    this.lag.remove({ mount });
    this.firstByte.remove({ mount });
    this.burst.remove({ mount });
    this.session.remove({ mount });
  }

  /** A relay's series at zero, from the moment it is configured. */
  initPull(mount: string, reasons: readonly string[]): void {
    this.pullConnects.inc({ mount }, 0);
    for (const reason of reasons) this.pullFailures.inc({ mount, reason }, 0);
    this.pullConnected.set({ mount }, 0);
  }

  /** A relay the config no longer has: its series go. */
  removePull(mount: string, reasons: readonly string[]): void {
    this.pullConnects.remove({ mount });
    for (const reason of reasons) this.pullFailures.remove({ mount, reason });
    this.pullConnected.remove({ mount });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[] = []): client.Gauge<L> {
    return new client.Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram(name: string, help: string, buckets: number[]): client.Histogram<'mount'> {
    return new client.Histogram({ name, help, labelNames: ['mount'], buckets, registers: [this.registry] });
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[] = []): client.Counter<L> {
    return new client.Counter({ name, help, labelNames, registers: [this.registry] });
  }
}

/** Samples process CPU and memory and turns them into per-connection figures. */
export class ConnectionCostSampler {
  private readonly metrics: Metrics;
  private readonly baselineRssBytes: number;
  private lastCpuMicros: number;
  private lastAtMs: number;

  constructor(metrics: Metrics) {
    this.metrics = metrics;
    this.baselineRssBytes = process.memoryUsage.rss();
    metrics.baselineMemory.set(this.baselineRssBytes);
    const cpu = process.cpuUsage();
    this.lastCpuMicros = cpu.user + cpu.system;
    this.lastAtMs = performance.now();
  }

  sample(connections: number): void {
    const cpu = process.cpuUsage();
    const cpuMicros = cpu.user + cpu.system;
    const nowMs = performance.now();
    const cpuSecondsPerSecond = (cpuMicros - this.lastCpuMicros) / 1000 / Math.max(1, nowMs - this.lastAtMs);
    this.lastCpuMicros = cpuMicros;
    this.lastAtMs = nowMs;
    const aboveBaseline = Math.max(0, process.memoryUsage.rss() - this.baselineRssBytes);
    this.metrics.connectionCpu.set(connections > 0 ? cpuSecondsPerSecond / connections : 0);
    this.metrics.connectionMemory.set(connections > 0 ? aboveBaseline / connections : 0);
  }
}
