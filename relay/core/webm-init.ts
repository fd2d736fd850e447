// The init segment of a WebM or Matroska mount: the EBML header, the
// Segment's header and everything in the Segment before its first Cluster
// (SeekHead, Info, Tracks, Tags, ...). A Matroska demuxer cannot start
// without it, so WebmRingWriter reports where it begins and where the first
// Cluster starts, this class copies those bytes out of the ring once, and a
// new listener gets them (its prefix) before its first Cluster.
//
// As with Ogg (ogg-headers.ts), a mount's bytes are a chain of epochs: each
// new EBML header (a new source, or an encoder that restarts its stream)
// starts one, and its init segment applies to Clusters from `fromPos` (the
// first Cluster) until the next epoch. A listener joining at p gets the init
// of the last epoch with fromPos <= p; a listener already there gets a new
// EBML header in-band.
//
// A Segment with a known size would be wrong for a late joiner (it counts
// bytes from the stream's start, not the join), so the copy given to new
// listeners says "unknown size" in the same width; the ring's bytes are
// never changed.
//
// Invariants: while a capture is in progress a join starts at its EBML header
// (the init then arrives in-band), so no listener gets a Cluster whose init
// it has not had; an init is only offered for Clusters of its own source.

import { EBML_ID, TRACK_TYPE_VIDEO, eachElement, parseTracks, unknownSizeVint, type ElementHeader } from '../formats/ebml.js';
import type { Ring } from './ring.js';

interface Epoch {
  /** Ring position of its EBML header. */
  startPos: number;
  /** Ring position of its first Cluster. */
  fromPos: number;
  init: Uint8Array;
  /** Track numbers of the video tracks: a join needs a keyframe on one of them. */
  videoTracks: ReadonlySet<number>;
}

interface Capture {
  /** Ring position of the EBML header. */
  startPos: number;
  /** Ring position and width of the Segment's size field, when the size is known. */
  segmentSizePos: number | undefined;
  segmentSizeBytes: number;
  sawSegment: boolean;
}

/** Epochs kept at most; older ones are long overwritten in any sane ring. */
const MAX_EPOCHS = 64;
/** An init segment longer than this (attachments, say) is not kept: joins wait for a stream without one. */
export const MAX_INIT_BYTES = 1024 * 1024;

export class WebmInit {
  private readonly ring: Ring;
  private readonly epochs: Epoch[] = [];
  private capture: Capture | undefined;
  /** The epoch whose Clusters the current source is writing, if its init was captured. */
  private sourceEpoch: Epoch | undefined;

  constructor(ring: Ring) {
    this.ring = ring;
  }

  /** The init segment of the newest stream, or an empty array before any is complete. */
  get current(): Uint8Array {
    return this.epochs.at(-1)?.init ?? new Uint8Array(0);
  }

  /** Ring position where an incomplete capture began (a join must start there), if any. */
  get captureStartPos(): number | undefined {
    return this.capture?.startPos;
  }

  /** Where the newest complete stream's EBML header is in the ring (it may have been overwritten). */
  get streamStartPos(): number | undefined {
    return this.epochs.at(-1)?.startPos;
  }

  /** The video tracks of the current source's stream, or undefined when its init is unknown. */
  get sourceVideoTracks(): ReadonlySet<number> | undefined {
    return this.sourceEpoch?.videoTracks;
  }

  /** An EBML header starts at `pos`: a new stream, whose init is captured from here. */
  onEbmlHeader(pos: number): void {
    this.capture = { startPos: pos, segmentSizePos: undefined, segmentSizeBytes: 0, sawSegment: false };
    this.sourceEpoch = undefined;
  }

  /** A Segment's header starts at `pos`. */
  onSegment(pos: number, header: ElementHeader): void {
    const capture = this.capture;
    if (!capture || capture.sawSegment) return;
    capture.sawSegment = true;
    if (header.size !== undefined) {
      capture.segmentSizePos = pos + header.headerBytes - header.sizeBytes;
      capture.segmentSizeBytes = header.sizeBytes;
    }
  }

  /** A Cluster starts at `pos`: a capture in progress ends here. True when its Clusters have an init to join with. */
  onCluster(pos: number): boolean {
    const capture = this.capture;
    if (capture) {
      this.capture = undefined;
      if (capture.sawSegment && pos - capture.startPos <= MAX_INIT_BYTES && capture.startPos >= this.ring.tail) {
        this.sourceEpoch = this.complete(capture, pos);
      }
    }
    return this.sourceEpoch !== undefined;
  }

  /** The source's bytes stopped making sense: a half-captured init is dropped (the source's epoch stays). */
  onSyncLost(): void {
    this.capture = undefined;
  }

  /** The source is gone: the next source brings its own init. */
  onSourceEnd(): void {
    this.capture = undefined;
    this.sourceEpoch = undefined;
  }

  /** The init a listener starting at `pos` needs first (empty when none, or when it starts at an EBML header or inside an init). */
  prefixFor(pos: number): Uint8Array {
    if (this.capture && pos >= this.capture.startPos) return new Uint8Array(0);
    for (let i = this.epochs.length - 1; i >= 0; i--) {
      const epoch = this.epochs[i];
      // At its EBML header the init arrives in-band; before it, an older epoch's applies.
      if (epoch.startPos <= pos) return epoch.fromPos <= pos ? epoch.init : new Uint8Array(0);
    }
    return new Uint8Array(0);
  }

  private complete(capture: Capture, fromPos: number): Epoch {
    const init = this.ring.copyOut(capture.startPos, fromPos);
    if (capture.segmentSizePos !== undefined)
      init.set(unknownSizeVint(capture.segmentSizeBytes), capture.segmentSizePos - capture.startPos);
    const epoch: Epoch = { startPos: capture.startPos, fromPos, init, videoTracks: videoTracksOf(init) };
    this.epochs.push(epoch);
    const tail = this.ring.tail;
    // Keep the newest epoch that starts at or before the tail: it covers the oldest joinable bytes.
    while (this.epochs.length > 1 && (this.epochs[1].fromPos <= tail || this.epochs.length > MAX_EPOCHS)) this.epochs.shift();
    return epoch;
  }
}

/** The numbers of the video tracks in an init segment. */
function videoTracksOf(init: Uint8Array): Set<number> {
  const video = new Set<number>();
  eachElement(init, 0, init.length, (top, topPos) => {
    if (top.id !== EBML_ID.Segment) return;
    eachElement(init, topPos, init.length, (child, childPos) => {
      if (child.id !== EBML_ID.Tracks || child.size === undefined) return;
      for (const track of parseTracks(init.subarray(childPos, childPos + child.size))) {
        if (track.type === TRACK_TYPE_VIDEO) video.add(track.number);
      }
    });
  });
  return video;
}
