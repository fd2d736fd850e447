// Starting and stopping the server under test, pinned to core 0 with
// taskset (which execs, so the PID we hold is the server's own): relaycast
// from this checkout's dist/, or Debian's icecast2 in the foreground with a
// generated config. A started server is ready when its ports accept; the
// mount is ready later, when the feed streams (see feed.ts).
// Invariant: stop() ends the PID we started and, for Icecast, copies its
// logs into the results directory before removing its temp directory.

import { cpSync, existsSync, rmSync } from 'node:fs';
import { writeIcecastConfig, type IcecastFiles } from './icecast-config.js';
import { ManagedProcess } from './managed-process.js';
import { portAccepts, waitUntil } from './port-probe.js';

export type ServerName = 'relaycast' | 'icecast';
/**
 * relaycast's port for listeners: `socket` is our own node:net HTTP/1.x
 * server, the front door of issue 15 (today the ingest port, --ingest-port,
 * the port after --port); `uws` is the uWS listener port (--port).
 */
export type RelaycastDoor = 'socket' | 'uws';
export const RELAYCAST_DOORS: readonly RelaycastDoor[] = ['socket', 'uws'];
export const SERVER_NAMES: readonly ServerName[] = ['relaycast', 'icecast'];

export const SERVER_CORE = 0;
/**
 * Every process of a run (server, feed, load tool) starts with this: the
 * machine is shared, and other work scheduled onto the server's core made
 * first-byte times and failed connects mostly a measure of that work
 * (core 0 was 50-90 % busy beside a 10 % server). nice execs, so the PID we
 * hold stays the program's own. Both servers get the same.
 */
export const BENCH_PRIORITY: readonly string[] = ['nice', '-n', '-10'];
export const SOURCE_PASSWORD = 'pw';
export const MOUNT_PATH = '/listen';
const LISTEN_TIMEOUT_MS = 15_000;

export interface ServerStartOptions {
  repoDir: string;
  /** Listener port; relaycast's ingest port is the next one. */
  port: number;
  /** Path prefix for this run's output files in the results directory. */
  outputBase: string;
  /** relaycast's pino level: 'warn' keeps per-listener lines out of the CPU figures. */
  relaycastLogLevel: 'warn' | 'info';
  relaycastDoor: RelaycastDoor;
}

export class ServerUnderTest {
  private constructor(
    readonly name: ServerName,
    readonly process: ManagedProcess,
    /** Where listeners connect (and the readiness probe asks). */
    readonly listenPort: number,
    /** Where the feed pushes: relaycast's ingest port, Icecast's only port. */
    readonly feedPort: number,
    private readonly outputBase: string,
    private readonly icecastFiles: IcecastFiles | undefined,
  ) {}

  static async start(name: ServerName, o: ServerStartOptions): Promise<ServerUnderTest> {
    const pin = [...BENCH_PRIORITY, 'taskset', '-c', String(SERVER_CORE)];
    let server: ServerUnderTest;
    if (name === 'relaycast') {
      const ingestPort = o.port + 1;
      const argv = [
        ...pin,
        'node',
        'dist/relay/cli.js',
        'relay',
        '--host',
        '127.0.0.1',
        '--port',
        String(o.port),
        '--ingest-port',
        String(ingestPort),
        '--source-password',
        SOURCE_PASSWORD,
        '--log-level',
        o.relaycastLogLevel,
      ];
      const proc = ManagedProcess.start(argv, { cwd: o.repoDir, outputBase: `${o.outputBase}.server` });
      const listenPort = o.relaycastDoor === 'socket' ? ingestPort : o.port;
      server = new ServerUnderTest(name, proc, listenPort, ingestPort, o.outputBase, undefined);
    } else {
      const files = writeIcecastConfig(o.port, SOURCE_PASSWORD);
      let proc: ManagedProcess;
      try {
        proc = ManagedProcess.start([...pin, 'icecast2', '-c', files.configPath], { cwd: o.repoDir, outputBase: `${o.outputBase}.server` });
      } catch (err) {
        rmSync(files.dir, { recursive: true, force: true });
        throw err;
      }
      server = new ServerUnderTest(name, proc, o.port, o.port, o.outputBase, files);
    }
    try {
      await waitUntil(
        async () => {
          if (!server.process.running)
            throw new Error(`${name} exited at start (${server.process.status}); see ${o.outputBase}.server.err`);
          return (await portAccepts(server.listenPort)) && (await portAccepts(server.feedPort));
        },
        LISTEN_TIMEOUT_MS,
        `${name} to listen on ${server.listenPort}`,
      );
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  get pid(): number {
    return this.process.pid;
  }

  /** The config Icecast ran with, as a file path (for the record), or undefined for relaycast. */
  get icecastConfigPath(): string | undefined {
    return this.icecastFiles?.configPath;
  }

  /** Icecast's error log once stopped (copied next to the run's other files). */
  get icecastErrorLog(): string | undefined {
    return this.icecastFiles ? `${this.outputBase}.icecast-error.log` : undefined;
  }

  /** Icecast's error log while it runs (in its temp directory). */
  get icecastLiveErrorLog(): string | undefined {
    return this.icecastFiles?.errorLogPath;
  }

  get relaycastLog(): string | undefined {
    return this.name === 'relaycast' ? `${this.outputBase}.server.out` : undefined;
  }

  async stop(): Promise<void> {
    try {
      await this.process.stop();
    } finally {
      const files = this.icecastFiles;
      if (files) {
        const keep: Array<[string, string]> = [
          [files.errorLogPath, `${this.outputBase}.icecast-error.log`],
          [files.accessLogPath, `${this.outputBase}.icecast-access.log`],
          [files.configPath, `${this.outputBase}.icecast.xml`],
        ];
        for (const [from, to] of keep) if (existsSync(from)) cpSync(from, to);
        rmSync(files.dir, { recursive: true, force: true });
      }
    }
  }
}
