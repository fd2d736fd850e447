// Who may use /admin/*: user "admin" with the admin password for
// everything; a mount's own source credentials (its source user, `source`
// by default, with its password or else the server's) for that mount's
// title updates only, as Icecast allows, so encoders that push titles keep
// working unchanged. The passwords come from the running config
// (StationSettings), so a reload changes them for the next request.

import type { MountSettings, StationSettings } from '../core/mount-settings.js';
import { parseBasicAuth, safeEqual } from '../formats/basic-auth.js';
import type { AuthLimiter } from './auth-limiter.js';

export type AdminRole = 'admin' | 'source';

/** The password sources of a mount with `settings` give (its own, or the server's). */
export function sourcePasswordOf(station: StationSettings, settings: MountSettings | undefined): string | undefined {
  if (!settings) return undefined;
  return settings.sourcePassword ?? station.sourcePassword;
}

/**
 * The role the request's credentials carry, or undefined when they carry
 * none. `mount` is the settings of the mount the request is about (title
 * updates); without it only the admin role can be had.
 */
export function adminRoleOf(authorization: string | undefined, station: StationSettings, mount?: MountSettings): AdminRole | undefined {
  const creds = parseBasicAuth(authorization);
  if (!creds) return undefined;
  if (creds.user === 'admin' && safeEqual(creds.password, station.adminPassword)) return 'admin';
  const sourcePassword = sourcePasswordOf(station, mount);
  if (mount && sourcePassword !== undefined && creds.user === mount.sourceUser && safeEqual(creds.password, sourcePassword))
    return 'source';
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
export function passwordRoleOf(password: string | undefined, station: StationSettings, mount?: MountSettings): AdminRole | undefined {
  if (password === undefined || password === '') return undefined;
  if (safeEqual(password, station.adminPassword)) return 'admin';
  const sourcePassword = sourcePasswordOf(station, mount);
  if (sourcePassword !== undefined && safeEqual(password, sourcePassword)) return 'source';
  return undefined;
}

/**
 * A SHOUTcast password as encoders send it (the source line, admin.cgi's
 * `pass=`): the password itself, or DNAS v2's `password:#streamid` form,
 * whose stream id we ignore (the mount is --shoutcast-mount).
 */
export function shoutcastPasswordRoleOf(
  password: string | undefined,
  station: StationSettings,
  mount?: MountSettings,
): AdminRole | undefined {
  const role = passwordRoleOf(password, station, mount);
  if (role || password === undefined) return role;
  const sid = password.lastIndexOf(':#');
  return sid > 0 ? passwordRoleOf(password.slice(0, sid), station, mount) : undefined;
}
