// The title inside an Ogg stream: its comment header (a Vorbis comment
// packet, "\x03vorbis" + comments + framing bit, or Opus's "OpusTags" +
// comments), whose ARTIST and TITLE fields ffmpeg, ices2, liquidsoap and
// oggenc fill in. Pure functions over a stream's captured header pages.
//
//   comments = vendor length (u32le) | vendor | count (u32le) |
//              count x (length (u32le) | "KEY=value", UTF-8)
//
// Keys are case-insensitive ASCII; a key may repeat (the first is used).

import { parseOggPage } from './ogg-page.js';

/** Comment fields read at most: a packet may also carry cover art, which nobody needs here. */
const MAX_FIELDS = 256;

/**
 * The packets that pages of one logical stream (`serial`) begin with, up to
 * `maxPackets`, reassembled across pages. Pages of other streams are skipped.
 */
export function oggStreamPackets(pages: readonly Uint8Array[], serial: number, maxPackets: number): Uint8Array[] {
  const packets: Uint8Array[] = [];
  let partial: Uint8Array[] = [];
  for (const page of pages) {
    const parsed = parseOggPage((i) => page[i], page.length);
    if (parsed === undefined || parsed === 'short' || parsed.serial !== serial) continue;
    let offset = parsed.headerBytes;
    for (let i = 0; i < parsed.headerBytes - 27; i++) {
      const lacing = page[27 + i];
      partial.push(page.subarray(offset, offset + lacing));
      offset += lacing;
      if (lacing < 255) {
        packets.push(Uint8Array.from(Buffer.concat(partial)));
        partial = [];
        if (packets.length >= maxPackets) return packets;
      }
    }
  }
  return packets;
}

/** The comment fields of a Vorbis comment or OpusTags packet (keys upper-cased), or undefined when it is neither. */
export function parseCommentPacket(packet: Uint8Array): Map<string, string> | undefined {
  const buf = Buffer.from(packet.buffer, packet.byteOffset, packet.length);
  let pos: number;
  if (buf.length >= 7 && buf[0] === 0x03 && buf.toString('latin1', 1, 7) === 'vorbis') pos = 7;
  else if (buf.length >= 8 && buf.toString('latin1', 0, 8) === 'OpusTags') pos = 8;
  else return undefined;
  const fields = new Map<string, string>();
  if (pos + 4 > buf.length) return fields;
  pos += 4 + buf.readUInt32LE(pos); // vendor
  if (pos + 4 > buf.length) return fields;
  const count = Math.min(buf.readUInt32LE(pos), MAX_FIELDS);
  pos += 4;
  for (let i = 0; i < count && pos + 4 <= buf.length; i++) {
    const length = buf.readUInt32LE(pos);
    pos += 4;
    if (pos + length > buf.length) break;
    const field = buf.toString('utf8', pos, pos + length);
    pos += length;
    const eq = field.indexOf('=');
    if (eq <= 0) continue;
    const key = field.slice(0, eq).toUpperCase();
    if (!fields.has(key)) fields.set(key, field.slice(eq + 1));
  }
  return fields;
}

/** "ARTIST - TITLE", or TITLE alone; undefined when there is no TITLE. */
export function titleOfComments(fields: ReadonlyMap<string, string>): string | undefined {
  const title = fields.get('TITLE')?.trim();
  if (!title) return undefined;
  const artist = fields.get('ARTIST')?.trim();
  return artist ? `${artist} - ${title}` : title;
}

/**
 * The title in a stream's header pages: the comment packet (the second
 * packet) of the first logical stream that has one with a TITLE.
 */
export function oggTitle(pages: readonly Uint8Array[], serials: Iterable<number>): string | undefined {
  for (const serial of serials) {
    const packets = oggStreamPackets(pages, serial, 2);
    if (packets.length < 2) continue;
    const fields = parseCommentPacket(packets[1]);
    const title = fields && titleOfComments(fields);
    if (title) return title;
  }
  return undefined;
}
