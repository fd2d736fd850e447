// Changing a mount's "now playing": the one place a title is set, whether it
// came from /admin/metadata, SHOUTcast's admin.cgi, a source's inline ICY
// metadata, a pull relay's upstream or an Ogg stream's comment header. It sanitizes and fits the
// title (relay/icy-metadata.ts), builds the ICY block once for every listener
// to share, logs the change once and counts it. Setting the title it already
// has changes nothing, so listeners keep getting the one-byte "unchanged"
// block.

import type { Logger } from 'pino';
import { encodeIcyBlock, fitIcyTitle } from '../formats/icy-metadata.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Mount } from './mount.js';

/** Where a title came from, for the log. */
export type TitleVia = 'admin/metadata' | 'admin.cgi' | 'inline-icy' | 'file-tags' | 'ogg-comments' | 'relay';

/** Sets the title; true when it changed. */
export function updateMountTitle(
  deps: { metrics: Metrics; log: Logger },
  mount: Mount,
  rawTitle: string,
  rawUrl: string,
  via: TitleVia,
): boolean {
  const { title, url } = fitIcyTitle(rawTitle, rawUrl);
  deps.metrics.titleUpdates.inc({ mount: mount.name });
  if (title === mount.title && url === mount.titleUrl) return false;
  mount.title = title;
  mount.titleUrl = url;
  mount.icyBlock = encodeIcyBlock(title, url);
  mount.titleVersion++;
  deps.log.info({ mount: mount.name, title, url: url || undefined, via }, 'title changed');
  return true;
}
