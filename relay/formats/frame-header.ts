// MP3 (MPEG-1/2/2.5 layers I-III) and AAC ADTS frame headers: enough of each
// to know where a frame starts, how long it is and how much audio it holds.
// Used by the ring writer (frame-aligned joins) and by `relaycast push`
// (pacing by frame duration). Pure functions over bytes; no state.

export type FrameFormat = 'mp3' | 'adts';

export interface FrameHeader {
  lengthBytes: number;
  samples: number;
  sampleRateHz: number;
  channels: number;
  /** Bits that must stay equal between consecutive frames of one stream. */
  streamKey: number;
}

/** The longest header either format needs before its length is known. */
export const HEADER_BYTES: Record<FrameFormat, number> = { mp3: 4, adts: 7 };

const MP3_BITRATE_KBPS: Record<string, readonly number[]> = {
  // [version 1 | 2(.5)] x [layer I | II | III], index 1..14
  '1-1': [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MP3_SAMPLE_RATE_HZ = [44100, 48000, 32000];
const ADTS_SAMPLE_RATE_HZ = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** Reads byte i of the candidate header; lets callers parse across a ring's wrap. */
export type ByteAt = (i: number) => number;

export function parseMp3Header(at: ByteAt): FrameHeader | undefined {
  const b0 = at(0),
    b1 = at(1),
    b2 = at(2);
  if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const versionBits = (b1 >> 3) & 3; // 0: 2.5, 1: reserved, 2: 2, 3: 1
  const layerBits = (b1 >> 1) & 3; // 1: III, 2: II, 3: I
  if (versionBits === 1 || layerBits === 0) return undefined;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  // Free format (index 0) has no length in the header; 15 is forbidden.
  if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const layer = 4 - layerBits;
  const mpeg1 = versionBits === 3;
  const bitrateKbps = MP3_BITRATE_KBPS[`${mpeg1 ? 1 : 2}-${layer}`][bitrateIndex - 1];
  const sampleRateHz = MP3_SAMPLE_RATE_HZ[rateIndex] / (mpeg1 ? 1 : versionBits === 2 ? 2 : 4);
  const padding = (b2 >> 1) & 1;
  let lengthBytes: number;
  let samples: number;
  if (layer === 1) {
    lengthBytes = (Math.floor((12000 * bitrateKbps) / sampleRateHz) + padding) * 4;
    samples = 384;
  } else {
    const perSlot = layer === 3 && !mpeg1 ? 72 : 144;
    lengthBytes = Math.floor((perSlot * 1000 * bitrateKbps) / sampleRateHz) + padding;
    samples = layer === 3 && !mpeg1 ? 576 : 1152;
  }
  // version, layer and sample rate never change inside one stream
  // Channel mode 3 is single channel; stereo, joint and dual are two.
  const channels = at(3) >> 6 === 3 ? 1 : 2;
  return { lengthBytes, samples, sampleRateHz, channels, streamKey: ((b1 & 0xfe) << 8) | (b2 & 0x0c) };
}

export function parseAdtsHeader(at: ByteAt): FrameHeader | undefined {
  const b0 = at(0),
    b1 = at(1);
  // 12 sync bits, then layer must be 00
  if (b0 !== 0xff || (b1 & 0xf6) !== 0xf0) return undefined;
  const b2 = at(2),
    b3 = at(3),
    b4 = at(4),
    b5 = at(5),
    b6 = at(6);
  const rateIndex = (b2 >> 2) & 0x0f;
  if (rateIndex >= ADTS_SAMPLE_RATE_HZ.length) return undefined;
  const lengthBytes = ((b3 & 0x03) << 11) | (b4 << 3) | (b5 >> 5);
  const headerBytes = b1 & 1 ? 7 : 9;
  if (lengthBytes < headerBytes) return undefined;
  const blocks = (b6 & 0x03) + 1;
  return {
    lengthBytes,
    samples: 1024 * blocks,
    sampleRateHz: ADTS_SAMPLE_RATE_HZ[rateIndex],
    // Channel configuration 7 is 7.1 (eight channels); 0 is "in the stream", counted as unknown.
    channels: [0, 1, 2, 3, 4, 5, 6, 8][((b2 & 1) << 2) | (b3 >> 6)],
    // profile, rate and channel layout are fixed for one stream
    streamKey: (b2 << 8) | (b3 & 0xc0),
  };
}

export const PARSERS: Record<FrameFormat, (at: ByteAt) => FrameHeader | undefined> = {
  mp3: parseMp3Header,
  adts: parseAdtsHeader,
};

/** Which frame format a Content-Type carries, if any we align on. */
export function frameFormatOf(contentType: string): FrameFormat | undefined {
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type === 'audio/mpeg' || type === 'audio/mp3' || type === 'audio/mpeg3') return 'mp3';
  if (type === 'audio/aac' || type === 'audio/aacp' || type === 'audio/x-aac') return 'adts';
  return undefined;
}

/** Length of an ID3v2 tag starting at byte 0 of `at`, or 0 when there is none. */
export function id3v2Length(at: ByteAt): number {
  if (at(0) !== 0x49 || at(1) !== 0x44 || at(2) !== 0x33) return 0; // "ID3"
  const footer = at(5) & 0x10 ? 10 : 0;
  const size = (at(6) << 21) | (at(7) << 14) | (at(8) << 7) | at(9);
  return 10 + size + footer;
}

/**
 * True for an MP3 frame that holds a Xing, Info or VBRI header instead of
 * audio: an encoder writes one at the start of a file to give its length and
 * duration. On a live stream it is a lie (browsers show a live mount as a
 * 20 s file and stop there), so the ring writer leaves it out.
 */
export function isVbrHeaderFrame(at: ByteAt, lengthBytes: number): boolean {
  const b1 = at(1);
  if (((b1 >> 1) & 3) !== 1) return false; // layer III only
  const mpeg1 = ((b1 >> 3) & 3) === 3;
  const mono = at(3) >> 6 === 3;
  // Xing/Info sits right after the side information, whose size depends on version and channels.
  const sideInfoBytes = mpeg1 ? (mono ? 17 : 32) : mono ? 9 : 17;
  return (
    hasTag(at, 4 + sideInfoBytes, 'Xing', lengthBytes) ||
    hasTag(at, 4 + sideInfoBytes, 'Info', lengthBytes) ||
    hasTag(at, 36, 'VBRI', lengthBytes)
  );
}

function hasTag(at: ByteAt, offset: number, tag: string, lengthBytes: number): boolean {
  if (offset + tag.length > lengthBytes) return false;
  for (let i = 0; i < tag.length; i++) if (at(offset + i) !== tag.charCodeAt(i)) return false;
  return true;
}

export interface FrameSpan {
  start: number;
  header: FrameHeader;
}

/**
 * The whole frames in `buf` from its start, ID3v2 tags and bytes that are
 * not frames skipped; stops at the first frame (or tag) that is not all
 * there. Returns them and where scanning stopped (keep the rest for more
 * bytes). Pure: the file reader of `relaycast push` and intro loading share it.
 */
export function scanFrames(buf: Uint8Array, format: FrameFormat): { frames: FrameSpan[]; consumed: number } {
  const parse = PARSERS[format];
  const headerBytes = HEADER_BYTES[format];
  const frames: FrameSpan[] = [];
  let pos = 0;
  while (pos + Math.max(headerBytes, 10) <= buf.length) {
    const at = (i: number) => buf[pos + i];
    const tag = id3v2Length(at);
    if (tag > 0) {
      if (pos + tag > buf.length) break;
      pos += tag;
      continue;
    }
    const header = parse(at);
    if (!header) {
      pos++;
      continue;
    }
    if (pos + header.lengthBytes > buf.length) break;
    frames.push({ start: pos, header });
    pos += header.lengthBytes;
  }
  return { frames, consumed: pos };
}
