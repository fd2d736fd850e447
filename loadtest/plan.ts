// Who does what and when, decided up front and the same in every worker:
// listener i starts at i / ramp seconds, runs in worker i mod workers,
// listens to target i mod targets, binds source address
// 127.<block>.0.(1 + i mod addresses), and is slow if the slow fraction
// "ticks over" at i (so slow listeners are spread evenly over the ramp
// instead of all starting first). Load processes of one bench use different
// blocks, so no two of them share a source address.
//
// The steady part of the run, over which delivered rates are measured, starts
// SETTLE_MS after the last listener was opened (bursts delivered, the ramp's
// CPU spike over) and ends with the run.

import type { LoadtestOptions } from './options.js';

/**
 * One source address per this many listeners. Each address has its own
 * ephemeral port range (28k ports here), and ports in TIME_WAIT from an
 * earlier run still count, so stay well below it.
 */
export const LISTENERS_PER_SOURCE_ADDRESS = 2000;
/** 127.0.0.1 to 127.0.0.254: all of them are this host on Linux without any set-up. */
const MAX_SOURCE_ADDRESSES = 254;
export const SETTLE_MS = 3000;
/** A steady part shorter than this says little about rates; the report then has none. */
export const MIN_STEADY_MS = 2000;

export interface SteadyWindow {
  fromMs: number;
  toMs: number;
}

export function sourceAddressCount(o: Pick<LoadtestOptions, 'listeners' | 'targets'>): number {
  if (!o.targets[0]?.loopback) return 1;
  return Math.min(MAX_SOURCE_ADDRESSES, Math.ceil(o.listeners / LISTENERS_PER_SOURCE_ADDRESS));
}

/** The local address listener `index` binds, or undefined to let the kernel choose. */
export function sourceAddressOf(index: number, addressCount: number, loopback: boolean, block = 0): string | undefined {
  return loopback ? `127.${block}.0.${1 + (index % addressCount)}` : undefined;
}

/**
 * Which of `targetCount` targets listener `index` listens to: round-robin, so
 * each gets an equal share of the ramp. Load processes start the turn at
 * their address block, so over several processes the remainders even out.
 */
export function targetOf(index: number, targetCount: number, addressBlock = 0): number {
  return (index + addressBlock) % targetCount;
}

export function isSlowListener(index: number, slowFraction: number): boolean {
  return Math.floor((index + 1) * slowFraction) > Math.floor(index * slowFraction);
}

export function startOffsetMs(index: number, rampPerS: number): number {
  return (index * 1000) / rampPerS;
}

export function steadyWindow(o: Pick<LoadtestOptions, 'listeners' | 'rampPerS' | 'durationS'>): SteadyWindow | undefined {
  const fromMs = startOffsetMs(o.listeners - 1, o.rampPerS) + SETTLE_MS;
  const toMs = o.durationS * 1000;
  return toMs - fromMs >= MIN_STEADY_MS ? { fromMs, toMs } : undefined;
}

/** The listener indices worker `workerIndex` of `workerCount` runs, in start order. */
export function listenersOfWorker(listeners: number, workerIndex: number, workerCount: number): number[] {
  const indices: number[] = [];
  for (let i = workerIndex; i < listeners; i += workerCount) indices.push(i);
  return indices;
}
