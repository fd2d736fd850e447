// What a source says about its stream (Icecast's ice-*, SHOUTcast's icy-*,
// the old x-audiocast-*), normalized once when the source connects and
// repeated to every listener as icy-* headers, and its Content-Type.
// Invariant: nothing a source sends reaches a listener's response header
// unchecked: the Content-Type must match RFC 9110's media-type grammar
// (mediaTypeOf) and every icy-* value is made header-safe where it is
// written out (icyHeaders), whatever path stored it.

import { RelayError } from '../errors.js';

import type { MountSettings } from './mount-settings.js';

export interface StreamInfo {
  name?: string;
  description?: string;
  url?: string;
  genre?: string;
  bitrateKbps?: string;
  public?: string;
  audioInfo?: string;
}

const FIELDS: Record<string, keyof StreamInfo> = {
  name: 'name',
  description: 'description',
  url: 'url',
  genre: 'genre',
  bitrate: 'bitrateKbps',
  br: 'bitrateKbps',
  public: 'public',
  pub: 'public',
  'audio-info': 'audioInfo',
};

const PREFIXES = ['ice-', 'icy-', 'x-audiocast-'];

/** Longest value kept; header values are repeated to every listener. */
const MAX_VALUE_CHARS = 512;

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
// qdtext and quoted-pair without obs-text: a Content-Type is ASCII in practice, and a listener's header stays so.
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e]|\\\\[\\t \\x21-\\x7e])*"';
/** RFC 9110 section 8.3.1: type "/" subtype *( OWS ";" OWS [ name "=" ( token / quoted-string ) ] ). */
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*(?:${TOKEN}=(?:${TOKEN}|${QUOTED}))?)*$`);
/** Longest Content-Type kept; real ones are under 60 bytes. */
export const MAX_CONTENT_TYPE_CHARS = 256;

/** A source's Content-Type, checked against the media-type grammar; BAD_HEADER when it is anything else. */
export function mediaTypeOf(raw: string): string {
  const value = raw.replace(/^[ \t]+|[ \t]+$/g, '');
  if (value.length > MAX_CONTENT_TYPE_CHARS || !MEDIA_TYPE.test(value)) {
    throw new RelayError('BAD_HEADER', 'Content-Type is not a media type (type/subtype; parameters)');
  }
  return value;
}

/** Reads stream info from request headers (lower-case names). ice-* wins over older spellings. */
export function streamInfoFrom(headers: ReadonlyMap<string, string>): StreamInfo {
  const info: StreamInfo = {};
  for (const prefix of [...PREFIXES].reverse()) {
    for (const [suffix, field] of Object.entries(FIELDS)) {
      const value = headers.get(prefix + suffix);
      if (value !== undefined && value.trim() !== '') info[field] = headerSafe(value);
    }
  }
  return info;
}

/** Strips what could break a response header: control characters, and trims the length. */
export function headerSafe(value: string): string {
  return (
    value
      // Anything but SP..~ and obs-text (control bytes, and code points a Latin-1 header cannot carry) becomes a space.
      .replace(/[^\x20-\x7e\x80-\xff]/g, ' ')
      .trim()
      .slice(0, MAX_VALUE_CHARS)
  );
}

/** The icy-* headers a listener gets, in Icecast's order. */
export function icyHeaders(info: StreamInfo): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const add = (name: string, value: string | undefined): void => {
    // Checked again here, where values become headers, so a path that stored info unchecked cannot inject one.
    const safe = value === undefined ? '' : headerSafe(value);
    if (safe !== '') out.push([name, safe]);
  };
  add('icy-br', info.bitrateKbps);
  add('icy-description', info.description);
  add('icy-genre', info.genre);
  add('icy-name', info.name);
  out.push(['icy-pub', info.public === '1' || info.public === 'true' ? '1' : '0']);
  add('icy-url', info.url);
  add('ice-audio-info', info.audioInfo);
  return out;
}

/** The config's stream info over the source's (a mount's stream-name, genre, ...), made header-safe the same way. */
export function withOverrides(
  info: StreamInfo,
  settings: Pick<MountSettings, 'streamName' | 'description' | 'genre' | 'url' | 'public'>,
): StreamInfo {
  const out: StreamInfo = { ...info };
  if (settings.streamName !== undefined) out.name = headerSafe(settings.streamName);
  if (settings.description !== undefined) out.description = headerSafe(settings.description);
  if (settings.genre !== undefined) out.genre = headerSafe(settings.genre);
  if (settings.url !== undefined) out.url = headerSafe(settings.url);
  if (settings.public !== undefined) out.public = settings.public ? '1' : '0';
  return out;
}
