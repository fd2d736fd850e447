// CORS, which Icecast 2.4 lacks: a web player on another origin can play a
// stream, read its titles and the status JSON. The same on every port.

const EXPOSED = 'icy-br, icy-description, icy-genre, icy-metaint, icy-name, icy-pub, icy-url, ice-audio-info';

/** Answer to an OPTIONS preflight, on any path. */
export const PREFLIGHT_HEADERS: ReadonlyArray<[string, string]> = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS'],
  ['Access-Control-Allow-Headers', 'Icy-MetaData, Range, Content-Type, Authorization'],
  ['Access-Control-Max-Age', '86400'],
];

/** On streams and refusals, so a page can read the icy-* headers and the reason. */
export const CORS_HEADERS: ReadonlyArray<[string, string]> = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Expose-Headers', EXPOSED],
];
