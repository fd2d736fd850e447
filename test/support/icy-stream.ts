// Reads an ICY listener's byte stream the way a player does: metaInt audio
// bytes, one length byte N, N*16 bytes of metadata, and again. Tests check
// the audio it returns (frame by frame) and where each block sat.

export interface IcyBlock {
  /** Audio bytes before this block (a multiple of metaInt when framing is right). */
  atAudioBytes: number;
  /** The length byte N. */
  units: number;
  /** The N*16 payload bytes, NUL padding included (empty for a 0x00 block). */
  payload: Buffer;
}

export interface IcyStream {
  audio: Buffer;
  blocks: IcyBlock[];
}

/** Splits `bytes` (a stream from its first body byte) into audio and blocks; a cut-off last block is dropped. */
export function splitIcyStream(bytes: Buffer, metaInt: number): IcyStream {
  const audio: Buffer[] = [];
  const blocks: IcyBlock[] = [];
  let audioBytes = 0;
  let i = 0;
  while (i < bytes.length) {
    const n = Math.min(metaInt, bytes.length - i);
    audio.push(bytes.subarray(i, i + n));
    audioBytes += n;
    i += n;
    if (n < metaInt || i >= bytes.length) break;
    const units = bytes[i];
    if (i + 1 + units * 16 > bytes.length) break;
    blocks.push({ atAudioBytes: audioBytes, units, payload: bytes.subarray(i + 1, i + 1 + units * 16) });
    i += 1 + units * 16;
  }
  return { audio: Buffer.concat(audio), blocks };
}

/** The StreamTitle of a block payload ('' for none), as UTF-8. */
export function streamTitleOf(payload: Buffer): string | undefined {
  const text = payload.toString('utf8').replace(/\0+$/, '');
  const match = /^StreamTitle='(.*?)';/s.exec(text);
  return match ? match[1] : undefined;
}
