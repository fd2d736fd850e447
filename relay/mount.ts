// One mount: its ring, the frame index over it, the writer that feeds it, the
// stream info, and the set of listeners reading it. A mount outlives its
// source for the grace period, so listeners survive a source reconnect.

import { frameFormatOf } from '../ingest/frame-header.js';
import { FrameIndex } from './frame-index.js';
import { UNCHANGED_BLOCK } from './icy-metadata.js';
import type { Listener } from './listener.js';
import { Ring } from './ring.js';
import { RingWriter } from './ring-writer.js';
import type { StreamInfo } from './stream-info.js';

/** Frame starts are indexed at most this often; plenty to land a join near its target. */
const INDEX_SPACING_BYTES = 1024;

export class Mount {
  readonly name: string;
  readonly contentType: string;
  info: StreamInfo;
  readonly ring: Ring;
  readonly index: FrameIndex;
  readonly writer: RingWriter;
  readonly listeners = new Set<Listener>();
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

  constructor(name: string, contentType: string, info: StreamInfo, bufferBytes: number) {
    this.name = name;
    this.contentType = contentType;
    this.info = info;
    this.ring = new Ring(bufferBytes);
    this.index = new FrameIndex(bufferBytes, INDEX_SPACING_BYTES);
    this.writer = new RingWriter(this.ring, this.index, frameFormatOf(contentType));
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
    return this.index.firstAtOrAfter(target, ring.tail) ?? ring.head;
  }
}
