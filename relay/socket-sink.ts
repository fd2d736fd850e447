// A listener on a node:net socket: the ingest port's path for HTTP/1.0
// players, which uWS refuses. Node keeps a reference to a written buffer
// until the kernel has taken it, and the ring may overwrite its bytes by
// then, so each write is copied into this listener's one scratch buffer
// (allocated once) and the next write waits until that one has flushed.

import type { Socket } from 'node:net';
import { MAX_WRITE_BYTES } from './fan-out.js';
import type { Listener, ListenerSink } from './listener.js';

export class SocketSink implements ListenerSink {
  private readonly socket: Socket;
  private readonly scratch = Buffer.allocUnsafe(MAX_WRITE_BYTES);
  private waiting = false;
  private readonly onFlushed: () => void;

  constructor(socket: Socket, listener: Listener) {
    this.socket = socket;
    this.onFlushed = () => {
      if (!this.waiting) return;
      this.waiting = false;
      listener.writable();
    };
    socket.on('close', () => listener.transportClosed());
  }

  write(bytes: Uint8Array): boolean {
    const socket = this.socket;
    if (socket.destroyed) return false;
    if (socket.writableLength > 0) {
      this.waiting = true;
      return false;
    }
    this.scratch.set(bytes);
    socket.write(this.scratch.subarray(0, bytes.length), this.onFlushed);
    // Zero here means the kernel took all of it synchronously.
    if (socket.writableLength > 0) {
      this.waiting = true;
      return false;
    }
    return true;
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
