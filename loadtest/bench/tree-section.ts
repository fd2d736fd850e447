// The Markdown bench:tree writes: per run, one row per process (CPU % of a
// core over the window, RSS idle and loaded, listeners held) and one summary
// row (failed connects, delivered rate, first byte, machine busy), plus the
// exact commands that ran. Pure function of the results.

import type { LoadtestReport } from '../report.js';
import type { MachineInfo } from './machine-info.js';
import type { TreeRunResult } from './tree-run.js';

export interface TreeSectionInput {
  machine: MachineInfo;
  results: TreeRunResult[];
  resultsDir: string;
  commandLine: string;
}

const NAMES = { relaycast: 'relaycast', icecast: 'Icecast 2.4' } as const;
const v = (x: number | null | undefined, unit = '') => (x === null || x === undefined ? 'n/a' : `${x}${unit}`);
const mib = (kb: number | null | undefined) => (kb === null || kb === undefined ? 'n/a' : (kb / 1024).toFixed(1));

function summaryRow(r: TreeRunResult): string {
  const l: LoadtestReport | undefined = r.load;
  if (!l) return `| ${NAMES[r.server]} | ${r.listeners} | ${r.edges} | FAILED: ${r.error ?? 'no report'} | | | | | | |`;
  const d = l.steady?.deliveredKbps;
  const failures = Object.entries(l.failures)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return [
    NAMES[r.server],
    r.listeners,
    r.edges,
    `${l.connected} (${l.perTarget.map((t) => t.streamingAtEnd).join(' + ')} at the end)`,
    `${l.failed}${failures ? ` (${failures})` : ''}`,
    `${v(d?.min)} / ${v(d?.p50)}; ${l.steady?.belowBitrate ?? 'n/a'} below 95 %`,
    `${l.underruns.listeners}`,
    `${v(l.firstByteMs.p50)} / ${v(l.firstByteMs.p99)}`,
    `${v(r.machineBusyPercent)} (${(r.coreBusyPercent ?? []).join(', ')})`,
    `${v(r.tcpExt?.ListenOverflows)}`,
  ]
    .join(' | ')
    .replace(/^/, '| ')
    .concat(' |');
}

function tlsLine(r: TreeRunResult): string | undefined {
  const t = r.load?.tls;
  if (!t) return undefined;
  return `- ${NAMES[r.server]}: TLS handshake p50 ${v(t.handshakeMs.p50)} ms, p99 ${v(t.handshakeMs.p99)} ms; ${t.handshakes} handshakes, ${v(t.meanPerS)} new TLS listeners/s sustained over the ramp, ${v(t.peakPerS)} in the busiest second`;
}

export function renderTreeSection(input: TreeSectionInput): string {
  const m = input.machine;
  const out: string[] = [
    `Written by \`${input.commandLine}\`; raw JSON and logs in \`${input.resultsDir}\`. Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}, ${m.icecast}, TCP ${m.tcp.congestionControl}. relaycast at commit ${m.commit}.`,
    '',
    '| server | listeners | edges | connected (held per edge at the end) | failed connects | delivered kbit/s min / median | listeners that underran | first byte p50 / p99 ms | machine busy % (per core) | ListenOverflows |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...input.results.map(summaryRow),
    '',
  ];
  for (const r of input.results) {
    out.push(
      `${NAMES[r.server]}, ${r.listeners} listeners, window ${r.windowFromS}-${r.windowToS} s of ${r.durationS} s:`,
      '',
      '| process | pid | CPU % of a core | RSS idle → loaded MiB | listeners (load tool at the end / server status) |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const p of r.processes) {
      const held =
        p.listenersHeld === undefined && p.listenersReported === undefined ? '' : `${v(p.listenersHeld)} / ${v(p.listenersReported)}`;
      out.push(
        `| ${p.role} | ${p.pid} | ${v(p.cpuPercent)} | ${p.rssIdleKb === null ? '' : `${mib(p.rssIdleKb)} → `}${mib(p.rssKb)} | ${held} |`,
      );
    }
    const l = r.load;
    if (l) {
      out.push(
        '',
        `Load tool: ${l.processes} processes, ${v(l.toolCpu.steadyPercent)} % of a core together in its steady part (${v(l.toolCpu.steadyPercentPer1000Listeners)} % per 1000 listeners).`,
      );
    }
    const tls = tlsLine(r);
    if (tls) out.push(tls);
    if (r.others && r.others.length > 0) out.push(`Other processes busy in the window (% of a core): ${r.others.join(', ')}.`);
    out.push('', 'Commands:', '', '```sh', ...r.processes.map((p) => p.command), '```', '');
  }
  return `${out.join('\n')}\n`;
}
