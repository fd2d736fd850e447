// An origin's list of public mounts, read from the documents relaycast and
// Icecast serve (pure, no I/O):
// - Icecast 2.4's /status-json.xsl (relaycast serves the same shape):
//   `icestats.source` is absent with no mount, an object with one and an
//   array with several; each source's `listenurl` gives the mount (its path:
//   the host in it is the origin's <hostname>, not necessarily reachable).
// - relaycast's /status.json: `mounts[].mount`.
// - Icecast's /admin/streamlist.txt (and relaycast's): one mount per line,
//   CRLF as Icecast 2.4.4 writes it.
// Hidden mounts are in none of them (both servers leave them out). A name
// that is not a valid mount here (mount-name.ts) is skipped and counted, so
// one odd mount never costs the rest. Invariant: `mounts` is sorted and
// holds each name once.

import { mountNameOf } from './mount-name.js';

export interface MountList {
  mounts: string[];
  /** Entries that named no valid mount (a bad listenurl, a reserved path, ...). */
  skipped: number;
}

/** The mounts in a status JSON body, either shape; throws when it is neither. */
export function mountsOfStatusJson(body: string): MountList {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new Error('the status document is not JSON');
  }
  if (isObject(doc) && isObject(doc.icestats)) return icecastMounts(doc.icestats);
  if (isObject(doc) && Array.isArray(doc.mounts)) {
    return collect(doc.mounts.map((m) => (isObject(m) && typeof m.mount === 'string' ? m.mount : undefined)));
  }
  throw new Error('the status document has neither icestats (Icecast) nor mounts (relaycast)');
}

/** The mounts in a streamlist.txt body: one path per line, blank lines ignored. */
export function mountsOfStreamList(body: string): MountList {
  if (/^\s*</.test(body)) throw new Error('the stream list is markup, not one mount per line');
  return collect(
    body
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== ''),
  );
}

function icecastMounts(icestats: Record<string, unknown>): MountList {
  const source = icestats.source;
  // One source is an object, several an array (Icecast 2.4's XSL).
  const sources = source === undefined ? [] : Array.isArray(source) ? source : [source];
  return collect(sources.map((s) => (isObject(s) && typeof s.listenurl === 'string' ? pathOf(s.listenurl) : undefined)));
}

function pathOf(listenUrl: string): string | undefined {
  try {
    return new URL(listenUrl).pathname;
  } catch {
    return undefined;
  }
}

function collect(names: ReadonlyArray<string | undefined>): MountList {
  const mounts = new Set<string>();
  let skipped = 0;
  for (const name of names) {
    const mount = name === undefined ? undefined : validMount(name);
    if (mount === undefined) skipped++;
    else mounts.add(mount);
  }
  return { mounts: [...mounts].sort(), skipped };
}

function validMount(name: string): string | undefined {
  try {
    return mountNameOf(name);
  } catch {
    // Not a mount relaycast can serve (mount-name.ts says why); the caller counts it.
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
