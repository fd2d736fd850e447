// A source's request, once a server has read its head: check the
// credentials and the stream's headers, take the mount, answer as Icecast
// 2.4 does, and hand the socket to a source session. Every refusal is thrown
// as a RelayError for the server to answer.

import type { Socket } from 'node:net';
import type { RelayContext } from '../relay/api/context.js';
import { updateMountTitle } from '../relay/core/mount-title.js';
import type { SourceInput } from '../relay/core/mounts.js';
import { streamInfoFrom } from '../relay/core/stream-info.js';
import { RelayError } from '../relay/errors.js';
import { isSourceAuthorized } from '../relay/formats/basic-auth.js';
import { mountNameOf } from '../relay/formats/mount-name.js';
import type { RequestHead } from '../relay/formats/request-head.js';
import { stripIcyMetadata } from './icy-stripper.js';
import { runSourceSession } from './source-session.js';

export interface SourcePeer {
  remote: string;
  method: string;
  target: string;
  /** The port's name in refusal logs and metrics. */
  port: 'listener' | 'ingest' | 'tls-ingest';
}

export function acceptSource(ctx: RelayContext, socket: Socket, head: RequestHead, rest: Buffer, peer: SourcePeer): void {
  const h = head.headers;
  const authorization = h.get('authorization');
  ctx.authLimiter.gate(peer.remote);
  // libshout's first request has no credentials and only wants the 401: answered as Icecast does, counted apart.
  if (authorization === undefined) throw new RelayError('AUTH_PROBE');
  const name = mountNameOf(head.target);
  const station = ctx.registry.station;
  const settings = station.forMount(name);
  if (!settings) throw new RelayError('MOUNT_UNLISTED', name);
  // A mount with a password of its own takes only that one (each DJ on their own mount).
  if (!isSourceAuthorized(authorization, settings.sourcePassword ?? station.sourcePassword, settings.sourceUser)) {
    ctx.authLimiter.failed(peer.remote);
    throw new RelayError('AUTH_REQUIRED');
  }
  let contentType = h.get('content-type');
  if (!contentType) {
    if (head.method === 'PUT') throw new RelayError('CONTENT_TYPE_REQUIRED');
    contentType = 'audio/mpeg';
  }
  const chunked = /\bchunked\b/i.test(h.get('transfer-encoding') ?? '');
  const lengthBytes = chunked ? undefined : contentLengthOf(h.get('content-length'));
  const metaInt = inlineMetaIntOf(h);
  const attached = ctx.registry.attachSource(name, contentType, streamInfoFrom(h), peer.remote, {
    method: head.method,
    version: head.version,
    chunked,
    agent: h.get('user-agent') ?? '',
    icyMetaInt: metaInt,
  });
  const input = metaInt === undefined ? attached : withInlineTitles(ctx, attached, metaInt);
  const version = head.version === 'HTTP/1.1' ? 'HTTP/1.1' : 'HTTP/1.0';
  if (expectsContinue(h.get('expect'))) socket.write(`${version} 100 Continue\r\n\r\n`);
  // Icecast 2.4 answers 200 at once and encoders wait for it before sending audio.
  socket.write(`${version} 200 OK\r\nServer: relaycast\r\n\r\n`);
  const log = ctx.log.child({ mount: name, remote: peer.remote });
  runSourceSession(socket, input, rest, {
    chunked,
    lengthBytes,
    timeoutMs: ctx.config.sourceTimeoutMs,
    log,
    onFault: (code, detail) => ctx.refusals.record(new RelayError(code, detail), peer),
  });
}

/** RFC 9112 section 6.3: Content-Length is 1*DIGIT; anything else (hex, exponents, signs, empty, a list) is refused. */
export function contentLengthOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  // 15 digits stay below 2^53, so the number is exact.
  if (!/^\d{1,15}$/.test(raw)) throw new RelayError('BAD_HEADER', `Content-Length ${JSON.stringify(raw.slice(0, 20))}`);
  return Number(raw);
}

/** RFC 9110 section 10.1.1: the one expectation is the token `100-continue`, in any case; `100-continuefoo` is not it. */
export function expectsContinue(raw: string | undefined): boolean {
  return raw?.split(',').some((item) => item.trim().toLowerCase() === '100-continue') ?? false;
}

/** A source's `icy-metaint` (it interleaves ICY metadata), or undefined when it sends none. */
export function inlineMetaIntOf(headers: ReadonlyMap<string, string>): number | undefined {
  const raw = headers.get('icy-metaint');
  if (raw === undefined) return undefined;
  const metaInt = Number(raw);
  if (!Number.isInteger(metaInt) || metaInt < 1 || metaInt > 1 << 20)
    throw new RelayError('BAD_HEADER', `icy-metaint ${JSON.stringify(raw.slice(0, 20))}`);
  return metaInt;
}

/** Strips a source's inline ICY metadata from its audio and makes its titles the mount's. */
export function withInlineTitles(ctx: RelayContext, input: SourceInput, metaInt: number): SourceInput {
  return stripIcyMetadata(input, metaInt, (title, url) => updateMountTitle(ctx, input.mount, title, url, 'inline-icy'));
}
