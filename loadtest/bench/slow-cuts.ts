// When the server cut its slow readers, from the server's own records, in
// seconds since the load tool started. On loopback the kernel's send and
// receive buffers hold megabytes for a slow reader before the server sees
// any lag, so the tool's view ("the socket closed") and the server's view
// ("I dropped it") differ; the server's is the one the issue asks for.
// - relaycast: its JSON log; a cut is a 'listener disconnected' line with
//   reason 'slow' (the lag limit, or uWS's timer for a reader that took
//   nothing), and 'slow listener dropped' lines count the lag-limit cuts.
// - Icecast: its error log's "has fallen too far behind, removing" lines,
//   stamped in local time to the second (so its times are ±1 s).

import { median } from '../stats.js';

export interface SlowCuts {
  /** Listeners the server cut as slow. */
  count: number;
  /** relaycast only: of those, cut by the lag limit. */
  byLagLimit: number | null;
  firstS: number | null;
  medianS: number | null;
  lastS: number | null;
  /** How precise the times are, seconds (0: to the millisecond). */
  resolutionS: number;
}

function summarize(timesS: number[], byLagLimit: number | null, resolutionS: number): SlowCuts {
  // Before the load started only the bench's readiness probe was connected; it
  // hangs up mid-stream, which a server may count as slow. A stamp rounded down
  // to the second may read up to one resolution early.
  const sorted = timesS.filter((t) => t > -resolutionS).sort((a, b) => a - b);
  const r = (v: number | undefined) => (v === undefined ? null : Math.round(v * 10) / 10);
  return {
    count: sorted.length,
    byLagLimit,
    firstS: r(sorted[0]),
    medianS: r(median(sorted) ?? undefined),
    lastS: r(sorted.at(-1)),
    resolutionS,
  };
}

export function relaycastSlowCuts(logText: string, loadStartEpochMs: number): SlowCuts {
  const times: number[] = [];
  let byLagLimit = 0;
  for (const line of logText.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { msg?: unknown; reason?: unknown; time?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // a line cut short by the stop; it carries no cut
    }
    if (typeof entry.time !== 'number' || entry.time < loadStartEpochMs) continue;
    if (entry.msg === 'slow listener dropped') byLagLimit++;
    if (entry.msg === 'listener disconnected' && entry.reason === 'slow') {
      times.push((entry.time - loadStartEpochMs) / 1000);
    }
  }
  return summarize(times, byLagLimit, 0);
}

const ICECAST_CUT = /^\[(\d{4})-(\d\d)-(\d\d)\s+(\d\d):(\d\d):(\d\d)\]\s+\S+\s+\S+\s+Client \d+ \(.*\) has fallen too far behind/;

export function icecastSlowCuts(errorLogText: string, loadStartEpochMs: number): SlowCuts {
  const times: number[] = [];
  for (const line of errorLogText.split('\n')) {
    const m = ICECAST_CUT.exec(line);
    if (!m) continue;
    const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
    times.push((new Date(year, month - 1, day, hour, minute, second).getTime() - loadStartEpochMs) / 1000);
  }
  return summarize(times, null, 1);
}
