// Builds Ogg pages for tests: a page with chosen flags, serial, sequence,
// granule and packets, with a correct CRC (or a broken one on request), and
// reads a byte stream back into pages. Packet bodies are filler bytes that
// never spell 'OggS', so the only capture patterns are the ones a test puts in.

import { OGG_BOS, OGG_CONTINUED, OGG_EOS, oggPageCrc } from '../../relay/formats/ogg-page.js';

export { OGG_BOS, OGG_CONTINUED, OGG_EOS };

export interface PageSpec {
  serial: number;
  sequence: number;
  flags?: number;
  granule?: number;
  /** The packet pieces on the page; each ends here unless `lastContinues` says the last goes on. */
  packets: Uint8Array[];
  /** The last packet continues on the next page (its last lacing value is 255). */
  lastContinues?: boolean;
  badCrc?: boolean;
}

export function filler(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => 0x20 + ((seed * 7 + i) % 0x2e)); // 0x20..0x4d: never 'g' or 'S'
}

export function oggPage(spec: PageSpec): Uint8Array {
  const lacing: number[] = [];
  spec.packets.forEach((packet, i) => {
    let left = packet.length;
    while (left >= 255) {
      lacing.push(255);
      left -= 255;
    }
    const last = i === spec.packets.length - 1;
    if (!(last && spec.lastContinues)) lacing.push(left);
    else if (left !== 0) throw new Error('a continued packet piece must be a multiple of 255 bytes');
  });
  const body = Buffer.concat(spec.packets);
  const page = new Uint8Array(27 + lacing.length + body.length);
  const view = new DataView(page.buffer);
  page.set([0x4f, 0x67, 0x67, 0x53, 0, spec.flags ?? 0]);
  const granule = BigInt.asUintN(64, BigInt(spec.granule ?? 0));
  view.setBigUint64(6, granule, true);
  view.setUint32(14, spec.serial, true);
  view.setUint32(18, spec.sequence, true);
  page[26] = lacing.length;
  page.set(lacing, 27);
  page.set(body, 27 + lacing.length);
  const crc = oggPageCrc((i) => page[i], page.length);
  view.setUint32(22, spec.badCrc ? crc ^ 1 : crc, true);
  return page;
}

/** A Vorbis identification packet: 0x01 'vorbis' and 23 more bytes. */
export function vorbisIdPacket(): Uint8Array {
  const p = filler(30, 1);
  p.set([0x01, ...Buffer.from('vorbis')]);
  return p;
}

export function vorbisHeaderPacket(type: 3 | 5, length: number): Uint8Array {
  const p = filler(length, type);
  p.set([type, ...Buffer.from('vorbis')]);
  return p;
}

export function opusHeadPacket(): Uint8Array {
  const p = filler(19, 2);
  p.set(Buffer.from('OpusHead'));
  return p;
}

export function opusTagsPacket(): Uint8Array {
  const p = filler(40, 3);
  p.set(Buffer.from('OpusTags'));
  return p;
}

export interface ReadPage {
  offset: number;
  flags: number;
  granule: bigint;
  serial: number;
  sequence: number;
  lengthBytes: number;
  crcOk: boolean;
}

/** Splits `bytes` into pages; throws when a page does not start where the last one ended. */
export function readPages(bytes: Uint8Array): { pages: ReadPage[]; trailing: number } {
  const pages: ReadPage[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos + 27 <= bytes.length) {
    if (Buffer.from(bytes.subarray(pos, pos + 4)).toString('latin1') !== 'OggS') throw new Error(`no page at byte ${pos}`);
    const segments = bytes[pos + 26];
    if (pos + 27 + segments > bytes.length) break;
    let length = 27 + segments;
    for (let i = 0; i < segments; i++) length += bytes[pos + 27 + i];
    if (pos + length > bytes.length) break;
    const crcOk = oggPageCrc((i) => bytes[pos + i], length) === view.getUint32(pos + 22, true);
    pages.push({
      offset: pos,
      flags: bytes[pos + 5],
      granule: view.getBigInt64(pos + 6, true),
      serial: view.getUint32(pos + 14, true),
      sequence: view.getUint32(pos + 18, true),
      lengthBytes: length,
      crcOk,
    });
    pos += length;
  }
  return { pages, trailing: bytes.length - pos };
}
