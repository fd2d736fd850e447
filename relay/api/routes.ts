// Every answer that is not a stream, written once for every server: the
// servers turn their request into an ApiRequest, put the ApiAnswer on the
// wire, and stream the mount themselves when answerApi returns undefined.
// A refusal is thrown as a RelayError; refusalAnswer gives the same status,
// headers and one-line body on every port.

import type { RelayContext } from './context.js';
import { CORS_HEADERS, PREFLIGHT_HEADERS } from './cors.js';
import type { RelayError } from '../errors.js';
import { answerInfo, type InfoAnswer } from './info-routes.js';
import { handleTitleRequest, TITLE_OK_HEADERS, TITLE_OK_XML, TITLE_PATHS } from './title-request.js';

export interface ApiRequest {
  /** Upper-case, as sent. */
  method: string;
  /** The path, without the query. */
  path: string;
  /** The raw bytes after `?`, still percent-encoded ('' when none). */
  query: Buffer;
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
  /** The peer's address:port, for logs. */
  remote: string;
  /** host[:port] to use when the request has no usable Host header (HTTP/1.0). */
  fallbackHost: string;
  /** The request came over TLS. */
  secure?: boolean;
}

export type ApiAnswer = InfoAnswer;

/** The answer for `req`, or undefined when it asks for a stream (a mount). */
export function answerApi(ctx: RelayContext, req: ApiRequest): ApiAnswer | undefined {
  if (req.method === 'OPTIONS') return { status: 204, headers: [...PREFLIGHT_HEADERS], body: '' };
  if (req.method !== 'GET') return undefined;
  // For container health checks: answers while the event loop runs.
  if (req.path === '/healthz') return { status: 200, headers: [['Content-Type', 'text/plain']], body: 'ok\n' };
  if (TITLE_PATHS.has(req.path)) {
    handleTitleRequest(ctx, { path: req.path, query: req.query, authorization: req.header('authorization'), remote: req.remote });
    return { status: 200, headers: [...TITLE_OK_HEADERS], body: TITLE_OK_XML };
  }
  return answerInfo(ctx, {
    path: req.path,
    query: new URLSearchParams(req.query.toString('utf8')),
    header: req.header,
    fallbackHost: req.fallbackHost,
    secure: req.secure,
  });
}

/** What a refused request gets on any port: its status, the headers its code calls for, the reason. */
export function refusalAnswer(err: RelayError, allow: string): ApiAnswer {
  const headers: Array<[string, string]> = [['Content-Type', 'text/plain; charset=utf-8'], ...CORS_HEADERS];
  if (err.code === 'AUTH_REQUIRED' || err.code === 'ADMIN_AUTH_REQUIRED') headers.push(['WWW-Authenticate', 'Basic realm="relaycast"']);
  if (err.code === 'METHOD_NOT_ALLOWED') headers.push(['Allow', allow]);
  if (err.status === 503) headers.push(['Retry-After', '10']);
  return { status: err.status, headers, body: `${err.message}\n` };
}
