// The set of mounts and the rules for joining them: one source per mount,
// listener limits, the grace period after a source leaves, and what happens
// when a different kind of stream takes a mount over. Ingest and the
// listener transports only talk to this class; fan-out reads its mounts.

import type { Logger } from 'pino';
import type { RelayConfig } from '../config.js';
import { RelayError } from '../errors.js';
import { Listener, type DisconnectReason, type ListenerMeta } from './listener.js';
import type { Metrics } from '../metrics/metrics.js';
import { Mount } from './mount.js';
import type { StreamInfo } from './stream-info.js';

/** What ingest writes a source's bytes into. */
export interface SourceInput {
  readonly mount: Mount<Listener>;
  /** False when the source should pause for one turn of the event loop (see FanOut.onIngest). */
  write(bytes: Uint8Array): boolean;
  /** The source is gone (closed, timed out, or replaced at shutdown). */
  end(): void;
}

export class MountRegistry {
  readonly mounts = new Map<string, Mount<Listener>>();
  private readonly config: Readonly<RelayConfig>;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private listenerTotal = 0;
  private accepting = true;
  /** Called with the bytes each source write made visible; true asks the source to pause. */
  onCommitted: ((mount: Mount<Listener>, bytes: number) => boolean) | undefined;

  constructor(config: Readonly<RelayConfig>, metrics: Metrics, log: Logger) {
    this.config = config;
    this.metrics = metrics;
    this.log = log;
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

  /** Takes a mount for a source, or refuses with MOUNT_BUSY / SHUTTING_DOWN. */
  attachSource(name: string, contentType: string, info: StreamInfo, remote: string, request: Record<string, unknown> = {}): SourceInput {
    if (!this.accepting) throw new RelayError('SHUTTING_DOWN');
    let mount = this.mounts.get(name);
    if (mount?.hasSource) throw new RelayError('MOUNT_BUSY', name);
    if (mount && mount.contentType !== contentType) {
      this.log.info({ mount: name, from: mount.contentType, to: contentType }, 'new source changes the content type; ending listeners');
      this.removeMount(mount, 'source_gone');
      mount = undefined;
    }
    const resumed = mount !== undefined;
    if (!mount) {
      mount = new Mount<Listener>(name, contentType, info, this.config.bufferBytes);
      this.mounts.set(name, mount);
      this.metrics.initMount(name);
    }
    clearTimeout(mount.graceTimer);
    mount.graceTimer = undefined;
    mount.info = info;
    mount.hasSource = true;
    mount.sourceRemote = remote;
    mount.sourceStartedAtMs = Date.now();
    this.metrics.sourceConnected.set({ mount: name }, 1);
    this.metrics.sourceConnects.inc({ mount: name });
    this.log.info({ mount: name, remote, contentType, resumed, listeners: mount.listeners.size, ...request }, 'source connected');
    return this.sourceInput(mount);
  }

  private sourceInput(mount: Mount<Listener>): SourceInput {
    const bytesIn = this.metrics.bytesIn.labels({ mount: mount.name });
    let ended = false;
    return {
      mount,
      write: (bytes) => {
        if (ended) return true;
        const committed = mount.writer.write(bytes);
        mount.sourceBytes += bytes.length;
        bytesIn.inc(bytes.length);
        return !(committed > 0 && this.onCommitted?.(mount, committed));
      },
      end: () => {
        if (ended) return;
        ended = true;
        this.detachSource(mount);
      },
    };
  }

  private detachSource(mount: Mount<Listener>): void {
    mount.writer.end();
    mount.hasSource = false;
    this.metrics.sourceConnected.set({ mount: mount.name }, 0);
    const graceMs = this.accepting ? this.config.sourceGraceMs : 0;
    this.log.info({ mount: mount.name, listeners: mount.listeners.size, graceMs }, 'source disconnected');
    if (graceMs === 0 || mount.listeners.size === 0) {
      this.removeMount(mount, 'source_gone');
      return;
    }
    mount.graceTimer = setTimeout(() => this.onGraceOver(mount), graceMs);
  }

  private onGraceOver(mount: Mount<Listener>): void {
    mount.graceTimer = undefined;
    if (mount.hasSource || this.mounts.get(mount.name) !== mount) return;
    this.log.info({ mount: mount.name, listeners: mount.listeners.size }, 'source grace over; ending listeners');
    this.removeMount(mount, 'source_gone');
  }

  private removeMount(mount: Mount<Listener>, reason: DisconnectReason): void {
    clearTimeout(mount.graceTimer);
    this.mounts.delete(mount.name);
    for (const listener of [...mount.listeners]) listener.close(reason, true);
    this.metrics.removeMount(mount.name);
  }

  /** Admits a listener to a mount at its join position, or refuses. */
  addListener(name: string, meta: ListenerMeta): Listener {
    if (!this.accepting) throw new RelayError('SHUTTING_DOWN');
    const mount = this.mounts.get(name);
    if (!mount) throw new RelayError('MOUNT_NOT_FOUND', name);
    if (this.config.maxListeners > 0 && this.listenerTotal >= this.config.maxListeners) {
      throw new RelayError('SERVER_FULL', `${this.config.maxListeners} listeners`);
    }
    const perMount = this.config.maxListenersPerMount;
    if (perMount > 0 && mount.listeners.size >= perMount) throw new RelayError('MOUNT_FULL', `${name} has ${perMount}`);
    const listener = new Listener(meta, mount);
    listener.pos = mount.joinPosition(this.config.burstBytes);
    listener.prefix = mount.joinPrefix(listener.pos);
    listener.onClose = this.onListenerClose;
    mount.listeners.add(listener);
    this.listenerTotal++;
    if (mount.listeners.size > mount.peakListeners) {
      mount.peakListeners = mount.listeners.size;
      this.metrics.listenerPeak.set({ mount: name }, mount.peakListeners);
    }
    this.metrics.listeners.set({ mount: name }, mount.listeners.size);
    this.metrics.listenerConnects.inc({ mount: name });
    this.metrics.burst.observe({ mount: name }, mount.ring.head - listener.pos);
    this.log.info(
      { mount: name, listener: listener.id, remote: meta.remoteAddress, agent: meta.userAgent, transport: meta.transport },
      'listener connected',
    );
    return listener;
  }

  /** Every listener's onClose: one function, not a closure per listener (memory at 10000+). */
  private readonly onListenerClose = (listener: Listener, reason: DisconnectReason): void => {
    const mount = listener.mount;
    if (!mount.listeners.delete(listener)) return;
    this.listenerTotal--;
    this.metrics.listeners.set({ mount: mount.name }, mount.listeners.size);
    this.metrics.listenerDisconnects.inc({ mount: mount.name, reason });
    const seconds = Math.round(performance.now() - listener.meta.acceptedAtMs) / 1000;
    this.metrics.session.observe({ mount: mount.name }, seconds);
    mount.departedSentBytes += listener.sentBytes;
    this.log.info(
      {
        mount: mount.name,
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
  };

  /** Refuses new sources and listeners from now on (shutdown). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Ends every listener cleanly with `reason` and forgets every mount. */
  closeAll(reason: DisconnectReason): void {
    for (const mount of [...this.mounts.values()]) this.removeMount(mount, reason);
  }
}
