// The relay's settings: one frozen object built once from the CLI (or a
// test), validated here so that every other module can trust it. Each
// invalid value fails with a sentence that says what to do instead.

import { randomBytes } from 'node:crypto';
import { RelayError } from './errors.js';
import { mountNameOf } from './formats/mount-name.js';
import { parseOriginUrl } from './formats/origin-url.js';

export type SlowPolicy = 'drop' | 'live';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export type LogFormat = 'json' | 'pretty';

export interface RelayConfig {
  host: string;
  /** The front door: our HTTP/1.x server takes every source and serves every player here. */
  port: number;
  ingestHost: string;
  /** An extra port of the same server (encoders still set up for 8001); undefined = off. */
  ingestPort: number | undefined;
  sourcePassword: string;
  /** True when the password was generated at start-up (then it is printed once). */
  sourcePasswordGenerated: boolean;
  /**
   * Password of user "admin" for /admin/* (listing and kicking listeners, titles). Never
   * defaults to the source password: an encoder's credentials must not be enough to see
   * listeners' addresses. Generated at start-up (and printed once) unless given.
   */
  adminPassword: string;
  adminPasswordGenerated: boolean;
  bufferBytes: number;
  burstBytes: number;
  maxLagBytes: number;
  slowPolicy: SlowPolicy;
  flushIntervalMs: number;
  flushBytes: number;
  sourceTimeoutMs: number;
  sourceGraceMs: number;
  headerTimeoutMs: number;
  maxListeners: number;
  maxListenersPerMount: number;
  maxListenSeconds: number;
  /** Mounts at once (each holds a ring of bufferBytes); 0: no limit. */
  maxMounts: number;
  shutdownTimeoutMs: number;
  logLevel: LogLevel;
  /** Port for SHOUTcast v1 sources (password line, then icy-* headers); undefined = off. */
  shoutcastPort: number | undefined;
  /** The mount SHOUTcast v1 sources and admin.cgi title updates go to. */
  shoutcastMount: string;
  /** json lines, or pretty (readable on a terminal). */
  logFormat: LogFormat;
  /** Where /metrics is served when it should be off the public port; undefined keeps it on --port. */
  metricsHost: string;
  metricsPort: number | undefined;
  /** Take a listener's address from X-Forwarded-For / PROXY protocol (only behind a proxy you run). */
  trustProxy: boolean;
  // --- front door and HTTPS (issue 15) ---
  /** A plain uWS HTTP/1.1 listener port (behind an HTTP/1.1 proxy); undefined = off. */
  uwsPort: number | undefined;
  /** HTTPS on uWS (SSLApp) for listeners, status, admin and titles; undefined = off. */
  tlsPort: number | undefined;
  /** Our own server under node:tls: sources (and every player) over TLS; undefined = off. */
  tlsIngestPort: number | undefined;
  /** PEM certificate chain files, paired in order with tlsKeyFiles; names come from each certificate. */
  tlsCertFiles: readonly string[];
  tlsKeyFiles: readonly string[];
  /** Directory certbot --webroot writes to; /.well-known/acme-challenge/ is served from it. */
  acmeWebroot: string | undefined;
  // --- past one machine (issue 14) ---
  /** Peers' base URLs (scheme://host[:port], no trailing slash) new listeners may be sent to with a 302. */
  peers: readonly string[];
  /** How often each peer's /status.json is read. */
  peerCheckMs: number;
  /** Send new listeners to a peer once this relay has this many (0: only when full or draining). */
  redirectOver: number;
  /** How long a drain lets connected listeners stay before they are ended. */
  drainDeadlineMs: number;
  // --- edges (issue 14) ---
  /** --origin URLs in failover order; empty = not an edge. Valid per formats/origin-url.ts. */
  origins: readonly string[];
  /** How often an edge re-reads the origin's mount list. */
  originPollMs: number;
}

/** Room in the ring beyond burst + lag for the source's staged frame and one write. */
export const RING_HEADROOM_BYTES = 256 * 1024;
/** Pending bytes that force a flush stay well inside the ring's headroom. */
export const MAX_FLUSH_BYTES = RING_HEADROOM_BYTES / 2;

