// One report from several load processes: a bench past one process's file
// limit runs several `relaycast loadtest --raw FILE` side by side (disjoint
// source-address blocks, the same targets) and merges what each kept. The
// merge is exact: it rebuilds the report from every listener's result, not
// from the processes' percentiles. Times "since the run started" are moved
// onto the earliest process's clock; CPU is summed (percent of one core for
// all of them together).

import { readFileSync } from 'node:fs';
import { buildReport, type CpuUsage, type LoadtestReport, type ReportInput } from './report.js';
import { targetUrl } from './report-targets.js';
import type { ListenerResult } from './worker-protocol.js';

export function readReportInput(path: string): ReportInput {
  return JSON.parse(readFileSync(path, 'utf8')) as ReportInput;
}

function shifted(r: ListenerResult, byMs: number): ListenerResult {
  if (byMs === 0) return r;
  const move = (v: number | undefined) => (v === undefined ? undefined : v + byMs);
  return {
    ...r,
    tlsHandshakeAtRunMs: move(r.tlsHandshakeAtRunMs),
    serverClosedAtRunMs: move(r.serverClosedAtRunMs),
    lagStartedAtRunMs: move(r.lagStartedAtRunMs),
  };
}

function sumCpu(parts: Array<CpuUsage | undefined>): CpuUsage | undefined {
  if (parts.some((p) => p === undefined)) return undefined;
  const all = parts as CpuUsage[];
  return {
    cpu: { user: all.reduce((s, p) => s + p.cpu.user, 0), system: all.reduce((s, p) => s + p.cpu.system, 0) },
    // The processes ran side by side: their CPU over the one (average) wall time.
    wallMs: all.reduce((s, p) => s + p.wallMs, 0) / all.length,
  };
}

export function mergeReportInputs(parts: readonly ReportInput[]): ReportInput {
  if (parts.length === 0) throw new Error('nothing to merge: no load process reports');
  const first = parts[0];
  const targets = first.options.targets.map(targetUrl).join(' ');
  for (const p of parts) {
    if (p.options.targets.map(targetUrl).join(' ') !== targets) throw new Error('the load processes listened to different targets');
  }
  const originMs = Math.min(...parts.map((p) => p.startEpochMs));
  const results: ListenerResult[] = [];
  let steadyFromMs = -Infinity;
  let steadyToMs = Infinity;
  let elapsedMs = 0;
  for (const p of parts) {
    const offsetMs = p.startEpochMs - originMs;
    for (const r of p.results) results.push(shifted(r, offsetMs));
    elapsedMs = Math.max(elapsedMs, offsetMs + p.elapsedMs);
    if (p.steady) {
      steadyFromMs = Math.max(steadyFromMs, offsetMs + p.steady.fromMs);
      steadyToMs = Math.min(steadyToMs, offsetMs + p.steady.toMs);
    }
  }
  const steady = parts.every((p) => p.steady) && steadyToMs > steadyFromMs ? { fromMs: steadyFromMs, toMs: steadyToMs } : undefined;
  return {
    options: {
      ...first.options,
      listeners: parts.reduce((s, p) => s + p.options.listeners, 0),
      rampPerS: parts.reduce((s, p) => s + p.options.rampPerS, 0),
      workers: parts.reduce((s, p) => s + p.options.workers, 0),
    },
    sourceAddresses: parts.reduce((s, p) => s + p.sourceAddresses, 0),
    steady,
    elapsedMs,
    stoppedEarly: parts.some((p) => p.stoppedEarly),
    results,
    cpuWhole: sumCpu(parts.map((p) => p.cpuWhole)) as CpuUsage,
    cpuSteady: sumCpu(parts.map((p) => p.cpuSteady)),
    startEpochMs: originMs,
    processes: parts.reduce((s, p) => s + (p.processes ?? 1), 0),
  };
}

export function mergeReports(parts: readonly ReportInput[]): LoadtestReport {
  return buildReport(mergeReportInputs(parts));
}
