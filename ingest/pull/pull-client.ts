// Opens one upstream stream for a pull relay: connects, sends the request
// (upstream-request.ts), reads the response head (relay/formats/
// response-head.ts) and judges it. It understands Icecast 2.x (HTTP/1.0 or
// 1.1 200, icy-metaint when asked), SHOUTcast v1 (`ICY 200 OK`, icy-*
// headers, often no Content-Type: audio/mpeg then), SHOUTcast v2 (HTTP/1.0
// 200 with icy-* headers) and relaycast itself (close-delimited, or chunked
// from a uWS port). Redirects (301/302/303/307/308) are followed up to
// MAX_REDIRECTS hops. Anything else is a PullFailure with a reason:
// 4xx/5xx, a 200 that is not audio, no head within the timeout.
// Invariant: on success the socket is paused with its 'data' listener
// removed, and the body bytes that came with the head are handed back.

import net, { type Socket } from 'node:net';
import { type ResponseHead, ResponseHeadReader } from '../../relay/formats/response-head.js';
import { PullFailure } from './pull-failure.js';
import { logUrl, requestText, upstreamTarget } from './upstream-request.js';

/** Hops of 3xx followed before giving up (Icecast's own relays follow none; load balancers use one). */
export const MAX_REDIRECTS = 4;

export interface UpstreamStream {
  socket: Socket;
  head: ResponseHead;
  /** The URL that answered 200, after any redirects. */
  url: URL;
  /** Body bytes that arrived with the head (not yet decoded). */
  firstBytes: Buffer;
  /** The stream's media type (audio/mpeg when SHOUTcast v1 sends none). */
  contentType: string;
  /** The upstream interleaves ICY metadata every this many audio bytes. */
  metaInt: number | undefined;
}

export interface OpenOptions {
  /** Connect plus complete response head, per hop. */
  timeoutMs: number;
  userAgent: string;
  signal: AbortSignal;
}

export async function openUpstream(rawUrl: string, opts: OpenOptions): Promise<UpstreamStream> {
  let { url, target } = upstreamTarget(rawUrl);
  for (let hop = 0; ; hop++) {
    const { socket, head, firstBytes } = await requestHead(target, opts);
    const location = head.headers.get('location');
    if (head.status >= 300 && head.status < 400 && location !== undefined) {
      socket.destroy();
      if (hop >= MAX_REDIRECTS) throw new PullFailure('redirect', `more than ${MAX_REDIRECTS} redirects`);
      ({ url, target } = upstreamTarget(location, url));
      continue;
    }
    try {
      return { socket, head, url, firstBytes, ...judge(head, logUrl(url.href)) };
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }
}

/** A 200 with an audio type and a usable icy-metaint, or the failure. */
function judge(head: ResponseHead, where: string): { contentType: string; metaInt: number | undefined } {
  if (head.status !== 200) throw new PullFailure('status', `${where} answered ${head.status}`);
  const icy = head.protocol === 'ICY' || [...head.headers.keys()].some((name) => name.startsWith('icy-'));
  const contentType = head.headers.get('content-type') ?? (icy ? 'audio/mpeg' : undefined);
  if (contentType === undefined || !isStreamType(contentType)) {
    throw new PullFailure(
      'not_audio',
      `${where} sent ${contentType === undefined ? 'no Content-Type' : JSON.stringify(contentType.slice(0, 60))}`,
    );
  }
  const rawMetaInt = head.headers.get('icy-metaint');
  let metaInt: number | undefined;
  if (rawMetaInt !== undefined) {
    metaInt = Number(rawMetaInt);
    if (!Number.isInteger(metaInt) || metaInt < 1 || metaInt > 1 << 20) {
      throw new PullFailure('bad_response', `${where} sent icy-metaint ${JSON.stringify(rawMetaInt.slice(0, 20))}`);
    }
  }
  return { contentType, metaInt };
}

/** Audio and the containers a mount streams (audio/*, Ogg, WebM); not text, HTML or JSON. */
export function isStreamType(contentType: string): boolean {
  const bare = contentType.split(';', 1)[0].trim().toLowerCase();
  return bare.startsWith('audio/') || bare === 'application/ogg' || bare === 'video/ogg' || bare === 'video/webm';
}

function requestHead(
  target: ReturnType<typeof upstreamTarget>['target'],
  opts: OpenOptions,
): Promise<{ socket: Socket; head: ResponseHead; firstBytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
    const reader = new ResponseHeadReader();
    let connected = false;
    const fail = (err: PullFailure) => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new PullFailure('timeout', `${target.hostHeader}: no response head in ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    const onAbort = () => fail(new PullFailure('ended', 'stopped'));
    const onData = (chunk: Buffer) => {
      const result = reader.push(chunk);
      if (result === undefined) return;
      if ('error' in result) {
        fail(new PullFailure('bad_response', `${target.hostHeader}: ${result.error}`));
        return;
      }
      cleanup();
      socket.pause();
      // The feed (pull-feed.ts) takes errors from here on, as a close; none may go unheard meanwhile.
      socket.on('error', ignoreError);
      resolve({ socket, head: result, firstBytes: chunk.subarray(result.bodyStart) });
    };
    const onError = (err: NodeJS.ErrnoException) =>
      fail(new PullFailure(connected ? 'bad_response' : 'connect', `${target.hostHeader}: ${err.code ?? err.message}`));
    const onClose = () =>
      fail(new PullFailure(connected ? 'bad_response' : 'connect', `${target.hostHeader}: closed before a response head`));
    function cleanup(): void {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    }
    if (opts.signal.aborted) {
      onAbort();
      return;
    }
    opts.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.once('connect', () => {
      connected = true;
      socket.write(requestText(target, opts.userAgent));
    });
  });
}

function ignoreError(): void {}
