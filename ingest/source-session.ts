// An accepted source connection: its body, decoded (chunked) or raw until
// close, goes into the mount's SourceInput. A source that sends nothing for
// --source-timeout-ms is dropped, like Icecast's source-timeout.

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { SourceInput } from '../relay/core/mounts.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import { SourceWriter } from './source-backpressure.js';

export interface SourceSessionOptions {
  chunked: boolean;
  /** From Content-Length, when the source sent one: the body ends there. */
  lengthBytes: number | undefined;
  timeoutMs: number;
  log: Logger;
  /** Called once for a broken body or a timeout, before the socket is destroyed. */
  onFault: (code: 'BAD_CHUNK' | 'SOURCE_TIMEOUT', detail: string) => void;
}

export function runSourceSession(socket: Socket, input: SourceInput, firstBytes: Uint8Array, opts: SourceSessionOptions): void {
  let remaining = opts.lengthBytes ?? Infinity;
  const onBody = new SourceWriter(socket, input).write;
  const decoder = opts.chunked ? new ChunkedDecoder(onBody) : undefined;

  function onSourceData(chunk: Uint8Array): void {
    try {
      if (decoder) {
        decoder.push(chunk);
        if (decoder.done) finish();
        return;
      }
      const take = Math.min(chunk.length, remaining);
      onBody(take === chunk.length ? chunk : chunk.subarray(0, take));
      remaining -= take;
      if (remaining === 0) finish();
    } catch (err) {
      opts.onFault('BAD_CHUNK', (err as Error).message);
      input.end();
      socket.destroy();
    }
  }

  function finish(): void {
    input.end();
    socket.end();
  }

  function onSourceTimeout(): void {
    opts.onFault('SOURCE_TIMEOUT', `no data for ${opts.timeoutMs} ms`);
    input.end();
    socket.destroy();
  }

  function onSourceClose(): void {
    input.end();
  }

  function onStopped(): void {
    // The relay is stopping: a source has nothing left to read from us, so do not wait for its FIN.
    input.end();
    socket.destroy();
  }

  socket.setTimeout(opts.timeoutMs, onSourceTimeout);
  input.stopped.addEventListener('abort', onStopped, { once: true });
  socket.on('data', onSourceData);
  socket.on('close', onSourceClose);
  if (firstBytes.length > 0) onSourceData(firstBytes);
}
