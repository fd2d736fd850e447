// Our own HTTP/1.x server on node:net: the front door (--port, 8000), and
// the same server on --ingest-port and, under node:tls, --tls-ingest-port.
// It reads the request head itself because encoders' requests are not all
// HTTP that node:http or uWS accept (SOURCE, ICE/1.0, HTTP/1.0, raw PUT
// bodies without length), and heads may arrive in any number of segments.
// Sources go to ingest/source-request.ts; a mount is streamed here with a
// close-delimited body (never chunked, as Icecast does) to every player,
// HTTP/1.0 or 1.1; /metrics and ACME challenges are answered here; everything
// else comes from relay/api/routes.ts. Every refusal is answered, logged and
// counted (ctx.refusals) with the label of the port it arrived on.

import net, { type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { acceptSource } from '../../ingest/source-request.js';
import type { RelayContext } from '../api/context.js';
import { answerApi, refusalAnswer, type ApiAnswer } from '../api/routes.js';
import { RelayError, statusLine } from '../errors.js';
import { ICY_METAINT, icyAllowedFor, wantsIcyMetadata } from '../formats/icy-metadata.js';
import { mountNameOf } from '../formats/mount-name.js';
import { HeadReader, type RequestHead } from '../formats/request-head.js';
import { enableIcy } from '../core/icy-interleaver.js';
import { clientAddress } from './client-address.js';
import { HeadDeadlines } from './head-deadlines.js';
import { streamHeaders } from './listener-headers.js';
import { acmeChallengeAnswer, ACME_PREFIX } from './acme-challenge.js';
import { readProxyHeader } from './proxy-header.js';
import { sharedString } from './shared-strings.js';
import { SocketSink } from './socket-sink.js';

/** How long a refused peer may take to read our answer before it is cut. */
const LINGER_MS = 2000;
const ALLOW = 'GET, HEAD, OPTIONS, PUT, SOURCE';

/** Which of our server's ports a connection arrived on, for logs. */
export type SocketPort = 'listener' | 'ingest' | 'tls-ingest';

export function createSocketServer(ctx: RelayContext, port: SocketPort = 'listener'): net.Server {
  const acceptor = connectionAcceptor(ctx, port);
  const server = net.createServer({ noDelay: true }, acceptor.accept);
  server.on('close', acceptor.stop);
  return server;
}

export interface ConnectionAcceptor {
  /** Serves one connection (a plain socket, or a TLS socket once its handshake is done). */
  accept(socket: Socket | TLSSocket): void;
  stop(): void;
}

/**
 * The accept path of one port. Its handlers are shared by every connection
 * (`this` is the socket) and one sweep keeps every head deadline
 * (head-deadlines.ts): no closure or timer per socket, so nothing of the
 * accept path stays alive behind a streaming listener.
 */
export function connectionAcceptor(ctx: RelayContext, port: SocketPort): ConnectionAcceptor {
  const heads = new HeadDeadlines(ctx.config.headerTimeoutMs, (socket) => {
    socket.off('data', onHeadData);
    refuse(ctx, socket, 'HTTP/1.0', new RelayError('HEADER_TIMEOUT', `${ctx.config.headerTimeoutMs} ms`), {
      remote: remoteOf(socket),
      method: '?',
      target: '?',
      port,
    });
  });

  function onHeadData(this: Socket, chunk: Buffer): void {
    const entry = heads.get(this);
    if (!entry) return;
    // A TCP proxy's PROXY header comes first, outside TLS; undefined once looked for.
    if (entry.proxyPrefix) {
      const bytes = entry.proxyPrefix.length > 0 ? Buffer.concat([entry.proxyPrefix, chunk]) : chunk;
      const found = readProxyHeader(bytes);
      if (found.kind === 'partial') {
        entry.proxyPrefix = bytes;
        return;
      }
      entry.proxyPrefix = undefined;
      if (found.kind === 'invalid') {
        done(this);
        refuse(ctx, this, 'HTTP/1.0', new RelayError('BAD_REQUEST_LINE', 'malformed PROXY protocol header'), {
          remote: remoteOf(this),
          method: '?',
          target: '?',
          port,
        });
        return;
      }
      chunk = bytes;
      if (found.kind === 'header') {
        entry.proxied = found.address;
        chunk = bytes.subarray(found.length);
        if (chunk.length === 0) return;
      }
    }
    let parsed: { head: RequestHead; rest: Buffer } | undefined;
    try {
      entry.reader ??= new HeadReader();
      parsed = entry.reader.push(chunk);
    } catch (err) {
      done(this);
      refuse(ctx, this, 'HTTP/1.0', err, { remote: remoteOf(this), method: '?', target: '?', port });
      return;
    }
    if (!parsed) return;
    const proxied = entry.proxied;
    done(this);
    dispatch(ctx, this, parsed.head, parsed.rest, {
      remote: remoteOf(this),
      method: parsed.head.method,
      target: parsed.head.target,
      port,
      proxied,
    });
  }

  function onSocketError(this: Socket, err: Error): void {
    ctx.log.debug({ remote: remoteOf(this), err: err.message }, 'ingest socket error');
  }

  function done(socket: Socket): void {
    heads.delete(socket);
    socket.off('data', onHeadData);
  }

  return {
    accept(socket: Socket | TLSSocket): void {
      const entry = heads.add(socket, performance.now());
      entry.proxyPrefix = port === 'tls-ingest' ? undefined : Buffer.alloc(0);
      socket.on('data', onHeadData);
      socket.on('error', onSocketError);
    },
    stop: () => heads.stop(),
  };
}

interface Where {
  remote: string;
  method: string;
  target: string;
  port: SocketPort;
  /** The source address of a PROXY protocol header, if the connection began with one. */
  proxied?: string;
}

function remoteOf(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
}

function dispatch(ctx: RelayContext, socket: Socket, head: RequestHead, rest: Buffer, where: Where): void {
  try {
    switch (head.method) {
      case 'PUT':
      case 'SOURCE':
        acceptSource(ctx, socket, head, rest, where);
        return;
      case 'POST':
      case 'GET':
      case 'HEAD':
      case 'OPTIONS': {
        if (head.method !== 'OPTIONS' && serveLocal(ctx, socket, head, where)) return;
        const answer = answerApi(ctx, { ...apiRequestOf(socket, head, where.remote), secure: where.port === 'tls-ingest' });
        if (answer) {
          send(socket, head.version, answer);
          return;
        }
        if (head.method === 'POST') throw new RelayError('METHOD_NOT_ALLOWED', `POST ${head.target.split('?', 1)[0].slice(0, 80)}`);
        acceptListener(ctx, socket, head, where);
        return;
      }
      default:
        throw new RelayError('METHOD_NOT_ALLOWED', head.method);
    }
  } catch (err) {
    refuse(ctx, socket, head.version, err, where);
  }
}

/** /metrics and ACME challenges: answers that need I/O, so they are not in relay/api. */
function serveLocal(ctx: RelayContext, socket: Socket, head: RequestHead, where: Where): boolean {
  const q = head.target.indexOf('?');
  const path = q < 0 ? head.target : head.target.slice(0, q);
  let pending: Promise<ApiAnswer> | undefined;
  if (path === '/metrics' && ctx.config.metricsPort === undefined) pending = metricsAnswer(ctx);
  else if (path.startsWith(ACME_PREFIX) && where.port !== 'tls-ingest') pending = acmeChallengeAnswer(ctx.config.acmeWebroot, path);
  if (!pending) return false;
  socket.resume(); // the client sends nothing more; keep its socket flowing
  pending.then(
    (answer) => {
      if (!socket.destroyed) send(socket, head.version, head.method === 'HEAD' ? { ...answer, body: '' } : answer);
    },
    (err: unknown) => refuse(ctx, socket, head.version, err, where),
  );
  return true;
}

async function metricsAnswer(ctx: RelayContext): Promise<ApiAnswer> {
  const text = await ctx.metrics.registry.metrics();
  return { status: 200, headers: [['Content-Type', ctx.metrics.registry.contentType]], body: text };
}

function apiRequestOf(socket: Socket, head: RequestHead, remote: string) {
  const q = head.target.indexOf('?');
  return {
    method: head.method,
    path: q < 0 ? head.target : head.target.slice(0, q),
    // The head was read as Latin-1, so this gives back the query's bytes exactly as sent.
    query: Buffer.from(q < 0 ? '' : head.target.slice(q + 1), 'latin1'),
    header: (name: string) => head.headers.get(name),
    remote,
    fallbackHost: `${socket.localAddress?.includes(':') ? `[${socket.localAddress}]` : socket.localAddress}:${socket.localPort}`,
  };
}

function acceptListener(ctx: RelayContext, socket: Socket, head: RequestHead, where: Where): void {
  const acceptedAtMs = performance.now();
  let name: string;
  try {
    name = mountNameOf(head.target);
  } catch {
    throw new RelayError('MOUNT_NOT_FOUND', head.target.slice(0, 80));
  }
  const version = replyVersion(head.version);
  // Full, at --redirect-over or draining: a peer with room gets this listener (relay/cluster/cluster.ts).
  const redirect = ctx.cluster.redirectFor(head.target);
  if (redirect) {
    send(socket, version, head.method === 'HEAD' ? { ...redirect, body: '' } : redirect);
    return;
  }
  if (head.method === 'HEAD') {
    const mount = ctx.registry.get(name);
    if (!mount) throw new RelayError('MOUNT_NOT_FOUND', name);
    const icy = wantsIcyMetadata(head.headers.get('icy-metadata')) && icyAllowedFor(mount.contentType);
    send(socket, version, { status: 200, headers: streamHeaders(mount, icy ? ICY_METAINT : undefined), body: '' });
    return;
  }
  // A relay mount with no source (an on-demand relay nobody listens to yet) is pulled first.
  const waiting = ctx.registry.get(name)?.hasSource ? undefined : ctx.pullRelays?.whenLive(name);
  if (!waiting) {
    admitListener(ctx, socket, head, where, name, acceptedAtMs);
    return;
  }
  waiting.then(
    () => {
      if (socket.destroyed) return;
      try {
        admitListener(ctx, socket, head, where, name, acceptedAtMs);
      } catch (err) {
        refuse(ctx, socket, head.version, err, where);
      }
    },
    (err: unknown) => refuse(ctx, socket, head.version, err, where),
  );
}

function admitListener(ctx: RelayContext, socket: Socket, head: RequestHead, where: Where, name: string, acceptedAtMs: number): void {
  const version = replyVersion(head.version);
  const listener = ctx.registry.addListener(name, {
    remoteAddress: clientAddress(
      { socketAddress: where.remote, forwardedFor: head.headers.get('x-forwarded-for'), proxied: where.proxied },
      ctx.config.trustProxy,
    ),
    userAgent: sharedString(head.headers.get('user-agent') ?? ''),
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

function replyVersion(requestVersion: string): string {
  return requestVersion === 'HTTP/1.1' ? 'HTTP/1.1' : 'HTTP/1.0';
}

function headerLines(headers: ReadonlyArray<[string, string]>): string {
  return headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
}

/** Answers and closes, like Icecast: one request per connection. */
function send(socket: Socket, requestVersion: string, answer: ApiAnswer): void {
  const { status, headers, body } = answer;
  const length = body === '' ? [] : [['Content-Length', String(Buffer.byteLength(body))] as [string, string]];
  socket.end(
    `${replyVersion(requestVersion)} ${statusLine(status)}\r\n${headerLines([...headers, ...length, ['Connection', 'close']])}\r\n${body}`,
  );
}

function refuse(ctx: RelayContext, socket: Socket, version: string, thrown: unknown, where: Where): void {
  const err = ctx.refusals.record(thrown, where);
  if (socket.destroyed) return;
  send(socket, version, refusalAnswer(err, ALLOW));
  // A refused source may keep sending; read and drop it until we hang up.
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
