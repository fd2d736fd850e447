// Which request paths name a mount. A mount is its path: a source on /jazz is
// heard at /jazz. Paths the relay answers itself are reserved, so a source
// can never shadow /metrics or the admin and status endpoints.

import { RelayError } from '../errors.js';

/** Longest mount name: each name labels metric series and is repeated in status pages, so it stays short. */
export const MAX_MOUNT_NAME_BYTES = 256;
const MOUNT_PATTERN = /^(\/[A-Za-z0-9._~-]+)+$/;
const RESERVED_EXACT = new Set(['/metrics', '/admin', '/admin.cgi', '/favicon.ico', '/healthz', '/readyz']);
const RESERVED_PREFIXES = ['/admin/', '/status', '/metrics/'];

export function isReservedPath(path: string): boolean {
  const lower = path.toLowerCase();
  return RESERVED_EXACT.has(lower) || RESERVED_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/** The mount a request path names (query stripped), or a refusal. */
export function mountNameOf(target: string): string {
  const path = target.split('?', 1)[0];
  // The pattern allows ASCII only, so characters are bytes.
  if (path.length > MAX_MOUNT_NAME_BYTES) throw new RelayError('BAD_MOUNT', `${path.length} bytes`);
  if (!MOUNT_PATTERN.test(path) || path.split('/').some((seg) => seg === '.' || seg === '..')) {
    throw new RelayError('BAD_MOUNT', path.slice(0, 80));
  }
  if (isReservedPath(path)) throw new RelayError('MOUNT_RESERVED', path);
  return path;
}
