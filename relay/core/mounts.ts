// The set of mounts and the rules for joining them: one source per mount,
// listener limits, the grace period after a source leaves, and what happens
// when a different kind of stream takes a mount over. At most
// --max-mounts mounts exist at once (each holds a ring of --buffer-bytes),
// and relaycast_ring_bytes says how much the rings hold together. Ingest and the
// listener transports only talk to this class; fan-out reads its mounts.

import type { Logger } from 'pino';
import { RING_HEADROOM_BYTES, type RelayConfig } from '../config.js';
import { RelayError } from '../errors.js';
import { Listener, type DisconnectReason, type ListenerMeta } from './listener.js';
import type { Metrics } from '../metrics/metrics.js';
import { Fallbacks } from './fallbacks.js';
import { Intros } from './intros.js';
import { Mount } from './mount.js';
import type { MountSettings, StationSettings } from './mount-settings.js';
import { updateMountTitle } from './mount-title.js';
import { OggRingWriter } from './ogg-ring-writer.js';
import { mediaTypeOf, type StreamInfo, withOverrides } from './stream-info.js';

/** What ingest writes a source's bytes into. */
export interface SourceInput {
  readonly mount: Mount<Listener>;
  /** False when the source should pause for one turn of the event loop (see FanOut.onIngest). */
  write(bytes: Uint8Array): boolean;
  /** The source is gone (closed, timed out, or replaced at shutdown). */
  end(): void;
  /**
   * Aborted when the relay removes the mount under a connected source (shutdown): the
   * session must then destroy its connection, since an encoder that keeps sending
   * would hold a half-closed socket, and the process, open.
   */
  readonly stopped: AbortSignal;
}

export class MountRegistry {
  readonly mounts = new Map<string, Mount<Listener>>();
  private readonly config: Readonly<RelayConfig>;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private listenerTotal = 0;
  /** Every mount's settings; a reload replaces it through applyStation(). */
  private stationNow: StationSettings;
  /** Each mount name's own listeners, wherever they are now (a fallback may hold some). */
  private readonly homes = new Map<string, Set<Listener>>();
  /** Of those, how many hear another mount now: kept as they move, so no join or leave walks a home. */
  private readonly awayCounts = new Map<string, number>();
  private readonly intros: Intros;
  /** Mounts fed by a fallback file: their settings are their own, not the config's. */
  private readonly fileMounts = new Set<string>();
  private readonly fallbacks: Fallbacks;
  /** Mounts whose returning source should bring listeners back once it has audio. */
  private readonly reclaimPending = new Set<Mount<Listener>>();
  /** The stop signal of each mount's connected source. */
  private readonly sourceStops = new Map<Mount<Listener>, AbortController>();
  private accepting = true;
  /** Called before a listener moves to another mount (fan-out hands it the rest of the old one). */
  onBeforeMove: ((listener: Listener) => void) | undefined;
  /** Called when the number of mount name `name`'s own listeners changed (pull relays start and stop on it). */
  onHomeCount: ((name: string, listeners: number) => void) | undefined;
  /** Mounts whose grace after a source leaves is at least this long (a pull relay reconnecting). */
  private readonly minGraceMs = new Map<string, number>();
  /** Called with the bytes each source write made visible; true asks the source to pause. */
  onCommitted: ((mount: Mount<Listener>, bytes: number) => boolean) | undefined;

  constructor(config: Readonly<RelayConfig>, station: StationSettings, metrics: Metrics, log: Logger) {
    this.config = config;
    this.stationNow = station;
    this.metrics = metrics;
    this.log = log;
    this.intros = new Intros(metrics, log);
    this.fallbacks = new Fallbacks(
      {
        mounts: this.mounts,
        settingsOf: (name) => this.mounts.get(name)?.settings ?? this.stationNow.forMount(name),
        flushBeforeMove: (listener) => this.onBeforeMove?.(listener),
        onMoved: (listener, from) => {
          const home = listener.homeName;
          this.countAway(home, (listener.mount.name !== home ? 1 : 0) - (from.name !== home ? 1 : 0));
          this.updateGauges(home);
        },
      },
      metrics,
      log,
    );
  }

