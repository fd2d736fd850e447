// The PROXY protocol header (HAProxy's v1 text line and v2 binary block) that
// a TCP proxy puts before the request on the front door, as uWS reads it on
// its ports: the header is always taken off the connection, and its source
// address is used only with --trust-proxy (client-address.ts). Only at the
// very start of a connection; at most 16 + 216 bytes (v2 with addresses of
// the unix family is the largest we accept).

const V2_SIGNATURE = Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1');
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** v1 lines are at most 107 bytes (the spec's bound). */
const V1_MAX_BYTES = 107;
const V2_MAX_PAYLOAD_BYTES = 216;

export type ProxyHeader =
  /** The connection does not start with a PROXY header. */
  | { kind: 'none' }
  /** It may: more bytes are needed to tell. */
  | { kind: 'partial' }
  /** A header of `length` bytes; `address` is its source (undefined for LOCAL or UNKNOWN). */
  | { kind: 'header'; length: number; address: string | undefined }
  /** It starts like one but is not valid. */
  | { kind: 'invalid' };

export function readProxyHeader(buf: Buffer): ProxyHeader {
  if (startsLike(buf, V2_SIGNATURE)) return buf.length < 16 ? { kind: 'partial' } : readV2(buf);
  if (startsLike(buf, V1_PREFIX)) return buf.length < V1_PREFIX.length ? { kind: 'partial' } : readV1(buf);
  return { kind: 'none' };
}

/** True while `buf` agrees with `prefix` on every byte both have. */
function startsLike(buf: Buffer, prefix: Buffer): boolean {
  const n = Math.min(buf.length, prefix.length);
  return n > 0 && buf.subarray(0, n).equals(prefix.subarray(0, n));
}

function readV2(buf: Buffer): ProxyHeader {
  if (buf.length < 16) return { kind: 'partial' };
  const versionCommand = buf[12];
  const family = buf[13];
  const payload = buf.readUInt16BE(14);
  if (versionCommand >> 4 !== 2 || payload > V2_MAX_PAYLOAD_BYTES) return { kind: 'invalid' };
  if (buf.length < 16 + payload) return { kind: 'partial' };
  const length = 16 + payload;
  if ((versionCommand & 0x0f) !== 1) return { kind: 'header', length, address: undefined }; // LOCAL: the proxy's own check
  if (family >> 4 === 1 && payload >= 12) return { kind: 'header', length, address: [...buf.subarray(16, 20)].join('.') };
  if (family >> 4 === 2 && payload >= 36) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(buf.readUInt16BE(16 + i).toString(16));
    return { kind: 'header', length, address: groups.join(':') }; // uncompressed, still a valid IPv6 text form
  }
  return { kind: 'header', length, address: undefined };
}

function readV1(buf: Buffer): ProxyHeader {
  const end = buf.indexOf('\r\n');
  if (end < 0) return buf.length > V1_MAX_BYTES ? { kind: 'invalid' } : { kind: 'partial' };
  if (end + 2 > V1_MAX_BYTES) return { kind: 'invalid' };
  const fields = buf.toString('latin1', 0, end).split(' ');
  if (fields[1] === 'UNKNOWN') return { kind: 'header', length: end + 2, address: undefined };
  if ((fields[1] !== 'TCP4' && fields[1] !== 'TCP6') || fields.length !== 6) return { kind: 'invalid' };
  const address = fields[2];
  if (!/^[0-9A-Fa-f.:]{2,45}$/.test(address)) return { kind: 'invalid' };
  return { kind: 'header', length: end + 2, address };
}
