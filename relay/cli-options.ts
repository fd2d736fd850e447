// The relay command's flags: each with its environment variable, default and
// parser, all shown by --help. A config file's keys are these flags' long
// names (relay/settings/config-file.ts), checked by the same parsers.

import { type Command, Option } from 'commander';
import { integer, oneOf } from './cli-values.js';
import { DEFAULTS, MAX_FLUSH_BYTES, type LogFormat, type LogLevel, type SlowPolicy } from './config.js';

export function opt(
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

/** A flag that may be given more than once. */
export function collect(value: string, previous: unknown): string[] {
  return [...(Array.isArray(previous) ? (previous as string[]) : []), value];
}

/** Adds every flag of `relaycast relay` to `command`. */
export function addRelayOptions(command: Command): Command {
  return (
    command
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
      // --- edges (issue 14) ---
      .addOption(
        opt(
          '--origin <url>',
          'be an edge: mirror every public mount of this origin on demand (http://HOST:PORT[/status-json.xsl|/status.json|/admin/streamlist.txt], user:password@ for the stream list); repeat for failover, in order',
          'RELAYCAST_ORIGIN',
          collect,
        ),
      )
      .addOption(
        opt(
          '--origin-poll-ms <n>',
          "how often an edge re-reads the origin's mount list (new mounts appear, removed ones go)",
          'RELAYCAST_ORIGIN_POLL_MS',
          integer(100, 3_600_000),
          DEFAULTS.originPollMs,
        ),
      )
      .addOption(
        opt('--acme-webroot <dir>', 'serve /.well-known/acme-challenge/ from DIR (certbot --webroot -w DIR)', 'RELAYCAST_ACME_WEBROOT'),
      )
      // --- past one machine (issue 14): peers and draining ---
      .addOption(
        opt(
          '--peer <url>',
          'a peer relay (base URL, e.g. http://10.0.0.2:8000) new listeners may be sent to with a 302; repeat for more',
          'RELAYCAST_PEER',
          collect,
        ),
      )
      .addOption(
        opt(
          '--peer-check-ms <n>',
          "how often each peer's /status.json is read (its room, and whether it is draining)",
          'RELAYCAST_PEER_CHECK_MS',
          integer(100, 3_600_000),
          DEFAULTS.peerCheckMs,
        ),
      )
      .addOption(
        opt(
          '--redirect-over <n>',
          'send new listeners to a peer with room once this relay has N listeners (0: only when full or draining)',
          'RELAYCAST_REDIRECT_OVER',
          count,
          DEFAULTS.redirectOver,
        ),
      )
      .addOption(
        opt(
          '--drain-deadline-ms <n>',
          'how long a drain (POST /admin/drain, SIGUSR2) lets connected listeners stay before ending them',
          'RELAYCAST_DRAIN_DEADLINE_MS',
          ms,
          DEFAULTS.drainDeadlineMs,
        ),
      )
  );
}
