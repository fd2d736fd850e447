// The library entry: runs one load test and resolves with its report. It
// starts the workers, waits until all are ready, gives them one start time,
// adds up their tallies for progress, measures the process's CPU (all
// threads) over the run and over the steady window, and collects the
// per-listener results. Every wait has a deadline; a worker that does not
// answer in time is terminated and the run fails with a reason.

import { Worker } from 'node:worker_threads';
import type { LoadtestOptions } from './options.js';
import { sourceAddressCount, steadyWindow } from './plan.js';
import { buildReport, type CpuUsage, type LoadtestReport, type ReportInput } from './report.js';
import type { FromWorker, ListenerResult, WorkerSetup, WorkerTally } from './worker-protocol.js';

/** Workers load in well under a second; this is for a machine on its knees. */
const READY_TIMEOUT_MS = 15_000;
/** After --duration, workers stop thousands of sockets and send their results. */
const RESULTS_TIMEOUT_MS = 20_000;
/** How often onProgress is called. */
const PROGRESS_INTERVAL_MS = 1000;

export interface LoadtestProgress {
  elapsedMs: number;
  listeners: number;
  started: number;
  connected: number;
  failed: number;
  serverClosed: number;
  /** Currently streaming: connected minus closed by the server. */
  streaming: number;
  bodyBytes: number;
  /** Body bytes per second since the previous progress report. */
  bytesPerS: number;
}

export interface RunHooks {
  onProgress?: (progress: LoadtestProgress) => void;
  /** Aborting ends the run early; the report covers what ran. */
  signal?: AbortSignal;
  /** Gets what the report was built from (every listener's result), e.g. to save it for a merge. */
  onReportInput?: (input: ReportInput) => void;
}

