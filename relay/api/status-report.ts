// What /status.json says: every mount (always an array, empty when none),
// its listeners, peak, source info, content type, bitrate, current title,
// stream start and bytes in and out; at server level, what a peer needs to
// judge this relay's room (listeners, limits, draining). relay/api/status.schema.json describes
// it; a test validates real answers against that schema, so change both
// together. It is public, like Icecast's status page: no addresses of
// sources or listeners (those are on /admin/listeners).

import type { Listener } from '../core/listener.js';
import type { Mount } from '../core/mount.js';
import type { MountRegistry } from '../core/mounts.js';
import { RELAYCAST_VERSION } from '../metrics/metrics.js';

export interface MountStatus {
  mount: string;
  listenUrl: string;
  contentType: string;
  /** This mount's own listeners, including those hearing its fallback now. */
  listeners: number;
  /** Of those, how many hear its fallback now. */
  listenersOnFallback: number;
  peakListeners: number;
  /** Now playing ('' when unknown). */
  title: string;
  titleUrl: string;
  /** What the source declared (ice-bitrate / icy-br), when it is a number. */
  bitrateKbps: number | null;
  /** Measured from the bytes the source sent over the last sample interval. */
  measuredBitrateKbps: number;
  source: {
    connected: boolean;
    name: string;
    description: string;
    genre: string;
    url: string;
    public: boolean;
    audioInfo: string;
  };
  /** When the current source connected (ISO 8601), or null without a source. */
  streamStart: string | null;
  streamSeconds: number | null;
  receivedBytes: number;
  sentBytes: number;
  /** The mount's settings in force (the config file's, over the flags); never a password. */
  settings: {
    maxListeners: number;
    burstBytes: number;
    maxLagBytes: number;
    slowPolicy: string;
    sourceGraceMs: number;
    ownPassword: boolean;
    contentTypes: string[] | null;
  } | null;
}

export interface StatusReport {
  server: {
    name: 'relaycast';
    version: string;
    startedAt: string;
    uptimeSeconds: number;
    listeners: number;
    sources: number;
    /** What a peer needs to judge this relay's room (relay/cluster/peer-room.ts): --max-listeners (0 = none), */
    maxListeners: number;
    /** --redirect-over (0 = none), */
    redirectOver: number;
    /** and whether it is draining (then it has no room). */
    draining: boolean;
  };
  mounts: MountStatus[];
}

/** When this process started (wall clock), for server_start and uptime. */
export const PROCESS_STARTED_AT_MS = Math.round(Date.now() - process.uptime() * 1000);

/** `baseUrl` is scheme://host[:port] as the client addressed us, for each mount's listen URL. */
export function statusReport(
  registry: MountRegistry,
  baseUrl: string,
  room: { maxListeners: number; redirectOver: number; draining: boolean },
  nowMs = Date.now(),
): StatusReport {
  // A hidden mount (config `hidden: true`) plays but is not listed.
  const mounts = [...registry.mounts.values()]
    .filter((m) => !m.settings?.hidden)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => mountStatus(m, registry, baseUrl, nowMs));
  // A mount whose source is gone while its listeners hear its fallback is still listed.
  for (const name of registry.homesWithoutMount) mounts.push(fallbackOnlyStatus(name, registry, baseUrl));
  mounts.sort((a, b) => a.mount.localeCompare(b.mount));
  return {
    server: {
      name: 'relaycast',
      version: RELAYCAST_VERSION,
      startedAt: new Date(PROCESS_STARTED_AT_MS).toISOString(),
      uptimeSeconds: Math.round((nowMs - PROCESS_STARTED_AT_MS) / 1000),
      listeners: registry.listenerCount,
      sources: registry.sourceCount,
      maxListeners: room.maxListeners,
      redirectOver: room.redirectOver,
      draining: room.draining,
    },
    mounts,
  };
}

function mountStatus(mount: Mount<Listener>, registry: MountRegistry, baseUrl: string, nowMs: number): MountStatus {
  const own = registry.homeCounts(mount.name);
  const info = mount.info;
  const declared = Number(info.bitrateKbps);
  const started = mount.hasSource && mount.sourceStartedAtMs > 0 ? mount.sourceStartedAtMs : undefined;
  return {
    mount: mount.name,
    listenUrl: `${baseUrl}${mount.name}`,
    contentType: mount.contentType,
    listeners: own.listeners,
    listenersOnFallback: own.onFallback,
    peakListeners: mount.peakListeners,
    title: mount.title,
    titleUrl: mount.titleUrl,
    bitrateKbps: info.bitrateKbps !== undefined && Number.isFinite(declared) && declared > 0 ? declared : null,
    measuredBitrateKbps: Math.round(mount.measuredBitsPerSecond / 100) / 10,
    source: {
      connected: mount.hasSource,
      name: info.name ?? '',
      description: info.description ?? '',
      genre: info.genre ?? '',
      url: info.url ?? '',
      public: info.public === '1' || info.public === 'true',
      audioInfo: info.audioInfo ?? '',
    },
    streamStart: started === undefined ? null : new Date(started).toISOString(),
    streamSeconds: started === undefined ? null : Math.max(0, Math.round((nowMs - started) / 1000)),
    receivedBytes: mount.sourceBytes,
    sentBytes: sentBytesOf(mount),
    settings: settingsOf(mount),
  };
}

/** A mount with no source and no ring of its own now, whose listeners all hear its fallback. */
function fallbackOnlyStatus(name: string, registry: MountRegistry, baseUrl: string): MountStatus {
  const own = registry.homeCounts(name);
  return {
    mount: name,
    listenUrl: `${baseUrl}${name}`,
    contentType: own.heardContentType ?? 'application/octet-stream',
    listeners: own.listeners,
    listenersOnFallback: own.onFallback,
    peakListeners: own.listeners,
    title: '',
    titleUrl: '',
    bitrateKbps: null,
    measuredBitrateKbps: 0,
    source: { connected: false, name: '', description: '', genre: '', url: '', public: false, audioInfo: '' },
    streamStart: null,
    streamSeconds: null,
    receivedBytes: 0,
    sentBytes: 0,
    settings: null,
  };
}

/** A mount's settings in force, as status.json and /admin/listeners show them: never a password. */
export function settingsOf(mount: Mount<Listener>): MountStatus['settings'] {
  const s = mount.settings;
  if (!s) return null;
  return {
    maxListeners: s.maxListeners,
    burstBytes: s.burstBytes,
    maxLagBytes: s.maxLagBytes,
    slowPolicy: s.slowPolicy,
    sourceGraceMs: s.sourceGraceMs,
    ownPassword: s.sourcePassword !== undefined,
    contentTypes: s.contentTypes ? [...s.contentTypes] : null,
  };
}

/** Bytes handed to this mount's listeners: those who left plus those still here. */
function sentBytesOf(mount: Mount<Listener>): number {
  let bytes = mount.departedSentBytes;
  for (const listener of mount.listeners) bytes += listener.sentBytes;
  return bytes;
}
