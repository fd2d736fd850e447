// `npm run bench`: relaycast and Icecast 2.4 side by side under the same load
// (issue 4). Parses the flags, plans the runs, executes them one at a time
// (never overlapping), keeps every run's raw JSON in the results directory,
// and writes the tables into BENCHMARKS.md between its bench markers (or to
// --out). Ctrl-C or SIGTERM stops the current run's processes and exits.
//
// --tcp runs the plan under other congestion controls (and
// tcp_slow_start_after_idle values); the bench switches them only for its
// runs and restores the machine's on every way out (tcp-settings.ts).
//
// Load tests on this machine are serialized by the caller: run it as
// `flock /tmp/relaycast-load.lock npm run bench`.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { integer } from '../../relay/cli-values.js';
import { BENCH_DEFAULTS, planRuns, plannedSeconds, type BenchOptions } from './bench-plan.js';
import { runOne, type RunResult } from './bench-run.js';
import { renderBenchSection, replaceMarkedSection } from './bench-section.js';
import { machineInfo } from './machine-info.js';
import { RELAYCAST_DOORS, SERVER_NAMES, type RelaycastDoor, type ServerName } from './server-process.js';
import { TcpSwitch, availableCongestionControls, describeTcp, parseTcpList } from './tcp-settings.js';

/** dist/loadtest/bench/bench.js → the checkout's root, where dist/relay/cli.js and samples/ are. */
const REPO_DIR = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const EXIT_USAGE = 2;

function sizes(raw: string): number[] {
  const parse = integer(1, 20_000);
  const values = raw.split(',').map((part) => parse(part.trim()));
  if (values.length === 0 || values.length > 20) throw new InvalidArgumentError('give 1 to 20 listener counts, e.g. 1000,5000');
  return values;
}

function only(raw: string): ServerName[] {
  if (!(SERVER_NAMES as readonly string[]).includes(raw)) throw new InvalidArgumentError(`use ${SERVER_NAMES.join(' or ')}`);
  return [raw as ServerName];
}

function door(raw: string): RelaycastDoor {
  if (!(RELAYCAST_DOORS as readonly string[]).includes(raw)) throw new InvalidArgumentError(`use ${RELAYCAST_DOORS.join(' or ')}`);
  return raw as RelaycastDoor;
}

interface Flags {
  door: RelaycastDoor;
  tcp?: string;
  sizes: number[];
  repeats: number;
  only?: ServerName[];
  skipExtra?: boolean;
  out?: string;
  resultsDir: string;
  extraListeners: number;
  ramp: number;
  window: number;
  slowDuration: number;
  port: number;
}

function buildProgram(): Command {
  const d = BENCH_DEFAULTS;
  return new Command('bench')
    .description(
      'relaycast and Icecast 2.4 side by side: CPU, memory, first byte, delivered rate (run under flock /tmp/relaycast-load.lock)',
    )
    .addOption(
      new Option('--sizes <list>', 'listener counts at 128 kbps, comma-separated')
        .argParser(sizes)
        .default([...d.sizes], d.sizes.join(',')),
    )
    .addOption(new Option('--repeats <n>', 'runs per size and server (medians)').argParser(integer(1, 20)).default(d.repeats))
    .addOption(new Option('--only <server>', 'run one server only: relaycast or icecast').argParser(only))
    .addOption(
      new Option('--door <port>', "relaycast's listener port: socket (our node:net server, the front door) or uws")
        .argParser(door)
        .default(d.door),
    )
    .addOption(
      new Option(
        '--tcp <list>',
        'congestion controls to run under, e.g. bbr,cubic; name:0 or name:1 also sets tcp_slow_start_after_idle (default: as the machine is)',
      ),
    )
    .addOption(new Option('--skip-extra', 'skip the unlimited-rate and slow-reader runs'))
    .addOption(new Option('--out <file>', 'write the section to this file instead of BENCHMARKS.md'))
    .addOption(
      new Option('--results-dir <dir>', 'where raw per-run JSON and logs go (a timestamped folder inside)').default('bench-results'),
    )
    .addOption(
      new Option('--extra-listeners <n>', 'listeners in the unlimited-rate and slow-reader runs')
        .argParser(integer(1, 20_000))
        .default(d.extraListeners),
    )
    .addOption(new Option('--ramp <per_s>', 'listeners opened per second').argParser(integer(1, 100_000)).default(d.rampPerS))
    .addOption(
      new Option('--window <s>', 'seconds of the measured window (20 or more for recorded figures)')
        .argParser(integer(5, 3600))
        .default(d.windowS),
    )
    .addOption(
      new Option('--slow-duration <s>', 'length of the slow-reader run, seconds').argParser(integer(10, 3600)).default(d.slowDurationS),
    )
    .addOption(
      new Option('--port <n>', `listener port (relaycast's ingest port is the next)`).argParser(integer(1024, 65534)).default(d.port),
    )
    .exitOverride();
}

