// Every answer that is not a stream, written once for every server: the
// servers turn their request into an ApiRequest, put the ApiAnswer on the
// wire, and stream the mount themselves when answerApi returns undefined.
// A refusal is thrown as a RelayError; refusalAnswer gives the same status,
// headers and one-line body on every port.

import { adminRoleOf } from './admin-auth.js';
import type { RelayContext } from './context.js';
import { CORS_HEADERS, PREFLIGHT_HEADERS } from './cors.js';
import { drainAnswer, readyAnswer } from './drain-routes.js';
import { RelayError } from '../errors.js';
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

/**
 * A path that throws a plain Error, for the tests of INTERNAL: no request a
 * client can send reaches a bug we know of, so the suite plants one (the
 * relay started with RELAYCAST_TEST_FAULT_PATH=/some-path). Unset, this is
 * one comparison with undefined per non-stream request.
 */
const FAULT_PATH = process.env.RELAYCAST_TEST_FAULT_PATH;

/** The answer for `req`, or undefined when it asks for a stream (a mount). */
export function answerApi(ctx: RelayContext, req: ApiRequest): ApiAnswer | undefined {
  if (req.method === 'OPTIONS') return { status: 204, headers: [...PREFLIGHT_HEADERS], body: '' };
  if (req.method === 'POST' && req.path === '/admin/reload') return reloadConfig(ctx, req);
  if (req.method === 'POST' && req.path === '/admin/drain') {
    return drainAnswer(ctx, { query: req.query, authorization: req.header('authorization'), remote: req.remote });
  }
  if (req.method !== 'GET') return undefined;
  if (req.path === FAULT_PATH) throw new Error(`planted fault at ${FAULT_PATH}`);
  // For container health checks: answers while the event loop runs.
  if (req.path === '/healthz') return { status: 200, headers: [['Content-Type', 'text/plain']], body: 'ok\n' };
  // For load balancers and Kubernetes: 503 from the first moment of a drain.
  if (req.path === '/readyz') return readyAnswer(ctx);
  if (TITLE_PATHS.has(req.path)) {
    handleTitleRequest(ctx, { path: req.path, query: req.query, authorization: req.header('authorization'), remote: req.remote });
    return { status: 200, headers: [...TITLE_OK_HEADERS], body: TITLE_OK_XML };
  }
  return answerInfo(ctx, {
    path: req.path,
    query: new URLSearchParams(req.query.toString('utf8')),
    header: req.header,
    fallbackHost: req.fallbackHost,
    remote: req.remote,
    secure: req.secure,
  });
}

/** What a refused request gets on any port: its status, the headers its code calls for, the reason. */
export function refusalAnswer(err: RelayError, allow: string): ApiAnswer {
  // nosniff: the body echoes a little of what the client sent, and must never be read as HTML.
  const headers: Array<[string, string]> = [
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['X-Content-Type-Options', 'nosniff'],
    ...CORS_HEADERS,
  ];
  if (err.code === 'AUTH_REQUIRED' || err.code === 'AUTH_PROBE' || err.code === 'ADMIN_AUTH_REQUIRED') {
    headers.push(['WWW-Authenticate', 'Basic realm="relaycast"']);
  }
  if (err.code === 'METHOD_NOT_ALLOWED') headers.push(['Allow', allow]);
  if (err.status === 503 || err.status === 429) headers.push(['Retry-After', String(err.retryAfterSeconds ?? 10)]);
  return { status: err.status, headers, body: `${err.message}\n` };
}

/** POST /admin/reload (admin): re-reads the config file; a file with errors is refused whole. */
function reloadConfig(ctx: RelayContext, req: ApiRequest): ApiAnswer {
  if (adminRoleOf(req.header('authorization'), ctx.registry.station) !== 'admin') throw new RelayError('ADMIN_AUTH_REQUIRED');
  const reload = ctx.control.reload;
  if (!reload) throw new RelayError('NO_CONFIG_FILE');
  const outcome = reload();
  if (!outcome.ok) throw new RelayError('RELOAD_REFUSED', `${outcome.errors.length} error(s), first: ${outcome.errors[0] ?? '?'}`);
  return {
    status: 200,
    headers: [
      ['Content-Type', 'application/json; charset=utf-8'],
      ['Cache-Control', 'no-store'],
    ],
    body: `${JSON.stringify(outcome)}\n`,
  };
}
