// "Artist - Title" from an MP3 file's ID3v2 tag (v2.3 and v2.4: TPE1 and
// TIT2 text frames, any of the four text encodings), for a fallback file's
// now-playing. Pure: the caller hands the tag's bytes.

import { id3v2Length } from './frame-header.js';

/** `artist - title`, `title`, or undefined when the tag carries neither. */
export function id3Title(tag: Uint8Array): string | undefined {
  const total = id3v2Length((i) => tag[i] ?? 0);
  if (total === 0) return undefined;
  const major = tag[3];
  if (major !== 3 && major !== 4) return undefined;
  const texts = new Map<string, string>();
  let pos = 10;
  if (tag[5] & 0x40) pos += major === 4 ? syncsafe(tag, 10) : 4 + readU32(tag, 10);
  const end = Math.min(total, tag.length);
  while (pos + 10 <= end) {
    const id = String.fromCharCode(tag[pos], tag[pos + 1], tag[pos + 2], tag[pos + 3]);
    if (!/^[A-Z0-9]{4}$/.test(id)) break; // padding
    const size = major === 4 ? syncsafe(tag, pos + 4) : readU32(tag, pos + 4);
    const body = tag.subarray(pos + 10, Math.min(end, pos + 10 + size));
    if (id === 'TIT2' || id === 'TPE1') texts.set(id, decodeText(body));
    pos += 10 + size;
  }
  const title = texts.get('TIT2')?.trim();
  const artist = texts.get('TPE1')?.trim();
  if (title && artist) return `${artist} - ${title}`;
  return title || artist || undefined;
}

function syncsafe(b: Uint8Array, at: number): number {
  return (b[at] << 21) | (b[at + 1] << 14) | (b[at + 2] << 7) | b[at + 3];
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** A text frame's body: encoding byte, then Latin-1, UTF-16 with BOM, UTF-16BE or UTF-8; NUL-terminated lists keep the first. */
function decodeText(body: Uint8Array): string {
  const enc = body[0];
  const data = Buffer.from(body.subarray(1));
  let text: string;
  if (enc === 0) text = data.toString('latin1');
  else if (enc === 3) text = data.toString('utf8');
  else if (enc === 1) {
    const le = data[0] === 0xff && data[1] === 0xfe;
    const raw = data.subarray(2);
    text = (le ? raw : swapBytes(raw)).toString('utf16le');
  } else text = swapBytes(data).toString('utf16le');
  return text.split('\0')[0];
}

function swapBytes(b: Buffer): Buffer {
  const out = Buffer.alloc(b.length - (b.length % 2));
  for (let i = 0; i + 1 < b.length; i += 2) {
    out[i] = b[i + 1];
    out[i + 1] = b[i];
  }
  return out;
}
