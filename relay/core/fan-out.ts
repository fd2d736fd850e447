// Moves ring bytes to listeners. Ingest only appends to rings; this class
// writes, so that each listener gets one coalesced send per flush instead of
// one per source chunk: the number of sends per listener per second is what
// the CPU cost of fan-out follows (BENCHMARKS.md).
//
// When a mount is flushed: as soon as `flushBytes` have been committed since
// its last flush (on the next turn of the event loop), or `flushIntervalMs`
// after its last flush, whichever comes first. At 128 kbps the size rule wins
// and every listener gets one full write about once a second; at low
// bitrates the interval bounds the delay; a fast source (a relay of a relay,
// a benchmark's unlimited feed) is flushed at the pace it arrives.
//
// A listener that has received nothing yet (it joined an empty ring: an
// on-demand relay's first listener, before the upstream's first byte) is not
// held to those rules: the next commit sends it what arrived, on the next
// turn, so its first byte follows the source's within milliseconds.
//
// A flush writes a big mount's listeners in slices, one slice per turn of the
// event loop, so that new listeners are answered within milliseconds even
// while thousands of others are being written to. A slice is bounded by time,
// not by a count of listeners: libuv accepts one connection per turn of the
// loop (since libuv 1.45, libuv PR #3696), so the length of a turn is how long
// a joiner may wait in the kernel's accept queue. With slices of 256 writes
// (about 5 ms on node:net sockets) a 15000-listener flush let in 200
// connections a second while 500 a second arrived, and first bytes waited up
// to 230 ms behind it (BENCHMARKS.md, "Where the first-byte tail went").
//
// Rules a listener's cursor keeps:
// - it only moves forward, by exactly the bytes its sink accepted or copied;
// - while its sink is blocked nothing more is written (so at most one write
//   per listener is ever copied into a transport buffer);
// - it is slow when its bytes were overwritten (pos < tail), or when it is
//   still more than `maxLagBytes` behind head after being offered everything
//   (so lag is what its socket refused, not what arrived since the last
//   flush): dropped, or moved to live by policy, and counted either way.

import type { Logger } from 'pino';
import type { RelayConfig } from '../config.js';
import { IcyInterleaver } from './icy-interleaver.js';
import { MAX_WRITE_BYTES, type Listener } from './listener.js';
import { writePrefix } from './listener-prefix.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Mount } from './mount.js';
import type { MountRegistry } from './mounts.js';
import { NextTurnBatch } from './next-turn-batch.js';

/** How long one slice of a flush writes before it yields the event loop. */
const FLUSH_SLICE_MS = 1;
/** Writes between looks at the clock: each is 5-20 us, a look about 0.05 us. */
const CLOCK_EVERY_WRITES = 8;
/** How often mounts are checked for an overdue flush, at most. */
const MAX_TICK_MS = 100;

export class FanOut {
  private readonly registry: MountRegistry;
  private readonly config: Readonly<RelayConfig>;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  /** New listeners, whose burst goes out after the request handler has returned. */
  private readonly bursts = new NextTurnBatch<Listener>((listener) => this.flush(listener, listener.mount));
  /** Mounts that took in flushBytes since their last flush. */
  private readonly due = new NextTurnBatch<Mount<Listener>>((mount) => this.flushMount(mount));
  private readonly icy = new IcyInterleaver(MAX_WRITE_BYTES);
  /** Every listener's onWritable: one function, not a closure per listener (memory at 10000+). */
  private readonly onWritable = (listener: Listener): void => {
    this.flush(listener, listener.mount);
  };

  constructor(registry: MountRegistry, config: Readonly<RelayConfig>, metrics: Metrics, log: Logger) {
    this.registry = registry;
    this.config = config;
    this.metrics = metrics;
    this.log = log;
  }

  /**
   * Ingest committed `bytes` to `mount`: flush it once flushBytes are pending.
   * True when that flush is pending; the source should then read no more
   * until it has run (one turn of the event loop), or a single poll phase of
   * a fast source could overwrite the ring under listeners.
   */
  onIngest(mount: Mount<Listener>, bytes: number): boolean {
    mount.unflushedBytes += bytes;
    if (mount.awaitingFirstByte.size > 0) this.sendFirstBytes(mount);
    if (mount.unflushedBytes < this.config.flushBytes) return false;
    this.due.add(mount);
    return true;
  }

  private sendFirstBytes(mount: Mount<Listener>): void {
    for (const listener of mount.awaitingFirstByte) if (!listener.closed) this.bursts.add(listener);
    mount.awaitingFirstByte.clear();
  }

