// Reading what the kernel says about a process and the machine, for the
// bench: a process's CPU ticks (/proc/<pid>/stat) and resident memory
// (/proc/<pid>/status VmRSS), one core's busy and total ticks (/proc/stat),
// TCP's extended counters (/proc/net/netstat TcpExt) and the TIME_WAIT count
// (/proc/net/sockstat). The parsers are pure functions of the file's text so
// they can be tested on fixtures; the readers only add the file read.
//
// Ticks are clock ticks (USER_HZ, 100 on Linux); a percentage is always a
// difference of two snapshots divided by the wall time between them.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** utime + stime of one process, all threads, in clock ticks. */
export function parseProcessCpuTicks(statText: string): number {
  // The command name (field 2) is in parentheses and may itself contain ") ",
  // so split at the last one: the fields after it start with field 3 (state).
  const close = statText.lastIndexOf(')');
  if (close < 0) throw new Error('not a /proc/<pid>/stat line: no ")" after the command name');
  const fields = statText
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // utime and stime are fields 14 and 15; fields[0] is field 3.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('not a /proc/<pid>/stat line: utime/stime missing');
  return utime + stime;
}

export interface CoreTicks {
  totalTicks: number;
  idleTicks: number;
  /** Time the hypervisor ran someone else while this virtual core had work: the host was contended. */
  stealTicks: number;
}

/** One core's line of /proc/stat ("cpu0 user nice system idle iowait irq softirq steal ..."). */
export function parseCoreTicks(procStatText: string, core: number): CoreTicks {
  const prefix = `cpu${core} `;
  const line = procStatText.split('\n').find((l) => l.startsWith(prefix));
  if (!line) throw new Error(`/proc/stat has no line for cpu${core}`);
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // guest and guest_nice (9th, 10th) are already counted in user and nice.
  const totalTicks = v.slice(0, 8).reduce((a, b) => a + b, 0);
  // idle + iowait: a core waiting for disk is not doing the server's work.
  return { totalTicks, idleTicks: v[3] + v[4], stealTicks: v[7] ?? 0 };
}

/** Processes created since boot ("processes N" in /proc/stat): forks during a window mean other work ran. */
export function parseForks(procStatText: string): number {
  const match = /^processes (\d+)$/m.exec(procStatText);
  if (!match) throw new Error('/proc/stat has no "processes" line');
  return Number(match[1]);
}

/** Steal share of a core between two snapshots, 0 to 100 (counted in busy); null when no tick passed. */
export function coreStealPercent(before: CoreTicks, after: CoreTicks): number | null {
  const total = after.totalTicks - before.totalTicks;
  if (total <= 0) return null;
  return (100 * (after.stealTicks - before.stealTicks)) / total;
}

/** Busy share of a core between two snapshots, 0 to 100; null when no tick passed. */
export function coreBusyPercent(before: CoreTicks, after: CoreTicks): number | null {
  const total = after.totalTicks - before.totalTicks;
  if (total <= 0) return null;
  return 100 * (1 - (after.idleTicks - before.idleTicks) / total);
}

/** VmRSS in KiB from /proc/<pid>/status. */
export function parseRssKb(statusText: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(statusText);
  if (!match) throw new Error('/proc/<pid>/status has no VmRSS line (the process has exited?)');
  return Number(match[1]);
}

/** The TcpExt counters of /proc/net/netstat, by name (a header line, then a value line). */
export function parseTcpExt(netstatText: string): Record<string, number> {
  const lines = netstatText.split('\n').filter((l) => l.startsWith('TcpExt:'));
  if (lines.length < 2) throw new Error('/proc/net/netstat has no TcpExt header and value lines');
  const names = lines[0].trim().split(/\s+/).slice(1);
  const values = lines[1].trim().split(/\s+/).slice(1).map(Number);
  const counters: Record<string, number> = {};
  names.forEach((name, i) => {
    counters[name] = values[i];
  });
  return counters;
}

/** The TcpExt counters the bench reports: connection attempts the kernel dropped or retried. */
export const TCP_EXT_COUNTERS = ['ListenOverflows', 'ListenDrops', 'TCPReqQFullDrop', 'SyncookiesSent', 'TCPSynRetrans'] as const;

export function tcpExtDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const name of TCP_EXT_COUNTERS) delta[name] = (after[name] ?? 0) - (before[name] ?? 0);
  return delta;
}

/** TCP sockets in TIME_WAIT, from /proc/net/sockstat ("TCP: inuse 5 orphan 0 tw 7 ..."). */
export function parseTimeWait(sockstatText: string): number {
  const match = /^TCP:.*\btw (\d+)/m.exec(sockstatText);
  if (!match) throw new Error('/proc/net/sockstat has no TCP tw count');
  return Number(match[1]);
}

