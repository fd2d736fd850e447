// A listener on a node:net socket: our own HTTP/1.x server's path for every
// player uWS refuses. Node keeps a reference to a written buffer until the
// kernel has taken it, and the ring may overwrite its bytes by then, so each
// write is first copied into a scratch buffer shared by all socket
// listeners. When the kernel takes the write at once (the usual case) the
// scratch is free again before the next listener's turn; when it does not,
// that pending write keeps the buffer and a new shared one is made. So
// memory and allocation grow only with listeners under backpressure, and the
// next write to a listener waits until its last one has flushed.
//
// Per listener this keeps one small object and one callback; the socket's
// 'close' handler is shared (it finds the sink through a property on the
// socket), because at 10000+ listeners every per-socket closure shows in
// RSS (BENCHMARKS.md).

import type { Socket } from 'node:net';
import { MAX_WRITE_BYTES } from '../core/listener.js';
import type { Listener, ListenerSink } from '../core/listener.js';

let sharedScratch = Buffer.allocUnsafe(MAX_WRITE_BYTES);
// The last view of the scratch handed to a socket: a flush writes the same
// length to every caught-up listener, so they share one view object instead
// of allocating one each (fewer young objects, shorter scavenges).
let scratchView = sharedScratch.subarray(0, 0);

function scratchOf(length: number): Buffer {
  if (scratchView.length !== length || scratchView.buffer !== sharedScratch.buffer) scratchView = sharedScratch.subarray(0, length);
  return scratchView;
}

const SINK = Symbol('relaycast.socketSink');
type SinkSocket = Socket & { [SINK]?: SocketSink };

function onSinkSocketClose(this: SinkSocket): void {
  this[SINK]?.listener.transportClosed();
}

export class SocketSink implements ListenerSink {
  private readonly socket: SinkSocket;
  readonly listener: Listener;
  private waiting = false;
  /** Node calls a write's callback without `this`; one per listener, made once. */
  private readonly onFlushed: () => void;

  constructor(socket: Socket, listener: Listener) {
    this.socket = socket;
    this.listener = listener;
    this.onFlushed = () => this.flushed();
    this.socket[SINK] = this;
    socket.on('close', onSinkSocketClose);
  }

  write(bytes: Uint8Array): boolean {
    const socket = this.socket;
    if (socket.destroyed) return false;
    if (socket.writableLength > 0) {
      // Still draining something written outside fan-out (the response head):
      // fan-out counts a refused write as taken, so queue a private copy.
      socket.write(Buffer.from(bytes), this.onFlushed);
      this.waiting = true;
      return false;
    }
    sharedScratch.set(bytes);
    socket.write(scratchOf(bytes.length), this.onFlushed);
    // Zero here means the kernel took all of it synchronously.
    if (socket.writableLength === 0) return true;
    // The pending write owns the scratch now; the next writer gets a new one.
    sharedScratch = Buffer.allocUnsafe(MAX_WRITE_BYTES);
    this.waiting = true;
    return false;
  }

  private flushed(): void {
    if (!this.waiting) return;
    this.waiting = false;
    this.listener.writable();
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