  get listenerCount(): number {
    return this.listenerTotal;
  }

  get sourceCount(): number {
    let n = 0;
    for (const mount of this.mounts.values()) if (mount.hasSource) n++;
    return n;
  }

  get(name: string): Mount<Listener> | undefined {
    return this.mounts.get(name);
  }

  get station(): StationSettings {
    return this.stationNow;
  }

  /**
   * A reload: new sources, listeners and logins get the new settings; a
   * mount that exists keeps its listeners and source, with its limits, lag
   * rule and stream info updated at once. A mount the new file no longer
   * allows keeps what it has until its source leaves.
   */
  applyStation(next: StationSettings): void {
    this.stationNow = next;
    for (const mount of this.mounts.values()) {
      if (this.fileMounts.has(mount.name)) continue;
      const settings = next.forMount(mount.name);
      if (!settings) continue;
      mount.settings = settings;
      mount.info = withOverrides(mount.sourceInfo, settings);
      this.metrics.mountMaxListeners.set({ mount: mount.name }, settings.maxListeners);
    }
  }

  /** Own listeners of mount name `name` now (wherever they hear). */
  homeSize(name: string): number {
    return this.homes.get(name)?.size ?? 0;
  }

  /** Whether a listener of `name` would hear its fallback chain now (one of its links has audio). */
  hasFallbackFor(name: string): boolean {
    return this.fallbacks.targetFor(name) !== undefined;
  }

  /**
   * A pull relay's listeners wait through its reconnects: the grace after its
   * source leaves is at least `graceMs` (undefined: the mount's own again).
   * Kept apart from the settings so that a reload does not undo it.
   */
  setMinGrace(name: string, graceMs: number | undefined): void {
    if (graceMs === undefined) this.minGraceMs.delete(name);
    else this.minGraceMs.set(name, graceMs);
  }

  /** Takes a mount for a source, or refuses with MOUNT_BUSY / MOUNT_LIMIT / BAD_HEADER (Content-Type) / SHUTTING_DOWN. */
  attachSource(name: string, rawContentType: string, info: StreamInfo, remote: string, request: Record<string, unknown> = {}): SourceInput {
    if (!this.accepting) throw new RelayError('SHUTTING_DOWN');
    // Every listener's Content-Type header is this value: it must be a media type and nothing more.
    const contentType = mediaTypeOf(rawContentType);
    return this.attachWith(name, contentType, info, remote, request, this.settingsForSource(name, contentType));
  }

  /** A fallback file's own mount (ingest/file-source.ts): hidden, with no limits, password or fallback of its own. */
  attachFileSource(name: string, contentType: string, info: StreamInfo, path: string): SourceInput {
    if (!this.accepting) throw new RelayError('SHUTTING_DOWN');
    this.fileMounts.add(name);
    const settings: MountSettings = {
      ...this.stationNow.defaultMount,
      hidden: true,
      maxListeners: 0,
      sourcePassword: undefined,
      contentTypes: undefined,
      fallbackMount: undefined,
      fallbackOverride: 'off',
      fallbackFile: undefined,
      introFile: undefined,
      intro: undefined,
    };
    return this.attachWith(name, contentType, info, `file:${path}`, { file: path }, settings);
  }

