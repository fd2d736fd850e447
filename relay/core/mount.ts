// One mount: its ring, the frame index over it, the writer that feeds it, the
// stream info, and the set of listeners reading it. A mount outlives its
// source for the grace period, so listeners survive a source reconnect.

import { frameFormatOf } from '../formats/frame-header.js';
import { FrameIndex } from './frame-index.js';
import { UNCHANGED_BLOCK } from '../formats/icy-metadata.js';
import { isOggType } from '../formats/ogg-content-type.js';
import { isWebmType } from '../formats/webm-content-type.js';
import { OggRingWriter } from './ogg-ring-writer.js';
import { Ring } from './ring.js';
import { RingWriter } from './ring-writer.js';
import type { StreamSignature } from '../formats/stream-signature.js';
import type { MountSettings } from './mount-settings.js';
import type { StreamInfo } from './stream-info.js';
import { WebmRingWriter } from './webm-ring-writer.js';

/** Frame starts are indexed at most this often; plenty to land a join near its target. */
const INDEX_SPACING_BYTES = 1024;

/**
 * `L` is the listener type: a mount only holds its listeners, so it need not
 * import listener.ts (which does import this file).
 */
export class Mount<L = unknown> {
  readonly name: string;
  readonly contentType: string;
  /** What listeners are told: the source's stream info with the config's overrides. */
  info: StreamInfo;
  /** What the current (or last) source sent, before the config's overrides. */
  sourceInfo: StreamInfo;
  /** The signature of the last source's stream, kept after it left (what its listeners' decoders expect). */
  lastSignature: StreamSignature | undefined;
  /** The settings in force (reloads replace them); undefined only for mounts built outside a registry (tests). */
  settings: MountSettings | undefined;
  readonly ring: Ring;
  readonly index: FrameIndex;
  readonly writer: RingWriter | OggRingWriter | WebmRingWriter;
  readonly listeners = new Set<L>();
  /** Listeners attached while the ring had nothing for them (a relay's first bytes not in yet): sent to at the next commit. */
  readonly awaitingFirstByte = new Set<L>();
  hasSource = false;
  sourceRemote = '';
  graceTimer: NodeJS.Timeout | undefined;
  peakListeners = 0;
  readonly createdAtMs = Date.now();
  sourceStartedAtMs = 0;
  sourceBytes = 0;
  /** Now playing, as set by /admin/metadata or a source's inline ICY metadata ('' when unknown). */
  title = '';
  /** StreamUrl that goes with the title ('' when none). */
  titleUrl = '';
  /** Bumped on every title change; an ICY listener that last got an older one gets `icyBlock`. */
  titleVersion = 0;
  /** The ICY metadata block of the current title, built once per change (relay/mount-title.ts). */
  icyBlock: Uint8Array = UNCHANGED_BLOCK;
  /** Bytes sent to listeners who have left (the rest is in each listener's sentBytes). */
  departedSentBytes = 0;
  /** The source's bitrate measured at the ingest (bits per second; 0 until sampled). */
  measuredBitsPerSecond = 0;
  /** Bytes committed since fan-out last flushed this mount. */
  unflushedBytes = 0;
  /** performance.now() of fan-out's last flush of this mount. */
  lastFlushAtMs = 0;
  /** True while fan-out is part-way through a flush (it writes in slices); a paused source waits for it. */
  flushing = false;

  constructor(name: string, contentType: string, info: StreamInfo, bufferBytes: number, settings?: MountSettings) {
    this.name = name;
    this.contentType = contentType;
    this.info = info;
    this.sourceInfo = info;
    this.settings = settings;
    this.ring = new Ring(bufferBytes);
    this.index = new FrameIndex(bufferBytes, INDEX_SPACING_BYTES);
    this.writer = isOggType(contentType)
      ? new OggRingWriter(this.ring, this.index)
      : isWebmType(contentType)
        ? new WebmRingWriter(this.ring, this.index)
        : new RingWriter(this.ring, this.index, frameFormatOf(contentType));
  }

  /** What a new listener needs before the stream's bytes (Ogg header pages, a WebM init segment), if the format has any. */
  private get joinHeaders(): OggRingWriter['headers'] | WebmRingWriter['init'] | undefined {
    if (this.writer.frameFormat === undefined) return undefined;
    if (this.writer instanceof OggRingWriter) return this.writer.headers;
    if (this.writer instanceof WebmRingWriter) return this.writer.init;
    return undefined;
  }

  /** Codec, rate and channels of what the mount plays now; undefined until known (or for untyped streams). */
  get signature(): StreamSignature | undefined {
    return this.writer.signature;
  }

  /**
   * Where a new listener starts: about `burstBytes` behind live, on a frame
   * boundary when the format has frames (head itself always is one, since
   * only whole frames are committed).
   */
  joinPosition(burstBytes: number): number {
    const ring = this.ring;
    const target = Math.max(0, ring.head - burstBytes);
    if (this.writer.frameFormat === undefined) return Math.max(target, ring.tail);
    const start = this.index.firstAtOrAfter(target, ring.tail);
    // Ogg and WebM: while a stream's headers are still arriving, start where they began (BOS page, EBML header).
    const capturing = this.joinHeaders?.captureStartPos;
    if (capturing !== undefined && capturing >= ring.tail && (start === undefined || start >= capturing)) return capturing;
    // WebM joins only at a Cluster start: with none in the burst, start at the last one before it.
    const further = start === undefined && this.writer instanceof WebmRingWriter ? this.writer.joinBefore(target) : undefined;
    return start ?? further ?? ring.head;
  }

  /** What a listener starting at `pos` must get before the ring's bytes: Ogg header pages or a WebM init segment. */
  joinPrefix(pos: number): Uint8Array | undefined {
    const prefix = this.joinHeaders?.prefixFor(pos);
    return prefix !== undefined && prefix.length > 0 ? prefix : undefined;
  }
}
