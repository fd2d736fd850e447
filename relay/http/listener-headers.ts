// The response headers a listener gets, the same on every port: Icecast's
// (content type, icy-*, no caching) plus CORS (api/cors.ts).

import { CORS_HEADERS } from '../api/cors.js';
import type { Mount } from '../core/mount.js';
import { icyHeaders } from '../core/stream-info.js';

/** `icyMetaInt`: the listener gets ICY metadata every that many bytes (relay/icy-interleaver.ts). */
export function streamHeaders(mount: Mount, icyMetaInt?: number): Array<[string, string]> {
  return [
    ['Content-Type', mount.contentType],
    ['Cache-Control', 'no-cache, no-store'],
    ['Pragma', 'no-cache'],
    ['Expires', 'Mon, 26 Jul 1997 05:00:00 GMT'],
    ...icyHeaders(mount.info),
    ...(icyMetaInt ? [['icy-metaint', String(icyMetaInt)] as [string, string]] : []),
    ...CORS_HEADERS,
  ];
}
