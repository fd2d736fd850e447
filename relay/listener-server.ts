// The public listener port (uWS): GET/HEAD on a mount streams it, OPTIONS
// answers CORS preflight on any path, /metrics serves Prometheus text (unless
// --metrics-port moved it), and the status page, status JSON, playlists and
// admin endpoints come from info-routes.ts.
// uWS answers HTTP/1.0 with 505 before we see it; those players use the
// ingest port, which speaks HTTP/1.0 (see README, "Ports").

import { RelayError, statusLine } from './errors.js';
import type { RelayContext } from './context.js';
import { clientAddress } from './client-address.js';
import { answerInfo } from './info-routes.js';
import { CORS_HEADERS, PREFLIGHT_HEADERS, streamHeaders } from './listener-headers.js';
import { enableIcy } from './icy-interleaver.js';
import { ICY_METAINT, icyAllowedFor, wantsIcyMetadata } from './icy-metadata.js';
import { mountNameOf } from './mount-name.js';
import { handleTitleRequest, TITLE_OK_HEADERS, TITLE_OK_XML, TITLE_PATHS } from './title-request.js';
import { UwsSink } from './uws-sink.js';
import { uws, type HttpRequest, type HttpResponse, type TemplatedApp } from './uws.js';

export function createListenerApp(ctx: RelayContext): TemplatedApp {
  const app = uws.App();

  app.get('/metrics', (res, req) => serveMetrics(ctx, res, req));
  // For container health checks: answers while the event loop runs.
  app.get('/healthz', (res) => {
    res.writeHeader('Content-Type', 'text/plain').end('ok\n');
  });
  app.options('/*', (res) => {
    res.writeStatus('204 No Content');
    for (const [k, v] of PREFLIGHT_HEADERS) res.writeHeader(k, v);
    res.endWithoutBody(0);
  });
  for (const path of TITLE_PATHS) app.get(path, (res, req) => serveTitleUpdate(ctx, res, req));
  app.get('/*', (res, req) => serveListener(ctx, res, req, false));
  app.head('/*', (res, req) => serveListener(ctx, res, req, true));
  app.any('/*', (res, req) => {
    refuse(ctx, res, req, new RelayError('METHOD_NOT_ALLOWED', req.getMethod().toUpperCase()), [['Allow', 'GET, HEAD, OPTIONS']]);
  });
  return app;
}

function remoteOf(res: HttpResponse): string {
  return Buffer.from(res.getRemoteAddressAsText()).toString();
}

function refuse(
  ctx: RelayContext,
  res: HttpResponse,
  req: HttpRequest,
  thrown: unknown,
  extraHeaders: Array<[string, string]> = [],
): void {
  const err: RelayError = ctx.refusals.record(thrown, {
    remote: remoteOf(res),
    method: req.getMethod().toUpperCase(),
    target: req.getUrl(),
    port: 'listener',
  });
  res.writeStatus(statusLine(err.status));
  res.writeHeader('Content-Type', 'text/plain; charset=utf-8');
  for (const [k, v] of CORS_HEADERS) res.writeHeader(k, v);
  for (const [k, v] of extraHeaders) res.writeHeader(k, v);
  if (err.status === 503) res.writeHeader('Retry-After', '10');
  res.end(`${err.message}\n`);
}

function serveListener(ctx: RelayContext, res: HttpResponse, req: HttpRequest, headOnly: boolean): void {
  const acceptedAtMs = performance.now();
  if (!headOnly && serveInfo(ctx, res, req)) return;
  let name: string;
  try {
    name = mountNameOf(req.getUrl());
  } catch {
    // A path that cannot be a mount is simply not one.
    refuse(ctx, res, req, new RelayError('MOUNT_NOT_FOUND', req.getUrl().slice(0, 80)));
    return;
  }
  const mount = ctx.registry.get(name);
  const icyMetaData = req.getHeader('icy-metadata');
  if (headOnly) {
    if (!mount) return refuse(ctx, res, req, new RelayError('MOUNT_NOT_FOUND', name));
    const icy = wantsIcyMetadata(icyMetaData) && icyAllowedFor(mount.contentType);
    res.writeStatus('200 OK');
    for (const [k, v] of streamHeaders(mount, icy ? ICY_METAINT : undefined)) res.writeHeader(k, v);
    res.endWithoutBody();
    return;
  }
  let listener;
  try {
    listener = ctx.registry.addListener(name, {
      remoteAddress: listenerAddress(ctx, res, req),
      userAgent: req.getHeader('user-agent'),
      acceptedAtMs,
      transport: 'uws',
    });
  } catch (err) {
    refuse(ctx, res, req, err);
    return;
  }
  // Range (players send bytes=0-) is ignored: a live stream is always sent whole, with 200.
  listener.sink = new UwsSink(res, listener);
  const icyMetaInt = enableIcy(listener, icyMetaData) ? ICY_METAINT : undefined;
  res.writeStatus('200 OK');
  for (const [k, v] of streamHeaders(listener.mount, icyMetaInt)) res.writeHeader(k, v);
  ctx.fanOut.attach(listener);
}

