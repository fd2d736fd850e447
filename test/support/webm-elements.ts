// Builds and reads WebM (EBML) bytes for the tests: a stream of numbered
// blocks (each block's payload starts with its serial number) in Clusters,
// with known or unknown sizes, and a reader that walks what a listener got
// back into its init segment and its Clusters' timecodes and block serials.

import { EBML_ID, readElementHeader } from '../../relay/formats/ebml.js';

export function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function idBytes(id: number): Uint8Array {
  const out: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return Uint8Array.from(out);
}

/** A size VINT of `width` bytes (the smallest that fits when width is omitted); undefined = unknown size. */
export function sizeVint(size: number | undefined, width?: number): Uint8Array {
  let w = width ?? 1;
  if (width === undefined) while (size !== undefined && size >= 2 ** (7 * w) - 1) w++;
  const out = new Uint8Array(w);
  if (size === undefined) {
    out.fill(0xff);
    out[0] = (0x100 >> (w - 1)) - 1;
    return out;
  }
  let v = size;
  for (let i = w - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  out[0] |= 0x100 >> w;
  return out;
}

/** An element: ID, size, body. */
export function el(id: number, body: Uint8Array, opts: { unknownSize?: boolean; sizeWidth?: number } = {}): Uint8Array {
  return concat(idBytes(id), sizeVint(opts.unknownSize ? undefined : body.length, opts.sizeWidth), body);
}

export function uintEl(id: number, value: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = value; bytes.length === 0 || v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return el(id, Uint8Array.from(bytes));
}

export function strEl(id: number, s: string): Uint8Array {
  return el(id, Buffer.from(s, 'latin1'));
}

export function ebmlHeader(docType = 'webm'): Uint8Array {
  return el(
    EBML_ID.EBML,
    concat(uintEl(0x4286, 1), uintEl(0x42f7, 1), uintEl(0x42f2, 4), uintEl(0x42f3, 8), strEl(EBML_ID.DocType, docType), uintEl(0x4287, 4)),
  );
}

export interface TrackSpec {
  number: number;
  /** 1 video, 2 audio. */
  type: number;
  codec: string;
}

/** Info and Tracks, as a Segment's first children. */
export function segmentHead(tracks: TrackSpec[], title = 'test'): Uint8Array {
  const info = el(EBML_ID.Info, concat(uintEl(0x2ad7b1, 1_000_000), strEl(0x4d80, 'relaycast-test'), strEl(0x7ba9, title)));
  const entries = tracks.map((t) =>
    el(
      EBML_ID.TrackEntry,
      concat(
        uintEl(EBML_ID.TrackNumber, t.number),
        uintEl(0x73c5, t.number),
        uintEl(EBML_ID.TrackType, t.type),
        strEl(EBML_ID.CodecID, t.codec),
      ),
    ),
  );
  return concat(info, el(EBML_ID.Tracks, concat(...entries)), el(EBML_ID.Void, new Uint8Array(20)));
}

export interface BlockSpec {
  track: number;
  keyframe: boolean;
  serial: number;
  bytes?: number;
  /** As a BlockGroup (keyframe = no ReferenceBlock) rather than a SimpleBlock. */
  group?: boolean;
}

function blockBody(b: BlockSpec): Uint8Array {
  const payload = new Uint8Array(Math.max(4, b.bytes ?? 100));
  new DataView(payload.buffer).setUint32(0, b.serial);
  for (let i = 4; i < payload.length; i++) payload[i] = (b.serial * 31 + i) & 0xff;
  return concat(sizeVint(b.track), Uint8Array.from([0, 0, b.keyframe && !b.group ? 0x80 : 0]), payload);
}

export function block(b: BlockSpec): Uint8Array {
  if (!b.group) return el(EBML_ID.SimpleBlock, blockBody(b));
  const parts = [el(EBML_ID.Block, blockBody(b))];
  if (!b.keyframe) parts.push(el(EBML_ID.ReferenceBlock, Uint8Array.from([0xff])));
  return el(EBML_ID.BlockGroup, concat(...parts));
}

export function cluster(timecode: number, blocks: BlockSpec[], opts: { unknownSize?: boolean; noTimecode?: boolean } = {}): Uint8Array {
  const children = blocks.map(block);
  if (!opts.noTimecode) children.unshift(uintEl(EBML_ID.Timecode, timecode));
  return el(EBML_ID.Cluster, concat(...children), { unknownSize: opts.unknownSize });
}

/** The start of a live Segment: its ID and an unknown (or the given) size. */
export function segmentStart(size?: number, sizeWidth = 8): Uint8Array {
  return concat(idBytes(EBML_ID.Segment), sizeVint(size, sizeWidth));
}

export interface ReadCluster {
  offset: number;
  timecode: number | undefined;
  serials: number[];
}

/**
 * Walks received bytes: the offset of the first Cluster (what comes before is
 * the init segment) and each Cluster's timecode and block serials. Elements
 * of unknown size are entered; a Cluster of unknown size ends at the next
 * Cluster or EBML header.
 */
export function readWebm(bytes: Uint8Array): { ebmlHeaders: number[]; clusters: ReadCluster[] } {
  const at = (pos: number) => (i: number) => bytes[pos + i];
  const ebmlHeaders: number[] = [];
  const clusters: ReadCluster[] = [];
  let current: ReadCluster | undefined;
  let pos = 0;
  while (pos < bytes.length) {
    const h = readElementHeader(at(pos), bytes.length - pos);
    if (h === undefined || h === 'short') break;
    const body = pos + h.headerBytes;
    if (h.id === EBML_ID.Segment || h.id === EBML_ID.Cluster) {
      if (h.id === EBML_ID.Cluster) {
        current = { offset: pos, timecode: undefined, serials: [] };
        clusters.push(current);
      }
      pos = body;
      continue;
    }
    if (h.size === undefined || body + h.size > bytes.length) break;
    if (h.id === EBML_ID.EBML) {
      ebmlHeaders.push(pos);
      current = undefined;
    } else if (current && h.id === EBML_ID.Timecode) {
      let v = 0;
      for (let i = 0; i < h.size; i++) v = v * 256 + bytes[body + i];
      current.timecode = v;
    } else if (current && h.id === EBML_ID.SimpleBlock) {
      current.serials.push(new DataView(bytes.buffer, bytes.byteOffset + body + 4).getUint32(0));
    } else if (current && h.id === EBML_ID.BlockGroup) {
      const inner = readElementHeader(at(body), h.size);
      if (inner !== undefined && inner !== 'short')
        current.serials.push(new DataView(bytes.buffer, bytes.byteOffset + body + inner.headerBytes + 4).getUint32(0));
    }
    pos = body + h.size;
  }
  return { ebmlHeaders, clusters };
}
