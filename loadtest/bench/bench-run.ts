// One bench run: start the server (core 0), the feed and the load tool
// (core 1), measure the server over the steady window, stop everything by
// PID, and return one plain record (also written as JSON to the results
// directory). A run that fails returns its error with whatever it measured;
// only a busy port, which would make every later run fail too, throws.
//
// What is measured, relative to the load tool's start:
// - idle: RSS and CPU with the source connected, before any listener;
// - window (windowFromS to windowToS): server utime + stime, core 0 and
//   core 1 busy, RSS at its end (all listeners still connected);
// - whole run: TcpExt counters (listen-queue overflows), the tool's report.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isSlowListener } from '../plan.js';
import type { LoadtestReport } from '../report.js';
import type { RunSpec } from './bench-plan.js';
import { LOAD_CORE, startFeed } from './feed.js';
import { ManagedProcess } from './managed-process.js';
import { assertPortFree } from './port-probe.js';
import {
  busiestProcesses,
  cpuSnapshot,
  cpuWindow,
  readAllProcessTicks,
  readRssKb,
  readTcpExt,
  readTimeWait,
  tcpExtDelta,
  type CpuWindow,
} from './proc-stats.js';
import { BENCH_PRIORITY, MOUNT_PATH, ServerUnderTest, type RelaycastDoor } from './server-process.js';
import { readTcpSetting, type TcpSetting } from './tcp-settings.js';
import { icecastSlowCuts, relaycastSlowCuts, type SlowCuts } from './slow-cuts.js';

/** After the feed is up, before idle figures: the server settles its first burst. */
const IDLE_SETTLE_MS = 3000;
const IDLE_CPU_WINDOW_MS = 5000;
/** The load tool prints its report and exits within this after its --duration. */
const LOAD_EXIT_GRACE_S = 60;
const BUSY_REPORT_MIN_PERCENT = 2;
const SLOW_POLL_MS = 1000;
/** After the last slow reader is cut, watch the fast ones a little longer before stopping. */
const AFTER_LAST_CUT_MS = 10_000;

export interface RunContext {
  repoDir: string;
  resultsDir: string;
  port: number;
  rampPerS: number;
  bitrateKbps: number;
  door: RelaycastDoor;
  signal: AbortSignal;
}

export interface RunResult {
  spec: RunSpec;
  startedAt: string;
  commands: { server?: string; feed?: string; load?: string; icecastConfig?: string };
  /** The kernel's TCP setting read when the run started (what was in force, not what was asked). */
  tcpInForce?: TcpSetting;
  /** The port the listeners used (relaycast: its node:net front door or uWS). */
  listenPort?: number;
  error?: string;
  idle?: { rssKb: number; cpuPercent: number };
  window?: CpuWindow;
  /** Every process that used 2 % of a core or more in the window ("name[pid] percent", * for the run's own): who else was busy. */
  busyInWindow?: string[];
  rssLoadedKb?: number;
  rssEndKb?: number;
  /** (RSS at the window's end - idle RSS) / listeners connected. */
  kbPerListener?: number;
  timeWaitBefore?: number;
  tcpExt?: Record<string, number>;
  loadExit?: string;
  load?: LoadtestReport;
  /** Unlimited-rate run: body bytes all listeners received in the tool's steady window, per second. */
  aggregateMBps?: number;
  slowCuts?: SlowCuts;
  /** Slow run: seconds after which the tool was stopped because every slow reader had been cut (else absent). */
  slowRunStoppedAtS?: number;
}

export function loadArgv(spec: RunSpec, ctx: Pick<RunContext, 'rampPerS' | 'bitrateKbps'>, listenPort: number): string[] {
  return [
    ...BENCH_PRIORITY,
    'taskset',
    '-c',
    String(LOAD_CORE),
    'node',
    'dist/relay/cli.js',
    'loadtest',
    '--url',
    `http://127.0.0.1:${listenPort}${MOUNT_PATH}`,
    '--listeners',
    String(spec.listeners),
    '--duration',
    String(spec.durationS),
    '--ramp',
    String(ctx.rampPerS),
    '--bitrate',
    String(ctx.bitrateKbps),
    ...spec.extraLoadFlags,
    '--json',
  ];
}

