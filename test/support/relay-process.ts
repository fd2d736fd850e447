// Starts the real CLI (`relaycast relay`) as a child process on loopback,
// on ports the kernel picks, and reads its JSON log so tests can wait for
// events instead of sleeping. It also holds the relay to its own health:
// stop() fails the test unless the relay exits 0, logs "shut down cleanly"
// well before its shutdown deadline, wrote nothing unexpected to stderr,
// and logged no warn or error line the test did not say it expects
// (expectWarnings). A relay a test file never stops fails the file.

import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { after, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const CLI = fileURLToPath(new URL('../../relay/cli.js', import.meta.url));
export const SAMPLE_MP3 = fileURLToPath(new URL('../../../samples/tone-128k.mp3', import.meta.url));
export const PASSWORD = 'test-pw';

/** pino's levels: a line at or above warn must be expected by the test. */
const WARN_LEVEL = 40;
const ERROR_LEVEL = 50;
const PRETTY_LEVELS: Record<string, number> = { WARN: 40, ERROR: 50, FATAL: 60 };
/** The relay's --shutdown deadline is 5 s; a clean stop of a test relay takes milliseconds, so half of it is "late". */
const SHUTDOWN_LATE_MS = 2500;
/** Past this, stop() kills the relay and fails: the deadline should have fired long before. */
const EXIT_WAIT_MS = 8000;

export interface LogLine {
  msg: string;
  [key: string]: unknown;
}

/** A warn/error line a test provokes on purpose: a code or message (exact), or a pattern of the message. */
export type ExpectedLog = string | RegExp;

/** Relays started and not yet stopped, checked when each test file ends. */
const running = new Set<RelayProcess>();
/** Each test's relays from startFor, in the order they started. */
const startedFor = new WeakMap<TestContext, RelayProcess[]>();

/** Stops each relay in turn (every one, even after one fails its health check), then throws the first failure. */
async function stopAll(relays: readonly RelayProcess[]): Promise<void> {
  const failures: unknown[] = [];
  for (const relay of relays) {
    try {
      await relay.stop();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw failures[0];
}
after(() => {
  const left = [...running];
  for (const relay of left) relay.child.kill('SIGKILL');
  running.clear();
  if (left.length > 0) throw new Error(`${left.length} relay(s) left running at the end of the file: stop every relay you start`);
});

export interface StartOptions {
  /** false: start without --source-password, so the relay generates one. */
  sourcePassword?: boolean;
  /** A command the relay is started under, e.g. ['taskset', '-c', '0'] (it must exec the relay, keeping its PID). */
  under?: string[];
}

export class RelayProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  /** Everything the relay wrote to stdout, as written (for --log-format pretty). */
  stdout = '';
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
  /** How long the last stop() took from signal to exit. */
  shutdownMs = 0;
  private readonly expected: ExpectedLog[] = [];

  private constructor(child: ChildProcessByStdio<null, Readable, Readable>) {
    this.child = child;
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      this.stdout += text;
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
    child.on('exit', (code) => {
      this.exitCode = code;
      running.delete(this);
    });
  }

  /** Starts a relay with a known password on 127.0.0.1 and waits until it is ready. */
  static async start(args: string[] = [], env: NodeJS.ProcessEnv = {}, opts: StartOptions = {}): Promise<RelayProcess> {
    const password = opts.sourcePassword === false ? [] : ['--source-password', PASSWORD];
    const argv = [process.execPath, CLI, 'relay', '--host', '127.0.0.1', '--port', '0', ...password, ...args];
    const [command, ...rest] = [...(opts.under ?? []), ...argv];
    const child = spawn(command, rest, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    const relay = new RelayProcess(child);
    running.add(relay);
    const ready = await relay.waitForLog((l) => l.msg === 'relay ready' || PRETTY_READY.test(l.msg), 10_000);
    const pretty = PRETTY_READY.exec(ready.msg);
    relay.port = pretty ? Number(pretty[1]) : (ready.port as number);
    // The front door takes sources too; --ingest-port is only an extra port of the same server.
    const ingest = pretty ? pretty[2] && Number(pretty[2]) : (ready.ingestPort as number | undefined);
    relay.ingestPort = ingest || relay.port;
    relay.shoutcastPort = (ready.shoutcastPort as number | undefined) ?? 0;
    relay.uwsPort = (ready.uwsPort as number | undefined) ?? 0;
    relay.tlsPort = (ready.tlsPort as number | undefined) ?? 0;
    relay.tlsIngestPort = (ready.tlsIngestPort as number | undefined) ?? 0;
    return relay;
  }

  /**
   * Starts a relay for one test and stops it (with the health check) after
   * every other teardown of that test, whatever order they were registered
   * in: the relay is started first, but its encoders and players must be
   * gone before it is asked to stop. The relays of one test stop in the
   * reverse of their start: one started later leans on those before it (an
   * edge on its origin, a relay on its peer), and stopped after them it
   * would log its upstream's or peer's end as a warning. The first start
   * adds the stops as the test's last after-hook when the after-hooks run;
   * were that ever not to run, the relays would be left running and this
   * file's leak check fails.
   */
  static async startFor(t: TestContext, args: string[] = [], env: NodeJS.ProcessEnv = {}, opts: StartOptions = {}): Promise<RelayProcess> {
    const relay = await RelayProcess.start(args, env, opts);
    let started = startedFor.get(t);
    if (!started) {
      const relays: RelayProcess[] = [];
      started = relays;
      startedFor.set(t, relays);
      t.after(() => t.after(() => stopAll(relays.reverse())));
    }
    started.push(relay);
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

  /**
   * Declares warn/error lines this test provokes on purpose (refusal codes
   * such as 'AUTH_REQUIRED', or messages); any other one fails stop().
   */
  expectWarnings(...expected: ExpectedLog[]): void {
    this.expected.push(...expected);
  }

  async metrics(): Promise<string> {
    const res = await fetch(`${this.listenUrl}/metrics`);
    return res.text();
  }

  /** The value of one series, e.g. metric('relaycast_listeners', { mount: '/listen' }); throws when it is absent. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return metricValue(await this.metrics(), name, labels);
  }

  /** The value of one series, or undefined when it does not exist (yet). */
  async metricSample(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    return metricSample(await this.metrics(), name, labels);
  }

  /** Waits until the series exists and `predicate` holds for its value; resolves to the value. */
  waitForMetric(name: string, labels: Record<string, string>, predicate: (value: number) => boolean, timeoutMs = 10_000): Promise<number> {
    return waitFor(
      async () => {
        const value = await this.metricSample(name, labels);
        return value !== undefined && predicate(value) ? value : undefined;
      },
      timeoutMs,
      `${name}${JSON.stringify(labels)}`,
    );
  }

  /**
   * SIGTERM, wait for the exit, and fail unless the relay was healthy: exit
   * 0, "shut down cleanly" logged well before the deadline, no unexpected
   * warn/error line, nothing but its banner on stderr. Close the test's
   * encoders before this: a source the relay cannot close holds it to the
   * deadline, and that fails here.
   */
  async stop(): Promise<void> {
    const code = await this.signal('SIGTERM');
    this.assertHealthy(code);
  }

  /** Sends `signal` and resolves to the exit code, with no health check (for tests of shutdown itself). */
  async signal(signal: NodeJS.Signals): Promise<number | null> {
    if (this.exitCode !== null) return this.exitCode;
    const startedMs = performance.now();
    const exited = once(this.child, 'exit') as Promise<[number | null]>;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), EXIT_WAIT_MS);
    const [code] = await exited;
    clearTimeout(timer);
    this.shutdownMs = performance.now() - startedMs;
    assertNoSecretLogged(this);
    return code;
  }

  /** The health check stop() applies, for a relay already stopped (or exited) another way. */
  assertHealthy(code = this.exitCode): void {
    const problems: string[] = [];
    if (code !== 0) problems.push(`exited with ${code}`);
    if (!this.logs.some((l) => l.msg === 'shut down cleanly' || PRETTY_CLEAN.test(l.msg)))
      problems.push('never logged "shut down cleanly"');
    if (this.shutdownMs >= SHUTDOWN_LATE_MS) problems.push(`took ${this.shutdownMs.toFixed(0)} ms to shut down`);
    const unexpected = new Map<string, number>();
    for (const line of this.logs) {
      if (logLevel(line) < WARN_LEVEL || this.isExpected(line)) continue;
      const key = `${logLevel(line) >= ERROR_LEVEL ? 'error' : 'warn'} ${line.code ?? ''} "${line.msg}"`;
      unexpected.set(key, (unexpected.get(key) ?? 0) + 1);
    }
    for (const [key, n] of unexpected) problems.push(`logged ${key}${n > 1 ? ` (${n} times)` : ''}`);
    const stray = this.stderr.split('\n').filter((line) => line !== '' && line !== 'relaycast is running.' && !line.startsWith('  '));
    if (stray.length > 0) problems.push(`wrote to stderr: ${stray.join(' | ').slice(0, 500)}`);
    if (problems.length > 0) throw new Error(`the relay was not healthy: ${problems.join('; ')}`);
  }

  private isExpected(line: LogLine): boolean {
    return this.expected.some((e) => (typeof e === 'string' ? line.code === e || line.msg === e : e.test(line.msg)));
  }
}

/** Passwords the suite uses, besides those on a relay's command line; a test adds the ones it sends. */
export const TEST_SECRETS = new Set<string>([PASSWORD]);

/**
 * Issue 10: no log line a relay wrote holds a password the test used (on its command line, in
 * its environment or in TEST_SECRETS), as sent or as a Basic credential. Run at every stop().
 */
export function assertNoSecretLogged(relay: RelayProcess): void {
  const args = relay.child.spawnargs;
  const secrets = new Set(TEST_SECRETS);
  for (const [i, arg] of args.entries()) if (/^--(source|admin)-password$/.test(arg) && args[i + 1]) secrets.add(args[i + 1]);
  const forms = [...secrets].flatMap((pw) => [pw, ...['source', 'admin'].map((u) => Buffer.from(`${u}:${pw}`).toString('base64'))]);
  for (const line of relay.logs) {
    const text = JSON.stringify(line);
    const leaked = forms.find((form) => text.includes(form));
    if (leaked) throw new Error(`a relay log line holds a password the test used: ${text.replace(leaked, '<the password>')}`);
  }
}

/** The same events in --log-format pretty. */
const PRETTY_READY = /^\S+ INFO {2}relay ready port=(\d+)(?: ingestPort=(\d+))?/;
const PRETTY_CLEAN = /^\S+ INFO {2}shut down cleanly$/;

/** A JSON line's pino level, or a pretty line's (`12:34:56.789 WARN  msg ...`). */
function logLevel(line: LogLine): number {
  if (typeof line.level === 'number') return line.level;
  return PRETTY_LEVELS[line.msg.split(/\s+/)[1] ?? ''] ?? 0;
}

/** The value of one series in Prometheus text; throws when no series matches. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const value = metricSample(text, name, labels);
  if (value === undefined) throw new Error(`no series ${name}${JSON.stringify(labels)} in /metrics`);
  return value;
}

/** The value of one series in Prometheus text, or undefined: for the tests that mean "absent". */
export function metricSample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = new Map<string, string>();
    for (const pair of (match[2] ?? '').slice(1, -1).matchAll(/(\w+)="([^"]*)"/g)) have.set(pair[1], pair[2]);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}
