// Turns the per-listener results into the run's report (one plain object,
// printed as JSON for machines) and formats it for people. Numbers keep
// their units in their names; a statistic over no listeners is null ("n/a"),
// never 0.
//
// Which listeners each figure covers:
// - connect, first byte: every listener that got a 200;
// - buffer full, delivered rate, underruns: normal readers only (slow
//   readers underrun by design; their figure is how soon they were dropped);
// - delivered rate: listeners that streamed through the whole steady window.

import type { LoadtestOptions } from './options.js';
import type { SteadyWindow } from './plan.js';
import { PLAYER_BUFFER_SECONDS } from './listener-client.js';
import { targetCounts, targetUrl, tlsFigures, type TargetCounts, type TlsFigures } from './report-targets.js';
import { distribution, type Distribution } from './stats.js';
import type { ListenerResult } from './worker-protocol.js';

/** Delivered below this share of the bitrate over the steady window: the listener fell behind live. */
const SHORT_DELIVERY_RATIO = 0.95;

export interface CpuUsage {
  cpu: NodeJS.CpuUsage;
  wallMs: number;
}

export interface ReportInput {
  options: Readonly<LoadtestOptions>;
  sourceAddresses: number;
  steady: SteadyWindow | undefined;
  elapsedMs: number;
  stoppedEarly: boolean;
  results: ListenerResult[];
  cpuWhole: CpuUsage;
  cpuSteady: CpuUsage | undefined;
  /** Date.now() when the run started: merging several processes' inputs puts them on one clock. */
  startEpochMs: number;
  /** How many load processes these results came from (1 unless merged). */
  processes?: number;
}

export interface LoadtestReport {
  /** The first target; `targets` lists them all. */
  target: string;
  targets: string[];
  /** Load processes whose listeners this report covers (several when merged by a bench). */
  processes: number;
  perTarget: TargetCounts[];
  /** https:// targets: handshake times and rates; null without TLS. */
  tls: (Omit<TlsFigures, 'handshakeMs'> & { handshakeMs: Distribution }) | null;
  httpVersion: '1.0' | '1.1';
  listeners: number;
  slowListeners: number;
  durationS: number;
  elapsedS: number;
  stoppedEarly: boolean;
  rampPerS: number;
  bitrateKbps: number;
  slowRateBytesPerS: number;
  workers: number;
  sourceAddresses: number;
  connected: number;
  failed: number;
  notStarted: number;
  /** Failure reason -> listeners, e.g. {"ECONNREFUSED": 3, "HTTP 503": 12}. */
  failures: Record<string, number>;
  connectMs: Distribution;
  firstByteMs: Distribution;
  /** From starting to connect until the simulated player had its buffer full and began to play. */
  bufferFullMs: Distribution;
  playerBufferSeconds: number;
  steady: {
    fromS: number;
    toS: number;
    deliveredKbps: Distribution;
    /** Normal listeners that got less than 95 % of the bitrate over the window. */
    belowBitrate: number;
    /** Body bytes those listeners received inside the window, all together (aggregate throughput). */
    bodyBytes: number;
  } | null;
  underruns: {
    /** Normal listeners whose player ran dry at least once after it started. */
    listeners: number;
    total: number;
    stalledS: Distribution;
  };
  serverClosed: {
    total: number;
    normal: number;
    slow: number;
    /** Reason -> listeners, e.g. {"closed (FIN)": 40, "ECONNRESET": 2}. */
    reasons: Record<string, number>;
    /** When, in seconds since the run started. */
    atS: Distribution;
    /** Closes per whole second since the start ("12": closes from 12.0 to 12.999 s); seconds without any are left out. */
    perSecond: Record<string, number>;
    /** For slow readers: seconds from their first pause (falling behind) to the close. */
    slowAfterLagS: Distribution;
  };
  /** What slow readers actually took, over their whole time streaming: shows the throttle held. */
  slowReceivedKbps: Distribution;
  bodyBytes: number;
  toolCpu: {
    /** Percent of one core, all threads of the tool, over the whole run. */
    wholeRunPercent: number;
    steadyPercent: number | null;
    /** steadyPercent per 1000 listeners still streaming: what the tool itself costs per listener. */
    steadyPercentPer1000Listeners: number | null;
    userMs: number;
    systemMs: number;
  };
}

