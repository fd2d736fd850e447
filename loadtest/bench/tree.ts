// `npm run bench:tree`: listeners through a tree (issue 14 item 6): one
// origin with the 128 kbps feed, K edges, and several load processes (each
// process may open 20000 files, so 50,000 listeners need at least three),
// for relaycast and for Icecast 2.4 on the same machine, one after the
// other, never overlapping. `--edges 0 --tls` is the HTTPS side by side
// (issue 15): listeners over TLS to the origin itself (relaycast's
// --tls-port, Icecast's <ssl> listen socket) with a self-signed certificate
// made for the run.
//
// Writes the raw JSON and every process's output to the results directory
// and a Markdown section (tree-section.ts) to --out or stdout.
// Load tests on this machine are serialized by the caller:
//   flock /tmp/relaycast-load.lock npm run bench:tree -- ...

import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { integer } from '../../relay/cli-values.js';
import { makeSelfSignedCert } from './self-signed-cert.js';
import { machineInfo } from './machine-info.js';
import { SERVER_NAMES, type ServerName } from './server-process.js';
import { renderTreeSection } from './tree-section.js';
import { runTree, type TreeRunResult } from './tree-run.js';
import type { TreeTls } from './tree-servers.js';

const REPO_DIR = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const EXIT_USAGE = 2;
/** Listeners one load process may hold: the 20000-file limit less headroom. */
const MAX_LISTENERS_PER_LOAD_PROCESS = 19_000;

function servers(raw: string): ServerName[] {
  const names = raw.split(',').map((s) => s.trim());
  for (const n of names)
    if (!(SERVER_NAMES as readonly string[]).includes(n)) throw new InvalidArgumentError(`use ${SERVER_NAMES.join(', ')}`);
  return names as ServerName[];
}

function cpus(raw: string): string {
  if (raw === 'any') return raw;
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(raw)) throw new InvalidArgumentError('use a taskset CPU list (0, 1, 0-1) or "any"');
  return raw;
}

interface Flags {
  servers: ServerName[];
  listeners: number;
  edges: number;
  loadProcesses: number;
  seconds: number;
  ramp: number;
  port: number;
  serverCpus?: string;
  loadCpus?: string;
  tls?: boolean;
  out?: string;
  resultsDir: string;
}

function buildProgram(): Command {
  return new Command('bench:tree')
    .description('listeners through an origin and K edges, relaycast and Icecast 2.4 (run under flock /tmp/relaycast-load.lock)')
    .addOption(
      new Option('--servers <list>', 'relaycast, icecast or both, in run order').argParser(servers).default(['relaycast', 'icecast']),
    )
    .addOption(new Option('--listeners <n>', 'listeners in all').argParser(integer(1, 200_000)).default(50_000))
    .addOption(new Option('--edges <n>', 'edge processes (0: listeners on the origin)').argParser(integer(0, 16)).default(3))
    .addOption(new Option('--load-processes <n>', 'load tool processes (each holds at most 19000)').argParser(integer(1, 16)).default(3))
    .addOption(new Option('--seconds <s>', 'measured window, seconds').argParser(integer(5, 3600)).default(20))
    .addOption(
      new Option('--ramp <per_s>', 'listeners opened per second, all load processes together').argParser(integer(1, 100_000)).default(1000),
    )
    .addOption(
      new Option('--port <n>', 'origin port; edges take the next ones, TLS the origin port + 100')
        .argParser(integer(1024, 65000))
        .default(18400),
    )
    .addOption(new Option('--server-cpus <list>', 'taskset list for origin and edges, or "any"').argParser(cpus).default('0'))
    .addOption(new Option('--load-cpus <list>', 'taskset list for the feed and load processes, or "any"').argParser(cpus).default('1'))
    .addOption(new Option('--tls', 'listeners over HTTPS to the origin (use with --edges 0)'))
    .addOption(new Option('--out <file>', 'write the Markdown section here (else stdout)'))
    .addOption(new Option('--results-dir <dir>', 'raw JSON and logs (a timestamped folder inside)').default('bench-results'))
    .exitOverride();
}

