// HTTP Basic credentials of a source, compared in constant time.

import { createHash, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  user: string;
  password: string;
}

export function parseBasicAuth(header: string | undefined): Credentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Equal strings, without leaking how much of them matched. */
export function safeEqual(a: string, b: string): boolean {
  // Hashing first makes the lengths equal, which timingSafeEqual needs.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Basic credentials of `user` (a mount's source user, `source` unless the config names another) with `password`. */
export function isSourceAuthorized(header: string | undefined, password: string, user = 'source'): boolean {
  const creds = parseBasicAuth(header);
  return creds !== undefined && creds.user === user && safeEqual(creds.password, password);
}
