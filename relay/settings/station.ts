// Resolves a config file's mounts into StationSettings: a listed mount's
// own settings over `default-mount`, over the server's flags. Built once
// per (re)load and never changed, so a reload swaps one object.

import type { RelayConfig } from '../config.js';
import type { MountSettings, StationSettings } from '../core/mount-settings.js';
import type { ConfigFile } from './config-file.js';
import { loadIntro } from './intro-file.js';

type Raw = Record<string, unknown>;

/** How long an on-demand relay keeps pulling after its last listener left (TREE.md: 10000). */
export const DEFAULT_ON_DEMAND_IDLE_MS = 10_000;

export function stationSettings(
  file: Pick<ConfigFile, 'mounts' | 'defaultMount' | 'unlistedMounts'> | undefined,
  config: Readonly<RelayConfig>,
): StationSettings {
  const base = resolve({}, serverDefaults(config));
  const fallback = resolve(file?.defaultMount ?? {}, base);
  const listed = new Map<string, MountSettings>();
  for (const [name, raw] of Object.entries(file?.mounts ?? {})) listed.set(name, Object.freeze(resolve(raw, fallback)));
  const refuseUnlisted = file?.unlistedMounts === 'refuse';
  const frozenFallback = Object.freeze(fallback);
  return Object.freeze({
    sourcePassword: config.sourcePassword,
    adminPassword: config.adminPassword,
    maxListeners: config.maxListeners,
    defaultMount: frozenFallback,
    forMount: (name: string) => listed.get(name) ?? (refuseUnlisted ? undefined : frozenFallback),
    listedMounts: Object.freeze([...listed.keys()]),
  });
}

function serverDefaults(config: Readonly<RelayConfig>): MountSettings {
  return {
    sourceUser: 'source',
    sourcePassword: undefined,
    maxListeners: config.maxListenersPerMount,
    burstBytes: config.burstBytes,
    maxLagBytes: config.maxLagBytes,
    slowPolicy: config.slowPolicy,
    sourceGraceMs: config.sourceGraceMs,
    streamName: undefined,
    description: undefined,
    genre: undefined,
    url: undefined,
    public: undefined,
    hidden: false,
    contentTypes: undefined,
    fallbackMount: undefined,
    fallbackOverride: 'off',
    fallbackMismatch: 'stay',
    fallbackFile: undefined,
    introFile: undefined,
    intro: undefined,
    relayUrls: undefined,
    onDemand: false,
    onDemandIdleMs: DEFAULT_ON_DEMAND_IDLE_MS,
  };
}

function resolve(raw: Raw, base: MountSettings): MountSettings {
  const pick = <T>(key: string, fallback: T): T => (raw[key] === undefined ? fallback : (raw[key] as T));
  return {
    sourceUser: pick('source-user', base.sourceUser),
    sourcePassword: pick('source-password', base.sourcePassword),
    maxListeners: pick('max-listeners', base.maxListeners),
    burstBytes: pick('burst-bytes', base.burstBytes),
    maxLagBytes: pick('max-lag-bytes', base.maxLagBytes),
    slowPolicy: pick('slow-policy', base.slowPolicy),
    sourceGraceMs: pick('source-grace-ms', base.sourceGraceMs),
    streamName: pick('stream-name', base.streamName),
    description: pick('description', base.description),
    genre: pick('genre', base.genre),
    url: pick('url', base.url),
    public: pick('public', base.public),
    hidden: pick('hidden', base.hidden),
    contentTypes: pick('content-types', base.contentTypes),
    fallbackMount: pick('fallback-mount', base.fallbackMount),
    fallbackOverride: overrideOf(raw['fallback-override'], base.fallbackOverride),
    fallbackMismatch: pick('fallback-mismatch', base.fallbackMismatch),
    fallbackFile: pick('fallback-file', base.fallbackFile),
    introFile: pick('intro-file', base.introFile),
    intro: raw['intro-file'] === undefined ? base.intro : loadIntro(raw['intro-file'] as string),
    relayUrls: relayUrlsOf(raw['relay-url'], base.relayUrls),
    onDemand: pick('on-demand', base.onDemand),
    onDemandIdleMs: pick('on-demand-idle-ms', base.onDemandIdleMs),
  };
}

/** Icecast 2.4's 1/0 (true/false here), and 2.5's `all` and `own`. */
function overrideOf(raw: unknown, base: MountSettings['fallbackOverride']): MountSettings['fallbackOverride'] {
  if (raw === undefined) return base;
  if (raw === true || raw === 'all') return 'all';
  if (raw === 'own') return 'own';
  return 'off';
}

/** `relay-url`: one URL or a list, always a list here. */
function relayUrlsOf(raw: unknown, base: readonly string[] | undefined): readonly string[] | undefined {
  if (raw === undefined) return base;
  return Object.freeze(typeof raw === 'string' ? [raw] : [...(raw as string[])]);
}
