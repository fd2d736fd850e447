// The one backpressure rule every source connection keeps (a pushed source
// and a pulled upstream alike): when the mount's write() asks for a pause,
// the socket stops reading for one turn of the event loop, and stays paused
// while fan-out is part-way through flushing the mount, since reading on
// before a big mount's flush ends could overwrite the ring under listeners.

import type { Socket } from 'node:net';
import type { SourceInput } from '../relay/core/mounts.js';

export class SourceWriter {
  private readonly socket: Socket;
  private readonly input: SourceInput;
  private heldNow = false;

  constructor(socket: Socket, input: SourceInput) {
    this.socket = socket;
    this.input = input;
  }

  /** Paused by this rule (not merely not yet reading). */
  get held(): boolean {
    return this.heldNow;
  }

  /** Writes `bytes` into the mount, pausing the socket when the mount asks. */
  readonly write = (bytes: Uint8Array): void => {
    if (bytes.length === 0 || this.input.write(bytes) || this.heldNow) return;
    // Fan-out flushes this mount on the next turn; read on after it.
    this.heldNow = true;
    this.socket.pause();
    setImmediate(this.resume);
  };

  private readonly resume = (): void => {
    if (this.socket.destroyed) return;
    if (this.input.mount.flushing) {
      setImmediate(this.resume);
      return;
    }
    this.heldNow = false;
    this.socket.resume();
  };
}
