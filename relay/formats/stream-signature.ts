// What a decoder is set up for: codec, sample rate and channel count. A
// listener moved between mounts (a fallback, or back) keeps its decoder, so
// a move is allowed only between streams whose signatures are equal; a
// stream whose signature is unknown is never moved into or out of.

import type { FrameFormat, FrameHeader } from './frame-header.js';
import { parseOggPage } from './ogg-page.js';

export interface StreamSignature {
  codec: 'mp3' | 'aac' | 'vorbis' | 'opus';
  sampleRateHz: number;
  channels: number;
}

export function signatureOfFrame(format: FrameFormat, header: FrameHeader): StreamSignature | undefined {
  if (header.channels === 0) return undefined;
  return { codec: format === 'mp3' ? 'mp3' : 'aac', sampleRateHz: header.sampleRateHz, channels: header.channels };
}

/** The signature in an Ogg stream's header pages: its BOS page's identification packet (Vorbis, Opus). */
export function signatureOfOggHeaders(headers: Uint8Array): StreamSignature | undefined {
  const page = parseOggPage((i) => headers[i] ?? 0, headers.length);
  if (page === undefined || page === 'short') return undefined;
  const body = headers.subarray(page.headerBytes, page.lengthBytes);
  const latin1 = (from: number, length: number) =>
    Buffer.from(body.buffer, body.byteOffset + from, Math.min(length, Math.max(0, body.length - from))).toString('latin1');
  const u32 = (from: number) => (body[from] | (body[from + 1] << 8) | (body[from + 2] << 16) | (body[from + 3] << 24)) >>> 0;
  // Vorbis identification: 0x01 "vorbis", version (4), channels (1), rate (4, little-endian).
  if (body.length >= 16 && body[0] === 0x01 && latin1(1, 6) === 'vorbis')
    return { codec: 'vorbis', sampleRateHz: u32(12), channels: body[11] };
  // OpusHead: version (1), channels (1), pre-skip (2), input rate (4); Opus always decodes at 48 kHz.
  if (body.length >= 19 && latin1(0, 8) === 'OpusHead') return { codec: 'opus', sampleRateHz: 48_000, channels: body[9] };
  return undefined;
}

export function sameSignature(a: StreamSignature | undefined, b: StreamSignature | undefined): boolean {
  return a !== undefined && b !== undefined && a.codec === b.codec && a.sampleRateHz === b.sampleRateHz && a.channels === b.channels;
}

export function describeSignature(s: StreamSignature | undefined): string {
  return s ? `${s.codec} ${s.sampleRateHz} Hz ${s.channels === 1 ? 'mono' : `${s.channels} ch`}` : 'unknown';
}
