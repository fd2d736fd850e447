// Reads a streaming response's head as it arrives in pieces: the status and
// how the body is framed. Only the head is copied (at most MAX_HEAD_BYTES);
// the caller learns where in its last read the body starts, so body bytes
// that came in the same read as the head are counted too.
//
// Accepts `HTTP/1.x` and SHOUTcast's `ICY` status lines. A head over the cap
// or without a status code is a failure with a one-line reason.

export const MAX_HEAD_BYTES = 8192;

export interface ResponseHead {
  status: number;
  /** Transfer-Encoding names chunked: the body must be decoded to count it. */
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
  const match = /^(?:HTTP\/1\.[01]|ICY) (\d{3})(?: |$)/.exec(lines[0]);
  if (!match) return { error: `bad status line ${JSON.stringify(lines[0].slice(0, 60))}` };
  let chunked = false;
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon < 0) continue;
    if (lines[i].slice(0, colon).trim().toLowerCase() !== 'transfer-encoding') continue;
    chunked = /(^|,)\s*chunked\s*$/i.test(lines[i].slice(colon + 1));
  }
  return { status: Number(match[1]), chunked, bodyStart };
}
