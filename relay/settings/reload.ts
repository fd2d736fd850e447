// Reload without dropping anyone (SIGHUP, POST /admin/reload): re-read the
// config file, refuse it whole if any setting is bad (the running config
// stays), else hand the new settings to the running relay. Passwords,
// limits, lag rules, grace and stream info change at once or for the next
// connection; ports, hosts and ring sizes need a restart and are listed.

import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { ReloadOutcome } from '../api/context.js';
import type { RelayConfig } from '../config.js';
import type { StationSettings } from '../core/mount-settings.js';
import type { Metrics } from '../metrics/metrics.js';
import { applyConfigFile, ConfigFileError, loadedConfigOf } from './config-command.js';
import { stationSettings } from './station.js';

/** Settings a running relay takes from a reload; every other one needs a restart. */
const RELOADABLE: ReadonlySet<keyof RelayConfig> = new Set<keyof RelayConfig>([
  'sourcePassword',
  'adminPassword',
  'maxListeners',
  'maxListenersPerMount',
  'burstBytes',
  'maxLagBytes',
  'slowPolicy',
  'sourceGraceMs',
  'sourcePasswordGenerated',
]);

export interface ReloaderOptions {
  command: Command;
  /** The running config, as built at start. */
  config: Readonly<RelayConfig>;
  /** Builds a config from the command's options, as the start did (throws RelayError CONFIG_INVALID). */
  build: (flags: Record<string, unknown>) => Readonly<RelayConfig>;
  apply: (station: StationSettings) => void;
  metrics: Metrics;
  log: Logger;
}

export function createReloader(o: ReloaderOptions): () => ReloadOutcome {
  let running = o.config;
  return function reload(): ReloadOutcome {
    const defaults = new Map(o.command.options.map((opt) => [opt.attributeName(), opt.defaultValue as unknown]));
    // Values the file gave last time go back to their defaults first, so a setting removed from the file is undone.
    for (const [name, value] of defaults) {
      if (o.command.getOptionValueSource(name) === 'config') o.command.setOptionValueWithSource(name, value, 'default');
    }
    let next: Readonly<RelayConfig>;
    try {
      applyConfigFile(o.command);
      const flags = o.command.opts<Record<string, unknown>>();
      // A password that no flag, variable or file sets (generated, or kept from a first start) stays
      // what it was: encoders and the operator already use it.
      if (flags.sourcePassword === undefined) flags.sourcePassword = running.sourcePassword;
      if (flags.adminPassword === undefined) flags.adminPassword = running.adminPassword;
      next = o.build(flags);
    } catch (err) {
      const errors =
        err instanceof ConfigFileError
          ? err.errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.setting}: ${e.message}`)
          : [String((err as Error).message)];
      o.metrics.configReloadSuccessful.set(0);
      o.log.warn({ errors }, 'config reload refused; the running config stays');
      return { ok: false, errors };
    }
    const changed: string[] = [];
    const needRestart: string[] = [];
    const merged: Record<string, unknown> = { ...running };
    for (const key of Object.keys(next) as Array<keyof RelayConfig>) {
      if (key === 'sourcePasswordGenerated' || key === 'adminPasswordGenerated' || same(next[key], running[key])) continue;
      if (RELOADABLE.has(key)) {
        merged[key] = next[key];
        changed.push(key);
      } else needRestart.push(key);
    }
    running = Object.freeze(merged as unknown as RelayConfig);
    const loaded = loadedConfigOf(o.command);
    o.apply(stationSettings(loaded?.file, running));
    o.metrics.configReloadSuccessful.set(1);
    o.metrics.configReloadSuccessTimestamp.set(Date.now() / 1000);
    // Names only: a changed password is said to have changed, never shown.
    o.log.info({ changed, needRestart, mounts: loaded ? Object.keys(loaded.file.mounts) : [] }, 'config reloaded');
    if (needRestart.length > 0) o.log.warn({ needRestart }, 'these settings changed in the file but take effect only after a restart');
    return { ok: true, changed, needRestart };
  };
}

/** Equal settings; lists (certificate files) by their items. */
function same(a: unknown, b: unknown): boolean {
  return Object.is(a, b) || (Array.isArray(a) && Array.isArray(b) && JSON.stringify(a) === JSON.stringify(b));
}
