// Ogg pages (RFC 3533): enough of each page header to know where a page
// starts and ends, whether its CRC holds, which logical stream it belongs to,
// and how many packets end on it. Also how many header packets a codec's
// stream begins with, so the relay knows where a stream's headers end.
// Pure functions over bytes (read through ByteAt, so a page may straddle a
// ring's wrap); no state.
//
//   0      4  5     6         14       18        22    26      27
//   "OggS" v  flags granule   serial   sequence  crc   nsegs   lacing[nsegs]  body
//
// Page length = 27 + nsegs + sum(lacing). A lacing value below 255 ends a
// packet; 255 means the packet goes on (possibly onto the next page).

import type { ByteAt } from './frame-header.js';

/** The fixed part of a page header, before the segment table. */
export const OGG_FIXED_HEADER_BYTES = 27;
/** 27 + 255 lacing values + 255 * 255 body bytes. */
export const OGG_MAX_PAGE_BYTES = OGG_FIXED_HEADER_BYTES + 255 + 255 * 255;

export const OGG_CONTINUED = 0x01;
export const OGG_BOS = 0x02;
export const OGG_EOS = 0x04;

export interface OggPage {
  /** Header plus segment table. */
  headerBytes: number;
  /** The whole page: header, segment table and body. */
  lengthBytes: number;
  /** OGG_CONTINUED | OGG_BOS | OGG_EOS. */
  flags: number;
  /** Low and high 32 bits of the granule position; both 0xffffffff (-1) when no packet ends here. */
  granuleLow: number;
  granuleHigh: number;
  serial: number;
  sequence: number;
  /** Packets that end on this page (lacing values below 255). */
  packetsEnded: number;
}

/** True when 'OggS' and version 0 start at byte 0: a page may start here. */
export function isOggCapture(at: ByteAt): boolean {
  return at(0) === 0x4f && at(1) === 0x67 && at(2) === 0x67 && at(3) === 0x53 && at(4) === 0;
}

/**
 * Parses the page header at byte 0 of `at`, given that `available` bytes can
 * be read. Returns 'short' when more bytes are needed to know the page's
 * length, undefined when no page starts here. The CRC is not checked here
 * (see oggPageCrcOk), since that needs the whole page.
 */
export function parseOggPage(at: ByteAt, available: number): OggPage | 'short' | undefined {
  if (available < 5) return startsLikeCapture(at, available) ? 'short' : undefined;
  if (!isOggCapture(at)) return undefined;
  const flags = at(5);
  if (flags & ~0x07) return undefined; // undefined flag bits: not a page
  if (available < OGG_FIXED_HEADER_BYTES) return 'short';
  const segments = at(26);
  const headerBytes = OGG_FIXED_HEADER_BYTES + segments;
  if (available < headerBytes) return 'short';
  let bodyBytes = 0;
  let packetsEnded = 0;
  for (let i = 0; i < segments; i++) {
    const lacing = at(OGG_FIXED_HEADER_BYTES + i);
    bodyBytes += lacing;
    if (lacing < 255) packetsEnded++;
  }
  return {
    headerBytes,
    lengthBytes: headerBytes + bodyBytes,
    flags,
    granuleLow: u32le(at, 6),
    granuleHigh: u32le(at, 10),
    serial: u32le(at, 14),
    sequence: u32le(at, 18),
    packetsEnded,
  };
}

function startsLikeCapture(at: ByteAt, available: number): boolean {
  const capture = [0x4f, 0x67, 0x67, 0x53, 0];
  for (let i = 0; i < available; i++) if (at(i) !== capture[i]) return false;
  return true;
}

function u32le(at: ByteAt, offset: number): number {
  return (at(offset) | (at(offset + 1) << 8) | (at(offset + 2) << 16) | (at(offset + 3) << 24)) >>> 0;
}

/** Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, initial value 0, no final xor. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** The CRC of a page of `lengthBytes` at byte 0 of `at`, with its checksum field read as zero. */
export function oggPageCrc(at: ByteAt, lengthBytes: number): number {
  let crc = 0;
  for (let i = 0; i < lengthBytes; i++) {
    const byte = i >= 22 && i < 26 ? 0 : at(i);
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]) >>> 0;
  }
  return crc;
}

/** True when the page's stored checksum matches its bytes: the page is real and intact. */
export function oggPageCrcOk(at: ByteAt, page: OggPage): boolean {
  return oggPageCrc(at, page.lengthBytes) === u32le(at, 22);
}

/**
 * How many header packets a logical stream starts with, judged from its first
 * packet (the one on its BOS page), or undefined for a codec we do not know.
 * Vorbis and Theora: 3 (identification, comment, setup). Opus: 2 (OpusHead,
 * OpusTags). Speex: 2 plus its extra headers. FLAC: the mapping packet plus
 * the metadata packets it announces (0 = unknown count).
 */
export function oggHeaderPackets(first: Uint8Array): number | undefined {
  const text = (offset: number, s: string): boolean =>
    first.length >= offset + s.length && Buffer.from(first.buffer, first.byteOffset + offset, s.length).toString('latin1') === s;
  if (first[0] === 0x01 && text(1, 'vorbis')) return 3;
  if (first[0] === 0x80 && text(1, 'theora')) return 3;
  if (text(0, 'OpusHead')) return 2;
  if (text(0, 'Speex   ') && first.length >= 72) {
    const extra = first[68] | (first[69] << 8) | (first[70] << 16) | (first[71] << 24);
    return 2 + Math.max(0, Math.min(extra, 16));
  }
  if (first[0] === 0x7f && text(1, 'FLAC') && first.length >= 9) {
    const count = (first[7] << 8) | first[8];
    return count === 0 ? undefined : 1 + count;
  }
  return undefined;
}
