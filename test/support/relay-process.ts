// Starts the real CLI (`relaycast relay`) as a child process on loopback,
// on ports the kernel picks, and reads its JSON log so tests can wait for
// events instead of sleeping.

import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const CLI = fileURLToPath(new URL('../../relay/cli.js', import.meta.url));
export const SAMPLE_MP3 = fileURLToPath(new URL('../../../samples/tone-128k.mp3', import.meta.url));
export const PASSWORD = 'test-pw';

export interface LogLine {
  msg: string;
  [key: string]: unknown;
}

export class RelayProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  stderr = '';
  port = 0;
  ingestPort = 0;
  /** Set when the relay was started with --shoutcast-port. */
  shoutcastPort = 0;
  /** Set when the relay was started with --uws-port, --tls-port or --tls-ingest-port. */
  uwsPort = 0;
  tlsPort = 0;
  tlsIngestPort = 0;
  exitCode: number | null = null;

  private constructor(child: ChildProcessByStdio<null, Readable, Readable>) {
    this.child = child;
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ msg: line });
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    child.on('exit', (code) => (this.exitCode = code));
  }

  /** Starts a relay with a known password on 127.0.0.1 and waits until it is ready. */
  static async start(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RelayProcess> {
    const child = spawn(process.execPath, [CLI, 'relay', '--host', '127.0.0.1', '--port', '0', '--source-password', PASSWORD, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    const relay = new RelayProcess(child);
    const ready = await relay.waitForLog((l) => l.msg === 'relay ready', 10_000);
    relay.port = ready.port as number;
    // The front door takes sources too; --ingest-port is only an extra port of the same server.
    relay.ingestPort = (ready.ingestPort as number | undefined) ?? relay.port;
    relay.shoutcastPort = (ready.shoutcastPort as number | undefined) ?? 0;
    relay.uwsPort = (ready.uwsPort as number | undefined) ?? 0;
    relay.tlsPort = (ready.tlsPort as number | undefined) ?? 0;
    relay.tlsIngestPort = (ready.tlsIngestPort as number | undefined) ?? 0;
    return relay;
  }

  get listenUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get ingestUrl(): string {
    return `http://127.0.0.1:${this.ingestPort}`;
  }

  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    return waitFor(
      () => {
        if (this.exitCode !== null) throw new Error(`relay exited with ${this.exitCode}: ${this.stderr}`);
        return this.logs.find(predicate);
      },
      timeoutMs,
      'relay log line',
    );
  }

  countLogs(predicate: (line: LogLine) => boolean): number {
    return this.logs.filter(predicate).length;
  }

  async metrics(): Promise<string> {
    const res = await fetch(`${this.listenUrl}/metrics`);
    return res.text();
  }

  /** The value of one sample, e.g. metric('relaycast_listeners', { mount: '/listen' }); 0 when absent. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return metricValue(await this.metrics(), name, labels);
  }

  /** SIGTERM and wait for the exit; resolves to the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.exitCode !== null) return this.exitCode;
    this.child.kill(signal);
    const [code] = (await once(this.child, 'exit')) as [number | null];
    return code;
  }
}

export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = new Map<string, string>();
    for (const pair of (match[2] ?? '').slice(1, -1).matchAll(/(\w+)="([^"]*)"/g)) have.set(pair[1], pair[2]);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(match[3]);
  }
  return 0;
}
