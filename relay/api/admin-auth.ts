// Who may use /admin/*: user "admin" with --admin-password for everything;
// a source's own credentials (user "source") for title updates only, as
// Icecast allows, so encoders that push titles keep working unchanged.

import { parseBasicAuth, safeEqual } from '../formats/basic-auth.js';
import type { RelayConfig } from '../config.js';
import type { AuthLimiter } from './auth-limiter.js';

export type AdminRole = 'admin' | 'source';

/** The role the request's credentials carry, or undefined when they carry none. */
export function adminRoleOf(authorization: string | undefined, config: Readonly<RelayConfig>): AdminRole | undefined {
  const creds = parseBasicAuth(authorization);
  if (!creds) return undefined;
  if (creds.user === 'admin' && safeEqual(creds.password, config.adminPassword)) return 'admin';
  if (creds.user === 'source' && safeEqual(creds.password, config.sourcePassword)) return 'source';
  return undefined;
}

/**
 * Runs one login attempt under the limiter: an address that failed too often is refused
 * (AUTH_RATE_LIMITED) before anything is compared; a credential that was given but gives
 * no role, or not the `needed` one, counts as a failure. A missing credential does not.
 */
export function limitedRole(
  limiter: AuthLimiter,
  remote: string,
  presented: boolean,
  roleOf: () => AdminRole | undefined,
  needed?: AdminRole,
): AdminRole | undefined {
  limiter.gate(remote);
  const role = roleOf();
  const enough = role !== undefined && (needed === undefined || role === needed);
  if (!enough && presented) limiter.failed(remote);
  return enough ? role : undefined;
}

/** SHOUTcast's admin.cgi carries the password in the query (`pass=`), with no user. */
export function passwordRoleOf(password: string | undefined, config: Readonly<RelayConfig>): AdminRole | undefined {
  if (password === undefined || password === '') return undefined;
  if (safeEqual(password, config.adminPassword)) return 'admin';
  if (safeEqual(password, config.sourcePassword)) return 'source';
  return undefined;
}

/**
 * A SHOUTcast password as encoders send it (the source line, admin.cgi's
 * `pass=`): the password itself, or DNAS v2's `password:#streamid` form,
 * whose stream id we ignore (the mount is --shoutcast-mount).
 */
export function shoutcastPasswordRoleOf(password: string | undefined, config: Readonly<RelayConfig>): AdminRole | undefined {
  const role = passwordRoleOf(password, config);
  if (role || password === undefined) return role;
  const sid = password.lastIndexOf(':#');
  return sid > 0 ? passwordRoleOf(password.slice(0, sid), config) : undefined;
}