async function main(): Promise<number> {
  const program = buildProgram();
  try {
    program.parse(process.argv);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : EXIT_USAGE;
  }
  const f = program.opts<Flags>();
  const { tcp, recovered } = TcpSwitch.open();
  if (recovered) process.stderr.write(`bench: ${recovered}\n`);
  let tcpSettings = [tcp.machine];
  try {
    if (f.tcp) tcpSettings = parseTcpList(f.tcp, tcp.machine, availableCongestionControls());
  } catch (err) {
    process.stderr.write(`bench: --tcp ${(err as Error).message}\n`);
    return EXIT_USAGE;
  }
  const options: BenchOptions = Object.freeze({
    sizes: f.sizes,
    repeats: f.repeats,
    servers: f.only ?? [...SERVER_NAMES],
    skipExtra: Boolean(f.skipExtra),
    extraListeners: f.extraListeners,
    rampPerS: f.ramp,
    windowS: f.window,
    slowDurationS: f.slowDuration,
    slowFraction: BENCH_DEFAULTS.slowFraction,
    slowRateBytesPerS: BENCH_DEFAULTS.slowRateBytesPerS,
    bitrateKbps: BENCH_DEFAULTS.bitrateKbps,
    port: f.port,
    door: f.door,
    tcp: tcpSettings,
  });
  const runs = planRuns(options);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const resultsDir = resolve(REPO_DIR, f.resultsDir, stamp);
  mkdirSync(resultsDir, { recursive: true });
  const machine = machineInfo(REPO_DIR);
  process.stderr.write(`bench: ${runs.length} runs, about ${Math.ceil(plannedSeconds(runs) / 60)} min; results in ${resultsDir}\n`);
  process.stderr.write(`bench: relaycast listeners on its ${options.door} port; TCP: ${tcpSettings.map(describeTcp).join(' / ')}\n`);
  // A second Ctrl-C exits at once; the machine's TCP settings go back even then.
  const restoreOnExit = () => tcp.restore();
  process.on('exit', restoreOnExit);

  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write(`bench: ${sig}: stopping the current run's processes\n`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const results: RunResult[] = [];
  try {
    for (const [i, spec] of runs.entries()) {
      process.stderr.write(`bench: [${i + 1}/${runs.length}] ${spec.label} (${spec.durationS} s, ${describeTcp(spec.tcp)})\n`);
      tcp.apply(spec.tcp);
      const result = await runOne(spec, {
        repoDir: REPO_DIR,
        resultsDir,
        port: options.port,
        rampPerS: options.rampPerS,
        bitrateKbps: options.bitrateKbps,
        door: options.door,
        signal: abort.signal,
      });
      results.push(result);
      process.stderr.write(`bench:   ${summaryLine(result)}\n`);
    }
  } catch (err) {
    process.stderr.write(`bench: stopped: ${(err as Error).message}\n`);
    writeFileSync(join(resultsDir, 'results.json'), `${JSON.stringify({ machine, options, results }, null, 2)}\n`);
    return 1;
  } finally {
    tcp.restore();
    process.off('exit', restoreOnExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  writeFileSync(join(resultsDir, 'results.json'), `${JSON.stringify({ machine, options, results }, null, 2)}\n`);
  const section = renderBenchSection({
    date: new Date().toISOString().slice(0, 10),
    machine,
    options,
    results,
    resultsDir: relative(REPO_DIR, resultsDir),
    commandLine: ['npm run bench --', ...process.argv.slice(2)].join(' ').replace(/ --$/, ''),
  });
  const outPath = f.out ? resolve(f.out) : join(REPO_DIR, 'BENCHMARKS.md');
  const before = f.out ? '' : readFileSync(outPath, 'utf8');
  writeFileSync(outPath, f.out ? section : replaceMarkedSection(before, section));
  process.stderr.write(`bench: wrote ${outPath}\n`);
  return results.some((r) => r.error) ? 1 : 0;
}

function summaryLine(r: RunResult): string {
  if (r.error) return `FAILED: ${r.error}`;
  const l = r.load;
  return [
    `cpu ${r.window?.processPercent}% core0 ${r.window?.core0BusyPercent}% (steal ${r.window?.core0StealPercent}% / ${r.window?.core1StealPercent}%)`,
    `rss ${r.idle?.rssKb}→${r.rssLoadedKb} kB`,
    `connected ${l?.connected} failed ${l?.failed} closed ${l?.serverClosed.total}`,
    `ttfb p50/p99 ${l?.firstByteMs.p50}/${l?.firstByteMs.p99} ms`,
    `min ${l?.steady?.deliveredKbps.min} kbit/s`,
    r.aggregateMBps !== undefined ? `aggregate ${r.aggregateMBps} MB/s` : '',
    r.slowCuts ? `slow cut ${r.slowCuts.count} at ${r.slowCuts.firstS}-${r.slowCuts.lastS} s` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

process.exitCode = await main();