export async function runOne(spec: RunSpec, ctx: RunContext): Promise<RunResult> {
  // Both of relaycast's ports; Icecast uses the first. Fails the whole bench (thrown, not recorded).
  await assertPortFree(ctx.port);
  await assertPortFree(ctx.port + 1);

  const result: RunResult = { spec, startedAt: new Date().toISOString(), commands: {}, tcpInForce: readTcpSetting() };
  const base = join(ctx.resultsDir, spec.label);
  const started: Array<{ stop(): Promise<void> }> = [];
  let server: ServerUnderTest | undefined;
  let loadStartEpochMs = 0;
  try {
    const logLevel = spec.kind === 'slow' ? 'info' : 'warn';
    server = await ServerUnderTest.start(spec.server, {
      repoDir: ctx.repoDir,
      port: ctx.port,
      outputBase: base,
      relaycastLogLevel: logLevel,
      relaycastDoor: ctx.door,
    });
    result.listenPort = server.listenPort;
    started.push(server);
    result.commands.server = server.process.command;
    const feed = await startFeed(server, spec.feedRate, ctx.repoDir, base);
    started.push(feed);
    result.commands.feed = feed.command;
    const pid = server.pid;

    await sleep(IDLE_SETTLE_MS, undefined, { signal: ctx.signal });
    const idleA = cpuSnapshot(pid);
    await sleep(IDLE_CPU_WINDOW_MS, undefined, { signal: ctx.signal });
    const idleB = cpuSnapshot(pid);
    result.idle = { rssKb: readRssKb(pid), cpuPercent: round1(cpuWindow(idleA, idleB).processPercent) };

    result.timeWaitBefore = readTimeWait();
    const tcpBefore = readTcpExt();
    const load = ManagedProcess.start(loadArgv(spec, ctx, server.listenPort), {
      cwd: ctx.repoDir,
      outputBase: `${base}.load`,
      captureStdout: true,
    });
    started.push(load);
    result.commands.load = load.command;
    const loadStartMs = performance.now();
    loadStartEpochMs = Date.now();
    const untilS = (s: number) => sleep(Math.max(0, loadStartMs + s * 1000 - performance.now()), undefined, { signal: ctx.signal });

    await untilS(spec.windowFromS);
    assertRunning(server, load);
    const allA = readAllProcessTicks();
    const a = cpuSnapshot(pid);
    await untilS(spec.windowToS);
    assertRunning(server, load);
    const b = cpuSnapshot(pid);
    const allB = readAllProcessTicks();
    result.rssLoadedKb = readRssKb(pid);
    result.window = roundWindow(cpuWindow(a, b));
    result.busyInWindow = busiestProcesses(allA, allB, result.window.windowS, BUSY_REPORT_MIN_PERCENT, new Set([pid, feed.pid, load.pid]));

    if (spec.kind === 'slow')
      result.slowRunStoppedAtS = await stopWhenAllSlowCut(spec, server, load, loadStartMs, loadStartEpochMs, ctx.signal);
    const waitS = spec.durationS + LOAD_EXIT_GRACE_S - (performance.now() - loadStartMs) / 1000;
    if (!(await load.waitForExit(waitS * 1000)))
      throw new Error(`the load tool did not finish within ${spec.durationS + LOAD_EXIT_GRACE_S} s`);
    result.loadExit = load.status;
    result.tcpExt = tcpExtDelta(tcpBefore, readTcpExt());
    if (server.process.running) result.rssEndKb = readRssKb(pid);
    result.load = parseReport(load.stdout, `${base}.load.err`);
    writeFileSync(`${base}.load.json`, `${JSON.stringify(result.load, null, 2)}\n`);

    const connected = result.load.connected;
    if (connected > 0) result.kbPerListener = round2((result.rssLoadedKb - result.idle.rssKb) / connected);
    const steady = result.load.steady;
    if (spec.kind === 'unlimited' && steady && steady.toS > steady.fromS) {
      result.aggregateMBps = round1(steady.bodyBytes / (steady.toS - steady.fromS) / 1e6);
    }
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    result.error = (err as Error).message;
  } finally {
    for (const p of started.reverse()) {
      try {
        await p.stop();
      } catch (err) {
        result.error ??= `stopping: ${(err as Error).message}`;
      }
    }
  }
  if (spec.kind === 'slow' && server && loadStartEpochMs > 0 && !result.error) {
    result.slowCuts =
      spec.server === 'relaycast'
        ? relaycastSlowCuts(readFileSync(logPath(server.relaycastLog, server), 'utf8'), loadStartEpochMs)
        : icecastSlowCuts(readFileSync(logPath(server.icecastErrorLog, server), 'utf8'), loadStartEpochMs);
  }
  if (server?.icecastErrorLog) result.commands.icecastConfig = `${spec.label}.icecast.xml`;
  writeFileSync(`${base}.run.json`, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/**
 * The slow-reader run lasts up to its duration, but once the server has cut
 * every slow reader there is nothing left to learn: a few seconds later the
 * tool is interrupted (it still reports). Returns when that happened, or
 * undefined when the run went its full length.
 */
async function stopWhenAllSlowCut(
  spec: RunSpec,
  server: ServerUnderTest,
  load: ManagedProcess,
  loadStartMs: number,
  loadStartEpochMs: number,
  signal: AbortSignal,
): Promise<number | undefined> {
  const slowListeners = slowListenerCount(spec.listeners, spec.slowFraction);
  const endMs = loadStartMs + spec.durationS * 1000;
  while (load.running && performance.now() < endMs - SLOW_POLL_MS) {
    await sleep(SLOW_POLL_MS, undefined, { signal });
    if (slowCutsSoFar(spec, server, loadStartEpochMs).count >= slowListeners) {
      await sleep(AFTER_LAST_CUT_MS, undefined, { signal });
      load.interrupt();
      return Math.round((performance.now() - loadStartMs) / 100) / 10;
    }
  }
  return undefined;
}

export function slowListenerCount(listeners: number, slowFraction: number): number {
  let n = 0;
  for (let i = 0; i < listeners; i++) if (isSlowListener(i, slowFraction)) n++;
  return n;
}

function slowCutsSoFar(spec: RunSpec, server: ServerUnderTest, loadStartEpochMs: number): SlowCuts {
  // Both servers write their logs as they go (pino synchronously; Icecast flushes each line).
  if (spec.server === 'relaycast') return relaycastSlowCuts(readFileSync(logPath(server.relaycastLog, server), 'utf8'), loadStartEpochMs);
  return icecastSlowCuts(readFileSync(logPath(server.icecastLiveErrorLog, server), 'utf8'), loadStartEpochMs);
}

/** A log the server under test has by its kind (the caller picked the getter by spec.server, which names that kind). */
function logPath(path: string | undefined, server: ServerUnderTest): string {
  if (path === undefined) throw new Error(`${server.name} has no such log (the log getter does not match the server's kind)`);
  return path;
}

function assertRunning(server: ServerUnderTest, load: ManagedProcess): void {
  if (!server.process.running) throw new Error(`${server.name} exited during the run (${server.process.status})`);
  if (!load.running) throw new Error(`the load tool ended before the window did (${load.status})`);
}

function parseReport(stdout: string, errFile: string): LoadtestReport {
  try {
    return JSON.parse(stdout) as LoadtestReport;
  } catch {
    throw new Error(`the load tool printed no JSON report; see ${errFile}`);
  }
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const round2 = (v: number) => Math.round(v * 100) / 100;

function roundWindow(w: CpuWindow): CpuWindow {
  const r = (v: number | null) => (v === null ? null : round1(v));
  return {
    windowS: round2(w.windowS),
    processPercent: round1(w.processPercent),
    core0BusyPercent: r(w.core0BusyPercent),
    core1BusyPercent: r(w.core1BusyPercent),
    core0StealPercent: r(w.core0StealPercent),
    core1StealPercent: r(w.core1StealPercent),
    forks: w.forks,
  };
}
