// Intros (Icecast's <intro>): what a new listener hears once before the
// stream, from the mount's intro-file (loaded once by the settings, one
// buffer shared by all). Played only on the mount itself, not through a
// fallback, and only when the stream's codec, rate and channels match, so a
// player's decoder never changes format; a mismatch is counted every time
// and logged once per mount and file.

import type { Logger } from 'pino';
import { describeSignature, sameSignature } from '../formats/stream-signature.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Listener } from './listener.js';
import type { Mount } from './mount.js';
import type { MountSettings } from './mount-settings.js';

export class Intros {
  private readonly metrics: Metrics;
  private readonly log: Logger;
  /** The intro whose mismatch was logged, per mount. */
  private readonly mismatchLogged = new Map<string, string>();

  constructor(metrics: Metrics, log: Logger) {
    this.metrics = metrics;
    this.log = log;
  }

  /** The bytes a new listener of `name`, joining `mount`, gets before the ring's; undefined for none. */
  introFor(name: string, mount: Mount<Listener>, settings: MountSettings | undefined): Uint8Array | undefined {
    const intro = settings?.intro;
    if (!intro || mount.name !== name) return undefined;
    if (!sameSignature(intro.signature, mount.signature)) {
      this.metrics.intros.inc({ mount: name, result: 'mismatch' });
      if (this.mismatchLogged.get(name) !== intro.path) {
        this.mismatchLogged.set(name, intro.path);
        this.log.warn(
          { mount: name, file: intro.path, intro: describeSignature(intro.signature), stream: describeSignature(mount.signature) },
          'intro not played: its format differs from the stream',
        );
      }
      return undefined;
    }
    this.metrics.intros.inc({ mount: name, result: 'played' });
    return intro.bytes;
  }
}