  private attachWith(
    name: string,
    contentType: string,
    info: StreamInfo,
    remote: string,
    request: Record<string, unknown>,
    settings: MountSettings,
  ): SourceInput {
    let mount = this.mounts.get(name);
    if (mount?.hasSource) throw new RelayError('MOUNT_BUSY', name);
    const maxMounts = this.config.maxMounts;
    if (!mount && maxMounts > 0 && this.mounts.size >= maxMounts) throw new RelayError('MOUNT_LIMIT', `${maxMounts} mounts`);
    if (mount && mount.contentType !== contentType) {
      this.log.info({ mount: name, from: mount.contentType, to: contentType }, 'new source changes the content type; ending listeners');
      this.removeMount(mount, 'source_gone');
      mount = undefined;
    }
    const resumed = mount !== undefined;
    if (!mount) {
      // A mount with a longer burst or lag than the server's needs a larger ring.
      const ringBytes = Math.max(this.config.bufferBytes, settings.burstBytes + settings.maxLagBytes + RING_HEADROOM_BYTES);
      mount = new Mount<Listener>(name, contentType, info, ringBytes, settings);
      this.mounts.set(name, mount);
      this.takeTitlesFromStream(mount);
      this.metrics.initMount(name);
      // Its own listeners may already be hearing its fallback: count them again.
      this.updateGauges(name);
      this.metrics.ringBytes.inc(mount.ring.capacityBytes);
      this.metrics.mounts.set(this.mounts.size);
    }
    mount.settings = settings;
    this.metrics.mountMaxListeners.set({ mount: name }, settings.maxListeners);
    clearTimeout(mount.graceTimer);
    mount.graceTimer = undefined;
    mount.sourceInfo = info;
    mount.info = withOverrides(info, settings);
    mount.hasSource = true;
    mount.sourceRemote = remote;
    mount.sourceStartedAtMs = Date.now();
    this.metrics.sourceConnected.set({ mount: name }, 1);
    this.metrics.sourceConnects.inc({ mount: name });
    if (settings.fallbackOverride !== 'off') this.reclaimPending.add(mount);
    this.log.info({ mount: name, remote, contentType, resumed, listeners: mount.listeners.size, ...request }, 'source connected');
    return this.sourceInput(mount);
  }

  /** An Ogg stream's comment headers set the mount's title, like any other title update. */
  private takeTitlesFromStream(mount: Mount<Listener>): void {
    if (!(mount.writer instanceof OggRingWriter)) return;
    mount.writer.headers.onTitle = (title) => updateMountTitle({ metrics: this.metrics, log: this.log }, mount, title, '', 'ogg-comments');
  }

  private sourceInput(mount: Mount<Listener>): SourceInput {
    const bytesIn = this.metrics.bytesIn.labels({ mount: mount.name });
    let ended = false;
    const stop = new AbortController();
    this.sourceStops.set(mount, stop);
    return {
      mount,
      stopped: stop.signal,
      write: (bytes) => {
        // A mount removed under its source (shutdown) takes no more bytes and gets no series back.
        if (ended || this.mounts.get(mount.name) !== mount) return true;
        const committed = mount.writer.write(bytes);
        mount.sourceBytes += bytes.length;
        bytesIn.inc(bytes.length);
        // Listeners come back from the fallback once there is audio to join, and its format is known.
        // The Set is looked at first: an Ogg mount's signature is parsed from its header pages, too much for every write.
        if (committed > 0 && this.reclaimPending.has(mount) && mount.signature !== undefined) {
          this.reclaimPending.delete(mount);
          this.fallbacks.reclaim(mount);
        }
        return !(committed > 0 && this.onCommitted?.(mount, committed));
      },
      end: () => {
        if (ended) return;
        ended = true;
        if (this.sourceStops.get(mount) === stop) this.sourceStops.delete(mount);
        this.detachSource(mount);
      },
    };
  }

  private detachSource(mount: Mount<Listener>): void {
    this.reclaimPending.delete(mount);
    // What its listeners' decoders are set up for, before the writer forgets it.
    mount.lastSignature = mount.signature ?? mount.lastSignature;
    mount.writer.end();
    mount.hasSource = false;
    // A mount removed meanwhile (shutdown) has no series left to set, and must not get them back.
    if (this.mounts.get(mount.name) === mount) this.metrics.sourceConnected.set({ mount: mount.name }, 0);
    const ownGraceMs = mount.settings?.sourceGraceMs ?? this.config.sourceGraceMs;
    const graceMs = this.accepting ? Math.max(ownGraceMs, this.minGraceMs.get(mount.name) ?? 0) : 0;
    this.log.info({ mount: mount.name, listeners: mount.listeners.size, graceMs }, 'source disconnected');
    if (graceMs === 0 || mount.listeners.size === 0) {
      this.leave(mount);
      return;
    }
    mount.graceTimer = setTimeout(() => this.onGraceOver(mount), graceMs);
  }