export const DEFAULTS = {
  host: '0.0.0.0',
  port: 8000,
  burstBytes: 65536,
  maxLagBytes: 524288,
  slowPolicy: 'drop' as SlowPolicy,
  // A mount is flushed when flushBytes are pending, or flushIntervalMs after its last
  // flush, whichever comes first. The CPU cost of fan-out follows sends per listener per
  // second (BENCHMARKS.md): 15000 bytes is one write under uWS's 16 KiB cork, about
  // once a second at 128 kbps; the interval bounds the delay for low bitrates.
  flushIntervalMs: 1000,
  flushBytes: 15_000,
  sourceTimeoutMs: 10_000,
  sourceGraceMs: 30_000,
  headerTimeoutMs: 10_000,
  maxListeners: 15_000,
  maxListenersPerMount: 0,
  maxListenSeconds: 0,
  // 100 rings of the default ~0.8 MiB are about 80 MiB: enough for a big station, and a bound on what sources can make us hold.
  maxMounts: 100,
  shutdownTimeoutMs: 5_000,
  logLevel: 'info' as LogLevel,
  shoutcastMount: '/listen',
  metricsHost: '127.0.0.1',
  peerCheckMs: 2000,
  redirectOver: 0,
  // Ten minutes: most listeners of a maintenance window leave on their own or follow a reconnect.
  drainDeadlineMs: 600_000,
  originPollMs: 5000,
};

/** Pretty on a terminal, JSON lines anywhere else (files, journald, Docker, log shippers). */
export function defaultLogFormat(stdoutIsTty: boolean): LogFormat {
  return stdoutIsTty ? 'pretty' : 'json';
}

export function defaultBufferBytes(burstBytes: number, maxLagBytes: number): number {
  return burstBytes + maxLagBytes + RING_HEADROOM_BYTES;
}

/** A password that is safe to type into an encoder: 24 URL-safe characters, 144 bits. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

export type RelayConfigInput = Partial<RelayConfig> & { sourcePassword?: string; adminPassword?: string };

export function buildConfig(input: RelayConfigInput): Readonly<RelayConfig> {
  const burstBytes = input.burstBytes ?? DEFAULTS.burstBytes;
  const maxLagBytes = input.maxLagBytes ?? DEFAULTS.maxLagBytes;
  const generated = !input.sourcePassword;
  const config: RelayConfig = {
    host: input.host ?? DEFAULTS.host,
    port: input.port ?? DEFAULTS.port,
    ingestHost: input.ingestHost ?? input.host ?? DEFAULTS.host,
    ingestPort: input.ingestPort,
    sourcePassword: input.sourcePassword || generatePassword(),
    sourcePasswordGenerated: generated,
    adminPassword: input.adminPassword || generatePassword(),
    adminPasswordGenerated: !input.adminPassword,
    bufferBytes: input.bufferBytes ?? defaultBufferBytes(burstBytes, maxLagBytes),
    burstBytes,
    maxLagBytes,
    slowPolicy: input.slowPolicy ?? DEFAULTS.slowPolicy,
    flushIntervalMs: input.flushIntervalMs ?? DEFAULTS.flushIntervalMs,
    flushBytes: input.flushBytes ?? DEFAULTS.flushBytes,
    sourceTimeoutMs: input.sourceTimeoutMs ?? DEFAULTS.sourceTimeoutMs,
    sourceGraceMs: input.sourceGraceMs ?? DEFAULTS.sourceGraceMs,
    headerTimeoutMs: input.headerTimeoutMs ?? DEFAULTS.headerTimeoutMs,
    maxListeners: input.maxListeners ?? DEFAULTS.maxListeners,
    maxListenersPerMount: input.maxListenersPerMount ?? DEFAULTS.maxListenersPerMount,
    maxListenSeconds: input.maxListenSeconds ?? DEFAULTS.maxListenSeconds,
    maxMounts: input.maxMounts ?? DEFAULTS.maxMounts,
    shutdownTimeoutMs: input.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs,
    logLevel: input.logLevel ?? DEFAULTS.logLevel,
    shoutcastPort: input.shoutcastPort,
    shoutcastMount: input.shoutcastMount ?? DEFAULTS.shoutcastMount,
    logFormat: input.logFormat ?? 'json',
    metricsHost: input.metricsHost ?? DEFAULTS.metricsHost,
    metricsPort: input.metricsPort,
    trustProxy: input.trustProxy ?? false,
    ...frontDoorOf(input),
    peers: Object.freeze((input.peers ?? []).map(peerBaseUrl)),
    peerCheckMs: input.peerCheckMs ?? DEFAULTS.peerCheckMs,
    redirectOver: input.redirectOver ?? DEFAULTS.redirectOver,
    drainDeadlineMs: input.drainDeadlineMs ?? DEFAULTS.drainDeadlineMs,
    origins: Object.freeze([...(input.origins ?? [])]),
    originPollMs: input.originPollMs ?? DEFAULTS.originPollMs,
  };
  validate(config);
  return Object.freeze(config);
}

function validate(c: RelayConfig): void {
  const fail = (detail: string): never => {
    throw new RelayError('CONFIG_INVALID', detail);
  };
  validatePorts(c, fail);
  const needed = c.burstBytes + c.maxLagBytes + RING_HEADROOM_BYTES;
  if (c.bufferBytes < needed) {
    fail(
      `--buffer-bytes ${c.bufferBytes} cannot hold --burst-bytes ${c.burstBytes} + --max-lag-bytes ${c.maxLagBytes}` +
        ` + ${RING_HEADROOM_BYTES} headroom; use --buffer-bytes ${needed} or more, or lower the lag`,
    );
  }
  if (c.flushIntervalMs < 1 || c.flushIntervalMs > 1000) fail('--flush-interval-ms must be 1 to 1000');
  if (c.flushBytes < 1 || c.flushBytes > MAX_FLUSH_BYTES) fail(`--flush-bytes must be 1 to ${MAX_FLUSH_BYTES}`);
  if (c.sourcePassword.length < 1) fail('--source-password must not be empty');
  validateOrigins(c, fail);
  try {
    mountNameOf(c.shoutcastMount);
  } catch {
    fail(`--shoutcast-mount ${JSON.stringify(c.shoutcastMount)} is not a mount; use a path like /listen`);
  }
}

/**
 * A --peer as the base of a Location: http(s)://host[:port], nothing after it
 * (a listener's own path and query are appended), no credentials (they would
 * be handed to every redirected player).
 */
