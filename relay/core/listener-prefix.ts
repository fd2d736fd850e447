// Bytes a listener must get before the ring's bytes at its cursor: an Ogg
// stream's header pages (see ogg-headers.ts). The prefix is shared by every
// listener that joined the same stream and never modified; each listener
// keeps only how much of it it has sent. Written in slices of at most
// MAX_WRITE_BYTES like ring bytes, under the same backpressure rule: once a
// sink refuses, nothing more is written until it is writable again.

import { MAX_WRITE_BYTES, type Listener, type ListenerSink } from './listener.js';

/** Sends what is left of the listener's prefix; clears it once all is sent. Returns the bytes written. */
export function writePrefix(listener: Listener, sink: ListenerSink): number {
  const prefix = listener.prefix;
  if (!prefix) return 0;
  let sent = listener.prefixSentBytes;
  while (sent < prefix.length && !listener.closed) {
    const slice = prefix.subarray(sent, Math.min(prefix.length, sent + MAX_WRITE_BYTES));
    const accepted = sink.write(slice);
    sent += slice.length;
    if (!accepted) {
      listener.block();
      break;
    }
  }
  const written = sent - listener.prefixSentBytes;
  listener.prefixSentBytes = sent;
  listener.sentBytes += written;
  if (sent === prefix.length) listener.prefix = undefined;
  return written;
}
