// The bench's pure parts: medians, the markdown tables, the run plan's
// timing, the BENCHMARKS.md markers, and reading slow-reader cuts from the
// servers' logs.

import assert from 'node:assert/strict';
import test from 'node:test';
import { planRuns, runTiming, type BenchOptions } from '../loadtest/bench/bench-plan.js';
import { slowListenerCount, type RunResult } from '../loadtest/bench/bench-run.js';
import { BENCH_END, BENCH_START, noisyRunLines, replaceMarkedSection } from '../loadtest/bench/bench-section.js';
import { medianCell, ratioLines, steadyTable } from '../loadtest/bench/bench-table.js';
import { median } from '../loadtest/stats.js';
import { icecastSlowCuts, relaycastSlowCuts } from '../loadtest/bench/slow-cuts.js';
import type { LoadtestReport } from '../loadtest/report.js';
import { parseTcpList, type TcpSetting } from '../loadtest/bench/tcp-settings.js';

const BBR: TcpSetting = { congestionControl: 'bbr', slowStartAfterIdle: 1 };

test('the median is the middle value, or the mean of the two middle ones, and null for none', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), null);
});

test('a median cell lists every run when they differ and skips what was not measured', () => {
  assert.equal(medianCell([24.3, 23.1, 26.1], 1), '24.3 (24.3, 23.1, 26.1)');
  assert.equal(medianCell([0, 0, 0], 0), '0');
  assert.equal(medianCell([5, undefined, null], 0), '5');
  assert.equal(medianCell([undefined], 1), 'n/a');
});

function dist(p50: number, p99: number, min = p50) {
  return { count: 1, min, p1: min, p50, p99, max: p99 };
}

function run(server: 'relaycast' | 'icecast', listeners: number, cpu: number, error?: string): RunResult {
  const load = {
    connected: listeners,
    failed: 0,
    connectMs: dist(1, 4),
    firstByteMs: dist(server === 'relaycast' ? 0.6 : 140, server === 'relaycast' ? 45 : 1400),
    steady: { fromS: 13, toS: 33, deliveredKbps: dist(128.2, 128.3, 128.0), belowBitrate: 0, bodyBytes: 0 },
    underruns: { listeners: 0, total: 0, stalledS: dist(0, 0) },
    serverClosed: { total: 0, normal: 0, slow: 0, slowAfterLagS: dist(0, 0) },
  } as unknown as LoadtestReport;
  return {
    spec: {
      kind: 'steady',
      server,
      listeners,
      repeat: 1,
      feedRate: 'realtime',
      slowFraction: 0,
      durationS: 38,
      windowFromS: 15,
      windowToS: 35,
      extraLoadFlags: [],
      tcp: BBR,
      label: 'x',
    },
    startedAt: '',
    commands: {},
    error,
    idle: { rssKb: 62 * 1024, cpuPercent: 1 },
    window: {
      windowS: 20,
      processPercent: cpu,
      core0BusyPercent: cpu + 1,
      core1BusyPercent: 50,
      core0StealPercent: 0,
      core1StealPercent: server === 'icecast' ? 3 : 0,
      forks: 0,
    },
    rssLoadedKb: 67 * 1024,
    kbPerListener: 1.02,
    tcpExt: { ListenOverflows: server === 'icecast' ? 445 : 0 },
    load,
  };
}

test('the steady table has one row per server and size with medians, relaycast first, failed runs left out', () => {
  const results = [
    run('icecast', 5000, 40.5),
    run('relaycast', 5000, 24.3),
    run('relaycast', 5000, 23.1),
    run('relaycast', 5000, 26.1),
    run('relaycast', 5000, 99, 'boom'),
  ];
  const lines = steadyTable(results).split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^\| server \| listeners \| runs \| server CPU % of a core \|/);
  assert.equal(
    lines[2],
    '| relaycast | 5000 | 3 | 24.3 (24.3, 23.1, 26.1) | 25.3 (25.3, 24.1, 27.1) | 62.0 → 67.0 | 1.02 | 0.6 / 45.0 | 4.0 | 128.0 (128.0) | 0 | 0 | 0 | 0 |',
  );
  assert.match(lines[3], /^\| Icecast 2\.4 \| 5000 \| 1 \| 40\.5 \|.*\| 140\.0 \/ 1400\.0 \|.*\| 445 \|$/);
  assert.deepEqual(ratioLines(results), ['- 5000 listeners: server CPU 0.60×, core 0 busy 0.61×, TTFB p99 0.03×, KiB per listener 1.00×']);
});

