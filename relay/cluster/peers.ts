// The peers new listeners may be sent to (--peer): each one's /status.json
// is read every --peer-check-ms (with a timeout), and what it says becomes
// its state and room (peer-room.ts). A peer that does not answer, answers
// badly or is draining has no room. take() picks the peer with the most
// room, ties to the first listed, and counts the listener against that room
// until the next check, so a burst of redirects between two checks does not
// overfill one peer.
// Invariant: a peer's state is logged once per change (room, full, draining,
// down), never once per check; its gauges follow every check.

import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';
import { type PeerReport, readPeerReport, roomOf } from './peer-room.js';

export type PeerState = 'room' | 'full' | 'draining' | 'down';

/** Longest a check may take: a hung peer must not hold its state for long, nor a check overlap the next by much. */
const MAX_CHECK_TIMEOUT_MS = 5000;
/** A peer on a busy machine still answers a status request in well under this. */
const MIN_CHECK_TIMEOUT_MS = 1000;

interface Peer {
  readonly url: string;
  state: PeerState | undefined;
  /** Room as last checked, less the listeners sent there since. */
  room: number;
  checking: boolean;
}

export class Peers {
  private readonly peers: Peer[];
  private readonly checkMs: number;
  private readonly timeoutMs: number;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;

  constructor(urls: readonly string[], checkMs: number, metrics: Metrics, log: Logger) {
    this.peers = urls.map((url) => ({ url, state: undefined, room: 0, checking: false }));
    this.checkMs = checkMs;
    this.timeoutMs = Math.min(MAX_CHECK_TIMEOUT_MS, Math.max(MIN_CHECK_TIMEOUT_MS, checkMs));
    this.metrics = metrics;
    this.log = log;
    for (const peer of this.peers) {
      // Every series exists from the start: a peer not checked yet is not up and has no room.
      metrics.peerUp.set({ peer: peer.url }, 0);
      metrics.peerRoom.set({ peer: peer.url }, 0);
      metrics.redirects.inc({ peer: peer.url }, 0);
    }
  }

  get count(): number {
    return this.peers.length;
  }

  start(): void {
    if (this.peers.length === 0 || this.timer) return;
    this.checkAll();
    this.timer = setInterval(() => this.checkAll(), this.checkMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The base URL of the peer with the most room (ties: the first listed), counted against it; undefined when none has room. */
  take(): string | undefined {
    let best: Peer | undefined;
    for (const peer of this.peers) {
      if (peer.state === 'room' && peer.room > 0 && (!best || peer.room > best.room)) best = peer;
    }
    if (!best) return undefined;
    best.room -= 1;
    this.metrics.peerRoom.set({ peer: best.url }, best.room);
    return best.url;
  }

  private checkAll(): void {
    for (const peer of this.peers) {
      // A check still waiting for a slow peer is not doubled; its timeout ends it.
      if (peer.checking) continue;
      peer.checking = true;
      this.check(peer).finally(() => {
        peer.checking = false;
      });
    }
  }

  private async check(peer: Peer): Promise<void> {
    let report: PeerReport;
    try {
      const res = await fetch(`${peer.url}/status.json`, {
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: { 'user-agent': 'relaycast-peer-check' },
      });
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new Error(`status ${res.status}`);
      }
      report = readPeerReport(await res.json());
    } catch (err) {
      if (!this.timer) return; // stopped while the check was out
      this.settle(peer, 'down', 0, { err: errorText(err) });
      return;
    }
    if (!this.timer) return;
    const room = roomOf(report);
    const state: PeerState = report.draining ? 'draining' : room > 0 ? 'room' : 'full';
    this.settle(peer, state, room, { listeners: report.listeners, maxListeners: report.maxListeners, redirectOver: report.redirectOver });
  }

  private settle(peer: Peer, state: PeerState, room: number, detail: Record<string, unknown>): void {
    const previous = peer.state;
    peer.state = state;
    peer.room = room;
    this.metrics.peerUp.set({ peer: peer.url }, state === 'down' ? 0 : 1);
    this.metrics.peerRoom.set({ peer: peer.url }, room);
    if (previous === state) return;
    const fields = { peer: peer.url, state, previous: previous ?? null, room: Number.isFinite(room) ? room : 'unlimited', ...detail };
    if (state === 'down') this.log.warn(fields, 'peer is down: no listeners are sent to it');
    else this.log.info(fields, `peer is ${state === 'room' ? 'up with room' : state}`);
  }
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // fetch() wraps the socket's error (ECONNREFUSED, ...) as its cause.
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? err.message;
}
