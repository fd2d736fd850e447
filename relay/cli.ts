#!/usr/bin/env node
// relaycast's command line: parse, build a frozen config, start, wait.
// Every flag shows its default and its environment variable in --help.
// Invalid values exit 2 with a sentence that says what to do instead.

import { Command, CommanderError, Option } from 'commander';
import { pushFile } from '../ingest/push.js';
import { registerLoadtestCommand } from '../loadtest/command.js';
import { integer, oneOf } from './cli-values.js';
import {
  buildConfig,
  defaultLogFormat,
  DEFAULTS,
  MAX_FLUSH_BYTES,
  type LogFormat,
  type LogLevel,
  type RelayConfig,
  type RelayConfigInput,
  type SlowPolicy,
} from './config.js';
import { RelayError } from './errors.js';
import { capYoungGeneration } from './heap-tuning.js';
import { createLogger } from './log.js';
import { startRelay } from './relay-server.js';

const EXIT_USAGE = 2;

function opt(flags: string, description: string, env: string, parse?: (raw: string) => unknown, defaultValue?: unknown): Option {
  const option = new Option(flags, description).env(env);
  if (parse) option.argParser(parse);
  if (defaultValue !== undefined) option.default(defaultValue);
  return option;
}

const port = integer(0, 65535);
const bytes = integer(0, 2 ** 40);
const ms = integer(0, 24 * 3600 * 1000);
const count = integer(0, 10_000_000);