  start(): void {
    const tickMs = Math.min(MAX_TICK_MS, this.config.flushIntervalMs);
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Wires a new listener in and sends its burst on the next turn of the event loop. */
  attach(listener: Listener): void {
    listener.onWritable = this.onWritable;
    // After the request handler returns: uWS has uncorked the headers by then.
    this.bursts.add(listener);
  }

  /** Flushes every mount whose last flush is flushIntervalMs old. */
  tick(): void {
    // Half a tick early rather than a whole tick late: the timer is coarser than the interval.
    const dueAtMs = performance.now() - this.config.flushIntervalMs + Math.min(MAX_TICK_MS, this.config.flushIntervalMs) / 2;
    for (const mount of this.registry.mounts.values()) {
      if (mount.lastFlushAtMs <= dueAtMs) this.flushMount(mount);
    }
  }

  private flushMount(mount: Mount<Listener>): void {
    // A flush already under way will reach every listener; its end checks what piled up meanwhile.
    if (mount.flushing) return;
    mount.unflushedBytes = 0;
    mount.lastFlushAtMs = performance.now();
    if (mount.listeners.size === 0) return;
    mount.flushing = true;
    this.flushSlice(mount, Array.from(mount.listeners), 0);
  }

  private flushSlice(mount: Mount<Listener>, listeners: Listener[], from: number): void {
    const endsAtMs = performance.now() + FLUSH_SLICE_MS;
    let bytes = 0;
    let writes = 0;
    let i = from;
    while (i < listeners.length) {
      const listener = listeners[i++];
      // A listener moved to another mount (a fallback) between slices is that mount's now.
      if (listener.closed || listener.mount !== mount || listener.pos === mount.ring.head) continue;
      bytes += this.flush(listener, mount, false);
      if (++writes % CLOCK_EVERY_WRITES === 0 && performance.now() >= endsAtMs) break;
    }
    if (bytes > 0) this.metrics.bytesOut.inc({ mount: mount.name }, bytes);
    if (i < listeners.length) {
      setImmediate(() => this.flushSlice(mount, listeners, i));
      return;
    }
    mount.flushing = false;
    if (mount.unflushedBytes >= this.config.flushBytes) this.due.add(mount);
  }

  /**
   * Writes what the listener has not yet had, until caught up or blocked, then
   * applies the lag rule. Returns the bytes written. Counts them itself unless
   * `count` is false (a mount's flush counts all its listeners at once).
   */
  flush(listener: Listener, mount: Mount<Listener>, count = true): number {
    const sink = listener.sink;
    if (!sink || listener.closed) return 0;
    const ring = mount.ring;
    if (listener.pos < ring.tail) {
      this.onSlow(listener, mount);
      if (listener.closed) return 0;
    }
    const written = listener.blocked ? 0 : this.write(listener, sink, ring);
    if (written > 0 && !listener.firstByteSent) {
      listener.firstByteSent = true;
      this.metrics.firstByte.observe({ mount: mount.name }, (performance.now() - listener.meta.acceptedAtMs) / 1000);
    } else if (written === 0 && !listener.firstByteSent && !listener.blocked && !listener.closed) {
      mount.awaitingFirstByte.add(listener);
    }
    if (count && written > 0) this.metrics.bytesOut.inc({ mount: mount.name }, written);
    if (!listener.closed && ring.head - listener.pos > (mount.settings?.maxLagBytes ?? this.config.maxLagBytes))
      this.onSlow(listener, mount);
    return written;
  }

  /** Hands the sink ring bytes until it refuses or the listener is caught up. */
  private write(listener: Listener, sink: NonNullable<Listener['sink']>, ring: Mount<Listener>['ring']): number {
    const prefixBytes = writePrefix(listener, sink);
    if (listener.prefix || listener.closed) return prefixBytes;
    let pos = listener.pos;
    const end = ring.head;
    while (pos < end) {
      // ICY listeners get metadata blocks between the audio (relay/icy-interleaver.ts).
      const view = listener.icy ? this.icy.next(listener, ring, pos, end) : ring.view(pos, Math.min(MAX_WRITE_BYTES, end - pos));
      const accepted = sink.write(view);
      pos += listener.icy ? this.icy.audioBytes : view.length;
      if (!accepted) {
        listener.block();
        break;
      }
      if (listener.closed) break;
    }
    const written = pos - listener.pos;
    listener.pos = pos;
    listener.sentBytes += written;
    return prefixBytes + written;
  }

  private onSlow(listener: Listener, mount: Mount<Listener>): void {
    const lagBytes = mount.ring.head - listener.pos;
    const policy = mount.settings?.slowPolicy ?? this.config.slowPolicy;
    this.metrics.slowListeners.inc({ mount: mount.name, action: policy });
    if (policy === 'live') {
      listener.pos = mount.joinPosition(0);
      // Once per listener: a listener that keeps falling behind would otherwise log every time.
      if (++listener.liveMoves === 1) {
        this.log.info({ mount: mount.name, listener: listener.id, lagBytes }, 'slow listener moved to live');
      }
      return;
    }
    this.log.info({ mount: mount.name, listener: listener.id, lagBytes }, 'slow listener dropped');
    listener.close('slow', false);
  }

  /** Samples each listener's lag and enforces the listening-time limit. */
  sample(): void {
    const maxListenMs = this.config.maxListenSeconds * 1000;
    const now = performance.now();
    for (const mount of this.registry.mounts.values()) {
      const lag = this.metrics.lag.labels({ mount: mount.name });
      for (const listener of mount.listeners) {
        lag.observe(mount.ring.head - listener.pos);
        if (maxListenMs > 0 && now - listener.meta.acceptedAtMs > maxListenMs) listener.close('limit', true);
      }
    }
  }
}
