// ICY (SHOUTcast) metadata: what a title looks like on the wire and which
// titles are allowed there. A block is one length byte N and N*16 bytes of
// `StreamTitle='...';StreamUrl='...';`, NUL-padded; N = 0 (a lone 0x00) means
// "no change". A mount builds its block once per title change; every ICY
// listener shares that Buffer.
//
// Sanitizing (the same text goes to status pages, so it is applied to the
// stored title, not only to the block):
// - control characters (C0, DEL, C1: CR, LF, NUL, tab...) and Unicode line
//   separators become a space, runs of spaces collapse, ends are trimmed;
// - an apostrophe is kept ("Don't Stop"): FFmpeg/mpv, VLC and Icecast's own
//   parsers end a value at `';`, not at a lone `'`. Only an apostrophe
//   directly followed by `;` would end the value early, so that one becomes
//   U+2019 (’);
// - the text is cut, on a UTF-8 character boundary, so that the whole block
//   fits 255*16 = 4080 bytes (the URL gets at most MAX_URL_BYTES of it).
// Invariant: encodeIcyBlock never returns more than 1 + 4080 bytes, and its
// payload never contains a NUL before the padding.

/** Audio bytes between two metadata blocks; what Icecast and SHOUTcast use. */
export const ICY_METAINT = 16000;
/** The longest payload a length byte can announce. */
export const MAX_ICY_PAYLOAD_BYTES = 255 * 16;
/** StreamUrl is kept short so the title keeps most of the block. */
export const MAX_URL_BYTES = 1024;

/** The block a listener gets when its title has not changed: one zero byte. */
export const UNCHANGED_BLOCK: Uint8Array = new Uint8Array(1);

const TITLE_PREFIX = "StreamTitle='";
const URL_PREFIX = "StreamUrl='";
const VALUE_END = "';";

/** Ogg and WebM carry titles in their own comment headers; Icecast never sends ICY there. */
export function icyAllowedFor(contentType: string): boolean {
  return !/ogg|webm|matroska|opus|flac/i.test(contentType);
}

/** True when a request's Icy-MetaData header asks for metadata ("1"; some players send "1 " or "true"). */
export function wantsIcyMetadata(header: string | undefined): boolean {
  const value = (header ?? '').trim().toLowerCase();
  return value === '1' || value === 'true' || value === 'yes';
}

/** Makes free text safe for a StreamTitle/StreamUrl value; see the header comment. */
export function sanitizeIcyText(raw: string): string {
  return raw
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/'(?=;)/g, '\u2019')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** The longest prefix of `text` whose UTF-8 encoding fits `maxBytes`, cut between characters. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let cut = maxBytes;
  // 0b10xxxxxx continues a character: back off to the byte that starts it.
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut).toString('utf8');
}

/** Title and URL as they will be stored and sent: sanitized and cut to fit one block. */
export function fitIcyTitle(rawTitle: string, rawUrl: string): { title: string; url: string } {
  const url = truncateUtf8(sanitizeIcyText(rawUrl), MAX_URL_BYTES);
  const urlBytes = url === '' ? 0 : URL_PREFIX.length + Buffer.byteLength(url) + VALUE_END.length;
  const titleRoom = MAX_ICY_PAYLOAD_BYTES - urlBytes - TITLE_PREFIX.length - VALUE_END.length;
  // A cut can leave a trailing apostrophe: harmless, since `abc'';` still ends at the last `';`.
  const title = truncateUtf8(sanitizeIcyText(rawTitle), titleRoom).trimEnd();
  return { title, url };
}

/** The block for a title (already fitted): length byte, payload, NUL padding to a multiple of 16. */
export function encodeIcyBlock(title: string, url: string): Uint8Array {
  let text = `${TITLE_PREFIX}${title}${VALUE_END}`;
  if (url !== '') text += `${URL_PREFIX}${url}${VALUE_END}`;
  const payload = Buffer.from(text, 'utf8');
  if (payload.length > MAX_ICY_PAYLOAD_BYTES) {
    throw new RangeError(`ICY payload of ${payload.length} bytes; fit the title with fitIcyTitle first`);
  }
  const units = Math.ceil(payload.length / 16);
  const block = new Uint8Array(1 + units * 16);
  block[0] = units;
  block.set(payload, 1);
  return block;
}

/** Values of an ICY payload (`StreamTitle='a';StreamUrl='b';`, NULs ignored); each value ends at `';`. */
export function parseIcyPayload(payload: string): Map<string, string> {
  const fields = new Map<string, string>();
  let rest = payload.replace(/\0+$/, '');
  for (;;) {
    const open = rest.indexOf("='");
    if (open < 0) break;
    const close = rest.indexOf(VALUE_END, open + 2);
    const key = rest.slice(0, open).trim();
    if (close < 0) {
      // Some servers omit the final `;`: take the value up to a closing quote at the end.
      const tail = rest.slice(open + 2);
      fields.set(key, tail.endsWith("'") ? tail.slice(0, -1) : tail);
      break;
    }
    fields.set(key, rest.slice(open + 2, close));
    rest = rest.slice(close + VALUE_END.length);
  }
  return fields;
}
