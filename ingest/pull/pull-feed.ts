// An upstream's body, once its head was read, into the mount's SourceInput:
// decoded (chunked) when the upstream chunks, else raw until close, under
// the backpressure rule of every source (ingest/source-backpressure.ts).
// No byte for `stallMs` is a stall. `onEnd` is called exactly once, after the input has
// ended and the socket is gone.

import type { Socket } from 'node:net';
import type { SourceInput } from '../../relay/core/mounts.js';
import { ChunkedDecoder } from '../chunked-decoder.js';
import { SourceWriter } from '../source-backpressure.js';
import type { PullFailureReason } from './pull-failure.js';

export interface PullFeedOptions {
  chunked: boolean;
  stallMs: number;
  onEnd: (reason: PullFailureReason, detail: string) => void;
}

/** Runs the feed; returns a function that ends it (the relay stops pulling). */
export function runPullFeed(socket: Socket, input: SourceInput, firstBytes: Uint8Array, opts: PullFeedOptions): () => void {
  let ended = false;
  const writer = new SourceWriter(socket, input);
  const onBody = writer.write;
  const decoder = opts.chunked ? new ChunkedDecoder(onBody) : undefined;

  function onData(chunk: Uint8Array): void {
    if (ended) return;
    try {
      if (!decoder) {
        onBody(chunk);
        return;
      }
      decoder.push(chunk);
      if (decoder.done) end('ended', 'the chunked body ended');
    } catch (err) {
      end('bad_response', (err as Error).message);
    }
  }

  function end(reason: PullFailureReason, detail: string): void {
    if (ended) return;
    ended = true;
    socket.destroy();
    input.end();
    opts.onEnd(reason, detail);
  }

  socket.setTimeout(opts.stallMs, () => end('stall', `no data for ${opts.stallMs} ms`));
  socket.on('data', onData);
  let lastError = '';
  socket.on('error', (err: NodeJS.ErrnoException) => {
    lastError = err.code ?? err.message;
  });
  socket.on('close', () => end('ended', lastError ? `the connection failed (${lastError})` : 'the upstream closed the stream'));
  // The relay removed the mount under us (shutdown): nothing is left to feed.
  input.stopped.addEventListener('abort', () => end('ended', 'the mount was removed'), { once: true });
  if (firstBytes.length > 0) onData(firstBytes);
  if (!ended && !writer.held) socket.resume();
  return () => end('ended', 'stopped');
}