/** GET /admin/metadata and /admin.cgi: a title update (relay/title-request.ts). */
function serveTitleUpdate(ctx: RelayContext, res: HttpResponse, req: HttpRequest): void {
  try {
    handleTitleRequest(ctx, {
      path: req.getUrl(),
      // uWS hands the raw query as UTF-8 text; this gives back its bytes.
      query: Buffer.from(req.getQuery() ?? '', 'utf8'),
      authorization: req.getHeader('authorization') || undefined,
      remote: remoteOf(res),
    });
  } catch (err) {
    const auth = err instanceof RelayError && err.code === 'ADMIN_AUTH_REQUIRED';
    refuse(ctx, res, req, err, auth ? [['WWW-Authenticate', 'Basic realm="relaycast"']] : []);
    return;
  }
  res.writeStatus('200 OK');
  for (const [k, v] of TITLE_OK_HEADERS) res.writeHeader(k, v);
  res.end(TITLE_OK_XML);
}

/** Answers the status page, status JSON, playlists and admin endpoints; false for anything else. */
function serveInfo(ctx: RelayContext, res: HttpResponse, req: HttpRequest): boolean {
  const url = req.getUrl();
  let answer;
  try {
    answer = answerInfo(ctx, {
      path: url,
      query: new URLSearchParams(req.getQuery() ?? ''),
      header: (name) => req.getHeader(name) || undefined,
      // uWS refuses HTTP/1.1 without Host, so this is only for a Host we will not echo.
      fallbackHost: 'localhost',
    });
  } catch (err) {
    const extra: Array<[string, string]> = [];
    if (err instanceof RelayError && err.code === 'ADMIN_AUTH_REQUIRED') extra.push(['WWW-Authenticate', 'Basic realm="relaycast"']);
    refuse(ctx, res, req, err, extra);
    return true;
  }
  if (!answer) return false;
  res.writeStatus(statusLine(answer.status));
  for (const [k, v] of answer.headers) res.writeHeader(k, v);
  res.end(answer.body);
  return true;
}

function listenerAddress(ctx: RelayContext, res: HttpResponse, req: HttpRequest): string {
  if (!ctx.config.trustProxy) return remoteOf(res);
  return clientAddress(
    {
      socketAddress: remoteOf(res),
      forwardedFor: req.getHeader('x-forwarded-for') || undefined,
      proxied: Buffer.from(res.getProxiedRemoteAddressAsText()).toString(),
    },
    true,
  );
}

function serveMetrics(ctx: RelayContext, res: HttpResponse, req: HttpRequest): void {
  if (ctx.config.metricsPort !== undefined) {
    // The operator moved /metrics to a private address: the public port does not serve it.
    refuse(ctx, res, req, new RelayError('MOUNT_NOT_FOUND', '/metrics'));
    return;
  }
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  const remote = remoteOf(res);
  const target = req.getUrl();
  ctx.metrics.registry.metrics().then(
    (text) => {
      if (aborted) return;
      res.cork(() => {
        res.writeStatus('200 OK').writeHeader('Content-Type', ctx.metrics.registry.contentType).end(text);
      });
    },
    (err: unknown) => {
      if (aborted) return;
      const refusal = ctx.refusals.record(err, { remote, method: 'GET', target, port: 'listener' });
      res.cork(() => res.writeStatus(statusLine(refusal.status)).end(`${refusal.message}\n`));
    },
  );
}
