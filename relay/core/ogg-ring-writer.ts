// The ring writer for Ogg sources (Vorbis, Opus, or any Ogg stream): commits
// whole pages only, indexes the pages a listener may start on, and hands each
// page to OggHeaders so a stream's header pages are kept for new listeners.
// So, as with MP3 frames:
// - a new listener starts on an audio page boundary, after the headers;
// - a source that drops mid-page leaves no half page behind, and a new
//   source is joined at its first page, with junk before it left out.
// Sync is accepted on 'OggS' only when the whole page's CRC-32 holds (the
// capture pattern can occur inside compressed data; a false one almost never
// has a matching checksum). A source whose bytes never sync within
// `giveUpBytes` is passed through untouched, so a mislabelled stream is still
// relayed.

import { signatureOfOggHeaders, type StreamSignature } from '../formats/stream-signature.js';
import { OGG_MAX_PAGE_BYTES, oggPageCrcOk, parseOggPage, type OggPage } from '../formats/ogg-page.js';
import type { FrameIndex } from './frame-index.js';
import { OggHeaders } from './ogg-headers.js';
import type { Ring } from './ring.js';
import { appendInSlices, type RingWriterStats } from './ring-writer.js';

export class OggRingWriter {
  readonly headers: OggHeaders;
  private readonly ring: Ring;
  private readonly index: FrameIndex;
  private readonly giveUpBytes: number;
  private synced = false;
  private everSynced = false;
  /** Bytes this source sent before its first page. */
  private junkBytes = 0;
  /** Where the search for a page resumes (always at or after head). */
  private searchPos: number;
  private readonly stats: RingWriterStats = { discardedBytes: 0, syncLosses: 0, passthrough: false };

  constructor(ring: Ring, index: FrameIndex, giveUpBytes = 256 * 1024) {
    this.ring = ring;
    this.index = index;
    this.giveUpBytes = Math.max(giveUpBytes, OGG_MAX_PAGE_BYTES);
    this.headers = new OggHeaders(ring);
    this.searchPos = ring.head;
  }

  /** 'ogg' while pages are being aligned; undefined once passed through as bytes. */
  /** Codec, rate and channels of the current logical stream, from its captured identification header. */
  get signature(): StreamSignature | undefined {
    return this.frameFormat === undefined ? undefined : signatureOfOggHeaders(this.headers.current);
  }

  get frameFormat(): 'ogg' | undefined {
    return this.stats.passthrough ? undefined : 'ogg';
  }

  get statistics(): Readonly<RingWriterStats> {
    return this.stats;
  }

  /** Appends a source chunk and commits the whole pages it completes. Returns the bytes committed. */
  write(chunk: Uint8Array): number {
    return appendInSlices(this.ring, chunk, this.commitStaged);
  }

  private readonly commitStaged = (): void => {
    if (this.stats.passthrough) this.ring.commit(this.ring.stagedEnd);
    else this.scan();
  };

  /** The source is gone: forget its incomplete page and any half-captured headers. */
  end(): void {
    this.ring.truncate(this.ring.head);
    this.searchPos = this.ring.head;
    this.synced = false;
    this.everSynced = false;
    this.junkBytes = 0;
    this.stats.passthrough = false;
    this.headers.onSourceEnd();
  }

  private scan(): void {
    for (;;) {
      if (!this.synced && !this.search()) return;
      if (this.commitPages()) return;
    }
  }

  /** The page at `pos` if it is whole and its CRC holds; 'short' when more bytes are needed. */
  private pageAt(pos: number): OggPage | 'short' | undefined {
    const ring = this.ring;
    const at = (i: number) => ring.byteAt(pos + i);
    const available = ring.stagedEnd - pos;
    const page = parseOggPage(at, available);
    if (page === undefined || page === 'short') return page;
    if (page.lengthBytes > available) return 'short';
    return oggPageCrcOk(at, page) ? page : undefined;
  }

  /** Commits whole pages from head; false when sync was lost. */
  private commitPages(): boolean {
    const ring = this.ring;
    for (;;) {
      const pos = ring.head;
      const page = this.pageAt(pos);
      if (page === 'short') return true;
      if (page === undefined) {
        this.synced = false;
        this.stats.syncLosses++;
        this.searchPos = pos;
        return false;
      }
      if (this.headers.onPage(pos, page) === 'audio-start') this.index.add(pos);
      ring.commit(pos + page.lengthBytes);
    }
  }

  /** Looks for a page with a good CRC; discards what comes before it. True once synced. */
  private search(): boolean {
    const ring = this.ring;
    const end = ring.stagedEnd;
    let pos = this.searchPos;
    let found = false;
    while (pos < end) {
      const page = this.pageAt(pos);
      if (page === 'short') break;
      if (page !== undefined) {
        found = true;
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
    } else if (!this.everSynced && this.junkBytes >= this.giveUpBytes) {
      this.stats.passthrough = true;
      ring.commit(ring.stagedEnd);
      this.searchPos = ring.stagedEnd;
    }
    return found;
  }
}
