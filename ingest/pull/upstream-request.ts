// The request a pull relay sends upstream, and how an upstream URL is read.
// One GET per connection (Connection: close), `Icy-MetaData: 1` so that
// Icecast and SHOUTcast interleave titles, a User-Agent naming us (SHOUTcast
// v1 sends its HTML page to browsers' agents, the stream to anything else),
// and Basic credentials when the URL carries user:password@. Only http://
// is pulled for now; the URL's password is never logged (logUrl).

import { redactSecrets } from '../../relay/formats/redact.js';
import { PullFailure } from './pull-failure.js';

export interface UpstreamTarget {
  host: string;
  port: number;
  /** What the request line asks for: path and query. */
  pathAndQuery: string;
  /** Host header value. */
  hostHeader: string;
  authorization: string | undefined;
}

/** Reads an upstream URL (relative to `base` for a redirect's Location); a failure for anything but http://. */
export function upstreamTarget(raw: string, base?: URL): { url: URL; target: UpstreamTarget } {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new PullFailure('redirect', `not a URL: ${JSON.stringify(logUrl(raw).slice(0, 80))}`);
  }
  if (url.protocol !== 'http:') throw new PullFailure('redirect', `only http:// is pulled, not ${url.protocol}`);
  // WHATWG URL keeps an IPv6 host in brackets; net.connect wants it bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? 80 : Number(url.port);
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  return {
    url,
    target: {
      host,
      port,
      pathAndQuery: `${url.pathname}${url.search}`,
      hostHeader: url.host,
      authorization: user || password ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` : undefined,
    },
  };
}

export function requestText(target: UpstreamTarget, userAgent: string): string {
  const lines = [
    `GET ${target.pathAndQuery} HTTP/1.1`,
    `Host: ${target.hostHeader}`,
    `User-Agent: ${userAgent}`,
    'Icy-MetaData: 1',
    'Accept: */*',
    ...(target.authorization ? [`Authorization: ${target.authorization}`] : []),
    'Connection: close',
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** A URL as it may be logged: any user:password@ masked. */
export function logUrl(url: string): string {
  return redactSecrets(url);
}
