// An edge's --origin URL, taken apart once (pure, no I/O): where the
// origin's streams are (scheme://host:port, never with credentials), which
// document lists its mounts, the Basic credential that document needs, and
// a label for logs and metrics. Invariant: `base` and `label` never hold
// the user:password@ of the URL; only `authorization` does, and it is sent
// to the origin, never logged.
//
// Which document: the URL's path when it names one of LIST_DOCUMENTS;
// with no path, relaycast's and Icecast's public /status-json.xsl, or,
// when the URL carries credentials (only the list needs them), Icecast's
// /admin/streamlist.txt (Icecast 2.4 wants its relay user there; relaycast
// wants user admin).

import { RelayError } from '../errors.js';

/** The documents an origin lists its public mounts in. */
export const LIST_DOCUMENTS = ['/status-json.xsl', '/status.json', '/admin/streamlist.txt'] as const;
export type ListDocument = (typeof LIST_DOCUMENTS)[number];

export interface OriginUrl {
  /** `http://host:port` with no path, credentials or trailing slash: a mount's URL is base + mount. */
  base: string;
  /** The document polled for the mount list. */
  listUrl: string;
  document: ListDocument;
  /** `Basic ...` from the URL's user:password@, or undefined. */
  authorization: string | undefined;
  /** `host:port`, for log lines and the `origin` label. */
  label: string;
}

/** Parses one --origin value, or throws CONFIG_INVALID with what to write instead. */
export function parseOriginUrl(raw: string): OriginUrl {
  const fail = (why: string): never => {
    throw new RelayError('CONFIG_INVALID', `--origin ${raw}: ${why}`);
  };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('not a URL; use http://HOST:PORT (e.g. http://origin.example:8000)');
  }
  if (url.protocol === 'https:') fail('https:// origins are not supported yet; use the http:// port of the origin');
  if (url.protocol !== 'http:') fail('use an http:// URL, e.g. http://origin.example:8000');
  if (url.search !== '' || url.hash !== '') fail('give no query or fragment');
  const path = url.pathname === '/' ? '' : url.pathname;
  const credentials = url.username !== '' || url.password !== '';
  let document: ListDocument;
  if (path === '') document = credentials ? '/admin/streamlist.txt' : '/status-json.xsl';
  else if ((LIST_DOCUMENTS as readonly string[]).includes(path)) document = path as ListDocument;
  else return fail(`the path must be empty or one of ${LIST_DOCUMENTS.join(', ')}`);
  const base = `http://${url.host}`;
  const authorization = credentials
    ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
    : undefined;
  return { base, listUrl: `${base}${document}`, document, authorization, label: url.host };
}
