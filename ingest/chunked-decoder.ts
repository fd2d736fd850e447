// Decodes a chunked request body (RFC 9112 section 7.1) as it arrives. Data is
// handed on as views of the input, not copies. Chunk extensions and trailers
// are read and ignored. A size line longer than MAX_LINE_BYTES or not hex is
// an error: a source that sends that is broken, and we stop reading it.

import { RelayError } from '../relay/errors.js';

const MAX_LINE_BYTES = 1024;

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

export class ChunkedDecoder {
  private state: State = 'size';
  private line = '';
  private remaining = 0;
  private readonly onData: (bytes: Uint8Array) => void;

  constructor(onData: (bytes: Uint8Array) => void) {
    this.onData = onData;
  }

  /** True once the terminating zero-size chunk and its trailers were read. */
  get done(): boolean {
    return this.state === 'done';
  }

  /** Feeds bytes; returns the bytes left over after the body ended (usually none). */
  push(buf: Uint8Array): Uint8Array {
    let i = 0;
    while (i < buf.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.remaining, buf.length - i);
        this.onData(buf.subarray(i, i + n));
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = 'data-end';
        continue;
      }
      const byte = buf[i++];
      if (byte !== 0x0a) {
        if (byte !== 0x0d) this.line += String.fromCharCode(byte);
        if (this.line.length > MAX_LINE_BYTES) throw new RelayError('BAD_CHUNK', 'line too long');
        continue;
      }
      this.endOfLine();
    }
    return buf.subarray(i);
  }

  private endOfLine(): void {
    const line = this.line;
    this.line = '';
    if (this.state === 'data-end') {
      if (line !== '') throw new RelayError('BAD_CHUNK', 'data longer than its size');
      this.state = 'size';
    } else if (this.state === 'size') {
      const hex = line.split(';', 1)[0].trim();
      // chunk-size is 1*HEXDIG: leading zeros are valid however many; the value must fit 8 hex digits (4 GiB).
      const significant = hex.replace(/^0+(?=[0-9A-Fa-f])/, '');
      if (!/^[0-9A-Fa-f]+$/.test(hex) || significant.length > 8) {
        throw new RelayError('BAD_CHUNK', `size ${JSON.stringify(hex.slice(0, 20))}`);
      }
      this.remaining = parseInt(significant, 16);
      this.state = this.remaining === 0 ? 'trailer' : 'data';
    } else if (this.state === 'trailer' && line === '') {
      this.state = 'done';
    }
  }
}
