// `--icecast-config FILE` and `relaycast config convert FILE`: an
// icecast.xml becomes the text of a relaycast.yaml (with what was not
// honoured as comments), and that text is read like any relaycast.yaml, so
// both paths refuse the same bad values with the same reasons.

import { readFileSync } from 'node:fs';
import type { Option } from 'commander';
import { stringify } from 'yaml';
import { type ConfigFile, ConfigFileError, parseConfigText } from './config-file.js';
import { type IcecastImport, importIcecastXml } from './icecast-xml.js';

export interface IcecastConfig {
  config: ConfigFile;
  imported: IcecastImport;
  yaml: string;
}

export function readIcecastConfig(file: string, options: readonly Option[]): IcecastConfig {
  return convertIcecastXml(readFileSync(file, 'utf8'), file, options);
}

export function convertIcecastXml(text: string, file: string, options: readonly Option[]): IcecastConfig {
  const known = new Set(options.map((o) => o.long?.slice(2) ?? ''));
  const imported = importIcecastXml(text, known);
  const yaml = icecastYaml(imported, file);
  try {
    return { config: parseConfigText(yaml, file, options), imported, yaml };
  } catch (err) {
    if (!(err instanceof ConfigFileError)) throw err;
    // Point at the element the bad value came from, not at the generated YAML.
    const errors = err.errors.map((e) => ({ ...e, line: 0, column: 0, setting: imported.origins.get(e.setting) ?? e.setting }));
    throw new ConfigFileError(errors);
  }
}

function icecastYaml(imported: IcecastImport, file: string): string {
  const head = [
    `# relaycast.yaml converted from ${file}`,
    '# Not honoured (with why):',
    ...imported.ignored.map((line) => `#   ${line}`),
    '',
  ];
  const body = Object.keys(imported.settings).length === 0 ? '{}\n' : stringify(imported.settings, { lineWidth: 0 });
  return `${head.join('\n')}\n${body}`;
}
