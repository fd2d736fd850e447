// The one catalog of refusals and failures. Every refusal a client can meet
// has a stable code, an HTTP status and a one-line reason; the same reason is
// sent as the response body and written to the log. README "Errors" lists
// this table: keep them in step.
// Invariant: a RelayError's message holds at most MAX_DETAIL_CHARS of detail
// (a refusal never echoes more than that of what the client sent) and no
// secret (formats/redact.ts), so it is safe as a body and as a log line.

import { redactSecrets } from './formats/redact.js';

/** Most of a client's input (a URI, a header) a refusal echoes back. */
export const MAX_DETAIL_CHARS = 120;

export const ERRORS = {
  BAD_REQUEST_LINE: { status: 400, reason: 'malformed request line' },
  BAD_HEADER: { status: 400, reason: 'malformed header line' },
  BAD_CHUNK: { status: 400, reason: 'malformed chunked body' },
  BAD_METADATA: { status: 400, reason: 'a title update needs mode=updinfo, a mount, and song (or artist and title)' },
  BAD_DEADLINE: { status: 400, reason: 'deadline-ms must be a whole number of milliseconds, 0 to 86400000' },
  BAD_MOUNT: { status: 400, reason: 'mount names are /[A-Za-z0-9._~-]+ path segments, at most 256 bytes' },
  AUTH_REQUIRED: { status: 401, reason: 'source credentials missing or wrong' },
  AUTH_PROBE: { status: 401, reason: 'source credentials needed' },
  ADMIN_AUTH_REQUIRED: {
    status: 401,
    reason: 'admin credentials missing or wrong (user admin with --admin-password; title updates also take the source credentials)',
  },
  MOUNT_RESERVED: { status: 403, reason: 'this path is reserved and cannot be a mount' },
  MOUNT_UNLISTED: { status: 403, reason: 'this mount is not in the config, which refuses unlisted mounts' },
  MOUNT_NOT_FOUND: { status: 404, reason: 'no such mount' },
  LISTENER_NOT_FOUND: { status: 404, reason: 'no such listener on this mount' },
  ACME_TOKEN_NOT_FOUND: { status: 404, reason: 'no such ACME challenge token' },
  METHOD_NOT_ALLOWED: { status: 405, reason: 'method not allowed here' },
  MOUNT_BUSY: { status: 409, reason: 'mount already has a source' },
  NO_CONFIG_FILE: { status: 409, reason: 'the relay was started without --config or --icecast-config; there is nothing to reload' },
  CONTENT_TYPE_REQUIRED: { status: 415, reason: 'PUT needs a Content-Type' },
  CONTENT_TYPE_NOT_ALLOWED: { status: 415, reason: "this mount's config does not allow that content type" },
  RELOAD_REFUSED: { status: 422, reason: 'the config file has errors; the running config stays' },
  HEAD_TOO_LARGE: { status: 431, reason: 'request head over 8 KiB' },
  HEADER_TIMEOUT: { status: 408, reason: 'request head not complete in time' },
  VERSION_NOT_SUPPORTED: { status: 505, reason: 'only HTTP/1.x and ICE/1.0 are spoken here' },
  MOUNT_FULL: { status: 503, reason: 'mount has reached its listener limit' },
  SERVER_FULL: { status: 503, reason: 'server has reached its listener limit' },
  SHUTTING_DOWN: { status: 503, reason: 'server is shutting down' },
  // A drain sends new listeners to a peer with room; with none, they are told to come back (Retry-After).
  DRAINING: { status: 503, reason: 'this relay is draining and no peer has room; try again later' },
  // 503 with Retry-After, not Icecast's 403 "too many sources": the state passes when a mount goes, and
  // encoders (and alerts) read 403 as "forbidden" and stop, while a 503 is retried like MOUNT_FULL.
  MOUNT_LIMIT: { status: 503, reason: 'server has reached its mount limit (--max-mounts)' },
  AUTH_RATE_LIMITED: { status: 429, reason: 'too many failed logins from this address; try again later' },
  SOURCE_TIMEOUT: { status: 408, reason: 'source sent no data in time' },
  // A pull relay's upstream (ingest/pull/): a failed attempt is logged and counted, never sent to a client...
  UPSTREAM_FAILED: { status: 502, reason: "a relay mount's upstream failed" },
  // ...and a listener of a relay mount whose upstream cannot be reached in time gets this.
  UPSTREAM_UNAVAILABLE: { status: 503, reason: "this relay mount's upstream cannot be reached now" },
  INTERNAL: { status: 500, reason: 'internal error' },
  CONFIG_INVALID: { status: 0, reason: 'invalid configuration' },
} as const satisfies Record<string, { status: number; reason: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class RelayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds a client should wait before trying again (Retry-After); for 429 and 503. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, detail?: string, retryAfterSeconds?: number) {
    const entry = ERRORS[code];
    // A config message is the operator's own input and says what to do: it is not cut.
    super(detail ? `${entry.reason}: ${code === 'CONFIG_INVALID' ? redactSecrets(detail) : boundedDetail(detail)}` : entry.reason);
    this.name = 'RelayError';
    this.code = code;
    this.status = entry.status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

function boundedDetail(detail: string): string {
  const safe = redactSecrets(detail);
  return safe.length > MAX_DETAIL_CHARS ? `${safe.slice(0, MAX_DETAIL_CHARS)}...` : safe;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  302: 'Found',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
};

/** "404 Not Found": the status line text both transports send. */
export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? 'Error'}`;
}