export async function runLoadtest(options: Readonly<LoadtestOptions>, hooks: RunHooks = {}): Promise<LoadtestReport> {
  const sourceAddresses = sourceAddressCount(options);
  const steady = steadyWindow(options);
  const workers: Worker[] = [];
  const tallies: WorkerTally[] = [];
  const results: ListenerResult[][] = [];
  for (let i = 0; i < options.workers; i++) {
    const setup: WorkerSetup = { options, workerIndex: i, sourceAddresses, steady };
    workers.push(new Worker(new URL('./worker.js', import.meta.url), { workerData: setup }));
    tallies.push({ started: 0, connected: 0, failed: 0, serverClosed: 0, bodyBytes: 0 });
  }
  try {
    await untilAll(workers, 'ready', READY_TIMEOUT_MS, () => undefined);
    const cpuAtStart = process.cpuUsage();
    const startMs = performance.now();
    let steadyFrom: CpuSample | undefined;
    let steadyTo: CpuSample | undefined;
    const timers: NodeJS.Timeout[] = [];
    if (steady) {
      timers.push(setTimeout(() => (steadyFrom = cpuSample()), steady.fromMs));
      timers.push(setTimeout(() => (steadyTo = cpuSample()), steady.toMs));
    }
    let lastBytes = 0;
    let lastProgressMs = startMs;
    const onProgressDue = () => {
      const nowMs = performance.now();
      const sum = sumTallies(tallies);
      const bytesPerS = ((sum.bodyBytes - lastBytes) * 1000) / Math.max(1, nowMs - lastProgressMs);
      lastBytes = sum.bodyBytes;
      lastProgressMs = nowMs;
      hooks.onProgress?.({
        elapsedMs: nowMs - startMs,
        listeners: options.listeners,
        ...sum,
        streaming: sum.connected - sum.serverClosed,
        bytesPerS,
      });
    };
    if (hooks.onProgress) timers.push(setInterval(onProgressDue, PROGRESS_INTERVAL_MS));
    const onAbort = () => {
      for (const worker of workers) worker.postMessage({ type: 'stop' });
    };
    hooks.signal?.addEventListener('abort', onAbort, { once: true });

    const startEpochMs = performance.timeOrigin + startMs;
    for (const worker of workers) worker.postMessage({ type: 'start', startEpochMs });
    try {
      await untilAll(workers, 'done', options.durationS * 1000 + RESULTS_TIMEOUT_MS, (message) => {
        if (message.type === 'progress' || message.type === 'done') tallies[message.workerIndex] = message.tally;
        if (message.type === 'done') results[message.workerIndex] = message.results;
      });
    } finally {
      hooks.signal?.removeEventListener('abort', onAbort);
      for (const timer of timers) clearTimeout(timer);
    }
    const endMs = performance.now();
    // Workers end at --duration, the same moment as the steady window: whichever came first.
    if (steadyFrom && !steadyTo) steadyTo = cpuSample();
    const cpuWhole: CpuUsage = { cpu: process.cpuUsage(cpuAtStart), wallMs: endMs - startMs };
    const cpuSteady: CpuUsage | undefined =
      steadyFrom && steadyTo ? { cpu: diffCpu(steadyTo.cpu, steadyFrom.cpu), wallMs: steadyTo.atMs - steadyFrom.atMs } : undefined;
    const input: ReportInput = {
      options,
      sourceAddresses,
      steady,
      elapsedMs: endMs - startMs,
      stoppedEarly: hooks.signal?.aborted ?? false,
      results: results.flat(),
      cpuWhole,
      cpuSteady,
      startEpochMs,
    };
    hooks.onReportInput?.(input);
    return buildReport(input);
  } finally {
    // After 'done' a worker holds no sockets; terminate() is immediate and safe for node:net.
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

interface CpuSample {
  cpu: NodeJS.CpuUsage;
  atMs: number;
}

function cpuSample(): CpuSample {
  return { cpu: process.cpuUsage(), atMs: performance.now() };
}

function sumTallies(tallies: WorkerTally[]): WorkerTally {
  const sum: WorkerTally = { started: 0, connected: 0, failed: 0, serverClosed: 0, bodyBytes: 0 };
  for (const t of tallies) {
    sum.started += t.started;
    sum.connected += t.connected;
    sum.failed += t.failed;
    sum.serverClosed += t.serverClosed;
    sum.bodyBytes += t.bodyBytes;
  }
  return sum;
}

function diffCpu(later: NodeJS.CpuUsage, earlier: NodeJS.CpuUsage): NodeJS.CpuUsage {
  return { user: later.user - earlier.user, system: later.system - earlier.system };
}

/**
 * Resolves when every worker has sent a message of type `until`; passes
 * every message to `onMessage` meanwhile. Rejects when a worker errors or
 * exits first, or at the deadline.
 */
function untilAll(
  workers: Worker[],
  until: FromWorker['type'],
  timeoutMs: number,
  onMessage: (message: FromWorker) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const pending = new Set(workers.map((_, i) => i));
    const cleanups: Array<() => void> = [];
    const settle = (err?: Error) => {
      clearTimeout(deadline);
      for (const cleanup of cleanups) cleanup();
      if (err) reject(err);
      else resolve();
    };
    const deadline = setTimeout(
      () => settle(new Error(`worker(s) ${[...pending].join(', ')} sent no "${until}" within ${timeoutMs} ms`)),
      timeoutMs,
    );
    workers.forEach((worker, i) => {
      const onWorkerMessage = (message: FromWorker) => {
        onMessage(message);
        if (message.type !== until) return;
        pending.delete(i);
        if (pending.size === 0) settle();
      };
      const onWorkerError = (err: Error) => settle(new Error(`worker ${i} failed: ${err.message}`));
      // A worker that already sent `until` may end; one that has not, failed.
      const onWorkerExit = (code: number) => {
        if (pending.has(i)) settle(new Error(`worker ${i} exited with code ${code} before "${until}"`));
      };
      worker.on('message', onWorkerMessage);
      worker.on('error', onWorkerError);
      worker.on('exit', onWorkerExit);
      cleanups.push(() => {
        worker.off('message', onWorkerMessage);
        worker.off('error', onWorkerError);
        worker.off('exit', onWorkerExit);
      });
    });
  });
}
