// The small documents both ports serve besides streams: the status page
// (/) and its icon (/favicon.ico), /status.json, Icecast's /status-json.xsl, playlists (/<mount>.m3u,
// .pls) and the admin listener endpoints. Transport-neutral: the uWS port
// and the ingest port (HTTP/1.0 clients) each adapt their request to
// InfoRequest and put the InfoAnswer on the wire. A refusal is thrown as a
// RelayError and answered by the transport like any other.

import { adminRoleOf, limitedRole } from './admin-auth.js';
import { killListener, listenerDetails } from './admin-listeners.js';
import type { RelayContext } from './context.js';
import { RelayError } from '../errors.js';
import { FAVICON_CACHE_CONTROL, FAVICON_CONTENT_TYPE, FAVICON_PATH, FAVICON_SVG } from './favicon.js';
import { icecastStats } from './icestats.js';
import { playlistFor } from './playlists.js';
import { STATUS_PAGE_HTML } from './status-page.js';
import { settingsOf, statusReport } from './status-report.js';

export interface InfoRequest {
  /** The path, without the query. */
  path: string;
  query: URLSearchParams;
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
  /** host[:port] to use when the request has no usable Host header (HTTP/1.0). */
  fallbackHost: string;
  /** The peer's address:port, for the login limiter. */
  remote: string;
  /** The request came over TLS (--tls-port, --tls-ingest-port): hand out https URLs. */
  secure?: boolean;
}

export interface InfoAnswer {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

const NO_CACHE: [string, string] = ['Cache-Control', 'no-cache, no-store'];
const ANY_ORIGIN: [string, string] = ['Access-Control-Allow-Origin', '*'];

/** The answer for `req`, or undefined when its path is not one of these documents (it may be a mount). */
export function answerInfo(ctx: RelayContext, req: InfoRequest): InfoAnswer | undefined {
  switch (req.path) {
    case '/':
      return ok('text/html; charset=utf-8', STATUS_PAGE_HTML, [NO_CACHE]);
    case FAVICON_PATH:
      return ok(FAVICON_CONTENT_TYPE, FAVICON_SVG, [['Cache-Control', FAVICON_CACHE_CONTROL]]);
    case '/status.json':
      return json(statusReport(ctx.registry, baseUrlOf(ctx, req), ctx.cluster.serverRoom), [NO_CACHE, ANY_ORIGIN]);
    case '/status-json.xsl':
      return json(icecastStats(statusReport(ctx.registry, baseUrlOf(ctx, req), ctx.cluster.serverRoom), hostOf(req).replace(/:\d+$/, '')), [
        NO_CACHE,
        ANY_ORIGIN,
      ]);
    case '/admin/listeners': {
      requireAdmin(ctx, req);
      const only = req.query.get('mount') ?? undefined;
      const listeners = listenerDetails(ctx.registry, only);
      // Each mount's settings in force (hidden ones too: this is the operator's view).
      const mounts = Object.fromEntries(
        [...ctx.registry.mounts.values()]
          .filter((m) => only === undefined || m.name === only)
          .map((m) => [m.name, { hidden: m.settings?.hidden ?? false, ...settingsOf(m) }]),
      );
      return json({ listeners, mounts }, [NO_CACHE]);
    }
    case '/admin/streamlist.txt': {
      // Icecast's list for relays (its relay user; here user admin): one public mount per line,
      // CRLF as Icecast 2.4 writes it, hidden mounts left out; what an edge's --origin may read.
      requireAdmin(ctx, req);
      const lines = statusReport(ctx.registry, baseUrlOf(ctx, req), ctx.cluster.serverRoom).mounts.map((m) => `${m.mount}\r\n`);
      return ok('text/plain; charset=utf-8', lines.join(''), [NO_CACHE]);
    }
    case '/admin/killclient': {
      requireAdmin(ctx, req);
      const listener = killListener(ctx.registry, req.query.get('mount') ?? undefined, req.query.get('id') ?? undefined);
      // Icecast's answer, so scripts written for its killclient keep working.
      const xml = `<?xml version="1.0"?>\n<iceresponse><message>Client ${listener.id} removed</message><return>1</return></iceresponse>\n`;
      return ok('text/xml; charset=utf-8', xml, [NO_CACHE]);
    }
  }
  const playlist = playlistFor(req.path, ctx.registry, baseUrlOf(ctx, req));
  if (playlist) return ok(playlist.contentType, playlist.body, [NO_CACHE, ANY_ORIGIN]);
  return undefined;
}

function requireAdmin(ctx: RelayContext, req: InfoRequest): void {
  const authorization = req.header('authorization');
  const role = limitedRole(
    ctx.authLimiter,
    req.remote,
    authorization !== undefined,
    () => adminRoleOf(authorization, ctx.registry.station),
    'admin',
  );
  if (!role) throw new RelayError('ADMIN_AUTH_REQUIRED');
}

function ok(contentType: string, body: string, headers: Array<[string, string]>): InfoAnswer {
  return { status: 200, headers: [['Content-Type', contentType], ...headers], body };
}

function json(value: unknown, headers: Array<[string, string]>): InfoAnswer {
  return ok('application/json; charset=utf-8', `${JSON.stringify(value)}\n`, headers);
}

/** The Host the client used, when it is a plain host[:port]; it ends up in URLs we hand out. */
function hostOf(req: InfoRequest): string {
  const host = req.header('host')?.trim();
  return host && /^[A-Za-z0-9.\-[\]:]{1,255}$/.test(host) ? host : req.fallbackHost;
}

function baseUrlOf(ctx: RelayContext, req: InfoRequest): string {
  // Behind a TLS-terminating proxy of the operator's own, hand out https URLs.
  const https = req.secure === true || (ctx.config.trustProxy && req.header('x-forwarded-proto')?.trim().toLowerCase() === 'https');
  return `${https ? 'https' : 'http'}://${hostOf(req)}`;
}
