// Builds the relay from a config and runs it: the listener port (uWS), the
// ingest port (node:net), the fan-out timer and the cost sampler. close()
// is the graceful path: stop accepting, end listeners and sources, let go.

import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import { createSocketServer } from './http/socket-server.js';
import { createShoutcastServer } from '../ingest/shoutcast-server.js';
import type { RelayConfig } from './config.js';
import type { RelayContext } from './api/context.js';
import { FanOut } from './core/fan-out.js';
import { createListenerApp } from './http/uws-app.js';
import { ConnectionCostSampler, Metrics } from './metrics/metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics/metrics-server.js';
import { MountSampler } from './metrics/mount-sampler.js';
import { MountRegistry } from './core/mounts.js';
import { Refusals } from './api/refusals.js';
import { listenExclusive, uws, type TemplatedApp, type us_listen_socket } from './http/uws.js';

/** Lag samples and per-connection cost are taken this often. */
const SAMPLE_INTERVAL_MS = 5000;

export interface RunningRelay {
  readonly ctx: RelayContext;
  readonly port: number;
  readonly ingestPort: number;
  /** The SHOUTcast v1 source port, when --shoutcast-port is given. */
  readonly shoutcastPort: number | undefined;
  /** The port of --metrics-port's server; undefined when /metrics is on the listener port. */
  readonly metricsPort: number | undefined;
  /** Graceful: refuses new work, ends listeners and sources, closes the ports. */
  close(): Promise<void>;
}

export async function startRelay(config: Readonly<RelayConfig>, log: Logger): Promise<RunningRelay> {
  const metrics = new Metrics();
  const registry = new MountRegistry(config, metrics, log);
  const fanOut = new FanOut(registry, config, metrics, log);
  registry.onCommitted = (mount, bytes) => fanOut.onIngest(mount, bytes);
  const ctx: RelayContext = { config, registry, fanOut, metrics, refusals: new Refusals(metrics, log), log };
  const sampler = new ConnectionCostSampler(metrics);
  const mountSampler = new MountSampler(registry, metrics);

  const app = createListenerApp(ctx);
  const listenSocket = await listenUws(app, config.host, config.port);
  const ingest = createSocketServer(ctx);
  const ingestSockets = new Set<Socket>();
  // One shared handler, not a closure per socket: listeners stream on these sockets too.
  function forgetIngestSocket(this: Socket): void {
    ingestSockets.delete(this);
  }
  ingest.on('connection', (socket: Socket) => {
    ingestSockets.add(socket);
    socket.on('close', forgetIngestSocket);
  });
  await listenNet(ingest, config.ingestHost, config.ingestPort);
  let shoutcast: Server | undefined;
  if (config.shoutcastPort !== undefined) {
    shoutcast = createShoutcastServer(ctx);
    shoutcast.on('connection', (socket: Socket) => {
      ingestSockets.add(socket);
      socket.on('close', forgetIngestSocket);
    });
    await listenNet(shoutcast, config.ingestHost, config.shoutcastPort);
  }
  let metricsServer: MetricsServer | undefined;
  if (config.metricsPort !== undefined) metricsServer = await startMetricsServer(metrics, config.metricsHost, config.metricsPort);

  fanOut.start();
  const sampleTimer = setInterval(() => {
    fanOut.sample();
    sampler.sample(registry.listenerCount + registry.sourceCount);
    mountSampler.sample();
  }, SAMPLE_INTERVAL_MS);

  const port = uws.us_socket_local_port(listenSocket);
  const address = ingest.address();
  const ingestPort = typeof address === 'object' && address ? address.port : config.ingestPort;
  const shoutcastAddress = shoutcast?.address();
  const shoutcastPort = typeof shoutcastAddress === 'object' && shoutcastAddress ? shoutcastAddress.port : undefined;

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      registry.stopAccepting();
      uws.us_listen_socket_close(listenSocket);
      const ingestClosed = new Promise<void>((resolve) => ingest.close(() => resolve()));
      const shoutcastClosed = new Promise<void>((resolve) => (shoutcast ? shoutcast.close(() => resolve()) : resolve()));
      clearInterval(sampleTimer);
      fanOut.tick(); // hand out what has arrived before ending the streams
      fanOut.stop();
      registry.closeAll('shutdown');
      for (const socket of ingestSockets) socket.end();
      await ingestClosed;
      await shoutcastClosed;
      await metricsServer?.close();
      app.close();
    })();
    return closing;
  }

  return { ctx, port, ingestPort, shoutcastPort, metricsPort: metricsServer?.port, close };
}

function listenUws(app: TemplatedApp, host: string, port: number): Promise<us_listen_socket> {
  return new Promise((resolve, reject) => {
    // Exclusive: a second relay on the same port must fail, not share it (SO_REUSEPORT).
    listenExclusive(app, host, port, (socket) => {
      if (socket) resolve(socket);
      else reject(new Error(`cannot listen on ${host}:${port} (in use, or not an address of this machine)`));
    });
  });
}

function listenNet(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${host}:${port} for ingest: ${err.code ?? err.message}`)),
    );
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
}