test('a run with steal on a core (the host ran other guests) is listed among the noisy runs; a quiet one is not', () => {
  assert.deepEqual(noisyRunLines([run('relaycast', 5000, 24.3), run('icecast', 5000, 40.5)]), ['- x: steal 0 % / 3 % (core 0 / 1)']);
});

test('a run is measured only after the ramp and settling, and lasts until its window ends plus a margin', () => {
  assert.deepEqual(runTiming(15000, 500, 20), { windowFromS: 35, windowToS: 55, durationS: 58 });
  assert.deepEqual(runTiming(1000, 500, 20, 180), { windowFromS: 7, windowToS: 27, durationS: 180 });
});

test('the plan alternates relaycast and Icecast per repeat, then the two extra runs', () => {
  const o: BenchOptions = {
    sizes: [1000, 5000],
    repeats: 2,
    servers: ['relaycast', 'icecast'],
    skipExtra: false,
    extraListeners: 1000,
    rampPerS: 500,
    windowS: 20,
    slowDurationS: 180,
    slowFraction: 0.1,
    slowRateBytesPerS: 4000,
    bitrateKbps: 128,
    port: 18300,
    door: 'socket',
    tcp: [BBR],
  };
  const labels = planRuns(o).map((r) => r.label);
  assert.deepEqual(labels.slice(0, 4), [
    'steady-1000-r1-relaycast',
    'steady-1000-r1-icecast',
    'steady-1000-r2-relaycast',
    'steady-1000-r2-icecast',
  ]);
  assert.deepEqual(labels.slice(8), [
    'unlimited-1000-r1-relaycast',
    'unlimited-1000-r1-icecast',
    'slow-1000-r1-relaycast',
    'slow-1000-r1-icecast',
  ]);
  const slow = planRuns(o).find((r) => r.kind === 'slow');
  assert.deepEqual(slow?.extraLoadFlags, ['--slow-fraction', '0.1', '--slow-rate', '4000']);
  assert.equal(planRuns({ ...o, skipExtra: true, servers: ['icecast'] }).length, 4);
});

test('with two TCP settings each repeat runs both servers under each, named by the setting; the extra runs only under the first', () => {
  const cubic: TcpSetting = { congestionControl: 'cubic', slowStartAfterIdle: 1 };
  const o: BenchOptions = {
    sizes: [1000],
    repeats: 1,
    servers: ['relaycast', 'icecast'],
    skipExtra: false,
    extraListeners: 1000,
    rampPerS: 500,
    windowS: 20,
    slowDurationS: 180,
    slowFraction: 0.1,
    slowRateBytesPerS: 4000,
    bitrateKbps: 128,
    port: 18300,
    door: 'socket',
    tcp: [BBR, cubic],
  };
  const runs = planRuns(o);
  assert.deepEqual(
    runs.map((r) => r.label),
    [
      'steady-1000-r1-relaycast-bbr-ssai1',
      'steady-1000-r1-icecast-bbr-ssai1',
      'steady-1000-r1-relaycast-cubic-ssai1',
      'steady-1000-r1-icecast-cubic-ssai1',
      'unlimited-1000-r1-relaycast-bbr-ssai1',
      'unlimited-1000-r1-icecast-bbr-ssai1',
      'slow-1000-r1-relaycast-bbr-ssai1',
      'slow-1000-r1-icecast-bbr-ssai1',
    ],
  );
  assert.deepEqual(runs[2].tcp, cubic);
});

