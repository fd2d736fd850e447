// EBML (RFC 8794), the container syntax of Matroska and WebM: element IDs and
// sizes (variable-length integers), the few element IDs the relay acts on,
// and readers for the bits of an init segment it needs (DocType, tracks).
// Pure functions over bytes (read through ByteAt, so an element may straddle
// a ring's wrap); no state.
//
//   element = ID (1-4 bytes, marker bit kept) | size (1-8 bytes, marker bit
//             dropped; all value bits 1 = unknown size) | body (size bytes)
//
// A VINT's length is one more than the count of leading zero bits of its
// first byte: 1xxxxxxx is 1 byte, 01xxxxxx xxxxxxxx is 2, and so on.

import type { ByteAt } from './frame-header.js';

export const EBML_ID = {
  EBML: 0x1a45dfa3,
  DocType: 0x4282,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Info: 0x1549a966,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackType: 0x83,
  CodecID: 0x86,
  Cues: 0x1c53bb6b,
  Tags: 0x1254c367,
  Chapters: 0x1043a770,
  Attachments: 0x1941a469,
  Cluster: 0x1f43b675,
  Timecode: 0xe7,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  ReferenceBlock: 0xfb,
  Void: 0xec,
  CRC32: 0xbf,
} as const;

/** Matroska's TrackType for video. */
export const TRACK_TYPE_VIDEO = 1;

/** Elements that sit directly in a Segment: any of them ends an unknown-size Cluster. */
const SEGMENT_CHILDREN: ReadonlySet<number> = new Set([
  EBML_ID.SeekHead,
  EBML_ID.Info,
  EBML_ID.Tracks,
  EBML_ID.Cues,
  EBML_ID.Tags,
  EBML_ID.Chapters,
  EBML_ID.Attachments,
  EBML_ID.Cluster,
]);

/** True when an element with this ID ends an unknown-size Cluster (a sibling or a new stream's header). */
export function endsCluster(id: number): boolean {
  return SEGMENT_CHILDREN.has(id) || id === EBML_ID.EBML || id === EBML_ID.Segment;
}

export interface ElementHeader {
  id: number;
  /** ID plus size field. */
  headerBytes: number;
  /** Width of the size field (1-8). */
  sizeBytes: number;
  /** Body length; undefined for an unknown size. */
  size: number | undefined;
}

/** The length of a VINT from its first byte (1-8), or 0 for 0x00 (no marker within 8 bits). */
export function vintLength(first: number): number {
  return first === 0 ? 0 : Math.clz32(first) - 23;
}

/**
 * Reads an element's ID and size at byte 0 of `at`, given that `available`
 * bytes can be read. 'short' when more bytes are needed, undefined when no
 * valid element header starts here (an ID longer than 4 bytes, a reserved
 * all-ones ID, a size past 2^53).
 */
export function readElementHeader(at: ByteAt, available: number): ElementHeader | 'short' | undefined {
  if (available < 1) return 'short';
  const idBytes = vintLength(at(0));
  if (idBytes === 0 || idBytes > 4) return undefined;
  if (available < idBytes + 1) return 'short';
  let id = 0;
  for (let i = 0; i < idBytes; i++) id = id * 256 + at(i);
  // All value bits 1 is reserved; all 0 is invalid.
  const valueBits = 7 * idBytes;
  const idValue = id - 2 ** valueBits;
  if (idValue === 0 || idValue === 2 ** valueBits - 1) return undefined;
  const sizeBytes = vintLength(at(idBytes));
  if (sizeBytes === 0) return undefined;
  if (available < idBytes + sizeBytes) return 'short';
  let size = at(idBytes) & (0xff >> sizeBytes);
  let allOnes = size === 0xff >> sizeBytes;
  for (let i = 1; i < sizeBytes; i++) {
    const b = at(idBytes + i);
    size = size * 256 + b;
    if (b !== 0xff) allOnes = false;
  }
  if (allOnes) return { id, headerBytes: idBytes + sizeBytes, sizeBytes, size: undefined };
  if (size > Number.MAX_SAFE_INTEGER) return undefined;
  return { id, headerBytes: idBytes + sizeBytes, sizeBytes, size };
}

