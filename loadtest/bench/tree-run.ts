// One bench:tree run: start the tree (origin, feed, edges), let it idle,
// start the load processes together (each its share of the listeners and
// ramp, its own source-address block, every edge round-robin), measure every
// process from /proc over the steady window, wait for the load processes'
// reports, merge them, stop everything by PID. Returns one plain record.
//
// Timing, seconds since the load processes started (bench-plan.ts's rule):
//   0 ... ramp ... +5 s ... window (CPU, RSS, status) ... +3 s = duration

import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadtestReport } from '../report.js';
import { mergeReports, readReportInput } from '../report-merge.js';
import { runTiming } from './bench-plan.js';
import { ManagedProcess } from './managed-process.js';
import { assertPortFree } from './port-probe.js';
import {
  busiestProcesses,
  readAllProcessTicks,
  readProcessCpuTicks,
  readRssKb,
  readTcpExt,
  tcpExtDelta,
  ticksPerSecond,
} from './proc-stats.js';
import { BENCH_PRIORITY, type ServerName } from './server-process.js';
import { startTree, TLS_PORT_OFFSET, type Tree, type TreeTls } from './tree-servers.js';

const IDLE_SETTLE_MS = 3000;
const LOAD_EXIT_GRACE_S = 60;
const STATUS_TIMEOUT_MS = 3000;
/** Other processes using this much of a core in the window are named: on a shared machine they explain a busy figure. */
const OTHERS_MIN_PERCENT = 5;

export interface TreeRunSpec {
  server: ServerName;
  listeners: number;
  edges: number;
  loadProcesses: number;
  rampPerS: number;
  windowS: number;
  bitrateKbps: number;
  basePort: number;
  serverCpus: string | undefined;
  loadCpus: string | undefined;
  tls: TreeTls | undefined;
  repoDir: string;
  outputBase: string;
  signal: AbortSignal;
}

export interface ProcessFigures {
  role: string;
  pid: number;
  command: string;
  cpuPercent: number | null;
  rssIdleKb: number | null;
  rssKb: number | null;
  /** The server's own count of listeners on the mount at the window's end (status JSON), when it answered. */
  listenersReported?: number | null;
  /** Edges and the origin without edges: the load tool's listeners still streaming from it at the end. */
  listenersHeld?: number;
}

export interface TreeRunResult {
  server: ServerName;
  listeners: number;
  edges: number;
  loadProcesses: number;
  durationS: number;
  windowFromS: number;
  windowToS: number;
  startedAt: string;
  error?: string;
  processes: ProcessFigures[];
  /** Whole machine, 1 - idle / total over all cores, and each core. */
  machineBusyPercent?: number;
  coreBusyPercent?: number[];
  tcpExt?: Record<string, number>;
  /** Processes not of this run that used 5 % of a core or more in the window ("name[pid] percent"). */
  others?: string[];
  load?: LoadtestReport;
}

/** Machine-wide and per-core (busy, total) ticks from /proc/stat. */
function readCpuLines(): Array<{ busy: number; total: number }> {
  const lines = readFileSync('/proc/stat', 'latin1')
    .split('\n')
    .filter((l) => /^cpu\d* /.test(l));
  return lines.map((l) => {
    const v = l.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - v[3] - v[4], total };
  });
}

const round1 = (v: number) => Math.round(v * 10) / 10;

function safe<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