export function peerBaseUrl(raw: string): string {
  const fail = (why: string): never => {
    throw new RelayError('CONFIG_INVALID', `--peer ${JSON.stringify(raw.slice(0, 200))} ${why}; use a base URL like http://10.0.0.2:8000`);
  };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('must be http:// or https://');
  if (url.username || url.password) fail('must not carry credentials');
  if (url.pathname !== '/' || url.search || url.hash) fail('must have no path, query or fragment');
  return `${url.protocol}//${url.host}`;
}

// --- edges (issue 14) ---

/** Each --origin parses (its own sentence when not), and none repeats. */
function validateOrigins(c: RelayConfig, fail: (detail: string) => never): void {
  const seen = new Set<string>();
  for (const raw of c.origins) {
    const { base } = parseOriginUrl(raw);
    if (seen.has(base)) fail(`--origin ${base} is given twice; give each origin once, in failover order`);
    seen.add(base);
  }
  if (c.originPollMs < 100 || c.originPollMs > 3_600_000) fail('--origin-poll-ms must be 100 to 3600000');
}

// --- front door and HTTPS (issue 15) ---

type FrontDoor = Pick<RelayConfig, 'uwsPort' | 'tlsPort' | 'tlsIngestPort' | 'tlsCertFiles' | 'tlsKeyFiles' | 'acmeWebroot'>;

function frontDoorOf(input: RelayConfigInput): FrontDoor {
  return {
    uwsPort: input.uwsPort,
    tlsPort: input.tlsPort,
    tlsIngestPort: input.tlsIngestPort,
    tlsCertFiles: Object.freeze([...(input.tlsCertFiles ?? [])]),
    tlsKeyFiles: Object.freeze([...(input.tlsKeyFiles ?? [])]),
    acmeWebroot: input.acmeWebroot,
  };
}

/** Every port given must be its own (0, "the kernel picks", may repeat); TLS needs its files. */
function validatePorts(c: RelayConfig, fail: (detail: string) => never): void {
  const ports: Array<[string, number | undefined]> = [
    ['--port', c.port],
    ['--ingest-port', c.ingestPort],
    ['--shoutcast-port', c.shoutcastPort],
    ['--metrics-port', c.metricsPort],
    ['--uws-port', c.uwsPort],
    ['--tls-port', c.tlsPort],
    ['--tls-ingest-port', c.tlsIngestPort],
  ];
  const seen = new Map<number, string>();
  for (const [flag, port] of ports) {
    if (port === undefined || port === 0) continue;
    const other = seen.get(port);
    if (other) {
      const hint = flag === '--shoutcast-port' ? ' (conventionally --port + 1)' : '';
      fail(`${flag} ${port} is already ${other}; give it a port of its own${hint}`);
    }
    seen.set(port, flag);
  }
  const tls = c.tlsPort !== undefined || c.tlsIngestPort !== undefined;
  if (tls && c.tlsCertFiles.length === 0) fail('--tls-port and --tls-ingest-port need --tls-cert FILE and --tls-key FILE (PEM)');
  if (c.tlsCertFiles.length !== c.tlsKeyFiles.length) {
    fail(`${c.tlsCertFiles.length} --tls-cert but ${c.tlsKeyFiles.length} --tls-key; give one --tls-key per --tls-cert, in the same order`);
  }
  if (!tls && c.tlsCertFiles.length > 0) fail('--tls-cert is given but no --tls-port (or --tls-ingest-port) to serve it on');
}
