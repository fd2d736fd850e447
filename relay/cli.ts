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
import { createLogger } from './log.js';
import { startRelay, type RunningRelay } from './relay-server.js';
import type { Logger } from 'pino';
import { applyConfigFile, ConfigFileError, configFileOptions, loadedConfigOf, registerConfigCommand } from './settings/config-command.js';
import { defaultStateDir, type KeptCredentials, keptCredentials } from './settings/credentials-file.js';
import { createReloader } from './settings/reload.js';
import { stationSettings } from './settings/station.js';

const EXIT_USAGE = 2;
/** What Icecast's sample icecast.xml sets every password to. */
const ICECAST_SHIPPED_PASSWORD = 'hackme';

function opt(
  flags: string,
  description: string,
  env: string,
  parse?: (raw: string, previous: unknown) => unknown,
  defaultValue?: unknown,
): Option {
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
    .description('run the relay: every source and every player on --port (8000), as Icecast')
    .addOption(opt('--host <addr>', 'address to listen on', 'RELAYCAST_HOST', undefined, DEFAULTS.host))
    .addOption(
      opt(
        '--port <n>',
        'the front door: sources (PUT, SOURCE), players (HTTP/1.0 and 1.1), status, admin',
        'RELAYCAST_PORT',
        port,
        DEFAULTS.port,
      ),
    )
    .addOption(
      opt(
        '--ingest-host <addr>',
        'address for --ingest-port, --shoutcast-port and --tls-ingest-port (default: --host)',
        'RELAYCAST_INGEST_HOST',
      ),
    )
    .addOption(
      opt(
        '--ingest-port <n>',
        'an extra port served exactly like --port (off; e.g. 8001 for encoders set up for older relaycast)',
        'RELAYCAST_INGEST_PORT',
        port,
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
      opt(
        '--state-dir <dir>',
        'where passwords generated on a first start are kept for the next (default: ~/.local/state/relaycast)',
        'RELAYCAST_STATE_DIR',
      ),
    )
    .addOption(
      opt(
        '--admin-password <pw>',
        'password of user "admin" for /admin/* (default: generated and printed once; never the source password)',
        'RELAYCAST_ADMIN_PASSWORD',
      ),
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
      opt('--max-mounts <n>', 'mounts at once, each with its own ring (0: no limit)', 'RELAYCAST_MAX_MOUNTS', count, DEFAULTS.maxMounts),
    )
    .addOption(
      opt(
        '--shoutcast-port <n>',
        'port for SHOUTcast v1 sources (off unless given; conventionally --port + 1)',
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
    // --- front door and HTTPS (issue 15) ---
    .addOption(
      opt(
        '--uws-port <n>',
        'plain uWS HTTP/1.1 listener port, e.g. behind an HTTP/1.1 proxy (off; chunked, no HTTP/1.0)',
        'RELAYCAST_UWS_PORT',
        port,
      ),
    )
    .addOption(
      opt(
        '--tls-port <n>',
        'HTTPS (uWS): listeners, status, admin, titles (off; needs --tls-cert and --tls-key)',
        'RELAYCAST_TLS_PORT',
        port,
      ),
    )
    .addOption(
      opt(
        '--tls-ingest-port <n>',
        'our own server under TLS: sources over TLS, and every player (off; needs --tls-cert)',
        'RELAYCAST_TLS_INGEST_PORT',
        port,
      ),
    )
    .addOption(
      opt(
        '--tls-cert <file>',
        'PEM certificate chain; repeat for more names (SNI), paired in order with --tls-key',
        'RELAYCAST_TLS_CERT',
        collect,
      ),
    )
    .addOption(opt('--tls-key <file>', 'PEM private key of the --tls-cert at the same position', 'RELAYCAST_TLS_KEY', collect))
    .addOption(
      opt('--acme-webroot <dir>', 'serve /.well-known/acme-challenge/ from DIR (certbot --webroot -w DIR)', 'RELAYCAST_ACME_WEBROOT'),
    )
    .action(runRelay);

  program
    .command('push')
    .description('push an MP3 or AAC (ADTS) file to a relay in real time, paced by frame durations')
    .argument('<file>', 'an .mp3 or .aac file')
    .addOption(opt('--url <url>', 'where to push: http://source:PASSWORD@host:8000/mount', 'RELAYCAST_PUSH_URL').makeOptionMandatory())
    .addOption(opt('--loop', 'start the file again at its end, forever', 'RELAYCAST_PUSH_LOOP'))
    .addOption(opt('--content-type <type>', 'override the type guessed from the file name', 'RELAYCAST_PUSH_CONTENT_TYPE'))
    .addOption(opt('--name <text>', 'stream name sent as ice-name', 'RELAYCAST_PUSH_NAME'))
    .action(runPush);

  // The config file: --config / --icecast-config fill the flags left at their defaults (relay/settings/).
  const relayCommand = program.commands.find((c) => c.name() === 'relay') as Command;
  for (const option of configFileOptions()) relayCommand.addOption(option);
  relayCommand.hook('preAction', onRelayPreAction);
  registerConfigCommand(program, () => relayCommand);

  registerLoadtestCommand(program);
  return program;
}

interface RelayFlags extends RelayConfigInput {
  sourcePassword?: string;
  stateDir?: string;
  tlsCert?: string[];
  tlsKey?: string[];
}

/** A flag that may be given more than once. */
function collect(value: string, previous: unknown): string[] {
  return [...(Array.isArray(previous) ? (previous as string[]) : []), value];
}

function configFromFlags(flags: RelayFlags): Readonly<RelayConfig> {
  const { tlsCert, tlsKey, ...rest } = flags;
  return buildConfig({
    ...rest,
    tlsCertFiles: tlsCert,
    tlsKeyFiles: tlsKey,
    logFormat: flags.logFormat ?? defaultLogFormat(process.stdout.isTTY === true),
  });
}

/**
 * A first start without --source-password generates the source and admin passwords and keeps
 * them (relay/settings/credentials-file.ts), so encoders and the operator still have them after
 * a restart; given passwords are used as they are.
 */
function keepGeneratedPasswords(flags: RelayFlags): KeptCredentials | undefined {
  if (flags.sourcePassword) return undefined;
  const dir = flags.stateDir ?? defaultStateDir();
  try {
    const kept = keptCredentials(dir);
    flags.sourcePassword = kept.sourcePassword;
    flags.adminPassword ||= kept.adminPassword;
    return kept;
  } catch (err) {
    process.stderr.write(`relaycast: cannot keep generated passwords in ${dir} (${(err as Error).message}); they change at every start\n`);
    return undefined;
  }
}

async function runRelay(flags: RelayFlags, command: Command): Promise<void> {
  let config: Readonly<RelayConfig>;
  const kept = keepGeneratedPasswords(flags);
  try {
    config = configFromFlags(flags);
  } catch (err) {
    if (err instanceof RelayError) usageError(err.message.replace(/^invalid configuration: /, ''));
    throw err;
  }
  const log = createLogger(config.logLevel, config.logFormat);
  const loaded = loadedConfigOf(command);
  const relay = await startRelay(config, log, stationSettings(loaded?.file, config)).catch((err: Error) => {
    log.fatal({ err: err.message }, 'cannot start');
    process.exit(1);
  });
  printReady(config, relay, log, kept);

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

  let reloadConfig: (() => void) | undefined;
  if (loaded) {
    log.info(
      { file: loaded.file.file, settings: Object.keys(loaded.file.flags), mounts: Object.keys(loaded.file.mounts) },
      'config file read',
    );
    // Debian's icecast.xml ships with this password for every role; anyone can guess it.
    const shipped: Array<[string, string]> = [
      ['source-password', config.sourcePassword],
      ['admin-password', config.adminPassword],
    ];
    for (const [setting, value] of shipped) {
      if (value === ICECAST_SHIPPED_PASSWORD)
        log.warn({ setting, file: loaded.file.file }, "this password is Icecast's shipped default: change it");
    }
    const reload = createReloader({ command, config, build: configFromFlags, apply: relay.applyStation, metrics: relay.ctx.metrics, log });
    relay.ctx.control.reload = reload;
    reloadConfig = () => void reload();
  }
  // SIGHUP re-reads the config file (when there is one) and the TLS certificates, and never ends
  // the process, as its default would.
  process.on('SIGHUP', () => {
    log.info({ config: loaded?.file.file ?? null }, 'SIGHUP: reloading');
    reloadConfig?.();
    void relay.reloadTls('SIGHUP');
  });
}

function printReady(config: Readonly<RelayConfig>, relay: RunningRelay, log: Logger, kept: KeptCredentials | undefined): void {
  const shown = (host: string) => (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  const door = `${shown(config.host)}:${relay.port}`;
  const listenUrl = `http://${door}/listen`;
  const password = config.sourcePasswordGenerated ? '<password>' : '***';
  const pushUrl = `http://source:${password}@${door}/listen`;
  const metricsUrl =
    relay.metricsPort === undefined ? `http://${door}/metrics` : `http://${shown(config.metricsHost)}:${relay.metricsPort}/metrics`;
  const tlsUrl = relay.tlsPort === undefined ? undefined : `https://${shown(config.host)}:${relay.tlsPort}/listen`;
  log.info(
    {
      port: relay.port,
      ingestPort: relay.ingestPort,
      shoutcastPort: relay.shoutcastPort,
      metricsPort: relay.metricsPort,
      uwsPort: relay.uwsPort,
      tlsPort: relay.tlsPort,
      tlsIngestPort: relay.tlsIngestPort,
      listenUrl,
      pushUrl,
      tlsUrl,
      metricsUrl,
    },
    'relay ready',
  );
  const lines = [
    `relaycast is running.`,
    `  every player:    ${listenUrl}`,
    `  every encoder:   ffmpeg -re -i song.mp3 -c copy -f mp3 icecast://source:PASSWORD@${door}/listen  (or host ${shown(config.host)}, port ${relay.port}, user source)`,
    `  status page:     http://${door}/`,
    `  metrics:         ${metricsUrl}`,
  ];
  if (tlsUrl) lines.push(`  HTTPS players:   ${tlsUrl}`);
  if (relay.tlsIngestPort !== undefined) lines.push(`  TLS encoders:    ${shown(config.ingestHost)}:${relay.tlsIngestPort} (tls=1)`);
  if (relay.shoutcastPort !== undefined) {
    lines.push(`  SHOUTcast v1 sources: ${shown(config.ingestHost)}:${relay.shoutcastPort} (mount ${config.shoutcastMount})`);
  }
  if (kept) {
    // Only on the terminal (stderr), never in the JSON log: the exact line an encoder needs.
    const where = `${kept.created ? 'generated and kept' : 'kept from the first start'} in ${kept.path}`;
    lines.push(`  source password (${where}; set --source-password to choose one): ${config.sourcePassword}`);
    lines.push(`  encoder line:    ffmpeg -re -i song.mp3 -c copy -f mp3 icecast://source:${config.sourcePassword}@${door}/listen`);
    if (config.adminPassword === kept.adminPassword) lines.push(`  admin password (${where}): ${config.adminPassword}`);
  }
  if (config.sourcePasswordGenerated) {
    lines.push(`  source password (generated, shown once; set --source-password to choose one): ${config.sourcePassword}`);
  }
  if (config.adminPasswordGenerated) {
    lines.push(`  admin password (generated, shown once; set --admin-password to choose one): ${config.adminPassword}`);
  }
  process.stderr.write(`${lines.join('\n')}\n`);
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

function onRelayPreAction(command: Command): void {
  try {
    applyConfigFile(command);
  } catch (err) {
    if (err instanceof ConfigFileError) usageError(`the config file has errors:\n${err.message}`);
    throw err;
  }
  const loaded = loadedConfigOf(command);
  if (loaded && (loaded.read.length > 0 || loaded.ignored.length > 0)) {
    process.stderr.write(
      `  read from ${loaded.file.file}:\n${loaded.read.map((l) => `    ${l}`).join('\n')}\n  not honoured:\n${loaded.ignored.map((l) => `    ${l}`).join('\n')}\n`,
    );
  }
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
    if (err instanceof ConfigFileError) usageError(err.message);
    if (err instanceof CommanderError) {
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      process.exit(ok ? 0 : EXIT_USAGE);
    }
    throw err;
  }
}

await main();
