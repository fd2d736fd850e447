// A child process the bench started and must stop: its command line (kept
// for BENCHMARKS.md), its output in files of the results directory, and a
// stop() that ends exactly this PID: SIGTERM, then SIGKILL after 5 s.
// Invariant: every ManagedProcess is stopped in a `finally` of whoever
// started it, so no server, feed or load tool outlives its run.

import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

const TERM_GRACE_MS = 5000;
/** After SIGKILL the exit is only the kernel's reaping; wait at most this long for it. */
const KILL_WAIT_MS = 5000;

export interface StartOptions {
  cwd: string;
  /** stdout and stderr go to `${outputBase}.out` / `.err`. */
  outputBase: string;
  /** Collect stdout in memory instead of a file (the load tool's JSON). */
  captureStdout?: boolean;
}

/** A shell-readable rendering of an argv, for the record of what ran. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export class ManagedProcess {
  readonly pid: number;
  readonly command: string;
  private readonly stdoutChunks: Buffer[] = [];
  private exitCode: number | null | undefined;
  private exitSignal: NodeJS.Signals | null = null;
  private readonly exited: Promise<void>;

  private constructor(child: ChildProcess, argv: readonly string[]) {
    if (child.pid === undefined) throw new Error(`could not start ${argv[0]}`);
    this.pid = child.pid;
    this.command = shellCommand(argv);
    // 'close', not 'exit': the load tool's JSON is complete only once its stdout pipe has closed.
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
    });
    child.stdout?.on('data', (chunk: Buffer) => this.stdoutChunks.push(chunk));
  }

  static start(argv: readonly string[], opts: StartOptions): ManagedProcess {
    const out = opts.captureStdout ? 'pipe' : openSync(`${opts.outputBase}.out`, 'w');
    const err = openSync(`${opts.outputBase}.err`, 'w');
    try {
      const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, stdio: ['ignore', out, err] });
      // spawn reports a missing binary asynchronously; turn it into an exit we can see.
      child.on('error', (e) => process.stderr.write(`bench: ${argv[0]}: ${e.message}\n`));
      return new ManagedProcess(child, argv);
    } finally {
      // The child holds its own copies of the descriptors.
      if (typeof out === 'number') closeSync(out);
      closeSync(err);
    }
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  get stdout(): string {
    return Buffer.concat(this.stdoutChunks).toString('utf8');
  }

  /** How it ended: "exit 0", "signal SIGTERM", or "running". */
  get status(): string {
    if (this.exitCode === undefined) return 'running';
    return this.exitSignal ? `signal ${this.exitSignal}` : `exit ${this.exitCode}`;
  }

  get code(): number | null | undefined {
    return this.exitCode;
  }

  /** Resolves true when the process exited within `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<boolean> {
    if (!this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([this.exited.then(() => true as const), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGINT: the load tool's "stop early and still print the report". */
  interrupt(): void {
    if (this.running) signal(this.pid, 'SIGINT');
  }

  /** SIGTERM, then SIGKILL if it is still there after 5 s. Safe to call twice. */
  async stop(): Promise<void> {
    if (!this.running) return;
    signal(this.pid, 'SIGTERM');
    if (await this.waitForExit(TERM_GRACE_MS)) return;
    process.stderr.write(`bench: pid ${this.pid} (${this.command.slice(0, 60)}) ignored SIGTERM for 5 s; SIGKILL\n`);
    signal(this.pid, 'SIGKILL');
    if (!(await this.waitForExit(KILL_WAIT_MS))) throw new Error(`pid ${this.pid} did not exit after SIGKILL`);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    // ESRCH: it exited between our check and the signal, which is what we wanted.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Stops each process, last started first; every one is tried even if one fails. */
export async function stopAll(processes: ManagedProcess[]): Promise<void> {
  const errors: unknown[] = [];
  for (const p of [...processes].reverse()) {
    try {
      await p.stop();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
}
