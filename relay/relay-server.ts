// Builds the relay from a config and runs it: the front door (--port, our
// node:net HTTP/1.x server, which takes every source and serves every
// player), the optional extra ports (--ingest-port: the same server;
// --shoutcast-port; --uws-port: plain uWS; --tls-port: uWS over TLS;
// --tls-ingest-port: our server under node:tls), the fan-out timer and the
// cost sampler, the peer checks and the drain (relay/cluster/). close() is the graceful path: stop accepting, end listeners
// and sources, let go.

import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import { createSocketServer } from './http/socket-server.js';
import { createShoutcastServer } from '../ingest/shoutcast-server.js';
import type { RelayConfig } from './config.js';
import type { StationSettings } from './core/mount-settings.js';
import { stationSettings } from './settings/station.js';
import { FileSources } from '../ingest/file-source.js';
import { PullRelays, type PullSpec } from '../ingest/pull/pull-relays.js';
import type { RelayContext } from './api/context.js';
import { FanOut } from './core/fan-out.js';
import { createListenerApp } from './http/uws-app.js';
import { startTlsDoors, type TlsDoors } from './http/tls-doors.js';
import { ConnectionCostSampler, Metrics } from './metrics/metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics/metrics-server.js';
import { MountSampler } from './metrics/mount-sampler.js';
import { MountRegistry } from './core/mounts.js';
import { Refusals } from './api/refusals.js';
import { AuthLimiter } from './api/auth-limiter.js';
import { Cluster } from './cluster/cluster.js';
import type { DrainCause, DrainState } from './cluster/drain.js';
import { listenExclusive, uws, type TemplatedApp, type us_listen_socket } from './http/uws.js';
import { OriginPoller } from '../ingest/origin/origin-poller.js';
import { parseOriginUrl } from './formats/origin-url.js';

/** Lag samples and per-connection cost are taken this often. */
const SAMPLE_INTERVAL_MS = 5000;
/** How long a listener that stopped reading may hold shutdown before its socket is let go. */
const SHUTDOWN_LINGER_MS = 250;

export interface RunningRelay {
  readonly ctx: RelayContext;
  /** The pull relays: the config's (`relay-url`), and an edge's origin mounts through sync('origin', ...). */
  readonly pullRelays: PullRelays;
  /** The front door. */
  readonly port: number;
  /** Each optional port once bound; undefined when off. */
  readonly ingestPort: number | undefined;
  readonly shoutcastPort: number | undefined;
  /** The port of --metrics-port's server; undefined when /metrics is on the front door. */
  readonly metricsPort: number | undefined;
  /** A reload's new settings, for new connections and, where safe, the mounts that exist. */
  applyStation(next: StationSettings): void;
  readonly uwsPort: number | undefined;
  readonly tlsPort: number | undefined;
  readonly tlsIngestPort: number | undefined;
  /** Re-reads the TLS certificates (SIGHUP); false when the new set was refused and the old one kept. */
  reloadTls(reason: string): Promise<boolean>;
  /** Starts a drain (SIGUSR2; POST /admin/drain goes through ctx.cluster): new listeners go to peers. */
  drain(cause: DrainCause): DrainState;
  /** Graceful: refuses new work, ends listeners and sources, closes the ports. */
  close(): Promise<void>;
}

