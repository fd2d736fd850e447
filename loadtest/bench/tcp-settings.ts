// The kernel's TCP settings a run depends on: the congestion control and
// net.ipv4.tcp_slow_start_after_idle (issue 15: relaycast's once-a-second
// writes cost about twice as much under cubic as under bbr). The bench reads
// them for the record and, when asked to run under other settings, switches
// them with /proc/sys only for its own runs and puts the machine's back
// afterwards: on success, failure, Ctrl-C or SIGTERM, and, if the bench was
// killed outright, at the start of the next bench (from a state file).
// Invariant: while the bench has changed a setting, the machine's original
// values are on disk in STATE_FILE; the file is removed once they are back.

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const CC_PATH = '/proc/sys/net/ipv4/tcp_congestion_control';
const AVAILABLE_PATH = '/proc/sys/net/ipv4/tcp_available_congestion_control';
const SSAI_PATH = '/proc/sys/net/ipv4/tcp_slow_start_after_idle';
/** Where the machine's own settings wait while a bench has changed them. */
export const STATE_FILE = '/tmp/relaycast-bench-tcp.json';

export interface TcpSetting {
  congestionControl: string;
  /** net.ipv4.tcp_slow_start_after_idle: 1 (Linux's default) or 0. */
  slowStartAfterIdle: 0 | 1;
}

export function readTcpSetting(): TcpSetting {
  return {
    congestionControl: readFileSync(CC_PATH, 'utf8').trim(),
    slowStartAfterIdle: readFileSync(SSAI_PATH, 'utf8').trim() === '0' ? 0 : 1,
  };
}

export function availableCongestionControls(): string[] {
  return readFileSync(AVAILABLE_PATH, 'utf8').trim().split(/\s+/);
}

/** "cubic, tcp_slow_start_after_idle=1" */
export function describeTcp(t: TcpSetting): string {
  return `${t.congestionControl}, tcp_slow_start_after_idle=${t.slowStartAfterIdle}`;
}

/** File-name-safe: "cubic-ssai1". */
export function tcpLabel(t: TcpSetting): string {
  return `${t.congestionControl}-ssai${t.slowStartAfterIdle}`;
}

export function sameTcp(a: TcpSetting, b: TcpSetting): boolean {
  return a.congestionControl === b.congestionControl && a.slowStartAfterIdle === b.slowStartAfterIdle;
}

/**
 * Parses `--tcp`: comma-separated `name` or `name:0|1` (the number sets
 * tcp_slow_start_after_idle; without it the machine's value stays).
 */
export function parseTcpList(raw: string, machine: TcpSetting, available: readonly string[]): TcpSetting[] {
  const out: TcpSetting[] = [];
  for (const part of raw.split(',').map((p) => p.trim())) {
    const m = /^([a-z0-9_]+)(?::([01]))?$/.exec(part);
    if (!m) throw new Error(`"${part}": use a congestion control name, optionally with :0 or :1 for tcp_slow_start_after_idle`);
    if (!available.includes(m[1])) throw new Error(`"${m[1]}" is not available here (${available.join(', ')})`);
    const setting: TcpSetting = {
      congestionControl: m[1],
      slowStartAfterIdle: m[2] === undefined ? machine.slowStartAfterIdle : m[2] === '0' ? 0 : 1,
    };
    if (!out.some((t) => sameTcp(t, setting))) out.push(setting);
  }
  return out;
}

function write(t: TcpSetting): void {
  writeFileSync(CC_PATH, `${t.congestionControl}\n`);
  writeFileSync(SSAI_PATH, `${t.slowStartAfterIdle}\n`);
}

/** Switches the machine's TCP settings for the bench and back; synchronous so an exit handler can restore. */
export class TcpSwitch {
  private readonly original: TcpSetting;
  private changed = false;

  private constructor(original: TcpSetting) {
    this.original = original;
  }

  /**
   * Puts back what a killed bench left changed (its state file), then
   * remembers the machine's settings. Returns the switch and, when
   * something was restored, a sentence saying what.
   */
  static open(): { tcp: TcpSwitch; recovered?: string } {
    let recovered: string | undefined;
    if (existsSync(STATE_FILE)) {
      const left = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as TcpSetting;
      write(left);
      rmSync(STATE_FILE);
      recovered = `restored ${describeTcp(left)} left changed by an earlier bench (${STATE_FILE})`;
    }
    return { tcp: new TcpSwitch(readTcpSetting()), recovered };
  }

  get machine(): TcpSetting {
    return this.original;
  }

  /** Applies `t` for the next runs (new sockets take the congestion control at creation). */
  apply(t: TcpSetting): void {
    if (sameTcp(t, readTcpSetting())) return;
    if (!this.changed) writeFileSync(STATE_FILE, `${JSON.stringify(this.original)}\n`);
    this.changed = true;
    write(t);
  }

  /** Puts the machine's own settings back; safe to call more than once. */
  restore(): void {
    if (!this.changed) return;
    write(this.original);
    rmSync(STATE_FILE, { force: true });
    this.changed = false;
  }
}
