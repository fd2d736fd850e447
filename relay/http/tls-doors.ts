// HTTPS: --tls-port (uWS SSLApp: listeners, status, admin, titles; the
// routes of uws-app.ts) and --tls-ingest-port (our own server under node:tls,
// so encoders' TLS modes and HTTP/1.0 players work as on the front door).
// Certificates come from tls-certificates.ts and are re-read on SIGHUP and
// when a file in their directories changes (fs.watch, debounced: nothing
// polls). A reload never drops a connection: open streams keep their TLS
// session; new handshakes get the new certificates. A refused set changes
// nothing. uWS: a new SSLApp per generation (tls-uws-door.ts), since this
// build cannot swap its default (non-SNI) certificate in place.

import { dirname, basename } from 'node:path';
import { watch, type FSWatcher } from 'node:fs';
import type { Server } from 'node:net';
import tls, { type SecureContext } from 'node:tls';
import client from 'prom-client';
import type { RelayContext } from '../api/context.js';
import { connectionAcceptor } from './socket-server.js';
import { loadTlsSet, removeSnapshotDir, removeSnapshots, type TlsSet } from './tls-certificates.js';
import { UwsTlsDoor } from './tls-uws-door.js';

/** certbot writes a certificate and its key one after the other: wait for both. */
const WATCH_DEBOUNCE_MS = 1000;

export interface TlsDoors {
  readonly tlsPort: number | undefined;
  readonly tlsIngestPort: number | undefined;
  reload(reason: string): Promise<boolean>;
  stopAccepting(): void;
  close(): void;
}

type ServeNet = (server: Server, host: string, port: number) => Promise<number>;

export async function startTlsDoors(ctx: RelayContext, serveNet: ServeNet): Promise<TlsDoors> {
  const { config, log } = ctx;
  const metrics = tlsMetrics(ctx);
  let current: TlsSet = loadTlsSet(config.tlsCertFiles, config.tlsKeyFiles, 1);

  const uwsDoor = config.tlsPort === undefined ? undefined : await UwsTlsDoor.open(ctx, config.host, config.tlsPort, current);

  let contexts = secureContextsOf(current);
  let ingest: tls.Server | undefined;
  let tlsIngestPort: number | undefined;
  if (config.tlsIngestPort !== undefined) {
    const first = current.pairs[0];
    ingest = tls.createServer({
      cert: first.certPem,
      key: first.keyPem,
      handshakeTimeout: config.headerTimeoutMs,
      SNICallback: (name, cb) => cb(null, lookup(contexts, name)),
    });
    const acceptor = connectionAcceptor(ctx, 'tls-ingest');
    ingest.on('secureConnection', acceptor.accept);
    ingest.on('close', acceptor.stop);
    ingest.on('tlsClientError', (err) => {
      metrics.handshakeFailures.inc();
      log.debug({ err: err.message, port: 'tls-ingest' }, 'TLS handshake failed');
    });
    tlsIngestPort = await serveNet(ingest, config.ingestHost, config.tlsIngestPort);
  }
  removeSnapshots(current);
  metrics.applied(current, true);
  log.info({ generation: 1, names: namesOf(current), reason: 'start' }, 'TLS certificates loaded');

  let reloading: Promise<boolean> = Promise.resolve(true);
  function reload(reason: string): Promise<boolean> {
    reloading = reloading.then(() => reloadNow(reason));
    return reloading;
  }

  async function reloadNow(reason: string): Promise<boolean> {
    let next: TlsSet;
    try {
      next = loadTlsSet(config.tlsCertFiles, config.tlsKeyFiles, current.generation + 1);
    } catch (err) {
      metrics.refused();
      log.error({ err: (err as Error).message, reason, generation: current.generation }, 'TLS reload refused; the old certificates stay');
      return false;
    }
    if (sameCertificates(current, next)) {
      removeSnapshots(next);
      log.debug({ reason }, 'TLS certificates unchanged');
      return true;
    }
    try {
      await uwsDoor?.swap(next);
    } catch (err) {
      removeSnapshots(next);
      metrics.refused();
      log.error({ err: (err as Error).message, reason, generation: current.generation }, 'TLS reload refused; the old certificates stay');
      return false;
    }
    contexts = secureContextsOf(next);
    if (ingest) ingest.setSecureContext({ cert: next.pairs[0].certPem, key: next.pairs[0].keyPem });
    removeSnapshots(next);
    current = next;
    metrics.applied(next, false);
    log.info({ generation: next.generation, names: namesOf(next), reason }, 'TLS certificates reloaded');
    return true;
  }

  const watchers = watchFiles([...config.tlsCertFiles, ...config.tlsKeyFiles], () => void reload('file changed'), ctx);

  return {
    tlsPort: uwsDoor?.port,
    tlsIngestPort,
    reload,
    stopAccepting() {
      uwsDoor?.stopAccepting();
      for (const w of watchers) w.close();
    },
    close() {
      uwsDoor?.close();
      removeSnapshotDir();
    },
  };
}

