// What the bench ran on and what it ran, for the record in BENCHMARKS.md:
// CPU count and model, kernel, Node, Icecast and ffmpeg versions, the
// loopback-relevant TCP buffer sizes, and the git commit (marked dirty when
// the working tree has changes, since then the commit is not what ran).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';
import { readTcpSetting, type TcpSetting } from './tcp-settings.js';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  icecast: string;
  ffmpeg: string;
  tcpWmem: string;
  /** net.core.default_qdisc (bbr paces by itself without fq). */
  qdisc: string;
  /** The machine's own TCP setting when the bench started. */
  tcp: TcpSetting;
  commit: string;
}

/** The first "model name" of /proc/cpuinfo. */
export function parseCpuModel(cpuinfoText: string): string {
  return /^model name\s*:\s*(.+)$/m.exec(cpuinfoText)?.[1].trim() ?? 'unknown';
}

function output(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    return `unknown (${cmd}: ${(err as Error).message.split('\n')[0]})`;
  }
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function machineInfo(repoDir: string): MachineInfo {
  const head = output('git', ['rev-parse', '--short=12', 'HEAD'], repoDir);
  const dirty = output('git', ['status', '--porcelain', '--untracked-files=no'], repoDir) !== '';
  return {
    // The bench pins by core number, so count the machine's cores, not this process's affinity.
    cpus: Number(output('nproc', ['--all'])) || availableParallelism(),
    cpuModel: parseCpuModel(readOr('/proc/cpuinfo')),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    icecast: output('icecast2', ['-v']),
    ffmpeg: output('ffmpeg', ['-version']).split('\n')[0],
    tcpWmem: readOr('/proc/sys/net/ipv4/tcp_wmem').trim().replace(/\s+/g, ' '),
    qdisc: readOr('/proc/sys/net/core/default_qdisc').trim(),
    tcp: readTcpSetting(),
    commit: `${head}${dirty ? ' (with uncommitted changes)' : ''}`,
  };
}
