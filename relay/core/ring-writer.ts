// Turns a source's byte stream into committed ring bytes. For MP3 and ADTS it
// commits only whole frames and indexes where they start, so that:
// - a new listener can start on a frame boundary;
// - a source that drops mid-frame leaves no half frame behind (it is never
//   committed), and a source that reconnects is joined at its first frame,
//   with junk before it (an ID3 tag, a partial frame) left out;
// - a file's Xing/Info/VBRI frame (its length and duration) never reaches a
//   listener, who would otherwise treat the live stream as a short file.
// Sync is accepted only when two consecutive headers agree, since 0xFFE
// patterns occur inside audio data. Bytes that are not frames are discarded
// from the staged area. A source whose bytes never sync within
// `giveUpBytes` is passed through untouched (free-format MP3, a mislabelled
// type): a stream we cannot parse is still relayed.
// Other content types are committed as they arrive.

import { signatureOfFrame, type StreamSignature } from '../formats/stream-signature.js';
import { HEADER_BYTES, PARSERS, id3v2Length, isVbrHeaderFrame, type FrameFormat, type FrameHeader } from '../formats/frame-header.js';
import type { FrameIndex } from './frame-index.js';
import type { Ring } from './ring.js';

/** Longest stretch written to the ring at once; keeps the staged area small. */
const APPEND_SLICE_BYTES = 16 * 1024;

/**
 * Appends a source chunk in slices of at most APPEND_SLICE_BYTES, running
 * `commitStaged` after each, so a big read never stages more than one slice
 * beyond what the writer has committed. Returns the bytes committed. Shared
 * by the frame writer here and the Ogg page writer.
 */
export function appendInSlices(ring: Ring, chunk: Uint8Array, commitStaged: () => void): number {
  const before = ring.head;
  for (let off = 0; off < chunk.length; off += APPEND_SLICE_BYTES) {
    ring.append(chunk.subarray(off, Math.min(chunk.length, off + APPEND_SLICE_BYTES)));
    commitStaged();
  }
  return ring.head - before;
}

export interface RingWriterStats {
  discardedBytes: number;
  syncLosses: number;
  passthrough: boolean;
}

export class RingWriter {
  private readonly ring: Ring;
  private readonly index: FrameIndex;
  private readonly format: FrameFormat | undefined;
  private readonly parse: ((at: (i: number) => number) => FrameHeader | undefined) | undefined;
  private readonly headerBytes: number;
  private readonly giveUpBytes: number;
  /** Where the next frame header is expected, or where the search resumes. */
  private scanPos: number;
  private synced = false;
  /** This source has synced at least once; reset for each new source. */
  private everSynced = false;
  /** Junk this source sent before its first sync (ID3 tags not counted). */
  private junkBytes = 0;
  /** Bytes of an ID3v2 tag still to drop: a tag is skipped as it arrives, never staged whole. */
  private skipBytes = 0;
  private streamKey = -1;
  /** The synced stream's codec, rate and channels (what a moved listener's decoder must match). */
  private syncedSignature: StreamSignature | undefined;
  private readonly stats: RingWriterStats = { discardedBytes: 0, syncLosses: 0, passthrough: false };

  constructor(ring: Ring, index: FrameIndex, format: FrameFormat | undefined, giveUpBytes = 256 * 1024) {
    this.ring = ring;
    this.index = index;
    this.format = format;
    this.parse = format ? PARSERS[format] : undefined;
    this.headerBytes = format ? HEADER_BYTES[format] : 0;
    this.giveUpBytes = giveUpBytes;
    this.scanPos = ring.head;
    this.stats.passthrough = format === undefined;
  }

  get frameFormat(): FrameFormat | undefined {
    return this.stats.passthrough ? undefined : this.format;
  }

  /** Codec, rate and channels of the stream since its last sync; undefined before one (or in passthrough). */
  get signature(): StreamSignature | undefined {
    return this.frameFormat === undefined ? undefined : this.syncedSignature;
  }

  get statistics(): Readonly<RingWriterStats> {
    return this.stats;
  }

  /** Appends a source chunk and commits what is complete. Returns the bytes committed. */
  write(chunk: Uint8Array): number {
    return appendInSlices(this.ring, chunk, this.commitStaged);
  }

