// Reads and parses one request head on the ingest socket, where node:http
// and uWS cannot go: `SOURCE` and `ICE/1.0` request lines, HTTP/1.0, and
// bodies with neither Content-Length nor chunking that run until close.
// Incremental (bytes arrive in any split), bounded (MAX_HEAD_BYTES), strict
// about what it cannot understand and lenient where real clients differ
// (bare LF line ends, any case in header names).
// Invariant: every header value it returns holds only the bytes RFC 9110's
// field-value may hold (VCHAR, obs-text, SP, HTAB): a bare CR, a NUL or any
// other control byte anywhere in the head is BAD_HEADER, so no value read
// here can split a response header it is later copied into.

import { RelayError } from '../errors.js';

/** Largest request head our servers read. */
export const MAX_HEAD_BYTES = 8 * 1024;

export interface RequestHead {
  method: string;
  target: string;
  /** 'HTTP/1.0', 'HTTP/1.1', 'ICE/1.0', ... as sent. */
  version: string;
  /** Lower-case names; a repeated header keeps its values joined with ', '. */
  headers: Map<string, string>;
}

const REQUEST_LINE = /^([A-Za-z]+) (\S+) ((?:HTTP|ICE)\/(\d)\.(\d))$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Collects bytes until the blank line that ends a head. */
export class HeadReader {
  private chunks: Buffer[] = [];
  private length = 0;

  /**
   * Adds bytes; returns the parsed head and the bytes after it once complete,
   * undefined while incomplete. Throws RelayError on malformed or oversized input.
   */
  push(chunk: Buffer): { head: RequestHead; rest: Buffer } | undefined {
    this.chunks.push(chunk);
    this.length += chunk.length;
    const all = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.length);
    this.chunks = [all];
    const end = headEnd(all);
    if (end < 0) {
      if (all.length > MAX_HEAD_BYTES) throw new RelayError('HEAD_TOO_LARGE');
      return undefined;
    }
    if (end > MAX_HEAD_BYTES) throw new RelayError('HEAD_TOO_LARGE');
    const head = parseRequestHead(all.subarray(0, end).toString('latin1'));
    return { head, rest: all.subarray(end) };
  }
}

/** Index just past the blank line (an LF followed by LF or CRLF, so `\n\n`, `\r\n\r\n` and `\n\r\n`), or -1. */
export function headEnd(buf: Buffer): number {
  for (let lf = buf.indexOf(0x0a); lf >= 0; lf = buf.indexOf(0x0a, lf + 1)) {
    if (buf[lf + 1] === 0x0a) return lf + 2;
    if (buf[lf + 1] === 0x0d && buf[lf + 2] === 0x0a) return lf + 3;
  }
  return -1;
}

// A line may hold HTAB, SP..~ and obs-text (0x80-0xFF, read as Latin-1); nothing else.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const FORBIDDEN_BYTE = /[\x00-\x08\x0a-\x1f\x7f]/;

export function parseRequestHead(text: string): RequestHead {
  // Lines end in LF or CRLF; a CR anywhere else is a forbidden byte below.
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach(refuseForbiddenBytes);
  const match = REQUEST_LINE.exec(lines[0] ?? '');
  if (!match) {
    if (/^[A-Za-z]+ \S+ \S+\/\S+$/.test(lines[0] ?? '')) throw new RelayError('VERSION_NOT_SUPPORTED', lines[0].slice(0, 80));
    throw new RelayError('BAD_REQUEST_LINE', JSON.stringify((lines[0] ?? '').slice(0, 80)));
  }
  const [, method, target, version, major] = match;
  if (major !== '1') throw new RelayError('VERSION_NOT_SUPPORTED', version);
  const headers = new Map<string, string>();
  for (const [i, line] of lines.entries()) {
    if (i === 0) continue;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    // The line is not echoed: it may carry a credential.
    if (!HEADER_NAME.test(name)) throw new RelayError('BAD_HEADER', `header line ${i} has no valid name before its colon`);
    const key = name.toLowerCase();
    // OWS is SP and HTAB only (String.trim would also eat obs-text's 0xA0).
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    const prior = headers.get(key);
    headers.set(key, prior === undefined ? value : `${prior}, ${value}`);
  }
  return { method: method.toUpperCase(), target, version, headers };
}

/** BAD_HEADER for a bare CR, NUL or other control byte; the detail names the byte and line, never the value (it may be a credential). */
function refuseForbiddenBytes(line: string, index: number): void {
  const bad = FORBIDDEN_BYTE.exec(line);
  if (!bad) return;
  const code = bad[0].charCodeAt(0).toString(16).padStart(2, '0');
  throw new RelayError('BAD_HEADER', `byte 0x${code} in ${index === 0 ? 'the request line' : `header line ${index}`}`);
}