export function buildReport(input: ReportInput): LoadtestReport {
  const { options, results, steady } = input;
  const failures: Record<string, number> = {};
  const closeReasons: Record<string, number> = {};
  const connectMs: number[] = [];
  const firstByteMs: number[] = [];
  const bufferFullMs: number[] = [];
  const deliveredKbps: number[] = [];
  const stalledS: number[] = [];
  const closedAtS: number[] = [];
  const closedPerSecond: Record<string, number> = {};
  const slowAfterLagS: number[] = [];
  const slowReceivedKbps: number[] = [];
  let connected = 0;
  let failed = 0;
  let slowListeners = 0;
  let underrunListeners = 0;
  let underrunsTotal = 0;
  let closedNormal = 0;
  let closedSlow = 0;
  let belowBitrate = 0;
  let bodyBytes = 0;
  let steadyBodyBytes = 0;
  const bytesPerSAtBitrate = (options.bitrateKbps * 1000) / 8;

  for (const r of results) {
    if (r.slow) slowListeners++;
    bodyBytes += r.bodyBytes;
    if (r.outcome === 'failed') {
      failed++;
      increment(failures, r.reason ?? 'unknown');
      continue;
    }
    if (r.outcome === 'not-started') continue;
    connected++;
    if (r.connectSinceStartMs !== undefined) connectMs.push(r.connectSinceStartMs);
    if (r.firstByteSinceStartMs !== undefined) firstByteMs.push(r.firstByteSinceStartMs);
    if (r.outcome === 'server-closed') {
      increment(closeReasons, r.reason ?? 'unknown');
      if (r.slow) closedSlow++;
      else closedNormal++;
      if (r.serverClosedAtRunMs !== undefined) {
        closedAtS.push(r.serverClosedAtRunMs / 1000);
        increment(closedPerSecond, String(Math.floor(r.serverClosedAtRunMs / 1000)));
        if (r.slow && r.lagStartedAtRunMs !== undefined) slowAfterLagS.push((r.serverClosedAtRunMs - r.lagStartedAtRunMs) / 1000);
      }
    }
    if (r.slow) {
      if (r.streamedMs) slowReceivedKbps.push((r.bodyBytes * 8) / r.streamedMs);
      continue;
    }
    if (r.bufferFullSinceStartMs !== undefined) bufferFullMs.push(r.bufferFullSinceStartMs);
    if (r.underruns > 0) underrunListeners++;
    underrunsTotal += r.underruns;
    stalledS.push(r.stalledMs / 1000);
    if (r.steadyBytes !== undefined && r.steadyMs !== undefined && r.steadyMs > 0) {
      const bytesPerS = (r.steadyBytes * 1000) / r.steadyMs;
      deliveredKbps.push((bytesPerS * 8) / 1000);
      steadyBodyBytes += r.steadyBytes;
      if (bytesPerS < SHORT_DELIVERY_RATIO * bytesPerSAtBitrate) belowBitrate++;
    }
  }
  // Listeners a worker never reported (stopped before it started them) were not started either.
  const notStarted = options.listeners - connected - failed;

  // A run stopped early has a shorter steady part, or none.
  const steadyEndMs = steady ? Math.min(steady.toMs, input.elapsedMs) : 0;
  const steadyToMs = steady && steadyEndMs > steady.fromMs ? steadyEndMs : undefined;
  const tls = tlsFigures(results);
  const perTarget = targetCounts(options.targets, results);
  const streamingAtEnd = perTarget.reduce((sum, t) => sum + t.streamingAtEnd, 0);
  const steadyCpu = input.cpuSteady ? cpuPercent(input.cpuSteady) : null;
  return {
    target: targetUrl(options.targets[0]),
    targets: options.targets.map(targetUrl),
    processes: input.processes ?? 1,
    perTarget,
    tls: tls
      ? {
          ...tls,
          handshakeMs: rounded(tls.handshakeMs, 2),
          meanPerS: tls.meanPerS === null ? null : round(tls.meanPerS, 1),
        }
      : null,
    httpVersion: options.http10 ? '1.0' : '1.1',
    listeners: options.listeners,
    slowListeners,
    durationS: options.durationS,
    elapsedS: round(input.elapsedMs / 1000, 1),
    stoppedEarly: input.stoppedEarly,
    rampPerS: options.rampPerS,
    bitrateKbps: options.bitrateKbps,
    slowRateBytesPerS: options.slowRateBytesPerS,
    workers: options.workers,
    sourceAddresses: input.sourceAddresses,
    connected,
    failed,
    notStarted,
    failures,
    connectMs: rounded(distribution(connectMs), 2),
    firstByteMs: rounded(distribution(firstByteMs), 2),
    bufferFullMs: rounded(distribution(bufferFullMs), 2),
    playerBufferSeconds: PLAYER_BUFFER_SECONDS,
    steady:
      steadyToMs !== undefined && steady
        ? {
            fromS: round(steady.fromMs / 1000, 1),
            toS: round(steadyToMs / 1000, 1),
            deliveredKbps: rounded(distribution(deliveredKbps), 1),
            belowBitrate,
            bodyBytes: steadyBodyBytes,
          }
        : null,
    underruns: { listeners: underrunListeners, total: underrunsTotal, stalledS: rounded(distribution(stalledS), 2) },
    serverClosed: {
      total: closedNormal + closedSlow,
      normal: closedNormal,
      slow: closedSlow,
      reasons: closeReasons,
      atS: rounded(distribution(closedAtS), 1),
      perSecond: closedPerSecond,
      slowAfterLagS: rounded(distribution(slowAfterLagS), 1),
    },
    slowReceivedKbps: rounded(distribution(slowReceivedKbps), 1),
    bodyBytes,
    toolCpu: {
      wholeRunPercent: round(cpuPercent(input.cpuWhole), 1),
      steadyPercent: steadyCpu === null ? null : round(steadyCpu, 1),
      steadyPercentPer1000Listeners: steadyCpu === null || streamingAtEnd === 0 ? null : round((steadyCpu * 1000) / streamingAtEnd, 3),
      userMs: round(input.cpuWhole.cpu.user / 1000, 0),
      systemMs: round(input.cpuWhole.cpu.system / 1000, 0),
    },
  };
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** CPU time (user + system, all threads) as a percentage of one core over the wall time. */
export function cpuPercent(usage: CpuUsage): number {
  return ((usage.cpu.user + usage.cpu.system) / 1000 / Math.max(1, usage.wallMs)) * 100;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function rounded(d: Distribution, digits: number): Distribution {
  const r = (v: number | null) => (v === null ? null : round(v, digits));
  return { count: d.count, min: r(d.min), p1: r(d.p1), p50: r(d.p50), p99: r(d.p99), max: r(d.max) };
}

// ------------------------------------------------------------------ text

export function formatReport(report: LoadtestReport): string {
  const r = report;
  const n = (v: number | null, unit = '') => (v === null ? 'n/a' : `${v}${unit}`);
  const counts = (c: Record<string, number>) =>
    Object.entries(c)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const lines = [
    `relaycast loadtest  ${r.targets.join(' ')}  HTTP/${r.httpVersion}${r.processes > 1 ? `  (${r.processes} processes)` : ''}`,
    `  ${r.listeners} listeners (${r.slowListeners} slow at ${r.slowRateBytesPerS} B/s), ramp ${r.rampPerS}/s, ` +
      `${r.elapsedS} s of ${r.durationS} s${r.stoppedEarly ? ' (stopped early)' : ''}, ` +
      `${r.workers} worker(s), ${r.sourceAddresses} source address(es), bitrate ${r.bitrateKbps} kbit/s`,
    '',
    `connected         ${r.connected}   failed ${r.failed}${r.notStarted > 0 ? `   not started ${r.notStarted}` : ''}`,
  ];
  if (r.failed > 0) lines.push(`  failures:       ${counts(r.failures)}`);
  if (r.perTarget.length > 1) {
    for (const t of r.perTarget) {
      lines.push(`  ${t.target}: ${t.listeners} listeners, ${t.connected} connected, ${t.failed} failed, ${t.streamingAtEnd} at the end`);
    }
  }
  if (r.tls) {
    const h = r.tls.handshakeMs;
    lines.push(
      `TLS handshake     p50 ${n(h.p50, ' ms')}   p99 ${n(h.p99, ' ms')}   max ${n(h.max, ' ms')}; ` +
        `${r.tls.handshakes} handshakes, ${n(r.tls.meanPerS)}/s sustained, ${n(r.tls.peakPerS)} in the busiest second`,
    );
  }
  lines.push(
    `connect           p50 ${n(r.connectMs.p50, ' ms')}   p99 ${n(r.connectMs.p99, ' ms')}`,
    `first body byte   p50 ${n(r.firstByteMs.p50, ' ms')}   p99 ${n(r.firstByteMs.p99, ' ms')}   max ${n(r.firstByteMs.max, ' ms')}`,
    `buffer full (${r.playerBufferSeconds} s)  p50 ${n(r.bufferFullMs.p50, ' ms')}   p99 ${n(r.bufferFullMs.p99, ' ms')}`,
  );
  if (r.steady) {
    const d = r.steady.deliveredKbps;
    lines.push(
      `delivered rate    ${r.steady.fromS}-${r.steady.toS} s, ${d.count} listeners: ` +
        `min ${n(d.min)}  p1 ${n(d.p1)}  p50 ${n(d.p50)} kbit/s   below 95 % of bitrate: ${r.steady.belowBitrate}`,
    );
  } else {
    lines.push('delivered rate    n/a: no steady part (the ramp plus 3 s settling fills the run; use a longer --duration)');
  }
  lines.push(
    `underruns         ${r.underruns.listeners} listener(s), ${r.underruns.total} in all; stalled p99 ${n(r.underruns.stalledS.p99, ' s')}`,
    `closed by server  ${r.serverClosed.total} (normal ${r.serverClosed.normal}, slow ${r.serverClosed.slow})` +
      (r.serverClosed.total > 0
        ? `   at ${n(r.serverClosed.atS.min)}-${n(r.serverClosed.atS.max)} s (p50 ${n(r.serverClosed.atS.p50)} s)`
        : ''),
  );
  if (r.serverClosed.total > 0) lines.push(`  how:            ${counts(r.serverClosed.reasons)}`);
  if (r.slowListeners > 0) {
    const got = r.slowReceivedKbps;
    lines.push(
      `slow readers took  min ${n(got.min)}  p50 ${n(got.p50)}  max ${n(got.max)} kbit/s (asked ${round((r.slowRateBytesPerS * 8) / 1000, 1)})`,
    );
  }
  if (r.serverClosed.slowAfterLagS.count > 0) {
    const lag = r.serverClosed.slowAfterLagS;
    lines.push(`  slow readers closed after lagging  min ${n(lag.min, ' s')}  p50 ${n(lag.p50, ' s')}  max ${n(lag.max, ' s')}`);
  }
  lines.push(
    `body received     ${formatBytes(r.bodyBytes)}`,
    `tool CPU          ${r.toolCpu.wholeRunPercent} % of a core over the run` +
      (r.toolCpu.steadyPercent !== null ? `, ${r.toolCpu.steadyPercent} % in the steady part` : '') +
      ` (user ${r.toolCpu.userMs} ms, system ${r.toolCpu.systemMs} ms)`,
  );
  return `${lines.join('\n')}\n`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}
