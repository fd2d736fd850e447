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
import { streamHeaders } from './listener-headers.js';
import { SocketSink } from './socket-sink.js';

/** How long a refused peer may take to read our answer before it is cut. */
const LINGER_MS = 2000;
const ALLOW = 'GET, HEAD, OPTIONS, PUT, SOURCE';

export function createSocketServer(ctx: RelayContext): net.Server {
  return net.createServer({ noDelay: true }, (socket) => acceptConnection(ctx, socket));
}

interface Where {
  remote: string;
  method: string;
  target: string;
}

function acceptConnection(ctx: RelayContext, socket: Socket): void {
  const reader = new HeadReader();
  const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
  const headerTimer = setTimeout(onHeaderTimeout, ctx.config.headerTimeoutMs);

  function onHeadData(chunk: Buffer): void {
    let parsed: { head: RequestHead; rest: Buffer } | undefined;
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

function dispatch(ctx: RelayContext, socket: Socket, head: RequestHead, rest: Buffer, remote: string): void {
  const where = { remote, method: head.method, target: head.target };
  try {
    switch (head.method) {
      case 'PUT':
      case 'SOURCE':
        acceptSource(ctx, socket, head, rest, { ...where, port: 'ingest' });
        return;
      case 'POST':
      case 'GET':
      case 'HEAD':
      case 'OPTIONS': {
        const answer = answerApi(ctx, apiRequestOf(socket, head, remote));
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
