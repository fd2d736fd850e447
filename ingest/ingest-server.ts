// The ingest port, a node:net server of our own: it reads the request head
// itself because the encoders' requests are not all HTTP that node:http or
// uWS accept (SOURCE, ICE/1.0, HTTP/1.0, raw PUT bodies without length).
// It takes sources (PUT, SOURCE) and also serves listeners whose players
// speak HTTP/1.0 (mpg123, Winamp, hardware radios), which uWS refuses.

import net, { type Socket } from 'node:net';
import { RelayError, statusLine } from '../relay/errors.js';
import { clientAddress } from '../relay/client-address.js';
import type { RelayContext } from '../relay/context.js';
import { answerInfo } from '../relay/info-routes.js';
import { PREFLIGHT_HEADERS, CORS_HEADERS, streamHeaders } from '../relay/listener-headers.js';
import { mountNameOf } from '../relay/mount-name.js';
import { SocketSink } from '../relay/socket-sink.js';
import { enableIcy } from '../relay/icy-interleaver.js';
import { ICY_METAINT, icyAllowedFor, wantsIcyMetadata } from '../relay/icy-metadata.js';
import { updateMountTitle } from '../relay/mount-title.js';
import type { SourceInput } from '../relay/mounts.js';
import { handleTitleRequest, TITLE_OK_HEADERS, TITLE_OK_XML, TITLE_PATHS } from '../relay/title-request.js';
import { stripIcyMetadata } from './icy-stripper.js';
import { streamInfoFrom } from '../relay/stream-info.js';
import { isSourceAuthorized } from './basic-auth.js';
import { HeadReader, type RequestHead } from './request-head.js';
import { runSourceSession } from './source-session.js';

/** How long a refused peer may take to read our answer before it is cut. */
const LINGER_MS = 2000;

export function createIngestServer(ctx: RelayContext): net.Server {
  return net.createServer({ noDelay: true }, (socket) => acceptIngest(ctx, socket));
}

function acceptIngest(ctx: RelayContext, socket: Socket): void {
  const reader = new HeadReader();
  const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
  const headerTimer = setTimeout(onHeaderTimeout, ctx.config.headerTimeoutMs);

  function onHeadData(chunk: Buffer): void {
    let parsed;
    try {
      parsed = reader.push(chunk);
    } catch (err) {
      done();
      refuse(ctx, socket, 'HTTP/1.0', err, { remote, method: '?', target: '?' });
      return;
    }
    if (!parsed) return;
    done();
    dispatch(ctx, socket, parsed.head, parsed.rest, remote);
  }

  function onHeaderTimeout(): void {
    done();
    refuse(ctx, socket, 'HTTP/1.0', new RelayError('HEADER_TIMEOUT', `${ctx.config.headerTimeoutMs} ms`), {
      remote,
      method: '?',
      target: '?',
    });
  }

  function onSocketError(err: Error): void {
    ctx.log.debug({ remote, err: err.message }, 'ingest socket error');
  }

  function done(): void {
    clearTimeout(headerTimer);
    socket.off('data', onHeadData);
  }

  socket.on('data', onHeadData);
  socket.on('error', onSocketError);
  socket.on('close', () => clearTimeout(headerTimer));
}

interface Where {
  remote: string;
  method: string;
  target: string;
}