/** Listeners on the mount as the server itself reports them (relaycast and Icecast both serve /status-json.xsl). */
async function listenersReported(port: number): Promise<number | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/status-json.xsl`, { signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) });
    const json = (await res.json()) as { icestats?: { source?: unknown } };
    const source = json.icestats?.source;
    const sources = (Array.isArray(source) ? source : source ? [source] : []) as Array<{ listeners?: number }>;
    return sources.reduce((s, m) => s + (m.listeners ?? 0), 0);
  } catch {
    return null;
  }
}

function loadArgv(spec: TreeRunSpec, urls: string[], p: number, listeners: number, durationS: number, rawPath: string): string[] {
  return [
    ...BENCH_PRIORITY,
    ...(spec.loadCpus === undefined ? [] : ['taskset', '-c', spec.loadCpus]),
    'node',
    'dist/relay/cli.js',
    'loadtest',
    ...urls.flatMap((u) => ['--url', u]),
    '--listeners',
    String(listeners),
    '--duration',
    String(durationS),
    '--ramp',
    String(round1(spec.rampPerS / spec.loadProcesses)),
    '--bitrate',
    String(spec.bitrateKbps),
    // One thread per process: the processes are the parallelism, and a second thread per process only adds switching.
    '--workers',
    '1',
    '--address-block',
    String(p + 1),
    ...(spec.tls ? ['--insecure'] : []),
    '--raw',
    rawPath,
    '--json',
  ];
}

/** Listener counts per load process: as equal as they go, the first ones taking the remainder. */
export function splitListeners(listeners: number, processes: number): number[] {
  return Array.from({ length: processes }, (_, p) => Math.floor(listeners / processes) + (p < listeners % processes ? 1 : 0));
}

export async function runTree(spec: TreeRunSpec): Promise<TreeRunResult> {
  const timing = runTiming(spec.listeners, spec.rampPerS, spec.windowS);
  const result: TreeRunResult = {
    server: spec.server,
    listeners: spec.listeners,
    edges: spec.edges,
    loadProcesses: spec.loadProcesses,
    ...timing,
    startedAt: new Date().toISOString(),
    processes: [],
  };
  for (let port = spec.basePort; port <= spec.basePort + spec.edges; port++) await assertPortFree(port);
  if (spec.tls) await assertPortFree(spec.basePort + TLS_PORT_OFFSET);
  let tree: Tree | undefined;
  const loads: ManagedProcess[] = [];
  try {
    tree = await startTree({
      server: spec.server,
      edges: spec.edges,
      basePort: spec.basePort,
      serverCpus: spec.serverCpus,
      feedCpus: spec.loadCpus,
      repoDir: spec.repoDir,
      outputBase: spec.outputBase,
      tls: spec.tls,
    });
    await sleep(IDLE_SETTLE_MS, undefined, { signal: spec.signal });
    const servers = tree.processes;
    const rssIdle = servers.map((p) => safe(() => readRssKb(p.process.pid)));
    const tcpBefore = readTcpExt();
    const shares = splitListeners(spec.listeners, spec.loadProcesses);
    const rawPaths = shares.map((_, p) => `${spec.outputBase}.load${p + 1}.raw.json`);
    const startMs = performance.now();
    shares.forEach((n, p) => {
      const argv = loadArgv(spec, tree?.listenUrls ?? [], p, n, timing.durationS, rawPaths[p]);
      loads.push(ManagedProcess.start(argv, { cwd: spec.repoDir, outputBase: `${spec.outputBase}.load${p + 1}`, captureStdout: true }));
    });
    const untilS = (s: number) => sleep(Math.max(0, startMs + s * 1000 - performance.now()), undefined, { signal: spec.signal });
    const all = [
      ...servers.map((p) => ({ role: p.role, process: p.process })),
      ...loads.map((l, i) => ({ role: `load ${i + 1}`, process: l })),
    ];
    const ticks = () => all.map((p) => safe(() => readProcessCpuTicks(p.process.pid)));

    await untilS(timing.windowFromS);
    const allA = readAllProcessTicks();
    const ticksA = ticks();
    const cpuA = readCpuLines();
    const atA = performance.now();
    await untilS(timing.windowToS);
    const ticksB = ticks();
    const cpuB = readCpuLines();
    const windowS = (performance.now() - atA) / 1000;
    const ours = new Set(all.map((p) => p.process.pid));
    result.others = busiestProcesses(allA, readAllProcessTicks(), windowS, OTHERS_MIN_PERCENT).filter(
      (line) => !ours.has(Number(/\[(\d+)\]/.exec(line)?.[1])) && !line.startsWith(`node[${process.pid}]`),
    );
    const rss = all.map((p) => safe(() => readRssKb(p.process.pid)));
    const reported = await Promise.all(servers.map((p) => (p.port === undefined ? null : listenersReported(p.port))));
    const hz = ticksPerSecond();
    const busy = cpuB.map((b, i) => round1((100 * (b.busy - cpuA[i].busy)) / Math.max(1, b.total - cpuA[i].total)));
    result.machineBusyPercent = busy[0];
    result.coreBusyPercent = busy.slice(1);
    result.processes = all.map((p, i) => {
      const a = ticksA[i];
      const b = ticksB[i];
      const figures: ProcessFigures = {
        role: p.role,
        pid: p.process.pid,
        command: p.process.command,
        cpuPercent: a === null || b === null ? null : round1((100 * (b - a)) / hz / windowS),
        rssIdleKb: i < servers.length ? rssIdle[i] : null,
        rssKb: rss[i],
      };
      if (i < servers.length && servers[i].port !== undefined) figures.listenersReported = reported[i];
      return figures;
    });

    const waitS = timing.durationS + LOAD_EXIT_GRACE_S - (performance.now() - startMs) / 1000;
    for (const [i, load] of loads.entries()) {
      if (!(await load.waitForExit(Math.max(1000, waitS * 1000)))) throw new Error(`load ${i + 1} did not finish in time`);
      if (load.code !== 0) throw new Error(`load ${i + 1} ended with ${load.status}; see ${spec.outputBase}.load${i + 1}.err`);
    }
    result.tcpExt = tcpExtDelta(tcpBefore, readTcpExt());
    result.load = mergeReports(rawPaths.map(readReportInput));
    // What each listening process held at the end, from the load tool's side.
    const held = new Map(result.load.perTarget.map((t) => [t.target, t.streamingAtEnd]));
    for (const [i, p] of servers.entries()) {
      const url = p.listenUrl && tree.listenUrls.includes(p.listenUrl) ? p.listenUrl : undefined;
      const tlsUrl = tree.listenUrls.find((u) => u.startsWith('https://'));
      const key = url ?? (p.role === 'origin' && tlsUrl ? tlsUrl : undefined);
      if (key !== undefined) result.processes[i].listenersHeld = held.get(key) ?? 0;
    }
  } catch (err) {
    if (spec.signal.aborted) throw err;
    result.error = (err as Error).message;
  } finally {
    for (const load of loads.reverse()) await load.stop().catch(() => undefined);
    await tree?.stop();
  }
  return result;
}
