// The header pages of an Ogg mount's streams. An Ogg decoder cannot start
// mid-stream: it needs the stream's BOS page and header packets (Vorbis:
// identification, comment, setup; Opus: OpusHead, OpusTags) first. So while
// the ring writer commits pages, this class copies each stream's header pages
// as they pass, and a new listener gets those bytes (its prefix) before its
// cursor's first audio page.
//
// A mount's byte stream is a chain of "epochs": each new source, and each
// chained logical stream (a BOS after the previous stream's EOS), starts with
// its own header pages. An epoch's headers apply to the audio from `fromPos`
// (the first page after them) until the next epoch, so a listener joining at
// position p gets the headers of the last epoch with fromPos <= p, and
// receives any later BOS and header pages in-band, as chained Ogg intends.
//
// Each completed capture's comment header also names what is playing: its
// title goes to `onTitle`, once per new logical stream.
//
// Invariants: header pages are never indexed (a join never lands inside
// them); while a capture is in progress a join starts at the capture's BOS
// page (the headers then arrive in-band), so no listener ever gets audio of
// a stream whose headers it has not had.

import { oggTitle } from '../formats/ogg-comments.js';
import { OGG_BOS, OGG_CONTINUED, oggHeaderPackets, type OggPage } from '../formats/ogg-page.js';
import type { Ring } from './ring.js';

interface Epoch {
  fromPos: number;
  headers: Uint8Array;
}

interface StreamCapture {
  /** Header packets this stream has; undefined when its codec is unknown. */
  needed: number | undefined;
  ended: number;
}

interface Capture {
  /** Ring position of the first BOS page. */
  startPos: number;
  pages: Uint8Array[];
  streams: Map<number, StreamCapture>;
  /** A non-BOS page was seen: a further BOS starts a new capture. */
  pastBos: boolean;
}

/** What a page is to the listeners' side. */
export type OggPageRole = 'header' | 'audio-start' | 'audio';

/** Epochs kept at most; older ones are long overwritten in any sane ring. */
const MAX_EPOCHS = 64;

export class OggHeaders {
  private readonly ring: Ring;
  private readonly epochs: Epoch[] = [];
  private capture: Capture | undefined;
  /**
   * Called with the title in each new stream's comment header ("ARTIST -
   * TITLE", or TITLE), when it has one; the mount sets it as its title.
   */
  onTitle: ((title: string) => void) | undefined;

  constructor(ring: Ring) {
    this.ring = ring;
  }

  /** The header bytes of the current stream, or an empty array before any are complete. */
  get current(): Uint8Array {
    return this.epochs.at(-1)?.headers ?? new Uint8Array(0);
  }

  /** Ring position where an incomplete header capture began (a join must start there), if any. */
  get captureStartPos(): number | undefined {
    return this.capture?.startPos;
  }

  /**
   * A whole, CRC-checked page at `pos` is about to be committed. Records it
   * if it belongs to a stream's headers; says whether a listener may start
   * on it ('audio-start': an audio page whose first packet begins on it).
   */
  onPage(pos: number, page: OggPage): OggPageRole {
    if (page.flags & OGG_BOS) {
      if (!this.capture || this.capture.pastBos) {
        this.capture = { startPos: pos, pages: [], streams: new Map(), pastBos: false };
      }
      const first = this.firstPacket(pos, page);
      this.capture.streams.set(page.serial, { needed: oggHeaderPackets(first), ended: page.packetsEnded });
      this.capture.pages.push(this.ring.copyOut(pos, pos + page.lengthBytes));
      this.completeIfDone(this.capture, pos + page.lengthBytes);
      return 'header';
    }
    const capture = this.capture;
    if (capture) {
      capture.pastBos = true;
      const stream = capture.streams.get(page.serial);
      if (stream && this.stillHeader(stream, page)) {
        capture.pages.push(this.ring.copyOut(pos, pos + page.lengthBytes));
        stream.ended += page.packetsEnded;
        this.completeIfDone(capture, pos + page.lengthBytes);
        return 'header';
      }
      // Audio before every stream's headers were seen (a codec whose header
      // count we could not read): the headers are what came before it.
      this.complete(capture, pos);
    }
    return page.flags & OGG_CONTINUED ? 'audio' : 'audio-start';
  }

  /** The source is gone: a capture it left incomplete is dropped; the next source brings its own. */
  onSourceEnd(): void {
    this.capture = undefined;
  }

  /** The headers a listener starting at `pos` needs first (empty when none, or when it starts at a BOS). */
  prefixFor(pos: number): Uint8Array {
    if (this.capture && pos >= this.capture.startPos) return new Uint8Array(0);
    for (let i = this.epochs.length - 1; i >= 0; i--) {
      if (this.epochs[i].fromPos <= pos) return this.epochs[i].headers;
    }
    return new Uint8Array(0);
  }

  private stillHeader(stream: StreamCapture, page: OggPage): boolean {
    if (stream.needed !== undefined) return stream.ended < stream.needed;
    // Unknown codec: header packets carry granule position 0 (or -1 on a page
    // where no packet ends); the first page with a real position is audio.
    const noPacketEnds = page.granuleLow === 0xffffffff && page.granuleHigh === 0xffffffff;
    return noPacketEnds || (page.granuleLow === 0 && page.granuleHigh === 0);
  }

  /** `capture` is this.capture, the one in progress. */
  private completeIfDone(capture: Capture, nextPos: number): void {
    for (const stream of capture.streams.values()) {
      if (stream.needed === undefined || stream.ended < stream.needed) return;
    }
    this.complete(capture, nextPos);
  }

  /** `capture` is this.capture, the one in progress; it ends here. */
  private complete(capture: Capture, fromPos: number): void {
    const headers = Uint8Array.from(Buffer.concat(capture.pages));
    this.capture = undefined;
    const title = this.onTitle ? oggTitle(capture.pages, capture.streams.keys()) : undefined;
    if (title !== undefined) this.onTitle?.(title);
    this.epochs.push({ fromPos, headers });
    const tail = this.ring.tail;
    // Keep the newest epoch that starts at or before the tail: it covers the oldest joinable bytes.
    while (this.epochs.length > 1 && (this.epochs[1].fromPos <= tail || this.epochs.length > MAX_EPOCHS)) this.epochs.shift();
  }

  /** The first packet of a BOS page (which, by the spec, ends on that page). */
  private firstPacket(pos: number, page: OggPage): Uint8Array {
    let length = 0;
    for (let i = 0; i < page.headerBytes - 27; i++) {
      const lacing = this.ring.byteAt(pos + 27 + i);
      length += lacing;
      if (lacing < 255) break;
    }
    const start = pos + page.headerBytes;
    return this.ring.copyOut(start, Math.min(start + length, pos + page.lengthBytes));
  }
}