function dispatch(ctx: RelayContext, socket: Socket, head: RequestHead, rest: Buffer, remote: string): void {
  const where = { remote, method: head.method, target: head.target };
  try {
    switch (head.method) {
      case 'PUT':
      case 'SOURCE':
        return acceptSource(ctx, socket, head, rest, where);
      case 'GET':
        if (TITLE_PATHS.has(head.target.split('?', 1)[0])) return answerTitleRequest(ctx, socket, head, where);
        return acceptListener(ctx, socket, head, where);
      case 'HEAD':
        return acceptListener(ctx, socket, head, where);
      case 'OPTIONS':
        return answer(socket, head.version, 204, PREFLIGHT_HEADERS, '');
      default:
        throw new RelayError('METHOD_NOT_ALLOWED', head.method);
    }
  } catch (err) {
    const extra: Array<[string, string]> = [];
    if (err instanceof RelayError && (err.code === 'AUTH_REQUIRED' || err.code === 'ADMIN_AUTH_REQUIRED')) {
      extra.push(['WWW-Authenticate', 'Basic realm="relaycast"']);
    }
    if (err instanceof RelayError && err.code === 'METHOD_NOT_ALLOWED') extra.push(['Allow', 'GET, HEAD, OPTIONS, PUT, SOURCE']);
    refuse(ctx, socket, head.version, err, where, extra);
  }
}

function acceptSource(ctx: RelayContext, socket: Socket, head: RequestHead, rest: Buffer, where: Where): void {
  const h = head.headers;
  // libshout's first request has no credentials and only wants the 401: answer it calmly.
  if (!isSourceAuthorized(h.get('authorization'), ctx.config.sourcePassword)) throw new RelayError('AUTH_REQUIRED');
  const name = mountNameOf(head.target);
  let contentType = h.get('content-type');
  if (!contentType) {
    if (head.method === 'PUT') throw new RelayError('CONTENT_TYPE_REQUIRED');
    contentType = 'audio/mpeg';
  }
  const chunked = /\bchunked\b/i.test(h.get('transfer-encoding') ?? '');
  const declared = h.get('content-length');
  const lengthBytes = declared !== undefined && !chunked ? Number(declared) : undefined;
  if (lengthBytes !== undefined && !(Number.isInteger(lengthBytes) && lengthBytes >= 0)) {
    throw new RelayError('BAD_HEADER', `Content-Length ${JSON.stringify(declared)}`);
  }
  const metaInt = inlineMetaIntOf(h);
  const attached = ctx.registry.attachSource(name, contentType, streamInfoFrom(h), where.remote, {
    method: head.method,
    version: head.version,
    chunked,
    agent: h.get('user-agent') ?? '',
    icyMetaInt: metaInt,
  });
  const input = metaInt === undefined ? attached : withInlineTitles(ctx, attached, metaInt);
  const version = replyVersion(head.version);
  if (/100-continue/i.test(h.get('expect') ?? '')) socket.write(`${version} 100 Continue\r\n\r\n`);
  // Icecast 2.4 answers 200 at once and encoders wait for it before sending audio.
  socket.write(`${version} 200 OK\r\nServer: relaycast\r\n\r\n`);
  const log = ctx.log.child({ mount: name, remote: where.remote });
  runSourceSession(socket, input, rest, {
    chunked,
    lengthBytes,
    timeoutMs: ctx.config.sourceTimeoutMs,
    log,
    onFault: (code, detail) => ctx.refusals.record(new RelayError(code, detail), { ...where, port: 'ingest' }),
  });
}

