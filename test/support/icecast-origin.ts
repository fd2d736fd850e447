// A real Icecast 2.4 to stand as an edge's origin: icecast2 on a free
// loopback port (as `nobody` when the tests run as root; Icecast refuses
// root), its logs in a temporary directory, a relay user for
// /admin/streamlist.txt, a hidden mount, and ffmpeg sources pushed to it.
// stop() ends the sources and Icecast and removes the directory.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, trackTool, unprivileged } from './clients.js';
import { type EncodeOptions, ffmpegToneSource } from './interop.js';
import { PASSWORD, type RelayProcess } from './relay-process.js';
import { waitFor } from './wait.js';

export const ICECAST_RELAY_USER = 'edge-relay';
export const ICECAST_RELAY_PASSWORD = 'relay-pw-7f3a';
export const ICECAST_ADMIN_PASSWORD = 'admin-pw-91c2';
/** A mount the config hides: Icecast lists it nowhere. */
export const ICECAST_HIDDEN_MOUNT = '/hidden.mp3';

export class IcecastOrigin {
  readonly port: number;
  private readonly dir: string;
  private readonly icecast: ChildProcess;
  private readonly sources = new Map<string, ChildProcess>();
  output = '';

  private constructor(port: number, dir: string, icecast: ChildProcess) {
    this.port = port;
    this.dir = dir;
    this.icecast = icecast;
    icecast.stderr?.setEncoding('utf8').on('data', (s: string) => (this.output += s));
  }

  static async start(): Promise<IcecastOrigin> {
    const dir = mkdtempSync(join(tmpdir(), 'relaycast-icecast-origin-'));
    chmodSync(dir, 0o777); // Icecast runs as nobody and writes its logs here.
    const port = await freePort();
    const config = join(dir, 'icecast.xml');
    writeFileSync(config, icecastConfig(port, dir), { mode: 0o644 });
    const [cmd, args] = unprivileged('icecast2', ['-c', config]);
    const origin = new IcecastOrigin(port, dir, trackTool(spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] })));
    await waitFor(
      async () =>
        (await fetch(`${origin.url}/status-json.xsl`).then(
          (r) => r.ok,
          () => false,
        )) || undefined,
      10_000,
      `icecast2 to answer on ${port} (${origin.output})`,
    );
    return origin;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Pushes a live tone to `mount` with ffmpeg and waits until Icecast has the source. */
  async addSource(mount: string, opts: EncodeOptions): Promise<void> {
    // ffmpegToneSource needs only the port and the source password (PASSWORD, as in icecast.xml).
    const child = ffmpegToneSource({ ingestPort: this.port } as RelayProcess, mount, opts);
    this.sources.set(mount, child);
    await waitFor(
      async () => {
        const res = await fetch(`${this.url}/admin/listmounts`, { headers: { Authorization: basic('admin', ICECAST_ADMIN_PASSWORD) } });
        return (await res.text()).includes(`mount="${mount}"`);
      },
      10_000,
      `Icecast to have a source on ${mount}`,
    );
  }

  async removeSource(mount: string): Promise<void> {
    const child = this.sources.get(mount);
    if (!child) return;
    this.sources.delete(mount);
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    for (const mount of [...this.sources.keys()]) await this.removeSource(mount);
    const exited = once(this.icecast, 'exit');
    this.icecast.kill('SIGTERM'); // runuser passes it on
    await exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function icecastConfig(port: number, dir: string): string {
  return `<icecast>
  <limits><clients>20</clients><sources>4</sources></limits>
  <authentication><source-password>${PASSWORD}</source-password><relay-user>${ICECAST_RELAY_USER}</relay-user><relay-password>${ICECAST_RELAY_PASSWORD}</relay-password><admin-user>admin</admin-user><admin-password>${ICECAST_ADMIN_PASSWORD}</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>${port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <mount><mount-name>${ICECAST_HIDDEN_MOUNT}</mount-name><hidden>1</hidden></mount>
  <fileserve>1</fileserve>
  <paths><basedir>/usr/share/icecast2</basedir><logdir>${dir}</logdir><webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot></paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>3</loglevel></logging>
  <security><chroot>0</chroot></security>
</icecast>
`;
}
