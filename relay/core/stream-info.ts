// What a source says about its stream (Icecast's ice-*, SHOUTcast's icy-*,
// the old x-audiocast-*), normalized once when the source connects and
// repeated to every listener as icy-* headers.

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
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point; each becomes a space so none reaches a header.
      .replace(/[\x00-\x1f\x7f]/g, ' ')
      .trim()
      .slice(0, MAX_VALUE_CHARS)
  );
}

/** The icy-* headers a listener gets, in Icecast's order. */
export function icyHeaders(info: StreamInfo): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (info.bitrateKbps) out.push(['icy-br', info.bitrateKbps]);
  if (info.description) out.push(['icy-description', info.description]);
  if (info.genre) out.push(['icy-genre', info.genre]);
  if (info.name) out.push(['icy-name', info.name]);
  out.push(['icy-pub', info.public === '1' || info.public === 'true' ? '1' : '0']);
  if (info.url) out.push(['icy-url', info.url]);
  if (info.audioInfo) out.push(['ice-audio-info', info.audioInfo]);
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
