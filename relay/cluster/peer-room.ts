// What a peer's /status.json says about its room for new listeners: the
// server-level fields every relaycast publishes (relay/api/status-report.ts)
// read back, and the rule that turns them into a number of listeners. Pure:
// no I/O, so the rule is tested without sockets.
// Invariant: a draining peer has no room; a peer with neither limit has
// unbounded room (Infinity); otherwise room = the lower limit - listeners, >= 0.

export interface PeerReport {
  listeners: number;
  /** The peer's --max-listeners (0 = none). */
  maxListeners: number;
  /** The peer's --redirect-over (0 = none): past it the peer sends listeners on itself, so it has no room for ours. */
  redirectOver: number;
  draining: boolean;
}

/** The server-level fields of a relaycast /status.json, or an Error saying what is missing. */
export function readPeerReport(json: unknown): PeerReport {
  const server = (json as { server?: Record<string, unknown> } | null)?.server;
  if (typeof server !== 'object' || server === null) throw new Error('no "server" object in its status JSON');
  const count = (field: string): number => {
    const value = server[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`server.${field} is not a count`);
    return value;
  };
  if (typeof server.draining !== 'boolean') throw new Error('server.draining is not a boolean (a relaycast without drain support?)');
  return {
    listeners: count('listeners'),
    maxListeners: count('maxListeners'),
    redirectOver: count('redirectOver'),
    draining: server.draining,
  };
}

/** Listeners the peer can take before it would refuse or send them on. */
export function roomOf(report: PeerReport): number {
  if (report.draining) return 0;
  const limits = [report.maxListeners, report.redirectOver].filter((n) => n > 0);
  if (limits.length === 0) return Infinity;
  return Math.max(0, Math.min(...limits) - report.listeners);
}
