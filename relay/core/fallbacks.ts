// Fallback mounts: no dead air when a source drops. A mount's listeners
// move, connection kept, to the first mount of its fallback chain that has
// audio, joined at a frame (or page) boundary at that mount's live edge,
// and come back when the source returns if the mount says so
// (fallback-override). A listener keeps its decoder across a move, so a
// move happens only between streams of the same codec, sample rate and
// channel count; a mismatch is logged and counted, and leaves the listener
// where it is or ends it cleanly (fallback-mismatch).
//
// Invariant: a listener is in exactly one mount's `listeners` (the ring it
// reads, which fan-out writes from) and in exactly one home set (the mount
// it asked for, where it is counted), however often it moves.

import type { Logger } from 'pino';
import { describeSignature, sameSignature, type StreamSignature } from '../formats/stream-signature.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Listener } from './listener.js';
import type { Mount } from './mount.js';
import type { MountSettings } from './mount-settings.js';

/** Longest fallback chain followed; a loop (a -> b -> a) ends it too. */
const MAX_CHAIN = 8;

export interface FallbackHost {
  readonly mounts: ReadonlyMap<string, Mount<Listener>>;
  settingsOf(name: string): MountSettings | undefined;
  /** Hand the listener what it has not had of its current mount yet, before it moves (fan-out's flush). */
  flushBeforeMove(listener: Listener): void;
  /** A listener's counts changed (it moved): refresh its home's gauges. */
  onMoved(listener: Listener, from: Mount<Listener>): void;
}

/** The hidden mount a fallback file of `mount` plays on (ingest/file-source.ts feeds it). */
export function fileMountName(mount: string): string {
  return `${mount}/fallback-file`;
}

function isPlaying(mount: Mount<Listener> | undefined): mount is Mount<Listener> {
  return mount?.hasSource === true && mount.ring.head > 0 && mount.signature !== undefined;
}

export class Fallbacks {
  private readonly host: FallbackHost;
  private readonly metrics: Metrics;
  private readonly log: Logger;

  constructor(host: FallbackHost, metrics: Metrics, log: Logger) {
    this.host = host;
    this.metrics = metrics;
    this.log = log;
  }

  /**
   * Where listeners of `name` go while it has no source: the first mount of
   * its fallback chain with audio, else the first fallback file along that
   * chain (its own first) that is playing; undefined when none.
   */
  targetFor(name: string): Mount<Listener> | undefined {
    const chain = [name, ...this.namesAfter(name)];
    for (const next of chain.slice(1)) {
      const mount = this.host.mounts.get(next);
      if (isPlaying(mount)) return mount;
    }
    for (const next of chain) {
      if (this.settingsOf(next)?.fallbackFile === undefined) continue;
      const file = this.host.mounts.get(fileMountName(next));
      if (isPlaying(file)) return file;
    }
    return undefined;
  }

  /**
   * `mount` lost its source for good (its grace is over): its readers go to
   * its fallback. Returns those that could not go (no fallback, or a format
   * it cannot follow, with fallback-mismatch: end), which the caller ends.
   */
  evacuate(mount: Mount<Listener>, heard: StreamSignature | undefined): Listener[] {
    const target = this.targetFor(mount.name);
    const readers = [...mount.listeners];
    if (!target || readers.length === 0) return readers;
    if (!sameSignature(heard, target.signature)) {
      this.refuse(mount.name, target, heard, readers.length, 'fallback');
      return readers;
    }
    for (const listener of readers) this.move(listener, target);
    this.count(mount.name, 'fallback', readers.length);
    this.log.info({ mount: mount.name, to: target.name, listeners: readers.length }, 'listeners moved to the fallback');
    return [];
  }

  /** `mount`'s source is back and has audio: bring listeners back as its fallback-override says. */
  reclaim(mount: Mount<Listener>): void {
    const override = mount.settings?.fallbackOverride ?? 'off';
    if (override === 'off') return;
    const chain = this.chainOf(mount.name);
    const back: Listener[] = [];
    for (const name of chain) {
      const fallback = this.host.mounts.get(name);
      if (!fallback) continue;
      // own: those who came for this mount; all (Icecast 2.4's 1): everyone on its fallbacks.
      for (const listener of fallback.listeners) if (override === 'all' || listener.homeName === mount.name) back.push(listener);
    }
    if (back.length === 0) return;
    const mismatched = back.filter((l) => !sameSignature(l.mount.signature, mount.signature));
    if (mismatched.length > 0) {
      this.refuse(mount.name, mount, mismatched[0].mount.signature, mismatched.length, 'override');
      if (mount.settings?.fallbackMismatch === 'end') for (const l of mismatched) l.close('source_gone', true);
    }
    const moving = back.filter((l) => !l.closed && sameSignature(l.mount.signature, mount.signature));
    for (const listener of moving) this.move(listener, mount);
    if (moving.length > 0) {
      this.count(mount.name, 'override', moving.length);
      this.log.info({ mount: mount.name, listeners: moving.length }, 'listeners back from the fallback');
    }
  }

  /** Every mount a listener of `name` may have been moved to: its chain, and the fallback files along it. */
  private chainOf(name: string): string[] {
    const chain = [name, ...this.namesAfter(name)];
    const files = chain.filter((n) => this.settingsOf(n)?.fallbackFile !== undefined).map(fileMountName);
    return [...chain.slice(1), ...files];
  }

  /** The fallback-mount chain after `name`, in order; a loop or MAX_CHAIN ends it. */
  private namesAfter(name: string): string[] {
    const out: string[] = [];
    const seen = new Set<string>([name]);
    let next = this.settingsOf(name)?.fallbackMount;
    while (next !== undefined && !seen.has(next) && out.length < MAX_CHAIN) {
      seen.add(next);
      out.push(next);
      next = this.settingsOf(next)?.fallbackMount;
    }
    return out;
  }

  private settingsOf(name: string): MountSettings | undefined {
    return this.host.mounts.get(name)?.settings ?? this.host.settingsOf(name);
  }

  private move(listener: Listener, to: Mount<Listener>): void {
    // The old stream up to its last whole frame first; a socket that is full then loses only what it could not take.
    this.host.flushBeforeMove(listener);
    const from = listener.mount;
    from.listeners.delete(listener);
    to.listeners.add(listener);
    listener.mount = to;
    // The live edge, on a frame or page start: the player's buffer already holds audio, so no burst.
    listener.pos = to.joinPosition(0);
    listener.prefix = to.joinPrefix(listener.pos);
    listener.prefixSentBytes = 0;
    // The next ICY block carries the new mount's title.
    listener.icyTitleVersion = -1;
    this.host.onMoved(listener, from);
  }

  private refuse(
    mount: string,
    target: Mount<Listener>,
    heard: StreamSignature | undefined,
    listeners: number,
    direction: 'fallback' | 'override',
  ): void {
    this.count(mount, 'mismatch', listeners);
    this.log.warn(
      { mount, to: target.name, direction, listeners, heard: describeSignature(heard), offered: describeSignature(target.signature) },
      'fallback refused: the streams differ in codec, sample rate or channels',
    );
  }

  private count(mount: string, result: 'fallback' | 'override' | 'mismatch', n: number): void {
    this.metrics.fallbackMoves.inc({ mount, result }, n);
  }
}
