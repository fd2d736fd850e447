// One listener: a read cursor into its mount's ring and a sink to write to.
// It owns no buffer of stream bytes; what it has not sent yet is simply
// ring[pos, head). The transport (uWS response or node:net socket) sits
// behind ListenerSink, so fan-out does not know which one it feeds.
//
// Lifecycle: open -> closed, once. close(reason) is the only way out; it is
// idempotent because transports report their own close after we end them.

import type { DisconnectReason } from './disconnect-reason.js';
import type { Mount } from './mount.js';

/** A transport close this long after a refused write is uWS's stall timer, not the listener leaving. */
const STALLED_CLOSE_MS = 9_000;

export type { DisconnectReason };

/**
 * Largest single write. uWS corks into a 16 KiB buffer and this build can
 * lose corked data past it; a write plus its chunk framing stays below.
 */
export const MAX_WRITE_BYTES = 16_000;

export interface ListenerSink {
  /**
   * Sends `bytes` now or copies what the socket refused; never keeps a
   * reference to them. False when the socket pushed back: send nothing more
   * until the sink calls `onWritable`.
   */
  write(bytes: Uint8Array): boolean;
  /** Ends the response cleanly (the player sees end of stream). */
  end(): void;
  /** Drops the connection at once. */
  destroy(): void;
}

export interface ListenerMeta {
  remoteAddress: string;
  userAgent: string;
  /** When the request arrived, from performance.now(). */
  acceptedAtMs: number;
  /** 'uws' for the listener port, 'socket' for the ingest port's HTTP/1.0 path. */
  transport: 'uws' | 'socket';
}

let nextListenerId = 1;

export class Listener {
  readonly id = nextListenerId++;
  readonly meta: ListenerMeta;
  /** The mount whose ring this listener reads now: its home, or a fallback it was moved to. */
  mount: Mount<Listener>;
  /** The mount the listener asked for; it counts there wherever it is moved (relay/core/fallbacks.ts). */
  readonly homeName: string;
  sink: ListenerSink | undefined;
  /** Absolute ring position of the next byte to send. */
  pos = 0;
  /** Bytes to send before ring[pos] (an Ogg stream's header pages); undefined once sent. */
  prefix: Uint8Array | undefined;
  prefixSentBytes = 0;
  /** The sink refused bytes; wait for its onWritable. */
  blocked = false;
  /** performance.now() when the sink last refused bytes after draining. */
  blockedAtMs = 0;
  sentBytes = 0;
  /** Times the `live` slow policy moved this listener to live (logged only the first time). */
  liveMoves = 0;
  firstByteSent = false;
  /** The request asked for ICY metadata (Icy-MetaData: 1) and the mount's type allows it. */
  icy = false;
  /** Audio bytes still to send before this listener's next metadata block (icy only). */
  icyBytesToBlock = 0;
  /** The mount's titleVersion in the last block sent; 0 = none yet (the mount starts at 0 too). */
  icyTitleVersion = 0;
  closed = false;
  closeReason: DisconnectReason | undefined;
  /** Set by the mount; called once when the listener closes. */
  onClose: ((listener: Listener, reason: DisconnectReason) => void) | undefined;
  /** Set by fan-out; called when a blocked sink can take bytes again. */
  onWritable: ((listener: Listener) => void) | undefined;

  constructor(meta: ListenerMeta, mount: Mount<Listener>, homeName = mount.name) {
    this.meta = meta;
    this.mount = mount;
    this.homeName = homeName;
  }

  /** The sink refused bytes: nothing more is written until it drains. */
  block(): void {
    this.blocked = true;
    this.blockedAtMs = performance.now();
  }

  /** Transport callback: the socket drained. */
  writable(): void {
    if (this.closed) return;
    this.blocked = false;
    this.onWritable?.(this);
  }

  /** Transport callback: the peer went away (or the transport gave up). */
  transportClosed(): void {
    // uWS closes a socket that drained nothing for 10-14 s after a refused
    // write (measured; see uws.md); such a listener stopped reading, which is
    // what `slow` counts. A peer that hangs up sooner, blocked or not, left.
    const stalled = this.blocked && performance.now() - this.blockedAtMs >= STALLED_CLOSE_MS;
    this.finish(stalled ? 'slow' : 'client', false);
  }

  /** Ends the stream for this listener: cleanly, or by dropping the socket. */
  close(reason: DisconnectReason, clean: boolean): void {
    this.finish(reason, true, clean);
  }

  private finish(reason: DisconnectReason, tellSink: boolean, clean = false): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    const sink = this.sink;
    this.sink = undefined;
    this.onClose?.(this, reason);
    if (tellSink && sink) {
      if (clean) sink.end();
      else sink.destroy();
    }
  }
}
