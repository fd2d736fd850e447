// Reads a streaming response's head as it arrives in pieces: the status, the
// headers and how the body is framed. Used by the load tool's listeners and by
// pull relays (ingest/pull/). Only the head is copied (at most
// MAX_HEAD_BYTES); the caller learns where in its last read the body starts,
// so body bytes that came in the same read as the head are not lost.
//
// Accepts `HTTP/1.0`, `HTTP/1.1` and SHOUTcast v1's `ICY` status lines (its
// `ICY 200 OK` head is otherwise HTTP-shaped, with icy-* headers). A head
// over the cap or without a status code is a failure with a one-line reason.

export const MAX_HEAD_BYTES = 8192;

export interface ResponseHead {
  status: number;
  /** `HTTP/1.0`, `HTTP/1.1`, or `ICY` (SHOUTcast v1). */
  protocol: string;
  /** Header names in lower case; a repeated header's values joined with ", " (RFC 9110 section 5.3). */
  headers: Map<string, string>;
  /** Transfer-Encoding names chunked last: the body must be decoded. */
  chunked: boolean;
  /** Offset in the last pushed bytes where the body starts. */
  bodyStart: number;
}

export type HeadResult = ResponseHead | { error: string } | undefined;

const TERMINATOR = Buffer.from('\r\n\r\n');

export class ResponseHeadReader {
  private head = Buffer.alloc(0);

  /** Feeds bytes[start, end). Undefined while the head is incomplete. */
  push(bytes: Uint8Array, start = 0, end = bytes.length): HeadResult {
    const before = this.head.length;
    const room = MAX_HEAD_BYTES - before;
    const taken = Math.min(room, end - start);
    this.head = Buffer.concat([this.head, bytes.subarray(start, start + taken)]);
    // The terminator may straddle the previous read: look back three bytes.
    const at = this.head.indexOf(TERMINATOR, Math.max(0, before - 3));
    if (at < 0) {
      return this.head.length >= MAX_HEAD_BYTES ? { error: `response head over ${MAX_HEAD_BYTES} bytes` } : undefined;
    }
    const text = this.head.subarray(0, at).toString('latin1');
    this.head = Buffer.alloc(0);
    const bodyStart = start + (at + TERMINATOR.length - before);
    return parseHead(text, bodyStart);
  }
}

function parseHead(text: string, bodyStart: number): HeadResult {
  const lines = text.split('\r\n');
  const match = /^(HTTP\/1\.[01]|ICY) (\d{3})(?: |$)/.exec(lines[0]);
  if (!match) return { error: `bad status line ${JSON.stringify(lines[0].slice(0, 60))}` };
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon <= 0) continue;
    const name = lines[i].slice(0, colon).trim().toLowerCase();
    const value = lines[i].slice(colon + 1).trim();
    const seen = headers.get(name);
    headers.set(name, seen === undefined ? value : `${seen}, ${value}`);
  }
  const chunked = /(^|,)\s*chunked\s*$/i.test(headers.get('transfer-encoding') ?? '');
  return { status: Number(match[2]), protocol: match[1], headers, chunked, bodyStart };
}
