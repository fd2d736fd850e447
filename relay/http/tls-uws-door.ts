// --tls-port on uWS: one SSLApp per certificate generation. This uWS build
// can swap an SNI name's certificate but not its default (non-SNI) one, so a
// reload builds a new SSLApp with every name and the new default, binds it to
// the same port beside the old one (SO_REUSEPORT), then closes the old listen
// socket: new handshakes, with SNI or without, reach the new App; the old App
// keeps serving the connections it holds until they end. A second process
// cannot share the port by accident: before the first bind, an exclusive
// node:net bind checks that the port is free (a second relaycast fails there).
// Invariant: exactly one App's listen socket is open while accepting.

import net from 'node:net';
import type { RelayContext } from '../api/context.js';
import type { TlsSet } from './tls-certificates.js';
import { registerListenerRoutes } from './uws-app.js';
import { uws, type TemplatedApp, type us_listen_socket } from './uws.js';

export class UwsTlsDoor {
  readonly port: number;
  private readonly ctx: RelayContext;
  private readonly host: string;
  /** Every generation's App: an old one still holds its open streams. */
  private readonly apps: TemplatedApp[] = [];
  private listenSocket: us_listen_socket | undefined;

  private constructor(ctx: RelayContext, host: string, port: number) {
    this.ctx = ctx;
    this.host = host;
    this.port = port;
  }

  static async open(ctx: RelayContext, host: string, port: number, set: TlsSet): Promise<UwsTlsDoor> {
    const door = new UwsTlsDoor(ctx, host, await claimPort(host, port));
    await door.swap(set);
    return door;
  }

  /** Serves `set` to every new handshake; throws (and changes nothing) when the new App cannot bind. */
  async swap(set: TlsSet): Promise<void> {
    const app = buildApp(this.ctx, set);
    let socket: us_listen_socket;
    try {
      socket = await listenShared(app, this.host, this.port);
    } catch (err) {
      app.close();
      throw err;
    }
    if (this.listenSocket) uws.us_listen_socket_close(this.listenSocket);
    this.listenSocket = socket;
    this.apps.push(app);
  }

  stopAccepting(): void {
    if (this.listenSocket) uws.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
  }

  close(): void {
    this.stopAccepting();
    for (const app of this.apps) app.close();
    this.apps.length = 0;
  }
}

/** The default routes first (domain() changes where later routes go), then every name by SNI; the first pair wins a name. */
function buildApp(ctx: RelayContext, set: TlsSet): TemplatedApp {
  const first = set.pairs[0];
  const app = uws.SSLApp({ cert_file_name: first.snapshotCert, key_file_name: first.snapshotKey });
  registerListenerRoutes(ctx, app, 'tls');
  const added = new Set<string>();
  for (const pair of set.pairs) {
    for (const name of pair.names) {
      if (added.has(name)) continue;
      app.addServerName(name, { cert_file_name: pair.snapshotCert, key_file_name: pair.snapshotKey });
      registerListenerRoutes(ctx, app.domain(name), 'tls');
      added.add(name);
    }
  }
  return app;
}

/** Binds without SO_REUSEPORT to prove the port free (and learn it, for port 0), then lets it go. */
function claimPort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${host}:${port} for --tls-port: ${err.code ?? err.message}`)),
    );
    probe.listen({ host, port, exclusive: true }, () => {
      const bound = (probe.address() as net.AddressInfo).port;
      probe.close(() => resolve(bound));
    });
  });
}

/** uWS's default listen sets SO_REUSEPORT, so the next generation can bind beside this one. */
function listenShared(app: TemplatedApp, host: string, port: number): Promise<us_listen_socket> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (socket) => {
      if (socket) resolve(socket);
      else reject(new Error(`cannot listen on ${host}:${port} for --tls-port`));
    });
  });
}