test('--tcp takes names with an optional slow-start-after-idle value, refuses unknown names, and drops repeats', () => {
  const machine: TcpSetting = { congestionControl: 'bbr', slowStartAfterIdle: 1 };
  assert.deepEqual(parseTcpList('bbr,cubic,cubic:0,cubic', machine, ['reno', 'bbr', 'cubic']), [
    { congestionControl: 'bbr', slowStartAfterIdle: 1 },
    { congestionControl: 'cubic', slowStartAfterIdle: 1 },
    { congestionControl: 'cubic', slowStartAfterIdle: 0 },
  ]);
  assert.throws(() => parseTcpList('vegas', machine, ['bbr', 'cubic']), /not available here/);
  assert.throws(() => parseTcpList('cubic:2', machine, ['bbr', 'cubic']), /:0 or :1/);
});

test('the slow run expects as many slow readers as the load tool makes', () => {
  assert.equal(slowListenerCount(1000, 0.1), 100);
  assert.equal(slowListenerCount(300, 0.1), 30);
  assert.equal(slowListenerCount(5, 0), 0);
});

test('the bench section replaces only what is between its markers, and is appended when there are none', () => {
  const doc = `# Benchmarks\n\nintro\n\n${BENCH_START}\nold table\n${BENCH_END}\n\n## Later section\n`;
  assert.equal(
    replaceMarkedSection(doc, 'new table\n'),
    `# Benchmarks\n\nintro\n\n${BENCH_START}\nnew table\n${BENCH_END}\n\n## Later section\n`,
  );
  assert.equal(replaceMarkedSection('# Benchmarks\n', 'first'), `# Benchmarks\n\n${BENCH_START}\nfirst\n${BENCH_END}\n`);
  assert.throws(() => replaceMarkedSection(`${BENCH_END}\n${BENCH_START}`, 'x'), /broken/);
});

test("relaycast's slow cuts are its slow disconnects, in seconds since the load started", () => {
  const start = 1_795_229_000_000;
  const log = [
    `{"level":30,"time":${start - 8000},"msg":"listener disconnected","listener":0,"reason":"slow"}`,
    `{"level":30,"time":${start + 1000},"msg":"listener connected","listener":1}`,
    `{"level":30,"time":${start + 61_500},"msg":"slow listener dropped","listener":1,"lagBytes":530000}`,
    `{"level":30,"time":${start + 61_501},"msg":"listener disconnected","listener":1,"reason":"slow"}`,
    `{"level":30,"time":${start + 70_000},"msg":"listener disconnected","listener":2,"reason":"slow"}`,
    `{"level":30,"time":${start + 80_000},"msg":"listener disconnected","listener":3,"reason":"client"}`,
    '{"level":30,"time":17952290',
  ].join('\n');
  // The line 8 s before the start is the bench's readiness probe hanging up, not a listener of the run.
  assert.deepEqual(relaycastSlowCuts(log, start), { count: 2, byLagLimit: 1, firstS: 61.5, medianS: 65.8, lastS: 70, resolutionS: 0 });
});

test('Icecast\'s slow cuts are its "fallen too far behind" lines, stamped in local time to the second', () => {
  const start = new Date(2026, 10, 21, 2, 51, 0).getTime() + 400;
  const log = [
    '[2026-11-21  02:50:50] INFO source/send_to_listener Client 1 (127.0.0.1) has fallen too far behind, removing',
    '[2026-11-21  02:51:00] INFO source/source_main listener count on /listen now 1000',
    '[2026-11-21  02:52:30] INFO source/send_to_listener Client 17 (127.0.0.2) has fallen too far behind, removing',
    '[2026-11-21  02:52:31] INFO source/send_to_listener Client 27 (127.0.0.3) has fallen too far behind, removing',
  ].join('\n');
  assert.deepEqual(icecastSlowCuts(log, start), { count: 2, byLagLimit: null, firstS: 89.6, medianS: 90.1, lastS: 90.6, resolutionS: 1 });
  assert.equal(icecastSlowCuts('', start).count, 0);
});
