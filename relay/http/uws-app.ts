// The uWS ports (--uws-port plain, --tls-port through SSLApp): GET/HEAD on a
// mount streams it, /metrics serves Prometheus text (unless --metrics-port
// moved it), and every other answer comes from relay/api/routes.ts. uWS
// answers HTTP/1.0 with 505 before we see it and always chunks a stream; the
// front door (our own server) is the port for every player (README, "Ports").
// Sources are refused here with a pointer to the ports that take them.

import type { RelayContext } from '../api/context.js';
import { answerApi, refusalAnswer, type ApiAnswer } from '../api/routes.js';
import { enableIcy } from '../core/icy-interleaver.js';
import type { Listener } from '../core/listener.js';
import { RelayError, statusLine } from '../errors.js';
import { ICY_METAINT, icyAllowedFor, wantsIcyMetadata } from '../formats/icy-metadata.js';
import { mountNameOf } from '../formats/mount-name.js';
import { clientAddress } from './client-address.js';
import { streamHeaders } from './listener-headers.js';
import { UwsSink } from './uws-sink.js';
import { uws, type HttpRequest, type HttpResponse, type TemplatedApp } from './uws.js';

const ALLOW = 'GET, HEAD, OPTIONS';

/** Which uWS port, for logs. */
export type UwsPort = 'uws' | 'tls';

export function createListenerApp(ctx: RelayContext, port: UwsPort = 'uws'): TemplatedApp {
  const app = uws.App();
  registerListenerRoutes(ctx, app, port);
  return app;
}

/** The routes, on an App or on one SNI name of an SSLApp (`app.domain(name)`). */
export function registerListenerRoutes(ctx: RelayContext, app: TemplatedApp, port: UwsPort): void {
  app.get('/metrics', (res, req) => serveMetrics(ctx, res, req, port));
  app.options('/*', (res, req) => serveRequest(ctx, res, req, port));
  app.post('/admin/reload', (res, req) => serveRequest(ctx, res, req, port));
  app.post('/admin/drain', (res, req) => serveRequest(ctx, res, req, port));
  app.get('/*', (res, req) => serveRequest(ctx, res, req, port));
  app.head('/*', (res, req) => serveRequest(ctx, res, req, port));
  app.any('/*', (res, req) => {
    const method = req.getMethod().toUpperCase();
    const hint = method === 'PUT' || method === 'SOURCE' ? `${method}: sources go to --port or --tls-ingest-port` : method;
    refuse(ctx, res, req, new RelayError('METHOD_NOT_ALLOWED', hint), port);
  });
}

function remoteOf(res: HttpResponse): string {
  return Buffer.from(res.getRemoteAddressAsText()).toString();
}

function send(res: HttpResponse, answer: ApiAnswer): void {
  res.writeStatus(statusLine(answer.status));
  for (const [k, v] of answer.headers) res.writeHeader(k, v);
  if (answer.status === 204) res.endWithoutBody(0);
  else res.end(answer.body);
}

function refuse(ctx: RelayContext, res: HttpResponse, req: HttpRequest, thrown: unknown, port: UwsPort): void {
  const err: RelayError = ctx.refusals.record(thrown, {
    remote: remoteOf(res),
    method: req.getMethod().toUpperCase(),
    target: req.getUrl(),
    port,
  });
  send(res, refusalAnswer(err, ALLOW));
}

function serveRequest(ctx: RelayContext, res: HttpResponse, req: HttpRequest, port: UwsPort): void {
  const acceptedAtMs = performance.now();
  const method = req.getMethod().toUpperCase();
  let answer: ApiAnswer | undefined;
  try {
    answer = answerApi(ctx, {
      method,
      path: req.getUrl(),
      // uWS hands the raw query as UTF-8 text; this gives back its bytes.
      query: Buffer.from(req.getQuery() ?? '', 'utf8'),
      header: (name) => req.getHeader(name) || undefined,
      remote: remoteOf(res),
      // uWS refuses HTTP/1.1 without Host, so this is only for a Host we will not echo.
      fallbackHost: 'localhost',
      secure: port === 'tls',
    });
  } catch (err) {
    refuse(ctx, res, req, err, port);
    return;
  }
  if (answer) {
    send(res, answer);
    return;
  }
  serveListener(ctx, res, req, method === 'HEAD', acceptedAtMs, port);
}