/** A self-signed certificate for localhost, readable by Icecast after it drops to its user. */
function makeCert(dir: string): TreeTls {
  const certPath = join(dir, 'tls.crt');
  const keyPath = join(dir, 'tls.key');
  const pemPath = join(dir, 'tls.pem');
  makeSelfSignedCert({ keyPath, certPath, subject: '/CN=localhost', subjectAltName: 'DNS:localhost' });
  writeFileSync(pemPath, readFileSync(certPath, 'utf8') + readFileSync(keyPath, 'utf8'));
  for (const p of [dir, certPath, keyPath, pemPath]) chmodSync(p, p === dir ? 0o755 : 0o644);
  return { certPath, keyPath, pemPath };
}

async function main(): Promise<number> {
  const program = buildProgram();
  try {
    program.parse(process.argv);
  } catch (err) {
    return (err as { exitCode?: number }).exitCode === 0 ? 0 : EXIT_USAGE;
  }
  const f = program.opts<Flags>();
  if (Math.ceil(f.listeners / f.loadProcesses) > MAX_LISTENERS_PER_LOAD_PROCESS) {
    const needed = Math.ceil(f.listeners / MAX_LISTENERS_PER_LOAD_PROCESS);
    process.stderr.write(`bench:tree: ${f.listeners} listeners need --load-processes ${needed} or more (19000 each at most)\n`);
    return EXIT_USAGE;
  }
  if (f.tls && f.edges > 0) {
    process.stderr.write('bench:tree: --tls serves listeners from the origin; use --edges 0\n');
    return EXIT_USAGE;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const resultsDir = resolve(REPO_DIR, f.resultsDir, `tree-${stamp}`);
  mkdirSync(resultsDir, { recursive: true });
  const tls = f.tls ? makeCert(resultsDir) : undefined;
  const machine = machineInfo(REPO_DIR);
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write(`bench:tree: ${sig}: stopping the current run's processes\n`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const results: TreeRunResult[] = [];
  try {
    for (const server of f.servers) {
      process.stderr.write(`bench:tree: ${server}: ${f.listeners} listeners, ${f.edges} edge(s), ${f.loadProcesses} load process(es)\n`);
      const result = await runTree({
        server,
        listeners: f.listeners,
        edges: f.edges,
        loadProcesses: f.loadProcesses,
        rampPerS: f.ramp,
        windowS: f.seconds,
        bitrateKbps: 128,
        basePort: f.port,
        // "any": no taskset (commander keeps a parser's undefined as no value, so the word is kept until here).
        serverCpus: f.serverCpus === 'any' ? undefined : f.serverCpus,
        loadCpus: f.loadCpus === 'any' ? undefined : f.loadCpus,
        tls,
        repoDir: REPO_DIR,
        outputBase: join(resultsDir, server),
        signal: abort.signal,
      });
      results.push(result);
      const l = result.load;
      process.stderr.write(
        result.error
          ? `bench:tree:   FAILED: ${result.error}\n`
          : `bench:tree:   connected ${l?.connected} failed ${l?.failed} min ${l?.steady?.deliveredKbps.min} kbit/s, machine ${result.machineBusyPercent} % busy\n`,
      );
    }
  } catch (err) {
    process.stderr.write(`bench:tree: stopped: ${(err as Error).message}\n`);
    return 1;
  } finally {
    writeFileSync(join(resultsDir, 'results.json'), `${JSON.stringify({ machine, flags: f, results }, null, 2)}\n`);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const section = renderTreeSection({
    machine,
    results,
    resultsDir: relative(REPO_DIR, resultsDir),
    commandLine: ['npm run bench:tree --', ...process.argv.slice(2)].join(' ').replace(/ --$/, ''),
  });
  if (f.out) writeFileSync(resolve(f.out), section);
  else process.stdout.write(section);
  return results.some((r) => r.error) ? 1 : 0;
}

process.exitCode = await main();
