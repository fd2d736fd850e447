// Reads and parses one request head on the ingest socket, where node:http
// and uWS cannot go: `SOURCE` and `ICE/1.0` request lines, HTTP/1.0, and
// bodies with neither Content-Length nor chunking that run until close.
// Incremental (bytes arrive in any split), bounded (MAX_HEAD_BYTES), strict
// about what it cannot understand and lenient where real clients differ
// (bare LF line ends, any case in header names).

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

/** Index just past the blank line (CRLFCRLF or LFLF), or -1. */
export function headEnd(buf: Buffer): number {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf + 2 <= lf)) return crlf + 4;
  return lf >= 0 ? lf + 2 : -1;
}

export function parseRequestHead(text: string): RequestHead {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const match = REQUEST_LINE.exec(lines[0] ?? '');
  if (!match) {
    if (/^[A-Za-z]+ \S+ \S+\/\S+$/.test(lines[0] ?? '')) throw new RelayError('VERSION_NOT_SUPPORTED', lines[0].slice(0, 80));
    throw new RelayError('BAD_REQUEST_LINE', JSON.stringify((lines[0] ?? '').slice(0, 80)));
  }
  const [, method, target, version, major] = match;
  if (major !== '1') throw new RelayError('VERSION_NOT_SUPPORTED', version);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!HEADER_NAME.test(name)) throw new RelayError('BAD_HEADER', JSON.stringify(line.slice(0, 80)));
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prior = headers.get(key);
    headers.set(key, prior === undefined ? value : `${prior}, ${value}`);
  }
  return { method: method.toUpperCase(), target, version, headers };
}
