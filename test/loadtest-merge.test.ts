// The pure parts of the load tool past one process: https:// targets parsed,
// per-target counts and TLS handshake rates, merging several processes'
// results onto one clock, the bench's split of listeners over processes,
// and the Icecast relay and TLS configs bench:tree generates.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { icecastConfigXml, ICECAST_LIMITS } from '../loadtest/bench/icecast-config.js';
import { splitListeners } from '../loadtest/bench/tree-run.js';
import { renderTreeSection } from '../loadtest/bench/tree-section.js';
import { checkOptions, parseTarget, type LoadtestOptions } from '../loadtest/options.js';
import { targetOf } from '../loadtest/plan.js';
import type { ReportInput } from '../loadtest/report.js';
import { mergeReportInputs, mergeReports } from '../loadtest/report-merge.js';
import { targetCounts, tlsFigures } from '../loadtest/report-targets.js';
import type { ListenerResult } from '../loadtest/worker-protocol.js';

const A = parseTarget('http://127.0.0.1:18401/listen');
const B = parseTarget('http://127.0.0.1:18402/listen');

function result(overrides: Partial<ListenerResult>): ListenerResult {
  return { index: 0, targetIndex: 0, slow: false, outcome: 'streaming', underruns: 0, stalledMs: 0, bodyBytes: 1000, ...overrides };
}

function options(overrides: Partial<LoadtestOptions> = {}): LoadtestOptions {
  return {
    targets: [A, B],
    listeners: 2,
    durationS: 30,
    rampPerS: 10,
    http10: false,
    slowFraction: 0,
    slowRateBytesPerS: 0,
    bitrateKbps: 128,
    workers: 1,
    addressBlock: 0,
    tls: { insecure: false, caFile: undefined },
    ...overrides,
  };
}

function input(startEpochMs: number, results: ListenerResult[], cpuMs: number): ReportInput {
  return {
    options: options({ listeners: results.length }),
    sourceAddresses: 1,
    steady: { fromMs: 5000, toMs: 30_000 },
    elapsedMs: 30_000,
    stoppedEarly: false,
    results,
    cpuWhole: { cpu: { user: cpuMs * 1000, system: 0 }, wallMs: 30_000 },
    cpuSteady: { cpu: { user: cpuMs * 500, system: 0 }, wallMs: 25_000 },
    startEpochMs,
  };
}