export function buildProgram(): Command {
  const program = new Command('relaycast')
    .description('Fan-out broadcast relay: one source per mount, many listeners, one shared ring.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('relay')
    .description('run the relay: listeners on --port, sources (and HTTP/1.0 players) on --ingest-port')
    .addOption(opt('--host <addr>', 'address to listen on', 'RELAYCAST_HOST', undefined, DEFAULTS.host))
    .addOption(opt('--port <n>', 'listener port (HTTP/1.1, uWS)', 'RELAYCAST_PORT', port, DEFAULTS.port))
    .addOption(opt('--ingest-host <addr>', 'address for the ingest port (default: --host)', 'RELAYCAST_INGEST_HOST'))
    .addOption(
      opt(
        '--ingest-port <n>',
        'ingest port: sources (PUT/SOURCE) and HTTP/1.0 listeners',
        'RELAYCAST_INGEST_PORT',
        port,
        DEFAULTS.ingestPort,
      ),
    )
    .addOption(
      opt(
        '--source-password <pw>',
        'password sources give as user "source" (default: generated and printed once)',
        'RELAYCAST_SOURCE_PASSWORD',
      ),
    )
    .addOption(
      opt('--admin-password <pw>', 'password of user "admin" for /admin/* (default: the source password)', 'RELAYCAST_ADMIN_PASSWORD'),
    )
    .addOption(opt('--buffer-bytes <n>', 'ring size per mount (default: burst + max lag + 256 KiB)', 'RELAYCAST_BUFFER_BYTES', bytes))
    .addOption(
      opt(
        '--burst-bytes <n>',
        'how far behind live a new listener starts, sent at once',
        'RELAYCAST_BURST_BYTES',
        bytes,
        DEFAULTS.burstBytes,
      ),
    )
    .addOption(
      opt(
        '--max-lag-bytes <n>',
        'a listener further behind live is slow (see --slow-policy)',
        'RELAYCAST_MAX_LAG_BYTES',
        bytes,
        DEFAULTS.maxLagBytes,
      ),
    )
    .addOption(
      opt(
        '--slow-policy <p>',
        'what to do with a slow listener: drop, or live (skip it to live)',
        'RELAYCAST_SLOW_POLICY',
        oneOf<SlowPolicy>('drop', 'live'),
        DEFAULTS.slowPolicy,
      ),
    )
    .addOption(
      opt(
        '--flush-interval-ms <n>',
        "longest a mount's new bytes wait before listeners are written to",
        'RELAYCAST_FLUSH_INTERVAL_MS',
        integer(1, 1000),
        DEFAULTS.flushIntervalMs,
      ),
    )
    .addOption(
      opt(
        '--flush-bytes <n>',
        'write to listeners as soon as this many new bytes are pending',
        'RELAYCAST_FLUSH_BYTES',
        integer(1, MAX_FLUSH_BYTES),
        DEFAULTS.flushBytes,
      ),
    )
    .addOption(
      opt(
        '--source-timeout-ms <n>',
        'drop a source that sends nothing this long',
        'RELAYCAST_SOURCE_TIMEOUT_MS',
        integer(100, 3_600_000),
        DEFAULTS.sourceTimeoutMs,
      ),
    )
    .addOption(
      opt(
        '--source-grace-ms <n>',
        'keep listeners this long after the source leaves (0: end them at once)',
        'RELAYCAST_SOURCE_GRACE_MS',
        ms,
        DEFAULTS.sourceGraceMs,
      ),
    )
    .addOption(
      opt(
        '--header-timeout-ms <n>',
        'close a connection whose request head is not complete by then',
        'RELAYCAST_HEADER_TIMEOUT_MS',
        integer(100, 600_000),
        DEFAULTS.headerTimeoutMs,
      ),
    )
    .addOption(
      opt(
        '--max-listeners <n>',
        'listeners on all mounts together (0: no limit; mind the fd limit)',
        'RELAYCAST_MAX_LISTENERS',
        count,
        DEFAULTS.maxListeners,
      ),
    )
    .addOption(
      opt(
        '--max-listeners-per-mount <n>',
        'listeners on one mount (0: only --max-listeners)',
        'RELAYCAST_MAX_LISTENERS_PER_MOUNT',
        count,
        DEFAULTS.maxListenersPerMount,
      ),
    )
    .addOption(
      opt(
        '--max-listen-seconds <n>',
        'end a listener after this long, reason "limit" (0: never)',
        'RELAYCAST_MAX_LISTEN_SECONDS',
        count,
        DEFAULTS.maxListenSeconds,
      ),
    )
    .addOption(
      opt(
        '--shoutcast-port <n>',
        'port for SHOUTcast v1 sources (off unless given; conventionally --ingest-port + 1)',
        'RELAYCAST_SHOUTCAST_PORT',
        port,
      ),
    )
    .addOption(
      opt(
        '--shoutcast-mount <path>',
        'mount that SHOUTcast v1 sources and admin.cgi title updates use',
        'RELAYCAST_SHOUTCAST_MOUNT',
        undefined,
        DEFAULTS.shoutcastMount,
      ),
    )
    .addOption(
      opt(
        '--log-level <level>',
        'trace, debug, info, warn, error, fatal or silent',
        'RELAYCAST_LOG_LEVEL',
        oneOf<LogLevel>('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'),
        DEFAULTS.logLevel,
      ),
    )
    .addOption(
      opt(
        '--log-format <format>',
        'json (one object per line) or pretty (for reading on a terminal); default: pretty when stdout is a terminal, else json',
        'RELAYCAST_LOG_FORMAT',
        oneOf<LogFormat>('json', 'pretty'),
      ),
    )
    .addOption(opt('--metrics-host <addr>', 'address for --metrics-port', 'RELAYCAST_METRICS_HOST', undefined, DEFAULTS.metricsHost))
    .addOption(
      opt('--metrics-port <n>', 'serve /metrics here instead of on --port (keep it off the public port)', 'RELAYCAST_METRICS_PORT', port),
    )
    .addOption(
      opt(
        '--trust-proxy',
        "take listeners' addresses from X-Forwarded-For / PROXY protocol (only behind your own proxy)",
        'RELAYCAST_TRUST_PROXY',
      ),
    )
    .action(runRelay);

  program
    .command('push')
    .description('push an MP3 or AAC (ADTS) file to a relay in real time, paced by frame durations')
    .argument('<file>', 'an .mp3 or .aac file')
    .addOption(opt('--url <url>', 'where to push: http://source:PASSWORD@host:8001/mount', 'RELAYCAST_PUSH_URL').makeOptionMandatory())
    .addOption(opt('--loop', 'start the file again at its end, forever', 'RELAYCAST_PUSH_LOOP'))
    .addOption(opt('--content-type <type>', 'override the type guessed from the file name', 'RELAYCAST_PUSH_CONTENT_TYPE'))
    .addOption(opt('--name <text>', 'stream name sent as ice-name', 'RELAYCAST_PUSH_NAME'))
    .action(runPush);

  registerLoadtestCommand(program);
  return program;
}

interface RelayFlags extends RelayConfigInput {
  sourcePassword?: string;
}

async function runRelay(flags: RelayFlags): Promise<void> {
  let config: Readonly<RelayConfig>;
  try {
    config = buildConfig({ ...flags, logFormat: flags.logFormat ?? defaultLogFormat(process.stdout.isTTY === true) });
  } catch (err) {
    if (err instanceof RelayError) usageError(err.message.replace(/^invalid configuration: /, ''));
    throw err;
  }
  const log = createLogger(config.logLevel, config.logFormat);
  capYoungGeneration();
  const relay = await startRelay(config, log).catch((err: Error) => {
    log.fatal({ err: err.message }, 'cannot start');
    process.exit(1);
  });
  const shown = (host: string) => (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  const listenUrl = `http://${shown(config.host)}:${relay.port}/listen`;
  const legacyUrl = `http://${shown(config.ingestHost)}:${relay.ingestPort}/listen`;
  const pushUrl = `http://source:${config.sourcePasswordGenerated ? '<password>' : '***'}@${shown(config.ingestHost)}:${relay.ingestPort}/listen`;
  const metricsUrl =
    relay.metricsPort === undefined
      ? `http://${shown(config.host)}:${relay.port}/metrics`
      : `http://${shown(config.metricsHost)}:${relay.metricsPort}/metrics`;
  log.info(
    {
      port: relay.port,
      ingestPort: relay.ingestPort,
      shoutcastPort: relay.shoutcastPort,
      metricsPort: relay.metricsPort,
      listenUrl,
      legacyUrl,
      pushUrl,
      metricsUrl,
    },
    'relay ready',
  );
  const lines = [
    `relaycast is running.`,
    `  push a stream:   ffmpeg -re -i song.mp3 -c copy -f mp3 icecast://source:PASSWORD@${shown(config.ingestHost)}:${relay.ingestPort}/listen`,
    `  listen:          ${listenUrl}`,
    `  HTTP/1.0 players (mpg123, old radios): ${legacyUrl}`,
    `  status page:     http://${shown(config.host)}:${relay.port}/`,
    `  metrics:         ${metricsUrl}`,
  ];
  if (relay.shoutcastPort !== undefined) {
    lines.push(`  SHOUTcast v1 sources: ${shown(config.ingestHost)}:${relay.shoutcastPort} (mount ${config.shoutcastMount})`);
  }
  if (config.sourcePasswordGenerated) {
    lines.push(`  source password (generated, shown once; set --source-password to choose one): ${config.sourcePassword}`);
  }
  process.stderr.write(`${lines.join('\n')}\n`);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, 'second signal; exiting now');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    log.info({ signal, deadlineMs: config.shutdownTimeoutMs }, 'shutting down');
    const deadline = setTimeout(() => {
      log.warn('shutdown deadline passed; exiting');
      process.exit(0);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    relay.close().then(
      () => {
        log.info('shut down cleanly');
        process.exit(0);
      },
      (err: Error) => {
        log.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

interface PushFlags {
  url: string;
  loop?: boolean;
  contentType?: string;
  name?: string;
}

async function runPush(file: string, flags: PushFlags): Promise<void> {
  const code = await pushFile({ file, url: flags.url, loop: Boolean(flags.loop), contentType: flags.contentType, name: flags.name });
  process.exit(code);
}

function usageError(message: string): never {
  process.stderr.write(`relaycast: ${message}\n`);
  process.exit(EXIT_USAGE);
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      process.exit(ok ? 0 : EXIT_USAGE);
    }
    throw err;
  }
}

await main();
