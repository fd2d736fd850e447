// Title updates over HTTP, the way encoders already send them to Icecast and
// SHOUTcast, on both ports (the transports only parse and answer):
// - GET /admin/metadata?mount=/m&mode=updinfo&song=... (or artist= and
//   title=, plus url= and charset=), with HTTP Basic as user `source` or
//   `admin`;
// - GET /admin.cgi?pass=PW&mode=updinfo&song=... (SHOUTcast v1), for
//   --shoutcast-mount unless mount= is given; Basic auth also works there.
// Success is Icecast's small XML answer; every refusal is a RelayError.

import { adminRoleOf, limitedRole, shoutcastPasswordRoleOf } from './admin-auth.js';
import type { RelayContext } from './context.js';
import { RelayError } from '../errors.js';
import { updateMountTitle, type TitleVia } from '../core/mount-title.js';
import { decodeText, parseQueryBytes } from '../formats/query-bytes.js';

export const TITLE_PATHS: ReadonlySet<string> = new Set(['/admin/metadata', '/admin.cgi']);

/** Icecast's answer to a successful update; encoders that read it look for <return>1. */
export const TITLE_OK_XML =
  '<?xml version="1.0"?>\n<iceresponse><message>Metadata update successful</message><return>1</return></iceresponse>\n';
export const TITLE_OK_HEADERS: ReadonlyArray<[string, string]> = [['Content-Type', 'text/xml; charset=utf-8']];

export interface TitleRequest {
  /** The path without its query: one of TITLE_PATHS. */
  path: string;
  /** The raw query bytes after `?` (still percent-encoded). */
  query: Uint8Array;
  authorization: string | undefined;
  remote: string;
}

/** Applies a title update or throws the RelayError to answer with. */
export function handleTitleRequest(ctx: RelayContext, req: TitleRequest): void {
  const params = parseQueryBytes(req.query);
  const ascii = (name: string): string | undefined => {
    const value = params.get(name);
    return value === undefined ? undefined : Buffer.from(value).toString('latin1');
  };
  const shoutcast = req.path === '/admin.cgi';
  const mountName = ascii('mount') ?? (shoutcast ? ctx.config.shoutcastMount : undefined);
  // The mount's own source credentials, or the admin's, may set its title.
  const station = ctx.registry.station;
  // Without a mount= the credentials are judged as for any unlisted mount, so a missing mount is a 400, not a 401.
  const settings = mountName ? station.forMount(mountName) : station.defaultMount;
  const pass = shoutcast ? ascii('pass') : undefined;
  const presented = req.authorization !== undefined || pass !== undefined;
  const role = limitedRole(ctx.authLimiter, req.remote, presented, () =>
    shoutcast
      ? (shoutcastPasswordRoleOf(pass, station, settings) ?? adminRoleOf(req.authorization, station, settings))
      : adminRoleOf(req.authorization, station, settings),
  );
  if (!role) throw new RelayError('ADMIN_AUTH_REQUIRED');

  const mode = ascii('mode');
  if (mode !== 'updinfo')
    throw new RelayError('BAD_METADATA', mode === undefined ? 'mode= missing' : `mode=${mode.slice(0, 40)} is not supported`);
  if (mountName === undefined || mountName === '') throw new RelayError('BAD_METADATA', 'mount= missing');
  const mount = ctx.registry.get(mountName);
  if (!mount) throw new RelayError('MOUNT_NOT_FOUND', mountName.slice(0, 80));

  const charset = ascii('charset');
  const text = (name: string): string | undefined => {
    const value = params.get(name);
    if (value === undefined) return undefined;
    try {
      return decodeText(value, charset);
    } catch {
      throw new RelayError('BAD_METADATA', `unknown charset ${JSON.stringify(charset?.slice(0, 40))}`);
    }
  };
  let song = text('song');
  if (song === undefined) {
    const artist = text('artist') ?? '';
    const title = text('title') ?? '';
    song = artist && title ? `${artist} - ${title}` : artist || title;
    if (song === '' && !params.has('artist') && !params.has('title')) throw new RelayError('BAD_METADATA', 'song= missing');
  }
  const via: TitleVia = shoutcast ? 'admin.cgi' : 'admin/metadata';
  updateMountTitle(ctx, mount, song, text('url') ?? '', via);
}