  private readonly commitStaged = (): void => {
    if (this.stats.passthrough) this.commitAll();
    else this.scan();
  };

  /** The source is gone: forget its incomplete frame; the next source must sync afresh. */
  end(): void {
    this.ring.truncate(this.ring.head);
    this.scanPos = this.ring.head;
    this.synced = false;
    this.everSynced = false;
    this.junkBytes = 0;
    this.skipBytes = 0;
    this.syncedSignature = undefined;
    this.stats.passthrough = this.format === undefined;
  }

  private commitAll(): void {
    const end = this.ring.stagedEnd;
    this.ring.commit(end);
    this.scanPos = end;
  }

  private headerAt(pos: number): FrameHeader | undefined {
    const ring = this.ring;
    const parse = this.parse;
    // Only scan() reads headers, and it runs only while not passthrough, which a writer without a format always is.
    if (parse === undefined) throw new Error('headerAt on a ring writer without a frame format');
    return parse((i) => ring.byteAt(pos + i));
  }

  private scan(): void {
    for (;;) {
      if (!this.synced && !this.search()) return;
      if (this.commitFrames()) return;
    }
  }

  /** Commits whole frames from scanPos; false when sync was lost. */
  private commitFrames(): boolean {
    let end = this.ring.stagedEnd;
    let pos = this.scanPos;
    while (pos + this.headerBytes <= end) {
      const header = this.headerAt(pos);
      if (!header || header.streamKey !== this.streamKey) {
        this.synced = false;
        this.stats.syncLosses++;
        break;
      }
      if (pos + header.lengthBytes > end) break;
      if (this.format === 'mp3' && isVbrHeaderFrame((i) => this.ring.byteAt(pos + i), header.lengthBytes)) {
        this.ring.discard(pos, pos + header.lengthBytes);
        this.stats.discardedBytes += header.lengthBytes;
        end = this.ring.stagedEnd;
        continue;
      }
      this.index.add(pos);
      pos += header.lengthBytes;
    }
    this.scanPos = pos;
    if (pos > this.ring.head) this.ring.commit(pos);
    return this.synced;
  }

  /** Looks for two agreeing headers; discards what comes before. True once synced. */
  private search(): boolean {
    const end = this.ring.stagedEnd;
    let pos = this.scanPos;
    let tagBytes = 0;
    let found = false;
    while (pos < end) {
      if (this.skipBytes > 0) {
        const n = Math.min(this.skipBytes, end - pos);
        pos += n;
        tagBytes += n;
        this.skipBytes -= n;
        continue;
      }
      if (this.format === 'mp3' && this.ring.byteAt(pos) === 0x49 /* "I" */) {
        if (pos + 10 > end && this.couldBeId3(pos, end)) break; // wait for the whole tag header
        const tag = pos + 10 <= end ? id3v2Length((i) => this.ring.byteAt(pos + i)) : 0;
        if (tag > 0) {
          this.skipBytes = tag;
          continue;
        }
      }
      if (pos + this.headerBytes > end) break;
      const first = this.headerAt(pos);
      if (first) {
        const next = pos + first.lengthBytes;
        if (next + this.headerBytes > end) break; // cannot confirm yet
        const second = this.headerAt(next);
        if (second && second.streamKey === first.streamKey) {
          this.streamKey = first.streamKey;
          this.syncedSignature = this.format ? signatureOfFrame(this.format, first) : undefined;
          found = true;
          break;
        }
      }
      pos++;
    }
    const head = this.ring.head;
    if (pos > head) {
      this.ring.discard(head, pos);
      this.stats.discardedBytes += pos - head;
      this.junkBytes += pos - head - tagBytes;
    }
    this.scanPos = head;
    if (found) {
      this.synced = true;
      this.everSynced = true;
    } else if (!this.everSynced && this.junkBytes >= this.giveUpBytes) {
      this.stats.passthrough = true;
      this.commitAll();
    }
    return found;
  }

  /** The staged bytes from pos are a prefix of "ID3" (the tag header may still be arriving). */
  private couldBeId3(pos: number, end: number): boolean {
    const id3 = [0x49, 0x44, 0x33];
    for (let i = 0; i < 3 && pos + i < end; i++) if (this.ring.byteAt(pos + i) !== id3[i]) return false;
    return true;
  }
}
