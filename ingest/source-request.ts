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
  const attached = ctx.registry.attachSource(name, contentType, streamInfoFrom(h), peer.remote, {
    method: head.method,
    version: head.version,
    chunked,
    agent: h.get('user-agent') ?? '',
    icyMetaInt: metaInt,
  });
  const input = metaInt === undefined ? attached : withInlineTitles(ctx, attached, metaInt);
  const version = head.version === 'HTTP/1.1' ? 'HTTP/1.1' : 'HTTP/1.0';
  if (/100-continue/i.test(h.get('expect') ?? '')) socket.write(`${version} 100 Continue\r\n\r\n`);
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