/** The `width`-byte VINT meaning "unknown size" (0xFF, 0x7F 0xFF, ... 0x01 0xFF*7). */
export function unknownSizeVint(width: number): Uint8Array {
  const out = new Uint8Array(width).fill(0xff);
  out[0] = (0x100 >> (width - 1)) - 1;
  return out;
}

/** Reads a VINT as a plain number (no unknown-size meaning): a track number, say. */
export function readVint(at: ByteAt, available: number): { value: number; length: number } | undefined {
  if (available < 1) return undefined;
  const length = vintLength(at(0));
  if (length === 0 || length > available) return undefined;
  let value = at(0) & (0xff >> length);
  for (let i = 1; i < length; i++) value = value * 256 + at(i);
  return { value, length };
}

/** Calls `visit` for each element in bytes[from, to); stops at the first that does not parse or fit. */
export function eachElement(bytes: Uint8Array, from: number, to: number, visit: (header: ElementHeader, bodyPos: number) => void): void {
  const at = (pos: number) => (i: number) => bytes[pos + i];
  let pos = from;
  while (pos < to) {
    const header = readElementHeader(at(pos), to - pos);
    if (header === undefined || header === 'short') return;
    const bodyPos = pos + header.headerBytes;
    const end = header.size === undefined ? to : bodyPos + header.size;
    if (end > to) return;
    visit(header, bodyPos);
    pos = end;
  }
}

function readUint(bytes: Uint8Array, pos: number, length: number): number {
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 256 + bytes[pos + i];
  return value;
}

/** The DocType ('webm', 'matroska') in the body of an EBML header element, or '' when it has none. */
export function ebmlDocType(body: Uint8Array): string {
  let docType = '';
  eachElement(body, 0, body.length, (h, pos) => {
    if (h.id === EBML_ID.DocType && h.size !== undefined) docType = Buffer.from(body.subarray(pos, pos + h.size)).toString('latin1');
  });
  return docType.replace(/\0+$/, '');
}

export interface TrackInfo {
  number: number;
  /** 1 video, 2 audio, 17 subtitle, ... (0 when absent). */
  type: number;
  codecId: string;
}

/** The tracks described by the body of a Tracks element. */
export function parseTracks(body: Uint8Array): TrackInfo[] {
  const tracks: TrackInfo[] = [];
  eachElement(body, 0, body.length, (entry, entryPos) => {
    if (entry.id !== EBML_ID.TrackEntry || entry.size === undefined) return;
    const track: TrackInfo = { number: 0, type: 0, codecId: '' };
    eachElement(body, entryPos, entryPos + entry.size, (h, pos) => {
      if (h.size === undefined) return;
      if (h.id === EBML_ID.TrackNumber && h.size <= 6) track.number = readUint(body, pos, h.size);
      else if (h.id === EBML_ID.TrackType && h.size <= 6) track.type = readUint(body, pos, h.size);
      else if (h.id === EBML_ID.CodecID) track.codecId = Buffer.from(body.subarray(pos, pos + h.size)).toString('latin1');
    });
    tracks.push(track);
  });
  return tracks;
}

/** Reads the track number and keyframe flag at the start of a SimpleBlock's body (undefined when too short). */
export function simpleBlockStart(at: ByteAt, available: number): { track: number; keyframe: boolean } | undefined {
  const track = readVint(at, available);
  if (track === undefined || available < track.length + 3) return undefined;
  return { track: track.value, keyframe: (at(track.length + 2) & 0x80) !== 0 };
}

/**
 * The track of a BlockGroup and whether its block is a keyframe (no
 * ReferenceBlock: a block that refers to no other), from the group's body.
 */
export function blockGroupStart(body: Uint8Array): { track: number; keyframe: boolean } | undefined {
  let track: number | undefined;
  let references = false;
  eachElement(body, 0, body.length, (h, pos) => {
    if (h.id === EBML_ID.Block && h.size !== undefined) track = readVint((i) => body[pos + i], h.size)?.value;
    else if (h.id === EBML_ID.ReferenceBlock) references = true;
  });
  return track === undefined ? undefined : { track, keyframe: !references };
}
