// Counts the body bytes of a chunked response (RFC 9112 section 7.1) without
// copying or keeping them: a load test only needs how many audio bytes
// arrived, and at 15k listeners every allocation per read shows up in the
// tool's own CPU. Only size lines and trailers are read byte by byte; chunk
// data is skipped in one step.
//
//   SIZE  --LF-->  DATA  --size bytes-->  DATA_END --CRLF--> SIZE
//     \--size 0, LF--> TRAILER --empty line--> DONE
//
// A malformed body puts the counter in FAILED with a one-line `error`; it
// counts nothing more after that. Nothing here throws, so the read path needs
// no try/catch.

enum State {
  Size,
  SizeExtension,
  Data,
  DataEnd,
  Trailer,
  Done,
  Failed,
}

/** A size line (with extensions) or trailer line longer than this is broken framing. */
const MAX_LINE_BYTES = 1024;
/** 12 hex digits (2^48 bytes) is far past any chunk and keeps the size a safe integer. */
const MAX_SIZE_DIGITS = 12;

const CR = 0x0d;
const LF = 0x0a;

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  return -1;
}

export class ChunkedCounter {
  private state = State.Size;
  private sizeBytes = 0;
  private sizeDigits = 0;
  private lineBytes = 0;
  private remainingBytes = 0;
  /** Body bytes counted so far. */
  bodyBytes = 0;
  /** Why the framing was rejected; set once, together with `failed`. */
  error: string | undefined;

  /** True once the zero-size chunk and its trailers were read: the server ended the body. */
  get done(): boolean {
    return this.state === State.Done;
  }

  get failed(): boolean {
    return this.state === State.Failed;
  }

  /** Reads bytes[start, end); returns how many of them were body bytes. */
  push(bytes: Uint8Array, start = 0, end = bytes.length): number {
    let i = start;
    let counted = 0;
    while (i < end) {
      const state = this.state;
      if (state === State.Data) {
        const n = Math.min(this.remainingBytes, end - i);
        counted += n;
        i += n;
        this.remainingBytes -= n;
        if (this.remainingBytes === 0) this.state = State.DataEnd;
        continue;
      }
      if (state === State.Done || state === State.Failed) break;
      const byte = bytes[i++];
      if (state === State.Size) this.readSizeByte(byte);
      else if (state === State.SizeExtension) this.readExtensionByte(byte);
      else if (state === State.DataEnd) this.readDataEndByte(byte);
      else this.readTrailerByte(byte);
    }
    this.bodyBytes += counted;
    return counted;
  }

  private fail(reason: string): void {
    this.state = State.Failed;
    this.error = `malformed chunked body: ${reason}`;
  }

  private readSizeByte(byte: number): void {
    const digit = hexValue(byte);
    if (digit >= 0) {
      if (++this.sizeDigits > MAX_SIZE_DIGITS) {
        this.fail('chunk size has too many digits');
        return;
      }
      this.sizeBytes = this.sizeBytes * 16 + digit;
      return;
    }
    if (this.sizeDigits === 0) {
      this.fail(`chunk size starts with byte 0x${byte.toString(16).padStart(2, '0')}`);
      return;
    }
    this.state = State.SizeExtension;
    this.lineBytes = this.sizeDigits;
    this.readExtensionByte(byte);
  }

  /** After the hex digits: `;name=value` extensions, whitespace, CR, then LF ends the line. */
  private readExtensionByte(byte: number): void {
    if (byte !== LF) {
      if (++this.lineBytes > MAX_LINE_BYTES) this.fail('chunk size line too long');
      return;
    }
    const size = this.sizeBytes;
    this.sizeBytes = 0;
    this.sizeDigits = 0;
    this.lineBytes = 0;
    if (size === 0) {
      this.state = State.Trailer;
    } else {
      this.remainingBytes = size;
      this.state = State.Data;
    }
  }

  /** Exactly CRLF (or a bare LF, which lenient servers send) must follow each chunk's data. */
  private readDataEndByte(byte: number): void {
    if (byte === CR && this.lineBytes === 0) {
      this.lineBytes = 1;
      return;
    }
    if (byte === LF) {
      this.lineBytes = 0;
      this.state = State.Size;
      return;
    }
    this.fail('chunk data longer than its size');
  }

  private readTrailerByte(byte: number): void {
    if (byte === LF) {
      // An empty line (nothing but an optional CR) ends the trailers and the body.
      if (this.lineBytes === 0) this.state = State.Done;
      this.lineBytes = 0;
      return;
    }
    if (byte === CR) return;
    if (++this.lineBytes > MAX_LINE_BYTES) this.fail('trailer line too long');
  }
}
