// The processes of one tree (bench:tree): an origin that takes the ffmpeg
// feed and K edges that each pull its mount once and serve listeners.
// relaycast: the origin is `relaycast relay --port P`, each edge
// `relaycast relay --port Q --origin http://127.0.0.1:P` (TREE.md's names).
// Icecast 2.4: a master with the source, and K Icecast instances each with a
// <relay> of the master's mount (icecast-config.ts). With K = 0 listeners go
// to the origin itself (the HTTPS side-by-side).
// Invariant: every process started here is a ManagedProcess in the returned
// tree (or stopped before start() throws), so the caller's stop() ends each
// PID it started, last started first.

import { cpSync, existsSync, rmSync } from 'node:fs';
import { writeIcecastConfig, type IcecastFiles } from './icecast-config.js';
import { feedArgv } from './feed.js';
import { ManagedProcess } from './managed-process.js';
import { mountStreams, portAccepts, waitUntil } from './port-probe.js';
import { BENCH_PRIORITY, MOUNT_PATH, SOURCE_PASSWORD, type ServerName } from './server-process.js';

const LISTEN_TIMEOUT_MS = 15_000;
const MOUNT_TIMEOUT_MS = 30_000;

export interface TreeTls {
  certPath: string;
  keyPath: string;
  /** Certificate and key in one file, for Icecast's <ssl-certificate>. */
  pemPath: string;
}

export interface TreeSpec {
  server: ServerName;
  edges: number;
  /** The origin listens on basePort; edge e on basePort + 1 + e; the origin's TLS port (with tls) is basePort + 100. */
  basePort: number;
  /** taskset -c lists, or undefined for no pinning. */
  serverCpus: string | undefined;
  feedCpus: string | undefined;
  repoDir: string;
  outputBase: string;
  tls: TreeTls | undefined;
}

export interface TreeProcess {
  /** "origin", "edge 1", ..., "feed". */
  role: string;
  process: ManagedProcess;
  /** Where this process's listeners connect (undefined for the feed). */
  listenUrl?: string;
  port?: number;
}

export interface Tree {
  processes: TreeProcess[];
  /** The URLs the load spreads its listeners over: the edges, or the origin when there are none. */
  listenUrls: string[];
  stop(): Promise<void>;
}

export const TLS_PORT_OFFSET = 100;
/** Each process may open 20000 files: room for the listeners and the process's own. */
const RELAYCAST_MAX_LISTENERS = 19_500;

function pinned(cpus: string | undefined, argv: string[]): string[] {
  return [...BENCH_PRIORITY, ...(cpus === undefined ? [] : ['taskset', '-c', cpus]), ...argv];
}

function relaycastArgv(port: number, originPort: number | undefined, tls: TreeTls | undefined): string[] {
  return [
    'node',
    'dist/relay/cli.js',
    'relay',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--source-password',
    SOURCE_PASSWORD,
    '--log-level',
    'warn',
    // The default (15000) is below an edge's share at 50,000 over 3 edges; Icecast gets <clients> 20000.
    '--max-listeners',
    String(RELAYCAST_MAX_LISTENERS),
    ...(originPort === undefined ? [] : ['--origin', `http://127.0.0.1:${originPort}`]),
    ...(tls ? ['--tls-port', String(port + TLS_PORT_OFFSET), '--tls-cert', tls.certPath, '--tls-key', tls.keyPath] : []),
  ];
}

export async function startTree(spec: TreeSpec): Promise<Tree> {
  const processes: TreeProcess[] = [];
  const icecastFiles: Array<{ files: IcecastFiles; base: string }> = [];
  const stop = async () => {
    for (const p of [...processes].reverse()) {
      try {
        await p.process.stop();
      } catch (err) {
        process.stderr.write(`bench:tree: stopping ${p.role}: ${(err as Error).message}\n`);
      }
    }
    for (const { files, base } of icecastFiles) {
      for (const [from, to] of [
        [files.errorLogPath, `${base}.icecast-error.log`],
        [files.configPath, `${base}.icecast.xml`],
      ]) {
        if (existsSync(from)) cpSync(from, to);
      }
      rmSync(files.dir, { recursive: true, force: true });
    }
  };
  const startServer = (role: string, port: number, originPort: number | undefined): TreeProcess => {
    const base = `${spec.outputBase}.${role.replace(' ', '')}`;
    let argv: string[];
    if (spec.server === 'relaycast') {
      argv = relaycastArgv(port, originPort, originPort === undefined ? spec.tls : undefined);
    } else {
      const files = writeIcecastConfig(port, SOURCE_PASSWORD, {
        relayOf: originPort === undefined ? undefined : { port: originPort, mount: MOUNT_PATH },
        tls: originPort === undefined && spec.tls ? { port: port + TLS_PORT_OFFSET, pemPath: spec.tls.pemPath } : undefined,
      });
      icecastFiles.push({ files, base });
      argv = ['icecast2', '-c', files.configPath];
    }
    const proc = ManagedProcess.start(pinned(spec.serverCpus, argv), { cwd: spec.repoDir, outputBase: base });
    const p: TreeProcess = { role, process: proc, port, listenUrl: `http://127.0.0.1:${port}${MOUNT_PATH}` };
    processes.push(p);
    return p;
  };
  const listening = (p: TreeProcess, port: number) =>
    waitUntil(
      async () => {
        if (!p.process.running) throw new Error(`${p.role} exited at start (${p.process.status}); see ${spec.outputBase}.*.err`);
        return portAccepts(port);
      },
      LISTEN_TIMEOUT_MS,
      `${p.role} to listen on ${port}`,
    );
  const streaming = (p: TreeProcess) =>
    waitUntil(
      async () => {
        if (!p.process.running) throw new Error(`${p.role} exited (${p.process.status})`);
        return mountStreams(p.port as number, MOUNT_PATH);
      },
      MOUNT_TIMEOUT_MS,
      `${MOUNT_PATH} to stream on ${p.role}`,
    );
  try {
    const origin = startServer('origin', spec.basePort, undefined);
    await listening(origin, spec.basePort);
    if (spec.tls) await listening(origin, spec.basePort + TLS_PORT_OFFSET);
    // The feed: ffmpeg's icecast:// PUT into the origin, at real time.
    const ffmpeg = feedArgv(spec.basePort, 'realtime');
    const feed = ManagedProcess.start(pinned(spec.feedCpus, ffmpeg.slice(ffmpeg.indexOf('ffmpeg'))), {
      cwd: spec.repoDir,
      outputBase: `${spec.outputBase}.feed`,
    });
    processes.push({ role: 'feed', process: feed });
    await streaming(origin);
    const edges: TreeProcess[] = [];
    for (let e = 0; e < spec.edges; e++) {
      const port = spec.basePort + 1 + e;
      const edge = startServer(`edge ${e + 1}`, port, spec.basePort);
      await listening(edge, port);
      edges.push(edge);
    }
    for (const edge of edges) await streaming(edge);
    const listenUrls =
      edges.length > 0
        ? edges.map((e) => e.listenUrl as string)
        : [spec.tls ? `https://localhost:${spec.basePort + TLS_PORT_OFFSET}${MOUNT_PATH}` : (origin.listenUrl as string)];
    return { processes, listenUrls, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
