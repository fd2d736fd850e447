// The response headers a listener gets, the same on both ports: Icecast's
// (content type, icy-*, no caching) plus the CORS that Icecast 2.4 lacks, so
// a web player on another origin can play the stream and read its titles.

import type { Mount } from './mount.js';
import { icyHeaders } from './stream-info.js';

const EXPOSED = 'icy-br, icy-description, icy-genre, icy-metaint, icy-name, icy-pub, icy-url, ice-audio-info';

/** Answer to an OPTIONS preflight, on any path. */
export const PREFLIGHT_HEADERS: ReadonlyArray<[string, string]> = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS'],
  ['Access-Control-Allow-Headers', 'Icy-MetaData, Range, Content-Type, Authorization'],
  ['Access-Control-Max-Age', '86400'],
];

export const CORS_HEADERS: ReadonlyArray<[string, string]> = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Expose-Headers', EXPOSED],
];

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