test('an https:// URL is a TLS target on 443 by default, with the host name as SNI and none for an address', () => {
  const named = parseTarget('https://localhost/listen');
  assert.deepEqual([named.tls, named.port, named.host, named.servername], [true, 443, '127.0.0.1', 'localhost']);
  const byAddress = parseTarget('https://127.0.0.1:8443/listen');
  assert.deepEqual([byAddress.tls, byAddress.port, byAddress.servername], [true, 8443, undefined]);
  assert.equal(A.tls, false);
  assert.throws(() => parseTarget('ftp://127.0.0.1/x'), /http:\/\/ or https:\/\//);
});

test('TLS flags without an https:// target, or both at once, are refused with a sentence', () => {
  assert.match(checkOptions(options({ tls: { insecure: true, caFile: undefined } }), 20000).join(), /apply to https/);
  const https = [parseTarget('https://localhost:1/x')];
  assert.match(checkOptions(options({ targets: https, tls: { insecure: true, caFile: '/ca.pem' } }), 20000).join(), /contradict/);
  assert.deepEqual(checkOptions(options({ targets: https, tls: { insecure: true, caFile: undefined } }), 20000), []);
});

test('each target counts its listeners, what connected, failed and was still streaming at the end', () => {
  const counts = targetCounts(
    [A, B],
    [
      result({ targetIndex: 0 }),
      result({ targetIndex: 1, outcome: 'failed' }),
      result({ targetIndex: 1, outcome: 'server-closed' }),
      result({ targetIndex: 1 }),
    ],
  );
  assert.deepEqual(
    counts.map((c) => [c.target, c.listeners, c.connected, c.failed, c.streamingAtEnd, c.serverClosed]),
    [
      ['http://127.0.0.1:18401/listen', 1, 1, 0, 1, 0],
      ['http://127.0.0.1:18402/listen', 3, 2, 1, 1, 1],
    ],
  );
});

test('TLS figures: the sustained rate over the ramp and the busiest whole second', () => {
  assert.equal(tlsFigures([result({})]), null, 'no handshake, no figures');
  // Handshakes at 0.1, 0.5, 0.9, 1.2, 2.1 s: 4 intervals over 2.0 s; 3 of them in second 0.
  const at = [100, 500, 900, 1200, 2100];
  const t = tlsFigures(at.map((ms, i) => result({ tlsHandshakeAtRunMs: ms, tlsHandshakeMs: i + 1 })));
  assert.ok(t);
  assert.equal(t.handshakes, 5);
  assert.equal(t.meanPerS, 2);
  assert.equal(t.peakPerS, 3);
  assert.equal(t.handshakeMs.p50, 3);
});

test('merging puts every process on the earliest clock, sums listeners and CPU, and rebuilds every figure from all results', () => {
  const first = input(1_000_000, [result({ firstByteSinceStartMs: 5, serverClosedAtRunMs: 9000, outcome: 'server-closed' })], 300);
  const second = input(1_000_250, [result({ targetIndex: 1, firstByteSinceStartMs: 7, tlsHandshakeAtRunMs: 100, tlsHandshakeMs: 3 })], 200);
  const merged = mergeReportInputs([first, second]);
  assert.equal(merged.startEpochMs, 1_000_000);
  assert.equal(merged.processes, 2);
  assert.equal(merged.options.listeners, 2);
  assert.equal(merged.results[1].tlsHandshakeAtRunMs, 350, 'shifted by the later start');
  assert.equal(merged.results[0].serverClosedAtRunMs, 9000, 'the earliest process is not moved');
  assert.deepEqual(merged.steady, { fromMs: 5250, toMs: 30_000 });
  assert.equal(merged.elapsedMs, 30_250);
  const report = mergeReports([first, second]);
  assert.equal(report.connected, 2);
  assert.equal(report.firstByteMs.max, 7);
  assert.deepEqual(
    report.perTarget.map((p) => p.streamingAtEnd),
    [0, 1],
  );
  // 300 ms + 200 ms of CPU over 30 s: 1.7 % of a core together.
  assert.equal(report.toolCpu.wholeRunPercent, 1.7);
  assert.throws(() => mergeReportInputs([first, { ...second, options: options({ targets: [B] }) }]), /different targets/);
});

test('three load processes of 10 listeners each give each of three targets 10: the turn starts at the address block', () => {
  const perTarget = [0, 0, 0];
  for (const block of [1, 2, 3]) for (let i = 0; i < 10; i++) perTarget[targetOf(i, 3, block)]++;
  assert.deepEqual(perTarget, [10, 10, 10]);
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => targetOf(i, 2)),
    [0, 1, 0, 1],
  );
});

test('the bench splits listeners over load processes as evenly as they go', () => {
  assert.deepEqual(splitListeners(50_000, 3), [16_667, 16_667, 16_666]);
  assert.deepEqual(splitListeners(7, 7), [1, 1, 1, 1, 1, 1, 1]);
  assert.equal(
    splitListeners(50_001, 4).reduce((a, b) => a + b, 0),
    50_001,
  );
});