// ------------------------------------------------------------------ readers

let clockTicksPerS: number | undefined;

/** USER_HZ, asked once from getconf (Node has no sysconf). */
export function ticksPerSecond(): number {
  clockTicksPerS ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  if (!(clockTicksPerS > 0)) throw new Error('getconf CLK_TCK gave no tick rate');
  return clockTicksPerS;
}

export const readProcessCpuTicks = (pid: number) => parseProcessCpuTicks(readFileSync(`/proc/${pid}/stat`, 'latin1'));
export const readCoreTicks = (core: number) => parseCoreTicks(readFileSync('/proc/stat', 'latin1'), core);
export const readRssKb = (pid: number) => parseRssKb(readFileSync(`/proc/${pid}/status`, 'latin1'));
export const readTcpExt = () => parseTcpExt(readFileSync('/proc/net/netstat', 'latin1'));
export const readTimeWait = () => parseTimeWait(readFileSync('/proc/net/sockstat', 'latin1'));

/** A process's and two cores' counters at one moment, for percentages over a window. */
export interface CpuSnapshot {
  atMs: number;
  processTicks: number;
  core0: CoreTicks;
  core1: CoreTicks;
  forks: number;
}

export function cpuSnapshot(pid: number): CpuSnapshot {
  const procStat = readFileSync('/proc/stat', 'latin1');
  return {
    atMs: performance.now(),
    processTicks: readProcessCpuTicks(pid),
    core0: parseCoreTicks(procStat, 0),
    core1: parseCoreTicks(procStat, 1),
    forks: parseForks(procStat),
  };
}

export interface CpuWindow {
  windowS: number;
  /** The process's utime + stime as a percentage of one core. */
  processPercent: number;
  core0BusyPercent: number | null;
  core1BusyPercent: number | null;
  /** Of the busy share, what the hypervisor gave to other guests: slower work for everything on the core. */
  core0StealPercent: number | null;
  core1StealPercent: number | null;
  /** Processes started anywhere on the machine during the window (the bench itself starts none). */
  forks: number;
}

export function cpuWindow(a: CpuSnapshot, b: CpuSnapshot, hz = ticksPerSecond()): CpuWindow {
  const windowS = (b.atMs - a.atMs) / 1000;
  return {
    windowS,
    processPercent: (100 * (b.processTicks - a.processTicks)) / hz / windowS,
    core0BusyPercent: coreBusyPercent(a.core0, b.core0),
    core1BusyPercent: coreBusyPercent(a.core1, b.core1),
    core0StealPercent: coreStealPercent(a.core0, b.core0),
    core1StealPercent: coreStealPercent(a.core1, b.core1),
    forks: b.forks - a.forks,
  };
}

/** The command name of a /proc/<pid>/stat line (between the first "(" and the last ")"). */
export function parseProcessName(statText: string): string {
  return statText.slice(statText.indexOf('(') + 1, statText.lastIndexOf(')'));
}

/** utime + stime of every process now, by PID; processes that exit while being read are skipped. */
export function readAllProcessTicks(): Map<number, { name: string; ticks: number }> {
  const all = new Map<number, { name: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') continue;
      throw err;
    }
    all.set(Number(entry), { name: parseProcessName(text), ticks: parseProcessCpuTicks(text) });
  }
  return all;
}

/**
 * Processes that used at least `minPercent` of a core between two readings,
 * busiest first (processes that started and ended between them are not seen;
 * CpuWindow.forks counts those), as "name[pid] 12.3" ("name[pid]* 12.3" for `ours`): on a shared machine this is how a
 * core-0 figure that does not match the server's own CPU gets explained.
 */
export function busiestProcesses(
  before: Map<number, { name: string; ticks: number }>,
  after: Map<number, { name: string; ticks: number }>,
  windowS: number,
  minPercent: number,
  ours: ReadonlySet<number> = new Set(),
  hz = ticksPerSecond(),
): string[] {
  const busy: Array<[string, number]> = [];
  for (const [pid, b] of after) {
    // A PID first seen after the window opened started inside it: all its ticks count.
    const percent = (100 * (b.ticks - (before.get(pid)?.ticks ?? 0))) / hz / windowS;
    if (percent >= minPercent) busy.push([`${b.name}[${pid}]${ours.has(pid) ? '*' : ''}`, Math.round(percent * 10) / 10]);
  }
  return busy.sort((x, y) => y[1] - x[1]).map(([name, percent]) => `${name} ${percent}`);
}
