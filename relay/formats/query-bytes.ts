// A request's query string as bytes, not text: title updates arrive
// percent-encoded in UTF-8, in Latin-1 (with or without charset=), or as raw
// bytes, and only the `charset` parameter says how to read them. So values
// are decoded to bytes here and to text in decodeText, never guessed early.

/** Parameters of a raw query (without the `?`); `+` is a space; the first of a repeated name wins. */
export function parseQueryBytes(raw: Uint8Array): Map<string, Uint8Array> {
  const params = new Map<string, Uint8Array>();
  let start = 0;
  while (start <= raw.length) {
    let end = raw.indexOf(0x26 /* & */, start);
    if (end < 0) end = raw.length;
    const pair = raw.subarray(start, end);
    if (pair.length > 0) {
      const eq = pair.indexOf(0x3d /* = */);
      const name = Buffer.from(unescapeBytes(eq < 0 ? pair : pair.subarray(0, eq))).toString('latin1');
      const value = eq < 0 ? new Uint8Array(0) : unescapeBytes(pair.subarray(eq + 1));
      if (!params.has(name)) params.set(name, value);
    }
    start = end + 1;
  }
  return params;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** %XX to its byte, `+` to a space; a `%` not followed by two hex digits is kept as it is. */
export function unescapeBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 0x25 /* % */ && i + 2 < bytes.length) {
      const hi = hexValue(bytes[i + 1]);
      const lo = hexValue(bytes[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out[n++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    out[n++] = c === 0x2b /* + */ ? 0x20 : c;
  }
  return out.subarray(0, n);
}

/**
 * Bytes to text in `charset` (any WHATWG label: utf-8, iso-8859-1, latin1,
 * windows-1252...). Without a charset: UTF-8 when the bytes are valid UTF-8,
 * else Windows-1252 (a superset of Latin-1), which is what old encoders send
 * unlabelled. Throws RangeError for an unknown charset.
 */
export function decodeText(bytes: Uint8Array, charset: string | undefined): string {
  if (charset !== undefined && charset !== '') return new TextDecoder(charset).decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}
