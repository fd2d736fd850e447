// Our own HTTP/1.x server on node:net (the ingest port). It reads the
// request head itself because encoders' requests are not all HTTP that
// node:http or uWS accept (SOURCE, ICE/1.0, HTTP/1.0, raw PUT bodies without
// length). Sources go to ingest/source-request.ts; listeners whose players
// speak HTTP/1.0 (mpg123, Winamp, hardware radios), which uWS refuses, are
// streamed here; everything else is answered by relay/api/routes.ts.

import net, { type Socket } from 'node:net';
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
import { sharedString } from './shared-strings.js';
import { SocketSink } from './socket-sink.js';

/** How long a refused peer may take to read our answer before it is cut. */
const LINGER_MS = 2000;
const ALLOW = 'GET, HEAD, OPTIONS, PUT, SOURCE';

export function createSocketServer(ctx: RelayContext): net.Server {
  const heads = new HeadDeadlines(ctx.config.headerTimeoutMs, (socket) => {
    socket.off('data', onHeadData);
    refuse(ctx, socket, 'HTTP/1.0', new RelayError('HEADER_TIMEOUT', `${ctx.config.headerTimeoutMs} ms`), {
      remote: remoteOf(socket),
      method: '?',
      target: '?',
    });
  });

  // Shared by every connection (`this` is the socket): no closure per socket, so
  // nothing of the accept path stays alive behind a streaming listener.
  function onHeadData(this: Socket, chunk: Buffer): void {
    const entry = heads.get(this);
    if (!entry) return;
    let parsed: { head: RequestHead; rest: Buffer } | undefined;
    try {
      entry.reader ??= new HeadReader();
      parsed = entry.reader.push(chunk);
    } catch (err) {
      done(this);
      refuse(ctx, this, 'HTTP/1.0', err, { remote: remoteOf(this), method: '?', target: '?' });
      return;
    }
    if (!parsed) return;
    done(this);
    dispatch(ctx, this, parsed.head, parsed.rest, remoteOf(this));
  }

  function onSocketError(this: Socket, err: Error): void {
    ctx.log.debug({ remote: remoteOf(this), err: err.message }, 'ingest socket error');
  }

  function done(socket: Socket): void {
    heads.delete(socket);
    socket.off('data', onHeadData);
  }

  const server = net.createServer({ noDelay: true }, (socket) => {
    heads.add(socket, performance.now());
    socket.on('data', onHeadData);
    socket.on('error', onSocketError);
  });
  server.on('close', () => heads.stop());
  return server;
}

interface Where {
  remote: string;
  method: string;
  target: string;
}

function remoteOf(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
}

function dispatch(ctx: RelayContext, socket: Socket, head: RequestHead, rest: Buffer, remote: string): void {
  const where = { remote, method: head.method, target: head.target };
  try {
    switch (head.method) {
      case 'PUT':
      case 'SOURCE':
        acceptSource(ctx, socket, head, rest, { ...where, port: 'ingest' });
        return;
      case 'GET':
      case 'HEAD':
      case 'OPTIONS': {
        const answer = answerApi(ctx, apiRequestOf(socket, head, remote));
        if (answer) {
          send(socket, head.version, answer);
          return;
        }
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
  if (head.method === 'HEAD') {
    const mount = ctx.registry.get(name);
    if (!mount) throw new RelayError('MOUNT_NOT_FOUND', name);
    const icy = wantsIcyMetadata(head.headers.get('icy-metadata')) && icyAllowedFor(mount.contentType);
    send(socket, version, { status: 200, headers: streamHeaders(mount, icy ? ICY_METAINT : undefined), body: '' });
    return;
  }
  const listener = ctx.registry.addListener(name, {
    remoteAddress: clientAddress({ socketAddress: where.remote, forwardedFor: head.headers.get('x-forwarded-for') }, ctx.config.trustProxy),
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
  const err = ctx.refusals.record(thrown, { ...where, port: 'ingest' });
  if (socket.destroyed) return;
  send(socket, version, refusalAnswer(err, ALLOW));
  // A refused source may keep sending; read and drop it until we hang up.
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
