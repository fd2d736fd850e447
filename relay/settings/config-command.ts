// The config file on the command line: `relay --config FILE` (relaycast.yaml)
// or `--icecast-config FILE` (icecast.xml) fill every flag the command line
// and the environment left at its default; `relaycast config convert FILE`
// prints an icecast.xml as relaycast.yaml. Precedence: flag > env > file > default.

import { type Command, Option } from 'commander';
import { type ConfigFile, ConfigFileError, readConfigFile } from './config-file.js';
import { readIcecastConfig } from './icecast-config.js';

/** What the relay command read from its file, for the start-up log and (later) per-mount settings. */
export interface LoadedConfig {
  file: ConfigFile;
  /** icecast.xml only: each setting read and each one not honoured. */
  read: readonly string[];
  ignored: readonly string[];
}

const loaded = new WeakMap<Command, LoadedConfig>();

export function configFileOptions(): Option[] {
  return [
    new Option('--config <file>', 'relaycast.yaml with settings (long flag names) and mounts; flags and env override it').env(
      'RELAYCAST_CONFIG',
    ),
    new Option('--icecast-config <file>', "Icecast 2.4's icecast.xml, read as it is").env('RELAYCAST_ICECAST_CONFIG').conflicts('config'),
  ];
}

/** A preAction hook for the relay command; throws ConfigFileError (exit 2) on any bad setting. */
export function applyConfigFile(command: Command): void {
  const opts = command.opts<{ config?: string; icecastConfig?: string }>();
  let result: LoadedConfig;
  if (opts.config) result = { file: readConfigFile(opts.config, command.options), read: [], ignored: [] };
  else if (opts.icecastConfig) {
    const ice = readIcecastConfig(opts.icecastConfig, command.options);
    result = { file: ice.config, read: ice.imported.read, ignored: ice.imported.ignored };
  } else return;
  for (const [name, value] of Object.entries(result.file.flags)) {
    const source = command.getOptionValueSource(name);
    if (source === undefined || source === 'default' || source === 'implied') command.setOptionValueWithSource(name, value, 'config');
  }
  loaded.set(command, result);
}

export function loadedConfigOf(command: Command): LoadedConfig | undefined {
  return loaded.get(command);
}

/** `relaycast config convert icecast.xml`: the equivalent relaycast.yaml on stdout. */
export function registerConfigCommand(program: Command, relayCommand: () => Command): void {
  const config = program.command('config').description('work with configuration files');
  config
    .command('convert')
    .argument('<icecast.xml>', 'an Icecast 2.4 icecast.xml')
    .description('print the relaycast.yaml equivalent of an icecast.xml (what is not honoured, as comments)')
    .action((file: string) => {
      process.stdout.write(readIcecastConfig(file, relayCommand().options).yaml);
    });
  config
    .command('check')
    .argument('<relaycast.yaml>')
    .description('validate a relaycast.yaml: exit 0 when valid, else every error as file:line:column: setting: reason')
    .action((file: string) => {
      const parsed = readConfigFile(file, relayCommand().options);
      process.stdout.write(`${file}: valid (${Object.keys(parsed.flags).length} settings, ${Object.keys(parsed.mounts).length} mounts)\n`);
    });
}

export { ConfigFileError };