function serveListener(
  ctx: RelayContext,
  res: HttpResponse,
  req: HttpRequest,
  headOnly: boolean,
  acceptedAtMs: number,
  port: UwsPort,
): void {
  let name: string;
  try {
    name = mountNameOf(req.getUrl());
  } catch {
    // A path that cannot be a mount is simply not one.
    refuse(ctx, res, req, new RelayError('MOUNT_NOT_FOUND', req.getUrl().slice(0, 80)), port);
    return;
  }
  // Full, at --redirect-over or draining: a peer with room gets this listener (relay/cluster/cluster.ts).
  try {
    const query = req.getQuery();
    const redirect = ctx.cluster.redirectFor(query ? `${req.getUrl()}?${query}` : req.getUrl());
    if (redirect) {
      res.writeStatus(statusLine(redirect.status));
      for (const [k, v] of redirect.headers) res.writeHeader(k, v);
      if (headOnly) res.endWithoutBody();
      else res.end(redirect.body);
      return;
    }
  } catch (err) {
    refuse(ctx, res, req, err, port);
    return;
  }
  const mount = ctx.registry.get(name);
  const icyMetaData = req.getHeader('icy-metadata');
  if (headOnly) {
    if (!mount) {
      refuse(ctx, res, req, new RelayError('MOUNT_NOT_FOUND', name), port);
      return;
    }
    const icy = wantsIcyMetadata(icyMetaData) && icyAllowedFor(mount.contentType);
    res.writeStatus('200 OK');
    for (const [k, v] of streamHeaders(mount, icy ? ICY_METAINT : undefined)) res.writeHeader(k, v);
    res.endWithoutBody();
    return;
  }
  const meta = {
    remoteAddress: listenerAddress(ctx, res, req),
    userAgent: req.getHeader('user-agent'),
    acceptedAtMs,
    transport: 'uws' as const,
  };
  // req is only valid in this call: everything the answer needs is copied here, for a wait below.
  const admission: Admission = { name, meta, icyMetaData, method: 'GET', target: req.getUrl() };
  // A relay mount with no source (an on-demand relay nobody listens to yet) is pulled first.
  const waiting = mount?.hasSource ? undefined : ctx.pullRelays?.whenLive(name);
  if (!waiting) {
    admitListener(ctx, res, admission, port);
    return;
  }
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  waiting.then(
    () => {
      if (!aborted) res.cork(() => admitListener(ctx, res, admission, port));
    },
    (err: unknown) => {
      if (aborted) {
        ctx.refusals.record(err, { remote: admission.meta.remoteAddress, method: admission.method, target: admission.target, port });
        return;
      }
      res.cork(() => refuseCopied(ctx, res, admission, err, port));
    },
  );
}

interface Admission {
  name: string;
  meta: { remoteAddress: string; userAgent: string; acceptedAtMs: number; transport: 'uws' };
  icyMetaData: string;
  method: string;
  target: string;
}

/** refuse() for a request whose HttpRequest is gone (after waiting for a relay's upstream). */
function refuseCopied(ctx: RelayContext, res: HttpResponse, a: Admission, thrown: unknown, port: UwsPort): void {
  const err: RelayError = ctx.refusals.record(thrown, { remote: remoteOf(res), method: a.method, target: a.target, port });
  send(res, refusalAnswer(err, ALLOW));
}

function admitListener(ctx: RelayContext, res: HttpResponse, a: Admission, port: UwsPort): void {
  const { name, icyMetaData } = a;
  let listener: Listener;
  try {
    listener = ctx.registry.addListener(name, a.meta);
  } catch (err) {
    refuseCopied(ctx, res, a, err, port);
    return;
  }
  // Range (players send bytes=0-) is ignored: a live stream is always sent whole, with 200.
  listener.sink = new UwsSink(res, listener);
  const icyMetaInt = enableIcy(listener, icyMetaData) ? ICY_METAINT : undefined;
  res.writeStatus('200 OK');
  for (const [k, v] of streamHeaders(listener.mount, icyMetaInt)) res.writeHeader(k, v);
  ctx.fanOut.attach(listener);
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

function serveMetrics(ctx: RelayContext, res: HttpResponse, req: HttpRequest, port: UwsPort): void {
  if (ctx.config.metricsPort !== undefined) {
    // The operator moved /metrics to a private address: the public port does not serve it.
    refuse(ctx, res, req, new RelayError('MOUNT_NOT_FOUND', '/metrics'), port);
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
      const refusal = ctx.refusals.record(err, { remote, method: 'GET', target, port });
      res.cork(() => res.writeStatus(statusLine(refusal.status)).end(`${refusal.message}\n`));
    },
  );
}
