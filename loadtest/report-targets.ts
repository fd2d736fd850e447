// The report's per-target and TLS parts: how many listeners each --url got
// and kept (so a bench through several edges can say what each edge held),
// and for https:// targets how long handshakes took and how many completed
// per second. Pure functions of the per-listener results.

import type { Target } from './options.js';
import { distribution, type Distribution } from './stats.js';
import type { ListenerResult } from './worker-protocol.js';

export interface TargetCounts {
  target: string;
  listeners: number;
  connected: number;
  failed: number;
  /** Connected and still streaming when the run ended: what this target held. */
  streamingAtEnd: number;
  serverClosed: number;
}

export interface TlsFigures {
  /** From TCP connect to the end of the handshake. */
  handshakeMs: Distribution;
  handshakes: number;
  /** Handshakes completed / (last completion - first completion): the sustained rate over the ramp. */
  meanPerS: number | null;
  /** The most handshakes completed in any one whole second of the run. */
  peakPerS: number | null;
}

export function targetUrl(t: Target): string {
  return `${t.tls ? 'https' : 'http'}://${t.hostHeader}${t.path}`;
}

export function targetCounts(targets: readonly Target[], results: readonly ListenerResult[]): TargetCounts[] {
  const counts = targets.map((t) => ({ target: targetUrl(t), listeners: 0, connected: 0, failed: 0, streamingAtEnd: 0, serverClosed: 0 }));
  for (const r of results) {
    const c = counts[r.targetIndex];
    if (!c) continue;
    c.listeners++;
    if (r.outcome === 'failed') c.failed++;
    else if (r.outcome === 'streaming') {
      c.connected++;
      c.streamingAtEnd++;
    } else if (r.outcome === 'server-closed') {
      c.connected++;
      c.serverClosed++;
    }
  }
  return counts;
}

/** Null when no listener completed a TLS handshake (no https:// target, or every one failed before). */
export function tlsFigures(results: readonly ListenerResult[]): TlsFigures | null {
  const handshakeMs: number[] = [];
  const atMs: number[] = [];
  const perSecond = new Map<number, number>();
  for (const r of results) {
    if (r.tlsHandshakeMs === undefined || r.tlsHandshakeAtRunMs === undefined) continue;
    handshakeMs.push(r.tlsHandshakeMs);
    atMs.push(r.tlsHandshakeAtRunMs);
    const second = Math.floor(r.tlsHandshakeAtRunMs / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  if (handshakeMs.length === 0) return null;
  let first = Infinity;
  let last = -Infinity;
  for (const t of atMs) {
    if (t < first) first = t;
    if (t > last) last = t;
  }
  const spanS = (last - first) / 1000;
  return {
    handshakeMs: distribution(handshakeMs),
    handshakes: handshakeMs.length,
    meanPerS: spanS > 0 ? (handshakeMs.length - 1) / spanS : null,
    peakPerS: Math.max(...perSecond.values()),
  };
}