function acceptListener(ctx: RelayContext, socket: Socket, head: RequestHead, where: Where): void {
  const acceptedAtMs = performance.now();
  if (head.method === 'GET') {
    // The status page, status JSON, playlists and admin endpoints, for HTTP/1.0 clients too.
    const [path, query = ''] = head.target.split('?', 2);
    const info = answerInfo(ctx, {
      path,
      query: new URLSearchParams(query),
      header: (h) => head.headers.get(h),
      fallbackHost: `${socket.localAddress?.includes(':') ? `[${socket.localAddress}]` : socket.localAddress}:${socket.localPort}`,
    });
    if (info) return answer(socket, replyVersion(head.version), info.status, info.headers, info.body);
  }
  let name: string;
  try {
    name = mountNameOf(head.target);
  } catch {
    throw new RelayError('MOUNT_NOT_FOUND', head.target.slice(0, 80));
  }
  const version = replyVersion(head.version);
  if (head.method === 'HEAD') {
    const mount = ctx.registry.get(name);
    if (!mount) throw new RelayError('MOUNT_NOT_FOUND', name);
    const icy = wantsIcyMetadata(head.headers.get('icy-metadata')) && icyAllowedFor(mount.contentType);
    answer(socket, version, 200, streamHeaders(mount, icy ? ICY_METAINT : undefined), '');
    return;
  }
  const listener = ctx.registry.addListener(name, {
    remoteAddress: clientAddress({ socketAddress: where.remote, forwardedFor: head.headers.get('x-forwarded-for') }, ctx.config.trustProxy),
    userAgent: head.headers.get('user-agent') ?? '',
    acceptedAtMs,
    transport: 'socket',
  });
  const icyMetaInt = enableIcy(listener, head.headers.get('icy-metadata')) ? ICY_METAINT : undefined;
  socket.write(`${version} 200 OK\r\n${headerLines([...streamHeaders(listener.mount, icyMetaInt), ['Connection', 'close']])}\r\n`);
  listener.sink = new SocketSink(socket, listener);
  // The player sends nothing more; reading on lets us see it leave.
  socket.resume();
  ctx.fanOut.attach(listener);
}

/** A title update (relay/title-request.ts), answered and closed like Icecast does. */
function answerTitleRequest(ctx: RelayContext, socket: Socket, head: RequestHead, where: Where): void {
  const q = head.target.indexOf('?');
  handleTitleRequest(ctx, {
    path: head.target.slice(0, q < 0 ? undefined : q),
    // The head was read as Latin-1, so this gives back the bytes exactly as sent.
    query: Buffer.from(q < 0 ? '' : head.target.slice(q + 1), 'latin1'),
    authorization: head.headers.get('authorization'),
    remote: where.remote,
  });
  answer(socket, replyVersion(head.version), 200, TITLE_OK_HEADERS, TITLE_OK_XML);
}

/** A source's `icy-metaint` (it interleaves ICY metadata), or undefined when it sends none. */
export function inlineMetaIntOf(headers: ReadonlyMap<string, string>): number | undefined {
  const raw = headers.get('icy-metaint');
  if (raw === undefined) return undefined;
  const metaInt = Number(raw);
  if (!Number.isInteger(metaInt) || metaInt < 1 || metaInt > 1 << 20) throw new RelayError('BAD_HEADER', `icy-metaint ${JSON.stringify(raw.slice(0, 20))}`);
  return metaInt;
}

/** Strips a source's inline ICY metadata from its audio and makes its titles the mount's. */
export function withInlineTitles(ctx: RelayContext, input: SourceInput, metaInt: number): SourceInput {
  return stripIcyMetadata(input, metaInt, (title, url) => updateMountTitle(ctx, input.mount, title, url, 'inline-icy'));
}

function replyVersion(requestVersion: string): string {
  return requestVersion === 'HTTP/1.1' ? 'HTTP/1.1' : 'HTTP/1.0';
}

function headerLines(headers: ReadonlyArray<[string, string]>): string {
  return headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
}

function answer(socket: Socket, version: string, status: number, headers: ReadonlyArray<[string, string]>, body: string): void {
  const length = body === '' ? [] : [['Content-Length', String(Buffer.byteLength(body))] as [string, string]];
  socket.end(`${version} ${statusLine(status)}\r\n${headerLines([...headers, ...length, ['Connection', 'close']])}\r\n${body}`);
}

function refuse(
  ctx: RelayContext,
  socket: Socket,
  version: string,
  thrown: unknown,
  where: Where,
  extra: Array<[string, string]> = [],
): void {
  const err = ctx.refusals.record(thrown, { ...where, port: 'ingest' });
  if (err.status === 503) extra.push(['Retry-After', '10']);
  if (socket.destroyed) return;
  answer(socket, replyVersion(version), err.status, [['Content-Type', 'text/plain; charset=utf-8'], ...CORS_HEADERS, ...extra], `${err.message}\n`);
  // A refused source may keep sending; read and drop it until we hang up.
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
