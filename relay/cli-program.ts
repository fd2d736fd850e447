// relaycast's command line: parse, build a frozen config, start, wait.
// Every flag shows its default and its environment variable in --help.
// Invalid values exit 2 with a sentence that says what to do instead.
// Loaded by cli.ts, the entry point, once the relay's heap is set up.

import { Command, CommanderError } from 'commander';
import { pushFile } from '../ingest/push.js';
import { registerLoadtestCommand } from '../loadtest/command.js';
import { addRelayOptions, opt } from './cli-options.js';
import { registerDrainCommand } from './cluster/drain-command.js';
import { buildConfig, defaultLogFormat, type RelayConfig, type RelayConfigInput } from './config.js';
import { RelayError } from './errors.js';
import { oldGenerationMarking } from './heap-tuning.js';
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

export function buildProgram(): Command {
  const program = new Command('relaycast')
    .description('Fan-out broadcast relay: one source per mount, many listeners, one shared ring.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program.command('relay').description('run the relay: every source and every player on --port (8000), as Icecast').action(runRelay);
  addRelayOptions(program.commands.find((c) => c.name() === 'relay') as Command);

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

  registerDrainCommand(program);
  registerLoadtestCommand(program);
  return program;
}

interface RelayFlags extends RelayConfigInput {
  sourcePassword?: string;
  stateDir?: string;
  tlsCert?: string[];
  tlsKey?: string[];
  /** --peer, repeatable. */
  peer?: string[];
  /** --origin, repeated. */
  origin?: string[];
}

function configFromFlags(flags: RelayFlags): Readonly<RelayConfig> {
  const { tlsCert, tlsKey, peer, origin, ...rest } = flags;
  return buildConfig({
    ...rest,
    peers: peer,
    origins: origin,
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
  // Before "relay ready" is printed: a SIGTERM sent as soon as it appears must find the handler.
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
  // SIGUSR2 drains (relay/cluster/drain.ts); a SIGTERM after it still shuts down as ever.
  process.on('SIGUSR2', () => relay.drain({ by: 'signal', signal: 'SIGUSR2' }));
  printReady(config, relay, log, kept);

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
      gcMarking: oldGenerationMarking(),
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
