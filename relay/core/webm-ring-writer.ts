// The ring writer for WebM and Matroska sources: walks the EBML elements as
// they arrive, commits whole elements (a large one's body as it arrives),
// hands the init segment's bounds to WebmInit, and indexes the Clusters a
// listener may start on. So:
// - a new listener gets the init segment, then starts at a Cluster that
//   begins with its Timecode and (when the stream has video) whose first
//   video block is a keyframe;
// - the ring's bytes are the source's bytes exactly; only junk before a
//   stream's first EBML header (or a stretch that is not EBML) is left out.
// Unknown sizes: a live Segment and a MediaRecorder/GStreamer-style Cluster
// often have none; such a Cluster ends where an element that cannot be its
// child (the next Cluster, Cues, Tags, a new EBML header) starts.
// When the bytes stop parsing, sync is looked for again at an EBML header
// or (for a source whose init is known) a Cluster start. A source that never
// syncs within `giveUpBytes` is passed through untouched.

import { EBML_ID, blockGroupStart, endsCluster, readElementHeader, simpleBlockStart, type ElementHeader } from '../formats/ebml.js';
import type { FrameIndex } from './frame-index.js';
import type { Ring } from './ring.js';
import { appendInSlices, type RingWriterStats } from './ring-writer.js';
import { WebmInit } from './webm-init.js';

/** Elements up to this size are committed whole; a longer body is committed as it arrives. */
const WHOLE_ELEMENT_BYTES = 64 * 1024;
/** An EBML header longer than this is not one. */
const MAX_EBML_HEADER_BYTES = 4096;
/** A SimpleBlock's track number (up to 8 bytes), timecode (2) and flags (1). */
const BLOCK_START_BYTES = 11;

interface ClusterState {
  startPos: number;
  /** Position after the Cluster; undefined for an unknown size. */
  endPos: number | undefined;
  /** Children seen so far, Void and CRC-32 aside. */
  children: number;
  sawTimecode: boolean;
  /** 'pending' until the first (video) block says whether a listener may start here. */
  join: 'pending' | 'yes' | 'no';
}

type Step = 'wait' | 'next' | 'lost';

export class WebmRingWriter {
  readonly init: WebmInit;
  private readonly ring: Ring;
  private readonly index: FrameIndex;
  private readonly giveUpBytes: number;
  private synced = false;
  private everSynced = false;
  private junkBytes = 0;
  /** Where the search for sync resumes (at or after head). */
  private searchPos: number;
  /** The Segment being read: undefined at the top level; endPos undefined for an unknown size. */
  private segment: { endPos: number | undefined } | undefined;
  private cluster: ClusterState | undefined;
  /** Body bytes of a large element still to commit as they arrive. */
  private bodyRemaining = 0;
  private readonly stats: RingWriterStats = { discardedBytes: 0, syncLosses: 0, passthrough: false };

  constructor(ring: Ring, index: FrameIndex, giveUpBytes = 256 * 1024) {
    this.ring = ring;
    this.index = index;
    this.giveUpBytes = giveUpBytes;
    this.init = new WebmInit(ring);
    this.searchPos = ring.head;
  }

  /** 'webm' while elements are being walked; undefined once passed through as bytes. */
  /** WebM streams have no signature here yet, so no fallback move goes into or out of one. */
  get signature(): undefined {
    return undefined;
  }

  get frameFormat(): 'webm' | undefined {
    return this.stats.passthrough ? undefined : 'webm';
  }

  get statistics(): Readonly<RingWriterStats> {
    return this.stats;
  }

  /**
   * Where a listener may start when no Cluster starts in its burst: the last
   * joinable Cluster before `target`, or else the newest stream's EBML
   * header while it is in the ring (its init then arrives in-band).
   */
  joinBefore(target: number): number | undefined {
    const tail = this.ring.tail;
    const start = this.init.streamStartPos;
    return this.index.lastBefore(target, tail) ?? (start !== undefined && start >= tail ? start : undefined);
  }

  /** Appends a source chunk and commits the whole elements it completes. Returns the bytes committed. */
  write(chunk: Uint8Array): number {
    return appendInSlices(this.ring, chunk, this.commitStaged);
  }

  private readonly commitStaged = (): void => {
    if (this.stats.passthrough) this.ring.commit(this.ring.stagedEnd);
    else this.scan();
  };

