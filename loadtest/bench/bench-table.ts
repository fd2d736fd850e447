// The bench's results as markdown: one table for the 128 kbps runs (medians
// over repeats, with each run's value where they differ), one for the
// unlimited-rate feed, one for slow readers, and the relaycast / Icecast
// ratios. Pure functions of the run records, so they are unit-tested.
// A figure that was not measured prints "n/a", never 0.

import { median } from '../stats.js';
import type { RunResult } from './bench-run.js';
import type { RunKind } from './bench-plan.js';
import type { ServerName } from './server-process.js';

/** The middle value (mean of the two middle ones for an even count); null for none. */

export const SERVER_TITLES: Record<ServerName, string> = { relaycast: 'relaycast', icecast: 'Icecast 2.4' };

type Value = number | null | undefined;

function fmt(v: Value, digits: number): string {
  return v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits);
}

/** The median, followed by every run's value in parentheses when they differ. */
export function medianCell(values: readonly Value[], digits: number): string {
  const measured = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (measured.length === 0) return 'n/a';
  const m = fmt(median(measured), digits);
  const allSame = measured.every((v) => v === measured[0]);
  return measured.length === 1 || allSame ? m : `${m} (${measured.map((v) => fmt(v, digits)).join(', ')})`;
}

function medianOf(values: readonly Value[]): number | null {
  return median(values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)));
}

const mib = (kb: Value) => (typeof kb === 'number' ? kb / 1024 : null);