function secureContextsOf(set: TlsSet): Map<string, SecureContext> {
  const contexts = new Map<string, SecureContext>();
  for (const pair of set.pairs) {
    const context = tls.createSecureContext({ cert: pair.certPem, key: pair.keyPem });
    for (const name of pair.names) if (!contexts.has(name)) contexts.set(name, context);
  }
  return contexts;
}

/** Exact name, else a wildcard one label up; undefined gives the default certificate. */
function lookup(contexts: Map<string, SecureContext>, name: string): SecureContext | undefined {
  const lower = name.toLowerCase();
  const dot = lower.indexOf('.');
  return contexts.get(lower) ?? (dot > 0 ? contexts.get(`*${lower.slice(dot)}`) : undefined);
}

function sameCertificates(a: TlsSet, b: TlsSet): boolean {
  return (
    a.pairs.length === b.pairs.length &&
    a.pairs.every((p, i) => p.fingerprint256 === b.pairs[i].fingerprint256 && p.keyPem.equals(b.pairs[i].keyPem))
  );
}

function namesOf(set: TlsSet): string[] {
  return set.pairs.flatMap((p) => p.names);
}

/** Watches the files' directories (certbot swaps symlinks there), debounced. */
function watchFiles(files: readonly string[], onChange: () => void, ctx: RelayContext): FSWatcher[] {
  const byDir = new Map<string, Set<string>>();
  for (const file of files) {
    const names = byDir.get(dirname(file)) ?? new Set<string>();
    names.add(basename(file));
    byDir.set(dirname(file), names);
  }
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byDir) {
    try {
      const watcher = watch(dir, { persistent: false }, (_event, filename) => {
        if (filename !== null && !names.has(filename.toString())) return;
        clearTimeout(timer);
        timer = setTimeout(onChange, WATCH_DEBOUNCE_MS);
        timer.unref();
      });
      watcher.on('error', (err) => ctx.log.warn({ dir, err: err.message }, 'cannot watch certificate directory; SIGHUP still reloads'));
      watchers.push(watcher);
    } catch (err) {
      ctx.log.warn({ dir, err: (err as Error).message }, 'cannot watch certificate directory; SIGHUP still reloads');
    }
  }
  return watchers;
}

function tlsMetrics(ctx: RelayContext) {
  const registers = [ctx.metrics.registry];
  const success = new client.Gauge({
    name: 'relaycast_tls_reload_success',
    help: '1 when the last TLS certificate load (start, SIGHUP or file change) was accepted, 0 when it was refused.',
    registers,
  });
  const successTime = new client.Gauge({
    name: 'relaycast_tls_reload_success_timestamp_seconds',
    help: 'When TLS certificates were last loaded successfully (Unix seconds).',
    registers,
  });
  const reloads = new client.Counter({
    name: 'relaycast_tls_reloads_total',
    help: 'TLS certificate reloads, by result: applied, refused.',
    labelNames: ['result'],
    registers,
  });
  const notAfter = new client.Gauge({
    name: 'relaycast_tls_certificate_expiry_timestamp_seconds',
    help: 'When the certificate served for each name expires (Unix seconds).',
    labelNames: ['name'],
    registers,
  });
  const handshakeFailures = new client.Counter({
    name: 'relaycast_tls_handshake_failures_total',
    help: 'TLS handshakes that failed on --tls-ingest-port (uWS does not report its own).',
    registers,
  });
  reloads.inc({ result: 'applied' }, 0);
  reloads.inc({ result: 'refused' }, 0);
  handshakeFailures.inc(0);
  return {
    handshakeFailures,
    applied(set: TlsSet, atStart: boolean) {
      success.set(1);
      successTime.set(Date.now() / 1000);
      if (!atStart) reloads.inc({ result: 'applied' });
      notAfter.reset();
      for (const pair of set.pairs) for (const name of pair.names) notAfter.set({ name }, pair.notAfterMs / 1000);
    },
    refused() {
      success.set(0);
      reloads.inc({ result: 'refused' });
    },
  };
}