  /** The source is gone: forget its incomplete element and its place in the stream. */
  end(): void {
    this.ring.truncate(this.ring.head);
    this.searchPos = this.ring.head;
    this.synced = false;
    this.everSynced = false;
    this.junkBytes = 0;
    this.stats.passthrough = false;
    this.resetWalk();
    this.init.onSourceEnd();
  }

  private resetWalk(): void {
    this.segment = undefined;
    this.cluster = undefined;
    this.bodyRemaining = 0;
  }

  private scan(): void {
    for (;;) {
      if (!this.synced && !this.search()) return;
      const step = this.step();
      if (step === 'wait') return;
      if (step === 'lost') {
        this.synced = false;
        this.stats.syncLosses++;
        // The element at head is what failed: the search starts past its first byte.
        this.searchPos = this.ring.head + 1;
        this.resetWalk();
        this.init.onSyncLost();
      }
    }
  }

  /** Commits the next element (or part of a large body) at head. */
  private step(): Step {
    const ring = this.ring;
    const pos = ring.head;
    const available = ring.stagedEnd - pos;
    if (this.bodyRemaining > 0) {
      const n = Math.min(available, this.bodyRemaining);
      if (n === 0) return 'wait';
      ring.commit(pos + n);
      this.bodyRemaining -= n;
      return 'next';
    }
    // Known sizes end here (a child that ran past its parent's end ends the parent too).
    if (this.cluster?.endPos !== undefined && pos >= this.cluster.endPos) this.cluster = undefined;
    if (this.segment?.endPos !== undefined && pos >= this.segment.endPos) this.segment = undefined;
    const header = readElementHeader((i) => ring.byteAt(pos + i), available);
    if (header === 'short') return 'wait';
    if (header === undefined) return 'lost';
    if (this.cluster) {
      if (!endsCluster(header.id)) return this.clusterChild(pos, header, available);
      this.cluster = undefined;
    }
    if (this.segment) {
      if (header.id !== EBML_ID.EBML && header.id !== EBML_ID.Segment) return this.segmentChild(pos, header, available);
      this.segment = undefined;
    }
    return this.topLevel(pos, header, available);
  }

  private topLevel(pos: number, header: ElementHeader, available: number): Step {
    if (header.id === EBML_ID.EBML) {
      if (header.size === undefined || header.headerBytes + header.size > MAX_EBML_HEADER_BYTES) return 'lost';
      if (available < header.headerBytes + header.size) return 'wait';
      this.init.onEbmlHeader(pos);
      this.ring.commit(pos + header.headerBytes + header.size);
      return 'next';
    }
    if (header.id === EBML_ID.Segment) {
      this.init.onSegment(pos, header);
      const bodyPos = pos + header.headerBytes;
      this.segment = { endPos: header.size === undefined ? undefined : bodyPos + header.size };
      this.ring.commit(bodyPos);
      return 'next';
    }
    if (header.id === EBML_ID.Void || header.id === EBML_ID.CRC32) return this.element(pos, header, available);
    return 'lost';
  }

  private segmentChild(pos: number, header: ElementHeader, available: number): Step {
    if (header.id !== EBML_ID.Cluster) return this.element(pos, header, available);
    const joinable = this.init.onCluster(pos);
    const bodyPos = pos + header.headerBytes;
    this.cluster = {
      startPos: pos,
      endPos: header.size === undefined ? undefined : bodyPos + header.size,
      children: 0,
      sawTimecode: false,
      join: joinable ? 'pending' : 'no',
    };
    this.ring.commit(bodyPos);
    return 'next';
  }

  private clusterChild(pos: number, header: ElementHeader, available: number): Step {
    const cluster = this.cluster as ClusterState;
    const id = header.id;
    if (id === EBML_ID.Void || id === EBML_ID.CRC32) return this.element(pos, header, available);
    if (cluster.join === 'pending') {
      const decided = this.joinDecision(cluster, pos, header, available);
      if (decided === 'wait') return 'wait';
      if (decided !== 'pending') {
        cluster.join = decided;
        if (decided === 'yes') this.index.add(cluster.startPos);
      }
    }
    if (id === EBML_ID.Timecode && cluster.children === 0) cluster.sawTimecode = true;
    cluster.children++;
    return this.element(pos, header, available);
  }