/** Successful runs of one kind, grouped by listeners then server, in first-seen order. */
function groups(results: readonly RunResult[], kind: RunKind): Array<{ listeners: number; server: ServerName; runs: RunResult[] }> {
  const out: Array<{ listeners: number; server: ServerName; runs: RunResult[] }> = [];
  for (const r of results) {
    if (r.spec.kind !== kind || r.error) continue;
    let g = out.find((x) => x.listeners === r.spec.listeners && x.server === r.spec.server);
    if (!g) {
      g = { listeners: r.spec.listeners, server: r.spec.server, runs: [] };
      out.push(g);
    }
    g.runs.push(r);
  }
  return out.sort((a, b) => a.listeners - b.listeners || (a.server === b.server ? 0 : a.server === 'relaycast' ? -1 : 1));
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function steadyTable(results: readonly RunResult[]): string {
  const header = [
    'server',
    'listeners',
    'runs',
    'server CPU % of a core',
    'core 0 busy %',
    'RSS idle → loaded MiB',
    'KiB per listener',
    'TTFB p50 / p99 ms',
    'connect p99 ms',
    'delivered min (p1) kbit/s',
    'drops',
    'failed connects',
    'underruns',
    'ListenOverflows',
  ];
  const lines = [row(header), row(header.map(() => '---'))];
  for (const g of groups(results, 'steady')) {
    const pick = (f: (r: RunResult) => Value) => g.runs.map(f);
    const m = (f: (r: RunResult) => Value) => medianOf(pick(f));
    lines.push(
      row([
        SERVER_TITLES[g.server],
        String(g.listeners),
        String(g.runs.length),
        medianCell(
          pick((r) => r.window?.processPercent),
          1,
        ),
        medianCell(
          pick((r) => r.window?.core0BusyPercent),
          1,
        ),
        `${fmt(mib(m((r) => r.idle?.rssKb)), 1)} → ${fmt(mib(m((r) => r.rssLoadedKb)), 1)}`,
        medianCell(
          pick((r) => r.kbPerListener),
          2,
        ),
        `${fmt(
          m((r) => r.load?.firstByteMs.p50),
          1,
        )} / ${fmt(
          m((r) => r.load?.firstByteMs.p99),
          1,
        )}`,
        fmt(
          m((r) => r.load?.connectMs.p99),
          1,
        ),
        `${fmt(
          m((r) => r.load?.steady?.deliveredKbps.min),
          1,
        )} (${fmt(
          m((r) => r.load?.steady?.deliveredKbps.p1),
          1,
        )})`,
        medianCell(
          pick((r) => r.load?.serverClosed.total),
          0,
        ),
        medianCell(
          pick((r) => r.load?.failed),
          0,
        ),
        medianCell(
          pick((r) => r.load?.underruns.listeners),
          0,
        ),
        medianCell(
          pick((r) => r.tcpExt?.ListenOverflows),
          0,
        ),
      ]),
    );
  }
  return lines.join('\n');
}

/** "at 5000 listeners: server CPU 0.60×, core 0 0.58×" for each size both servers ran. */
export function ratioLines(results: readonly RunResult[]): string[] {
  const gs = groups(results, 'steady');
  const lines: string[] = [];
  for (const rc of gs.filter((g) => g.server === 'relaycast')) {
    const ice = gs.find((g) => g.server === 'icecast' && g.listeners === rc.listeners);
    if (!ice) continue;
    const ratio = (f: (r: RunResult) => Value) => {
      const a = medianOf(rc.runs.map(f));
      const b = medianOf(ice.runs.map(f));
      return a !== null && b !== null && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
    };
    lines.push(
      `- ${rc.listeners} listeners: server CPU ${ratio((r) => r.window?.processPercent)}, core 0 busy ${ratio((r) => r.window?.core0BusyPercent)}, ` +
        `TTFB p99 ${ratio((r) => r.load?.firstByteMs.p99)}, KiB per listener ${ratio((r) => r.kbPerListener)}`,
    );
  }
  return lines;
}

export function unlimitedTable(results: readonly RunResult[]): string {
  const header = [
    'server',
    'listeners',
    'aggregate delivered MB/s',
    'server CPU % of a core',
    'core 0 busy %',
    'delivered min / p50 kbit/s',
    'drops',
    'failed connects',
  ];
  const lines = [row(header), row(header.map(() => '---'))];
  for (const g of groups(results, 'unlimited')) {
    const m = (f: (r: RunResult) => Value) => medianOf(g.runs.map(f));
    lines.push(
      row([
        SERVER_TITLES[g.server],
        String(g.listeners),
        fmt(
          m((r) => r.aggregateMBps),
          1,
        ),
        fmt(
          m((r) => r.window?.processPercent),
          1,
        ),
        fmt(
          m((r) => r.window?.core0BusyPercent),
          1,
        ),
        `${fmt(
          m((r) => r.load?.steady?.deliveredKbps.min),
          0,
        )} / ${fmt(
          m((r) => r.load?.steady?.deliveredKbps.p50),
          0,
        )}`,
        fmt(
          m((r) => r.load?.serverClosed.total),
          0,
        ),
        fmt(
          m((r) => r.load?.failed),
          0,
        ),
      ]),
    );
  }
  return lines.join('\n');
}

export function slowTable(results: readonly RunResult[]): string {
  const header = [
    'server',
    'listeners (slow)',
    'run s',
    'slow cut by the server',
    'cut at s: first / median / last',
    'tool: slow closed, s after lagging p50',
    'fast listeners min (p1) kbit/s',
    'fast listeners closed',
    'fast underruns',
  ];
  const lines = [row(header), row(header.map(() => '---'))];
  for (const g of groups(results, 'slow')) {
    for (const r of g.runs) {
      const c = r.slowCuts;
      const load = r.load;
      const prec = c && c.resolutionS >= 1 ? 0 : 1;
      lines.push(
        row([
          SERVER_TITLES[g.server],
          `${g.listeners} (${load?.slowListeners ?? 'n/a'})`,
          r.slowRunStoppedAtS !== undefined ? `${r.slowRunStoppedAtS} (all cut)` : String(r.spec.durationS),
          c ? `${c.count}${c.byLagLimit !== null ? ` (${c.byLagLimit} by the lag limit)` : ''}` : 'n/a',
          c && c.count > 0 ? `${fmt(c.firstS, prec)} / ${fmt(c.medianS, prec)} / ${fmt(c.lastS, prec)}` : 'none cut',
          load ? `${load.serverClosed.slow}, ${fmt(load.serverClosed.slowAfterLagS.p50, 1)}` : 'n/a',
          `${fmt(load?.steady?.deliveredKbps.min, 1)} (${fmt(load?.steady?.deliveredKbps.p1, 1)})`,
          fmt(load?.serverClosed.normal, 0),
          fmt(load?.underruns.listeners, 0),
        ]),
      );
    }
  }
  return lines.join('\n');
}

export function failedRunLines(results: readonly RunResult[]): string[] {
  return results.filter((r) => r.error).map((r) => `- ${r.spec.label}: ${r.error}`);
}