  private onGraceOver(mount: Mount<Listener>): void {
    mount.graceTimer = undefined;
    if (mount.hasSource || this.mounts.get(mount.name) !== mount) return;
    this.log.info({ mount: mount.name, listeners: mount.listeners.size }, 'source grace over');
    this.leave(mount);
  }

  /** A mount's source is gone for good: its readers go to its fallback if they can, the rest end, and the mount goes. */
  private leave(mount: Mount<Listener>): void {
    if (this.accepting) this.fallbacks.evacuate(mount, mount.lastSignature);
    this.removeMount(mount, 'source_gone');
  }

  /** The gauges of mount name `name`: its own listeners, and how many of them hear a fallback now. */
  private updateGauges(name: string): void {
    const home = this.homes.get(name);
    const mountExists = this.mounts.has(name);
    if (!home?.size && !mountExists) return;
    this.metrics.listeners.set({ mount: name }, home?.size ?? 0);
    this.metrics.listenersOnFallback.set({ mount: name }, this.awayCounts.get(name) ?? 0);
  }

  private countAway(name: string, delta: number): void {
    if (delta === 0) return;
    const away = (this.awayCounts.get(name) ?? 0) + delta;
    if (away === 0) this.awayCounts.delete(name);
    else this.awayCounts.set(name, away);
  }

  private removeMount(mount: Mount<Listener>, reason: DisconnectReason): void {
    clearTimeout(mount.graceTimer);
    // Already gone (a source that ends after shutdown removed its mount): its series and ring are accounted for.
    if (this.mounts.get(mount.name) !== mount) return;
    this.mounts.delete(mount.name);
    this.reclaimPending.delete(mount);
    // After the delete: the stopped session ends its input, and that must find the mount gone.
    const stop = this.sourceStops.get(mount);
    this.sourceStops.delete(mount);
    stop?.abort();
    for (const listener of [...mount.listeners]) listener.close(reason, true);
    // Its own listeners may still be on a fallback: they keep its series.
    if (!this.homes.get(mount.name)?.size) this.metrics.removeMount(mount.name);
    this.metrics.ringBytes.dec(mount.ring.capacityBytes);
    this.metrics.mounts.set(this.mounts.size);
  }

  /**
   * Admits a listener of mount `name` at its join position, or refuses. A
   * mount without a source sends it to its fallback chain when one has
   * audio (no dead air, no 404); it still counts as `name`'s listener.
   */
  addListener(name: string, meta: ListenerMeta): Listener {
    if (!this.accepting) throw new RelayError('SHUTTING_DOWN');
    const own = this.mounts.get(name);
    const mount = own?.hasSource ? own : (this.fallbacks.targetFor(name) ?? own);
    if (!mount) throw new RelayError('MOUNT_NOT_FOUND', name);
    const maxListeners = this.stationNow.maxListeners;
    if (maxListeners > 0 && this.listenerTotal >= maxListeners) throw new RelayError('SERVER_FULL', `${maxListeners} listeners`);
    const settings = own?.settings ?? this.stationNow.forMount(name);
    const perMount = settings?.maxListeners ?? this.config.maxListenersPerMount;
    let home = this.homes.get(name);
    if (perMount > 0 && (home?.size ?? 0) >= perMount) throw new RelayError('MOUNT_FULL', `${name} has ${perMount}`);
    if (!home) {
      // A mount that never had a source, heard through its fallback: its series start now.
      if (!own) this.metrics.initMount(name);
      home = new Set();
      this.homes.set(name, home);
    }
    const listener = new Listener(meta, mount, name);
    listener.pos = mount.joinPosition(mount.settings?.burstBytes ?? this.config.burstBytes);
    listener.prefix = mount.joinPrefix(listener.pos) ?? this.intros.introFor(name, mount, settings);
    listener.onClose = this.onListenerClose;
    mount.listeners.add(listener);
    home.add(listener);
    if (mount.name !== name) this.countAway(name, 1);
    this.listenerTotal++;
    const peakHolder = own ?? mount;
    if (home.size > peakHolder.peakListeners) {
      peakHolder.peakListeners = home.size;
      this.metrics.listenerPeak.set({ mount: name }, home.size);
    }
    this.updateGauges(name);
    this.onHomeCount?.(name, home.size);
    this.metrics.listenerConnects.inc({ mount: name });
    this.metrics.burst.observe({ mount: name }, mount.ring.head - listener.pos);
    this.log.info(
      {
        mount: name,
        ...(mount.name !== name ? { hearing: mount.name } : {}),
        listener: listener.id,
        remote: meta.remoteAddress,
        agent: meta.userAgent,
        transport: meta.transport,
      },
      'listener connected',
    );
    return listener;
  }

