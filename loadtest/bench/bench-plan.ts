// Which runs `npm run bench` makes, in which order, and how long each lasts:
// decided up front from the flags, so the run loop only executes and the
// timing rules are testable. Order: for each size and repeat, relaycast then
// Icecast back to back (drift on a shared machine hits both alike); then the
// two extra runs (unlimited-rate feed, slow readers), once per server.
//
// Timing of one run, in seconds since the load tool started:
//   0 ... ramp (listeners / ramp) ... +SETTLE ... window (CPU, RSS) ... +END_MARGIN = duration
// The server is measured only after every listener was opened and the ramp's
// bursts are delivered, and stops being measured before the tool disconnects.

import type { FeedRate } from './feed.js';
import type { RelaycastDoor, ServerName } from './server-process.js';
import { tcpLabel, type TcpSetting } from './tcp-settings.js';

export const SETTLE_S = 5;
export const END_MARGIN_S = 3;

export type RunKind = 'steady' | 'unlimited' | 'slow';

export interface BenchOptions {
  sizes: number[];
  repeats: number;
  servers: ServerName[];
  skipExtra: boolean;
  /** Listeners in the unlimited-rate and slow-reader runs. */
  extraListeners: number;
  rampPerS: number;
  /** Length of the measured window, seconds (at least 20 for the recorded figures). */
  windowS: number;
  /**
   * The longest the slow-reader run lasts (it stops 10 s after the server has cut every slow reader):
   * on loopback the kernel buffers up to ~4 MB for a slow reader before the server sees lag, which at
   * 12 kB/s of falling behind is about 6 minutes.
   */
  slowDurationS: number;
  slowFraction: number;
  slowRateBytesPerS: number;
  bitrateKbps: number;
  port: number;
  /** Which relaycast port the listeners use: our node:net server (the front door) or uWS. */
  door: RelaycastDoor;
  /** TCP settings to run under, in order; one entry = no switching (the machine's own). */
  tcp: TcpSetting[];
}

export const BENCH_DEFAULTS = {
  sizes: [1000, 5000, 10000, 15000],
  repeats: 3,
  extraListeners: 1000,
  rampPerS: 500,
  windowS: 20,
  slowDurationS: 420,
  slowFraction: 0.1,
  slowRateBytesPerS: 4000,
  bitrateKbps: 128,
  port: 18300,
  door: 'socket',
} as const;

export interface RunSpec {
  kind: RunKind;
  server: ServerName;
  listeners: number;
  /** 1-based. */
  repeat: number;
  feedRate: FeedRate;
  durationS: number;
  windowFromS: number;
  windowToS: number;
  /** Share of slow readers (slow runs only; 0 otherwise). */
  slowFraction: number;
  /** Flags for the load tool besides url, listeners, duration, ramp, bitrate and --json. */
  extraLoadFlags: string[];
  /** The TCP setting the run is made under. */
  tcp: TcpSetting;
  /** File-name-safe name of the run, e.g. "steady-5000-r2-icecast" (plus "-cubic-ssai1" when several TCP settings run). */
  label: string;
}

export function runTiming(listeners: number, rampPerS: number, windowS: number, minDurationS = 0) {
  const rampS = listeners / rampPerS;
  const windowFromS = Math.ceil(rampS + SETTLE_S);
  const windowToS = windowFromS + windowS;
  const durationS = Math.max(minDurationS, windowToS + END_MARGIN_S);
  return { windowFromS, windowToS, durationS };
}

export function planRuns(o: BenchOptions): RunSpec[] {
  const runs: RunSpec[] = [];
  const several = o.tcp.length > 1;
  const add = (kind: RunKind, server: ServerName, listeners: number, repeat: number, tcp: TcpSetting, minDurationS = 0) => {
    const timing = runTiming(listeners, o.rampPerS, o.windowS, minDurationS);
    runs.push({
      kind,
      server,
      listeners,
      repeat,
      feedRate: kind === 'unlimited' ? 'unlimited' : 'realtime',
      ...timing,
      slowFraction: kind === 'slow' ? o.slowFraction : 0,
      extraLoadFlags: kind === 'slow' ? ['--slow-fraction', String(o.slowFraction), '--slow-rate', String(o.slowRateBytesPerS)] : [],
      tcp,
      label: `${kind}-${listeners}-r${repeat}-${server}${several ? `-${tcpLabel(tcp)}` : ''}`,
    });
  };
  for (const listeners of o.sizes) {
    for (let repeat = 1; repeat <= o.repeats; repeat++) {
      for (const tcp of o.tcp) {
        for (const server of o.servers) add('steady', server, listeners, repeat, tcp);
      }
    }
  }
  if (!o.skipExtra) {
    for (const server of o.servers) add('unlimited', server, o.extraListeners, 1, o.tcp[0]);
    for (const server of o.servers) add('slow', server, o.extraListeners, 1, o.tcp[0], o.slowDurationS);
  }
  return runs;
}

/** Seconds the whole plan takes, roughly: each run plus start-up, idle measurement and stop. */
export function plannedSeconds(runs: RunSpec[]): number {
  const PER_RUN_OVERHEAD_S = 15;
  return runs.reduce((s, r) => s + r.durationS + PER_RUN_OVERHEAD_S, 0);
}
