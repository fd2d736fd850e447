// A worker thread's share of the listeners (every workerCount-th of the
// plan). It opens them on the ramp, reports its tally every second, marks
// the steady window, and at the end stops every listener and sends back one
// result per listener. Everything it runs is on timers it clears itself, so
// it ends by itself at --duration even if the main thread says nothing more.

import { readFileSync } from 'node:fs';
import tls, { type SecureContext } from 'node:tls';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { ListenerClient } from './listener-client.js';
import { isSlowListener, listenersOfWorker, sourceAddressOf, startOffsetMs, targetOf } from './plan.js';
import { TALLY_INTERVAL_MS, type FromWorker, type ToWorker, type WorkerSetup, type WorkerTally } from './worker-protocol.js';

/** How often the ramp looks for listeners that are due. */
const RAMP_TICK_MS = 5;
/**
 * Most listeners opened in one tick, so a steep ramp cannot hold the event
 * loop for long (reads of already-open listeners wait meanwhile).
 */
const MAX_OPENS_PER_TICK = 100;
/** One read buffer for all normal listeners of this worker (reads are synchronous). */
const READ_BUFFER_BYTES = 64 * 1024;

const setup = workerData as WorkerSetup;
if (!parentPort) throw new Error('loadtest/worker.js runs only as a worker thread');
const port: MessagePort = parentPort;

const { options } = setup;
const tally: WorkerTally = { started: 0, connected: 0, failed: 0, serverClosed: 0, bodyBytes: 0 };
const sharedReadBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
const indices = listenersOfWorker(options.listeners, setup.workerIndex, options.workers);
let clients: ListenerClient[] = [];
let runStartMs = 0;
let nextToOpen = 0;
let rampTimer: NodeJS.Timeout | undefined;
let progressTimer: NodeJS.Timeout | undefined;
let steadyTimer: NodeJS.Timeout | undefined;
let endTimer: NodeJS.Timeout | undefined;
let finished = false;
// One context for every TLS listener of this worker: a context per connection would cost more than the handshake.
const secureContext: SecureContext | undefined = options.targets.some((t) => t.tls)
  ? tls.createSecureContext(options.tls.caFile === undefined ? {} : { ca: readFileSync(options.tls.caFile) })
  : undefined;

function post(message: FromWorker): void {
  port.postMessage(message);
}

function onMessage(message: ToWorker): void {
  if (message.type === 'start') start(message.startEpochMs);
  else if (message.type === 'stop') finish();
}

function start(startEpochMs: number): void {
  // Each thread has its own performance.timeOrigin; the epoch time puts them on one clock.
  runStartMs = startEpochMs - performance.timeOrigin;
  clients = indices.map((index) => {
    const targetIndex = targetOf(index, options.targets.length, options.addressBlock);
    const target = options.targets[targetIndex];
    return new ListenerClient(
      {
        index,
        targetIndex,
        target,
        secureContext,
        rejectUnauthorized: !options.tls.insecure,
        http10: options.http10,
        localAddress: sourceAddressOf(index, setup.sourceAddresses, target.loopback, options.addressBlock),
        slowRateBytesPerS: isSlowListener(index, options.slowFraction) ? options.slowRateBytesPerS : undefined,
        bitrateKbps: options.bitrateKbps,
        runStartMs,
      },
      tally,
      sharedReadBuffer,
    );
  });
  const untilMs = (offsetMs: number) => Math.max(0, runStartMs + offsetMs - performance.now());
  rampTimer = setInterval(onRampTick, RAMP_TICK_MS);
  onRampTick();
  progressTimer = setInterval(onProgressDue, TALLY_INTERVAL_MS);
  if (setup.steady) steadyTimer = setTimeout(onSteadyStart, untilMs(setup.steady.fromMs));
  endTimer = setTimeout(finish, untilMs(options.durationS * 1000));
}

function onRampTick(): void {
  const elapsedMs = performance.now() - runStartMs;
  let opened = 0;
  while (nextToOpen < clients.length && opened < MAX_OPENS_PER_TICK && startOffsetMs(indices[nextToOpen], options.rampPerS) <= elapsedMs) {
    clients[nextToOpen++].start(performance.now());
    opened++;
  }
  if (nextToOpen >= clients.length) {
    clearInterval(rampTimer);
    rampTimer = undefined;
  }
}

function onProgressDue(): void {
  post({ type: 'progress', workerIndex: setup.workerIndex, tally: { ...tally } });
}

function onSteadyStart(): void {
  const nowMs = performance.now();
  for (const client of clients) client.markSteadyStart(nowMs);
}

function finish(): void {
  if (finished) return;
  finished = true;
  clearInterval(rampTimer);
  clearInterval(progressTimer);
  clearTimeout(steadyTimer);
  clearTimeout(endTimer);
  const nowMs = performance.now();
  for (const client of clients) client.stop(nowMs);
  post({ type: 'done', workerIndex: setup.workerIndex, tally: { ...tally }, results: clients.map((c) => c.result()) });
  port.off('message', onMessage);
  port.unref();
}

port.on('message', onMessage);
post({ type: 'ready', workerIndex: setup.workerIndex });
