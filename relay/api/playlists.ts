// Playlists that point a player at a mount: /<mount>.m3u (Icecast) and
// /<mount>.pls (SHOUTcast). They are served for any valid mount name, even
// one without a source right now, so a station's link keeps working while
// its encoder restarts (the player then gets 404 and retries, as it would
// from Icecast).

import { mountNameOf } from '../formats/mount-name.js';
import type { MountRegistry } from '../core/mounts.js';

export interface Playlist {
  contentType: string;
  body: string;
}

const KINDS = {
  '.m3u': 'audio/x-mpegurl',
  '.pls': 'audio/x-scpls',
} as const;

/** The playlist `path` asks for, or undefined when it does not name one. */
export function playlistFor(path: string, registry: MountRegistry, baseUrl: string): Playlist | undefined {
  const suffix = path.slice(-4).toLowerCase();
  if (suffix !== '.m3u' && suffix !== '.pls') return undefined;
  // A mount may itself be called /x.m3u; then the stream wins.
  if (registry.get(path)) return undefined;
  let mountName: string;
  try {
    mountName = mountNameOf(path.slice(0, -4));
  } catch {
    return undefined;
  }
  // A hidden mount (config `hidden: true`) gets no playlist: it is not advertised.
  if (registry.get(mountName)?.settings?.hidden || registry.station.forMount(mountName)?.hidden) return undefined;
  const url = `${baseUrl}${mountName}`;
  const title = (registry.get(mountName)?.info.name ?? mountName).replace(/[\r\n]/g, ' ');
  if (suffix === '.m3u') return { contentType: KINDS[suffix], body: `#EXTM3U\n#EXTINF:-1,${title}\n${url}\n` };
  return {
    contentType: KINDS[suffix],
    body: `[playlist]\nNumberOfEntries=1\nFile1=${url}\nTitle1=${title}\nLength1=-1\nVersion=2\n`,
  };
}
