// The messages between the run (main thread) and its workers, and the one
// record each listener ends as. Times in a ListenerResult are milliseconds,
// either since that listener started connecting (...SinceStartMs) or since
// the run started (...AtRunMs), so workers' clocks never need to agree.
//
//   main                         worker
//    |  workerData: WorkerSetup    |
//    |<---------- ready -----------|
//    |----- start (epoch ms) ----->|   opens listeners on the plan's ramp
//    |<-------- progress ----------|   every TALLY_INTERVAL_MS
//    |------ stop (optional) ----->|   early end (Ctrl-C)
//    |<----- done (results) -------|   at --duration or after stop

import type { LoadtestOptions } from './options.js';
import type { SteadyWindow } from './plan.js';

/** How often workers send their tally; a few times per progress line, so the line is current. */
export const TALLY_INTERVAL_MS = 250;

export interface WorkerSetup {
  options: LoadtestOptions;
  workerIndex: number;
  sourceAddresses: number;
  steady: SteadyWindow | undefined;
}

/** Running totals of one worker; the main thread adds up the latest of each. */
export interface WorkerTally {
  started: number;
  connected: number;
  failed: number;
  serverClosed: number;
  bodyBytes: number;
}

export type ListenerOutcome =
  /** Still streaming when the run ended. */
  | 'streaming'
  /** Never got a 200 response head. */
  | 'failed'
  /** Got 200, then the server ended or broke the connection. */
  | 'server-closed'
  /** The run ended before its turn on the ramp (stopped early). */
  | 'not-started';

export interface ListenerResult {
  index: number;
  /** Which of the run's targets it listened to. */
  targetIndex: number;
  /** https://: from TCP connect to the end of the TLS handshake. */
  tlsHandshakeMs?: number;
  /** https://: when the handshake completed, since the run started (for handshakes per second). */
  tlsHandshakeAtRunMs?: number;
  slow: boolean;
  outcome: ListenerOutcome;
  /** Why it failed or how the server closed it, as counted in the report. */
  reason?: string;
  connectSinceStartMs?: number;
  firstByteSinceStartMs?: number;
  bufferFullSinceStartMs?: number;
  /** Body bytes received over the steady window; set only if it streamed through all of it. */
  steadyBytes?: number;
  steadyMs?: number;
  underruns: number;
  stalledMs: number;
  bodyBytes: number;
  /** From the 200 head to the end of this listener (server close or the run's end). */
  streamedMs?: number;
  serverClosedAtRunMs?: number;
  /** A slow reader first had to pause: from then on it took less than it was offered. */
  lagStartedAtRunMs?: number;
}

export type ToWorker = { type: 'start'; startEpochMs: number } | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; workerIndex: number }
  | { type: 'progress'; workerIndex: number; tally: WorkerTally }
  | { type: 'done'; workerIndex: number; tally: WorkerTally; results: ListenerResult[] };