test("an Icecast relay config pulls the master's mount at start, and a TLS config adds an <ssl> socket with the PEM", () => {
  const base = { port: 18401, sourcePassword: 'pw', baseDir: '/b', logDir: '/b/log', ...ICECAST_LIMITS };
  const relay = icecastConfigXml({ ...base, relayOf: { port: 18400, mount: '/listen' } });
  assert.match(relay, /<relay>\s*<server>127\.0\.0\.1<\/server>\s*<port>18400<\/port>\s*<mount>\/listen<\/mount>/);
  assert.match(relay, /<on-demand>0<\/on-demand>/);
  assert.doesNotMatch(relay, /<ssl>/);
  const tls = icecastConfigXml({ ...base, tls: { port: 18500, pemPath: '/b/tls.pem' } });
  assert.match(tls, /<listen-socket>\s*<port>18500<\/port>\s*<bind-address>127\.0\.0\.1<\/bind-address>\s*<ssl>1<\/ssl>/);
  assert.match(tls, /<ssl-certificate>\/b\/tls\.pem<\/ssl-certificate>/);
  assert.doesNotMatch(tls, /<relay>/);
  assert.doesNotMatch(icecastConfigXml(base), /<relay>|<ssl>/);
});

test('the tree section has one summary row per run and one row per process, with what each edge held and the commands', () => {
  const first = input(
    1_000_000,
    [result({ firstByteSinceStartMs: 2 }), result({ targetIndex: 1, outcome: 'failed', reason: 'ECONNRESET' })],
    100,
  );
  const load = mergeReports([first]);
  const machine = {
    cpus: 2,
    cpuModel: 'x',
    memoryGiB: 24,
    kernel: 'k',
    node: 'v20',
    icecast: 'Icecast 2.4.4',
    ffmpeg: 'f',
    tcpWmem: '',
    qdisc: '',
    tcp: { congestionControl: 'bbr', slowStartAfterIdle: 1 as const },
    commit: 'abc',
  };
  const processes = [
    { role: 'origin', pid: 10, command: 'icecast2 -c origin.xml', cpuPercent: 1.5, rssIdleKb: 1024, rssKb: 2048, listenersReported: 2 },
    {
      role: 'edge 1',
      pid: 11,
      command: 'icecast2 -c edge1.xml',
      cpuPercent: 40,
      rssIdleKb: 1024,
      rssKb: 4096,
      listenersReported: 1,
      listenersHeld: 1,
    },
    { role: 'load 1', pid: 12, command: 'node dist/relay/cli.js loadtest', cpuPercent: 20, rssIdleKb: null, rssKb: 8192 },
  ];
  const md = renderTreeSection({
    machine,
    resultsDir: 'bench-results/t',
    commandLine: 'npm run bench:tree -- --listeners 2',
    results: [
      {
        server: 'icecast',
        listeners: 2,
        edges: 2,
        loadProcesses: 1,
        durationS: 30,
        windowFromS: 6,
        windowToS: 26,
        startedAt: '',
        processes,
        machineBusyPercent: 50,
        coreBusyPercent: [60, 40],
        tcpExt: { ListenOverflows: 3 },
        load,
      },
      {
        server: 'relaycast',
        listeners: 2,
        edges: 2,
        loadProcesses: 1,
        durationS: 30,
        windowFromS: 6,
        windowToS: 26,
        startedAt: '',
        processes: [],
        error: 'edge 1 exited at start',
      },
    ],
  });
  assert.match(md, /\| Icecast 2\.4 \| 2 \| 2 \| 1 \(1 \+ 0 at the end\) \| 1 \(ECONNRESET 1\) \|/);
  assert.match(md, /\| 50 \(60, 40\) \| 3 \|/);
  assert.match(md, /\| relaycast \| 2 \| 2 \| FAILED: edge 1 exited at start \|/);
  assert.match(md, /\| edge 1 \| 11 \| 40 \| 1\.0 → 4\.0 \| 1 \/ 1 \|/);
  assert.match(md, /\| load 1 \| 12 \| 20 \| 8\.0 \| {2}\|/);
  assert.match(md, /```sh\nicecast2 -c origin\.xml\nicecast2 -c edge1\.xml\n/);
});