  /** Own listeners of mount name `name` (wherever they are), and how many hear a fallback now. */
  homeCounts(name: string): { listeners: number; onFallback: number; heardContentType: string | undefined } {
    const home = this.homes.get(name);
    const first: Listener | undefined = home?.values().next().value;
    return { listeners: home?.size ?? 0, onFallback: this.awayCounts.get(name) ?? 0, heardContentType: first?.mount.contentType };
  }

  /** Mount names with own listeners but no mount now (they all hear a fallback). */
  get homesWithoutMount(): string[] {
    return [...this.homes.keys()].filter((name) => !this.mounts.has(name));
  }

  /** Every listener's onClose: one function, not a closure per listener (memory at 10000+). */
  private readonly onListenerClose = (listener: Listener, reason: DisconnectReason): void => {
    const mount = listener.mount;
    if (!mount.listeners.delete(listener)) return;
    mount.awaitingFirstByte.delete(listener);
    const name = listener.homeName;
    const home = this.homes.get(name);
    home?.delete(listener);
    if (mount.name !== name) this.countAway(name, -1);
    if (home?.size === 0) this.homes.delete(name);
    this.listenerTotal--;
    this.updateGauges(name);
    this.onHomeCount?.(name, home?.size ?? 0);
    this.metrics.listenerDisconnects.inc({ mount: name, reason });
    const seconds = Math.round(performance.now() - listener.meta.acceptedAtMs) / 1000;
    this.metrics.session.observe({ mount: name }, seconds);
    mount.departedSentBytes += listener.sentBytes;
    this.log.info(
      {
        mount: name,
        ...(mount.name !== name ? { hearing: mount.name } : {}),
        listener: listener.id,
        reason,
        sentBytes: listener.sentBytes,
        lagBytes: mount.ring.head - listener.pos,
        liveMoves: listener.liveMoves,
        seconds,
      },
      'listener disconnected',
    );
    if (!mount.hasSource && mount.listeners.size === 0 && this.mounts.get(mount.name) === mount) {
      this.removeMount(mount, 'source_gone');
    }
    // A mount name that is gone, whose last own listener just left a fallback: its series go.
    if (!this.mounts.has(name) && !this.homes.has(name)) this.metrics.removeMount(name);
  };

  /** The settings a new source on `name` gets, or the refusal: a mount the config does not open, a type it does not allow. */
  private settingsForSource(name: string, contentType: string): MountSettings {
    const settings = this.stationNow.forMount(name);
    if (!settings) throw new RelayError('MOUNT_UNLISTED', name);
    const allowed = settings.contentTypes;
    const bare = contentType.split(';', 1)[0].trim().toLowerCase();
    if (allowed && !allowed.some((t) => t.toLowerCase() === bare)) {
      throw new RelayError('CONTENT_TYPE_NOT_ALLOWED', `${bare} on ${name}; allowed: ${allowed.join(', ')}`);
    }
    return settings;
  }

  /** Refuses new sources and listeners from now on (shutdown). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Ends every listener cleanly with `reason` and forgets every mount. */
  closeAll(reason: DisconnectReason): void {
    for (const mount of [...this.mounts.values()]) this.removeMount(mount, reason);
  }
}
