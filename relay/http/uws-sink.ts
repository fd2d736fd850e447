// A listener on the uWS port. Every write is corked on its own so it goes out
// in one send, and stays under the 16 KiB cork buffer (MAX_WRITE_BYTES).
// After onAborted the response must not be touched: `done` guards that.

import type { Listener, ListenerSink } from '../core/listener.js';
import type { HttpResponse } from './uws.js';

export class UwsSink implements ListenerSink {
  private readonly res: HttpResponse;
  private done = false;
  private accepted = true;
  private pending: Uint8Array | undefined;
  private readonly corkedWrite: () => void;

  constructor(res: HttpResponse, listener: Listener) {
    this.res = res;
    this.corkedWrite = () => {
      this.accepted = this.res.write(this.pending as Uint8Array);
    };
    res.onAborted(() => {
      this.done = true;
      listener.transportClosed();
    });
    // Without onWritable uWS closes a listener ~10 s after its first refused write.
    res.onWritable(() => {
      listener.writable();
      return true;
    });
  }

  write(bytes: Uint8Array): boolean {
    if (this.done) return false;
    this.pending = bytes;
    this.res.cork(this.corkedWrite);
    this.pending = undefined;
    return this.accepted;
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.res.cork(() => this.res.end());
  }

  destroy(): void {
    if (this.done) return;
    this.done = true;
    this.res.close();
  }
}
