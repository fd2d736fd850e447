// Reads a relaycast.yaml: YAML through the `yaml` package, flags checked by
// the very parsers the command line uses (so a value is valid in the file
// exactly when it is valid as a flag), mounts checked against the JSON
// Schema in mount-schema.ts with ajv. A file with any error is refused
// whole, with every error as `file:line:column: setting: what is valid`.

import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { FILE_TYPES } from '../../ingest/file-source.js';
import { Ajv, type ErrorObject } from 'ajv';
import type { Option } from 'commander';
import { LineCounter, parseDocument } from 'yaml';
import { formatSettingError, locate, type SettingError, settingName } from './file-location.js';
import { loadIntro } from './intro-file.js';
import { MOUNTS_SCHEMA } from './mount-schema.js';

/** The file's content, valid: flag values by attribute name (as commander names them) and the raw mount settings. */
export interface ConfigFile {
  file: string;
  /** e.g. { maxListeners: 200, sourcePassword: '...' }, parsed by each flag's own parser. */
  flags: Record<string, unknown>;
  mounts: Record<string, Record<string, unknown>>;
  defaultMount: Record<string, unknown>;
  unlistedMounts: 'accept' | 'refuse';
}

export class ConfigFileError extends Error {
  readonly errors: readonly SettingError[];
  constructor(errors: readonly SettingError[]) {
    super(errors.map(formatSettingError).join('\n'));
    this.name = 'ConfigFileError';
    this.errors = errors;
  }
}

const FILE_ONLY_KEYS = new Set(['mounts', 'default-mount', 'unlisted-mounts']);
/** Flags that make no sense inside the file they would name. */
const NOT_IN_FILE = new Set(['config', 'icecast-config']);

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateMounts = ajv.compile(MOUNTS_SCHEMA);

/** `options`: the relay command's options; every long flag is a setting of the same name. */
export function readConfigFile(file: string, options: readonly Option[]): ConfigFile {
  return parseConfigText(readFileSync(file, 'utf8'), file, options);
}

export function parseConfigText(text: string, file: string, options: readonly Option[]): ConfigFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const errors: SettingError[] = [];
  const at = (path: string[], message: string, atKey = false) => {
    errors.push({ file, ...locate(doc, lines, path, atKey), setting: settingName(path) || '(file)', message });
  };
  for (const e of doc.errors) {
    const { line, col } = lines.linePos(e.pos[0]);
    errors.push({ file, line, column: col, setting: '(yaml)', message: e.message.split('\n')[0] });
  }
  if (errors.length > 0) throw new ConfigFileError(errors);

  const root: unknown = doc.toJS() ?? {};
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    at([], 'the file must be a mapping of settings (key: value)');
    throw new ConfigFileError(errors);
  }
  const byName = new Map(options.filter((o) => o.long).map((o) => [o.long?.slice(2) ?? '', o]));
  const flags: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(root)) {
    if (FILE_ONLY_KEYS.has(key)) continue;
    const option = byName.get(key);
    if (!option || NOT_IN_FILE.has(key)) {
      at([key], `unknown setting; ${suggestion(key, [...byName.keys(), ...FILE_ONLY_KEYS])}`, true);
      continue;
    }
    const parsed = flagValue(option, value);
    if ('error' in parsed) at([key], parsed.error);
    else flags[option.attributeName()] = parsed.value;
  }
  if (!validateMounts(root)) {
    for (const e of validateMounts.errors ?? []) schemaError(e, at);
  }
  checkFiles(root as Record<string, unknown>, file, at);
  if (errors.length > 0) throw new ConfigFileError(errors);
  const r = root as {
    mounts?: ConfigFile['mounts'];
    'default-mount'?: ConfigFile['defaultMount'];
    'unlisted-mounts'?: 'accept' | 'refuse';
  };
  return { file, flags, mounts: r.mounts ?? {}, defaultMount: r['default-mount'] ?? {}, unlistedMounts: r['unlisted-mounts'] ?? 'accept' };
}

/** A YAML value through the flag's own parser: what the flag would make of the same text. */
function flagValue(option: Option, value: unknown): { value: unknown } | { error: string } {
  const takesValue = option.required || option.optional;
  if (!takesValue) {
    if (typeof value !== 'boolean') return { error: 'use true or false' };
    return { value };
  }
  const parse = (option as Option & { parseArg?: (raw: string, previous: unknown) => unknown }).parseArg;
  // A flag given more than once (--tls-cert a --tls-cert b) is a YAML list.
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0 || items.some((item) => item === null || typeof item === 'object')) {
    return { error: `give one value, or a list for a flag that repeats, as for --${option.long?.slice(2)}` };
  }
  if (!parse) return Array.isArray(value) ? { error: `--${option.long?.slice(2)} takes one value` } : { value: String(value) };
  try {
    let parsed: unknown;
    for (const item of items) parsed = parse(String(item), parsed);
    if (Array.isArray(value) && !Array.isArray(parsed)) return { error: `--${option.long?.slice(2)} takes one value` };
    return { value: parsed };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

function schemaError(e: ErrorObject, at: (path: string[], message: string, atKey?: boolean) => void): void {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.propertyName !== undefined) {
    at([...path, e.propertyName], 'not a mount path; use a path like /live (letters, digits and ._~- between slashes)', true);
    return;
  }
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      at([...path, extra], 'unknown mount setting', true);
      return;
    }
    case 'propertyNames':
      return;
    case 'pattern':
      at(path, `must match ${String((e.params as { pattern: string }).pattern)}`);
      return;
    case 'enum':
      at(path, `use one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`);
      return;
    default:
      at(path, e.message ?? 'invalid');
  }
}

/** "did you mean ...": the closest known key by edit distance, or the list when none is close. */
function suggestion(key: string, known: readonly string[]): string {
  let best = '';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, key.length / 3)
    ? `did you mean ${best}?`
    : 'settings are the long flag names of `relaycast relay --help`, plus mounts';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length];
}

const FILE_KEYS = ['fallback-file', 'intro-file'] as const;

/** A mount's files must be there and of a type relaycast plays; relative paths are from the config file's folder (made absolute here). */
function checkFiles(root: Record<string, unknown>, file: string, at: (path: string[], message: string) => void): void {
  const places: Array<[string[], Record<string, unknown>]> = [];
  const mounts = root.mounts as Record<string, Record<string, unknown>> | undefined;
  for (const [name, settings] of Object.entries(mounts ?? {})) places.push([['mounts', name], settings]);
  if (root['default-mount']) places.push([['default-mount'], root['default-mount'] as Record<string, unknown>]);
  for (const [path, settings] of places) {
    for (const key of FILE_KEYS) {
      const raw = settings?.[key];
      if (typeof raw !== 'string') continue;
      const full = isAbsolute(raw) ? raw : resolve(dirname(file), raw);
      const type = FILE_TYPES[extname(full).toLowerCase()];
      if (!type) at([...path, key], 'use an .mp3, .aac or .ogg file');
      else if (key === 'intro-file' && type === 'audio/ogg')
        at([...path, key], 'an intro must be MP3 or AAC (an Ogg intro would need its own stream headers)');
      else if (!statSync(full, { throwIfNoEntry: false })?.isFile()) at([...path, key], `no such file: ${full}`);
      else if (key === 'intro-file' && !introLoads(full, (message) => at([...path, key], message))) continue;
      else settings[key] = full;
    }
  }
}

function introLoads(path: string, fail: (message: string) => void): boolean {
  try {
    loadIntro(path);
    return true;
  } catch (err) {
    fail((err as Error).message);
    return false;
  }
}