  /**
   * Whether a listener may start at this Cluster, judged at its child at
   * `pos`: the first child must be the Timecode, and the first block of a
   * video track (any block when there is no video) must be a keyframe.
   */
  private joinDecision(cluster: ClusterState, pos: number, header: ElementHeader, available: number): 'yes' | 'no' | 'pending' | 'wait' {
    const id = header.id;
    if (cluster.children === 0) return id === EBML_ID.Timecode ? 'pending' : 'no';
    if (id !== EBML_ID.SimpleBlock && id !== EBML_ID.BlockGroup) return 'pending';
    if (!cluster.sawTimecode) return 'no';
    const video = this.init.sourceVideoTracks;
    if (video === undefined) return 'no';
    if (video.size === 0) return 'yes';
    if (header.size === undefined) return 'no';
    const bodyPos = pos + header.headerBytes;
    const ring = this.ring;
    let block: { track: number; keyframe: boolean } | undefined;
    if (id === EBML_ID.SimpleBlock) {
      const need = Math.min(header.size, BLOCK_START_BYTES);
      if (available < header.headerBytes + need) return 'wait';
      block = simpleBlockStart((i) => ring.byteAt(bodyPos + i), need);
    } else {
      if (header.size > WHOLE_ELEMENT_BYTES) return 'no';
      if (available < header.headerBytes + header.size) return 'wait';
      block = blockGroupStart(ring.copyOut(bodyPos, bodyPos + header.size));
    }
    if (block === undefined) return 'no';
    if (!video.has(block.track)) return 'pending';
    return block.keyframe ? 'yes' : 'no';
  }

  /** Commits an element whole, or its header now and a large body as it arrives. */
  private element(pos: number, header: ElementHeader, available: number): Step {
    // Only a Segment and a Cluster may have an unknown size; anything else is not a stream we can follow.
    if (header.size === undefined) return 'lost';
    const length = header.headerBytes + header.size;
    if (header.size > WHOLE_ELEMENT_BYTES) {
      this.ring.commit(pos + header.headerBytes);
      this.bodyRemaining = header.size;
      return 'next';
    }
    if (available < length) return 'wait';
    this.ring.commit(pos + length);
    return 'next';
  }

  /** Looks for an EBML header (or a Cluster of this source's stream); discards what comes before it. True once synced. */
  private search(): boolean {
    const ring = this.ring;
    const end = ring.stagedEnd;
    let pos = Math.max(this.searchPos, ring.head);
    let found: 'ebml' | 'cluster' | undefined;
    while (pos < end) {
      const candidate = this.syncAt(pos, end - pos);
      if (candidate === 'short') break;
      if (candidate !== undefined) {
        found = candidate;
        break;
      }
      pos++;
    }
    const head = ring.head;
    if (pos > head) {
      ring.discard(head, pos);
      this.stats.discardedBytes += pos - head;
      this.junkBytes += pos - head;
    }
    this.searchPos = head;
    if (found) {
      this.synced = true;
      this.everSynced = true;
      this.resetWalk();
      // A Cluster found on resync is inside the source's (unknown-size, as far as we now know) Segment.
      if (found === 'cluster') this.segment = { endPos: undefined };
    } else if (!this.everSynced && this.junkBytes >= this.giveUpBytes) {
      this.stats.passthrough = true;
      ring.commit(ring.stagedEnd);
      this.searchPos = ring.stagedEnd;
    }
    return found !== undefined;
  }

  /** What starts at `pos`: an EBML header, a Cluster with its Timecode (only once this source's init is known), or neither. */
  private syncAt(pos: number, available: number): 'ebml' | 'cluster' | 'short' | undefined {
    const ring = this.ring;
    const first = ring.byteAt(pos);
    if (first !== 0x1a && first !== 0x1f) return undefined;
    const header = readElementHeader((i) => ring.byteAt(pos + i), available);
    if (header === 'short') return available < 12 ? 'short' : undefined;
    if (header === undefined) return undefined;
    if (header.id === EBML_ID.EBML) {
      return header.size !== undefined && header.headerBytes + header.size <= MAX_EBML_HEADER_BYTES ? 'ebml' : undefined;
    }
    if (header.id !== EBML_ID.Cluster || this.init.sourceVideoTracks === undefined) return undefined;
    const childPos = pos + header.headerBytes;
    const child = readElementHeader((i) => ring.byteAt(childPos + i), available - header.headerBytes);
    if (child === 'short') return 'short';
    return child !== undefined && child.id === EBML_ID.Timecode && child.size !== undefined && child.size <= 8 ? 'cluster' : undefined;
  }
}