export async function startRelay(
  config: Readonly<RelayConfig>,
  log: Logger,
  station: StationSettings = stationSettings(undefined, config),
): Promise<RunningRelay> {
  const metrics = new Metrics();
  const registry = new MountRegistry(config, station, metrics, log);
  metrics.configReloadSuccessful.set(1);
  metrics.configReloadSuccessTimestamp.set(Date.now() / 1000);
  const fanOut = new FanOut(registry, config, metrics, log);
  registry.onCommitted = (mount, bytes) => fanOut.onIngest(mount, bytes);
  registry.onBeforeMove = (listener) => fanOut.flush(listener, listener.mount);
  const fileSources = new FileSources({ registry, metrics, log });
  fileSources.sync(fallbackFilesOf(station));
  const pullRelays = new PullRelays({ registry, metrics, log, stallMs: config.sourceTimeoutMs });
  registry.onHomeCount = (name, listeners) => pullRelays.onListeners(name, listeners);
  pullRelays.sync('config', pullSpecsOf(station));
  const refusals = new Refusals(metrics, log);
  const cluster = new Cluster(config, registry, metrics, log);
  const ctx: RelayContext = {
    config,
    registry,
    fanOut,
    metrics,
    refusals,
    authLimiter: new AuthLimiter(),
    log,
    cluster,
    control: {},
    pullRelays,
  };
  const sampler = new ConnectionCostSampler(metrics);
  const mountSampler = new MountSampler(registry, metrics);

  // Every socket of ours, so that close() can end sources that keep sending.
  const openSockets = new Set<Socket>();
  const servers: Server[] = [];
  // One shared handler, not a closure per socket: listeners stream on these sockets too.
  function forgetSocket(this: Socket): void {
    openSockets.delete(this);
  }
  async function serveNet(server: Server, host: string, port: number, what: string): Promise<number> {
    server.on('connection', (socket: Socket) => {
      openSockets.add(socket);
      socket.on('close', forgetSocket);
    });
    servers.push(server);
    return listenNet(server, host, port, what);
  }

  const port = await serveNet(createSocketServer(ctx, 'listener'), config.host, config.port, '--port');
  const ingestPort =
    config.ingestPort === undefined
      ? undefined
      : await serveNet(createSocketServer(ctx, 'ingest'), config.ingestHost, config.ingestPort, '--ingest-port');
  const shoutcastPort =
    config.shoutcastPort === undefined
      ? undefined
      : await serveNet(createShoutcastServer(ctx), config.ingestHost, config.shoutcastPort, '--shoutcast-port');

  const apps: TemplatedApp[] = [];
  const listenSockets: us_listen_socket[] = [];
  let uwsPort: number | undefined;
  if (config.uwsPort !== undefined) {
    const app = createListenerApp(ctx, 'uws');
    apps.push(app);
    const socket = await listenUws(app, config.host, config.uwsPort, '--uws-port');
    listenSockets.push(socket);
    uwsPort = uws.us_socket_local_port(socket);
  }
  let tls: TlsDoors | undefined;
  if (config.tlsPort !== undefined || config.tlsIngestPort !== undefined) {
    tls = await startTlsDoors(ctx, (server, host, p) => serveNet(server, host, p, '--tls-ingest-port'));
  }

  let metricsServer: MetricsServer | undefined;
  if (config.metricsPort !== undefined) metricsServer = await startMetricsServer(metrics, config.metricsHost, config.metricsPort);

  // An edge (--origin): the origin's public mounts, pulled on demand, learnt every --origin-poll-ms.
  // Mounts the edge's own config lists (or refuses) stay the config's.
  const origin =
    config.origins.length === 0
      ? undefined
      : new OriginPoller({
          origins: config.origins.map(parseOriginUrl),
          pollMs: config.originPollMs,
          target: pullRelays,
          isLocal: (mount) => registry.station.listedMounts.includes(mount) || registry.station.forMount(mount) === undefined,
          idleMs: () => registry.station.defaultMount.onDemandIdleMs,
          metrics,
          log,
        });

  fanOut.start();
  cluster.start();
  origin?.start();
  const sampleTimer = setInterval(() => {
    fanOut.sample();
    sampler.sample(registry.listenerCount + registry.sourceCount);
    mountSampler.sample();
  }, SAMPLE_INTERVAL_MS);

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      registry.stopAccepting();
      cluster.stop();
      origin?.stop();
      fileSources.stopAll();
      for (const socket of listenSockets) uws.us_listen_socket_close(socket);
      tls?.stopAccepting();
      const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
      clearInterval(sampleTimer);
      fanOut.tick(); // hand out what has arrived before ending the streams
      fanOut.stop();
      registry.closeAll('shutdown');
      // After closeAll, so a relay mount's listeners end as `shutdown`, not as a source gone.
      pullRelays.stopAll();
      // Sources were destroyed by closeAll (their sessions' stop signal); the rest are ended gracefully,
      // and a listener that stopped reading (it never takes the end) is let go after a moment.
      for (const socket of openSockets) socket.end();
      const letGo = setTimeout(() => {
        for (const socket of openSockets) socket.destroy();
      }, SHUTDOWN_LINGER_MS);
      refusals.flush();
      await Promise.all(closed);
      clearTimeout(letGo);
      await metricsServer?.close();
      for (const app of apps) app.close();
      tls?.close();
    })();
    return closing;
  }

  const applyStation = (next: StationSettings) => {
    registry.applyStation(next);
    fileSources.sync(fallbackFilesOf(next));
    pullRelays.sync('config', pullSpecsOf(next));
    origin?.resync();
  };
  return {
    ctx,
    pullRelays,
    port,
    ingestPort,
    shoutcastPort,
    metricsPort: metricsServer?.port,
    uwsPort,
    tlsPort: tls?.tlsPort,
    tlsIngestPort: tls?.tlsIngestPort,
    reloadTls: (reason) => (tls ? tls.reload(reason) : Promise.resolve(true)),
    applyStation,
    drain: (cause) => cluster.drain.start(cause),
    close,
  };
}

export function listenUws(app: TemplatedApp, host: string, port: number, what: string): Promise<us_listen_socket> {
  return new Promise((resolve, reject) => {
    // Exclusive: a second relay on the same port must fail, not share it (SO_REUSEPORT).
    listenExclusive(app, host, port, (socket) => {
      if (socket) resolve(socket);
      else reject(new Error(`cannot listen on ${host}:${port} for ${what} (in use, or not an address of this machine)`));
    });
  });
}

function listenNet(server: Server, host: string, port: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${host}:${port} for ${what}: ${err.code ?? err.message}`)),
    );
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Every listed mount with a `relay-url`: what the config's pull relays are. */
function pullSpecsOf(station: StationSettings): PullSpec[] {
  const specs: PullSpec[] = [];
  for (const name of station.listedMounts) {
    const settings = station.forMount(name);
    if (!settings?.relayUrls?.length) continue;
    specs.push({ mount: name, urls: settings.relayUrls, onDemand: settings.onDemand, idleMs: settings.onDemandIdleMs });
  }
  return specs;
}

/** Every listed mount's fallback file: mount name -> path. */
function fallbackFilesOf(station: StationSettings): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of station.listedMounts) {
    const file = station.forMount(name)?.fallbackFile;
    if (file !== undefined) files.set(name, file);
  }
  return files;
}
