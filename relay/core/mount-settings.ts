// What one mount may be configured with (a config file's `mounts:` entry,
// or an icecast.xml <mount>), already resolved against the file's
// `default-mount` and the server's flags: the core reads only this.

import type { SlowPolicy } from '../config.js';
import type { StreamSignature } from '../formats/stream-signature.js';

export interface MountSettings {
  /** User name sources of this mount log in with (Icecast's <username>; default `source`). */
  sourceUser: string;
  /** This mount's own source password; undefined = the server's --source-password. */
  sourcePassword: string | undefined;
  /** Listener limit of this mount; 0 = only the server's limits. */
  maxListeners: number;
  burstBytes: number;
  maxLagBytes: number;
  slowPolicy: SlowPolicy;
  sourceGraceMs: number;
  /** Stream info that overrides what the source sends (undefined = the source's). */
  streamName: string | undefined;
  description: string | undefined;
  genre: string | undefined;
  url: string | undefined;
  public: boolean | undefined;
  /** Left out of status JSON, the status page and playlists (still playable). */
  hidden: boolean;
  /** Content types a source may send here; undefined = any. */
  contentTypes: readonly string[] | undefined;
  /** Where this mount's listeners go when it has no source (a chain may follow); undefined = none. */
  fallbackMount: string | undefined;
  /** Bring listeners back when this mount's source returns: `own` those who fell back from here, `all` also the fallback's own. */
  fallbackOverride: 'off' | 'own' | 'all';
  /** A move whose formats differ: leave the listener where it is (`stay`) or end it cleanly (`end`). */
  fallbackMismatch: 'stay' | 'end';
  /** A file this mount plays, looped in real time, whenever no source is connected. */
  fallbackFile: string | undefined;
  /** A file each new listener hears once before the stream. */
  introFile: string | undefined;
  /** That file's frames, loaded once and shared by every listener. */
  intro: MountIntro | undefined;
  /** A pull relay's upstream URLs, tried in order (ingest/pull/); undefined = not a relay mount. */
  relayUrls: readonly string[] | undefined;
  /** A relay mount pulls only while it has listeners. */
  onDemand: boolean;
  /** How long after an on-demand relay's last listener leaves its pull stops. */
  onDemandIdleMs: number;
}

export interface MountIntro {
  path: string;
  /** Whole frames only, tags and Xing/Info frames left out. */
  bytes: Uint8Array;
  durationMs: number;
  /** Played only to a mount whose stream has the same codec, rate and channels. */
  signature: StreamSignature | undefined;
}

/** Every mount's settings as the running config has them; swapped whole by a reload. */
export interface StationSettings {
  /** The server-wide source password (user `source`), for mounts without their own. */
  readonly sourcePassword: string;
  /** Password of user `admin`. */
  readonly adminPassword: string;
  /** Server-wide listener limit; 0 = none. */
  readonly maxListeners: number;
  /** The settings of mount `name`; undefined when sources may not use it (an unlisted mount with `unlisted-mounts: refuse`). */
  forMount(name: string): MountSettings | undefined;
  /** What a mount the file does not list gets (default-mount over the flags), whether or not such mounts are accepted. */
  readonly defaultMount: MountSettings;
  /** Mounts the file lists by name, in its order. */
  readonly listedMounts: readonly string[];
}
