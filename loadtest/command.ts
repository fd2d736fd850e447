// `relaycast loadtest`: the thin CLI over runLoadtest. It parses flags (each
// bad value is an InvalidArgumentError, exit 2 through the program's
// exitOverride), checks them together, runs, and prints the report: for
// people, or as JSON with --json. A live progress line goes to stderr when it
// is a terminal. Ctrl-C ends the run early and still prints the report; a
// second Ctrl-C exits at once.
//
// Several --url flags spread the listeners round-robin over them (a tree's
// edges). --raw FILE also writes every listener's result, for a bench that
// runs several load processes (each with its own --address-block) and
// merges them (report-merge.ts).
//
// Exit status: 0 when the run completed and some listener connected, 1 when
// none did (the URL or the server is wrong) or the tool itself failed, 2 for
// bad arguments.

import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { integer } from '../relay/cli-values.js';
import { checkOptions, LOADTEST_DEFAULTS, parseTarget, type LoadtestOptions, type Target } from './options.js';
import { progressPrinter } from './progress-line.js';
import { formatReport, type LoadtestReport } from './report.js';
import { runLoadtest } from './run.js';

const EXIT_NONE_CONNECTED = 1;
const EXIT_TOOL_FAILED = 1;
const EXIT_USAGE = 2;

function positiveNumber(max: number) {
  return (raw: string): number => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value <= 0 || value > max) {
      throw new InvalidArgumentError(`use a number above 0 and at most ${max}`);
    }
    return value;
  };
}

function fraction(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new InvalidArgumentError('use a fraction from 0 to 1, e.g. 0.1 for one listener in ten');
  }
  return value;
}

function target(raw: string): Target {
  try {
    return parseTarget(raw);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function collectTarget(raw: string, previous: Target[] | undefined): Target[] {
  return [...(previous ?? []), target(raw)];
}

interface LoadtestFlags {
  url: Target[];
  insecure?: boolean;
  tlsCa?: string;
  addressBlock: number;
  raw?: string;
  listeners: number;
  duration: number;
  ramp: number;
  http10?: boolean;
  slowFraction: number;
  slowRate?: number;
  bitrate: number;
  workers: number;
  json?: boolean;
}

export function registerLoadtestCommand(program: Command): Command {
  return program
    .command('loadtest')
    .description('open many streaming listeners against a relay and report what they got')
    .addOption(
      new Option('--url <url>', 'the stream to listen to: http(s)://HOST:PORT/MOUNT; repeat to spread listeners round-robin over several')
        .argParser(collectTarget)
        .makeOptionMandatory(),
    )
    .addOption(new Option('--insecure', 'https://: accept any server certificate (a self-signed test certificate)'))
    .addOption(new Option('--tls-ca <file>', 'https://: PEM file of the CA that signed the server certificate'))
    .addOption(
      new Option('--address-block <n>', 'bind source addresses 127.N.0.x (give each of several load processes its own N)')
        .argParser(integer(0, 255))
        .default(0),
    )
    .addOption(new Option('--raw <file>', "also write every listener's result to FILE (JSON), for merging several load processes"))
    .addOption(new Option('--listeners <n>', 'how many listeners to open').argParser(integer(1, 1_000_000)).makeOptionMandatory())
    .addOption(
      new Option('--duration <s>', 'seconds from the first connect until the tool stops')
        .argParser(positiveNumber(86_400))
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--ramp <per_s>', 'listeners opened per second').argParser(positiveNumber(1_000_000)).default(LOADTEST_DEFAULTS.rampPerS),
    )
    .addOption(new Option('--http10', 'send HTTP/1.0 requests without Host (old players; the relay serves them on its ingest port)'))
    .addOption(
      new Option('--slow-fraction <f>', 'share of listeners that read slowly, 0 to 1')
        .argParser(fraction)
        .default(LOADTEST_DEFAULTS.slowFraction),
    )
    .addOption(new Option('--slow-rate <bytes_per_s>', 'how fast the slow listeners read').argParser(integer(1, 100_000_000)))
    .addOption(
      new Option('--bitrate <kbps>', 'the stream bitrate, for the simulated player and the rate verdict')
        .argParser(positiveNumber(100_000))
        .default(LOADTEST_DEFAULTS.bitrateKbps),
    )
    .addOption(
      new Option('--workers <n>', 'worker threads running listeners')
        .argParser(integer(1, 64))
        .default(availableParallelism(), `${availableParallelism()}, the CPUs this process may use`),
    )
    .addOption(new Option('--json', 'print the report as one JSON object instead of text'))
    .action(runLoadtestCommand);
}

async function runLoadtestCommand(flags: LoadtestFlags, command: Command): Promise<void> {
  const options: LoadtestOptions = Object.freeze({
    targets: flags.url,
    listeners: flags.listeners,
    durationS: flags.duration,
    rampPerS: flags.ramp,
    http10: Boolean(flags.http10),
    slowFraction: flags.slowFraction,
    slowRateBytesPerS: flags.slowRate ?? 0,
    bitrateKbps: flags.bitrate,
    // More workers than listeners would idle.
    workers: Math.min(flags.workers, flags.listeners),
    addressBlock: flags.addressBlock,
    tls: { insecure: Boolean(flags.insecure), caFile: flags.tlsCa },
  });
  const problems = checkOptions(options);
  if (problems.length > 0) {
    // command.error prints the sentence and, under exitOverride, throws a CommanderError.
    command.error(`error: ${problems.join('\nerror: ')}`, { exitCode: EXIT_USAGE, code: 'commander.invalidArgument' });
  }

  const progress = process.stderr.isTTY ? progressPrinter(process.stderr) : undefined;
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    progress?.done();
    process.stderr.write('stopping early; Ctrl-C again to quit without a report\n');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  let report: LoadtestReport;
  try {
    const raw = flags.raw;
    report = await runLoadtest(options, {
      onProgress: progress?.show,
      signal: abort.signal,
      onReportInput: raw ? (input) => writeFileSync(raw, JSON.stringify(input)) : undefined,
    });
  } catch (err) {
    // The tool itself broke (a worker died or hung): say so once, without a partial report.
    progress?.done();
    process.stderr.write(`relaycast loadtest: ${(err as Error).message}\n`);
    process.exitCode = EXIT_TOOL_FAILED;
    return;
  } finally {
    process.off('SIGINT', onSigint);
    progress?.done();
  }
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  if (report.connected === 0) process.exitCode = EXIT_NONE_CONNECTED;
}
