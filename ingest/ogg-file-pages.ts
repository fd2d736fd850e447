// Pages of one pass over an Ogg file (Vorbis or Opus), each with how long
// its audio lasts, from the granule positions at the codec's rate: what a
// fallback file is paced by. Streamed from disk, never read whole.

import { createReadStream } from 'node:fs';
import { parseOggPage } from '../relay/formats/ogg-page.js';
import { signatureOfOggHeaders } from '../relay/formats/stream-signature.js';
import type { Frame } from './push.js';

const READ_CHUNK_BYTES = 64 * 1024;

export async function* readOggPages(file: string): AsyncGenerator<Frame> {
  let carry: Buffer = Buffer.alloc(0);
  let rateHz = 0;
  let lastGranule = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK_BYTES })) {
    const buf: Buffer = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let pos = 0;
    for (;;) {
      const page = parseOggPage((i) => buf[pos + i], buf.length - pos);
      if (page === 'short') break;
      if (page === undefined) {
        pos++;
        if (pos >= buf.length) break;
        continue;
      }
      if (pos + page.lengthBytes > buf.length) break;
      const bytes = buf.subarray(pos, pos + page.lengthBytes);
      if (rateHz === 0) rateHz = signatureOfOggHeaders(bytes)?.sampleRateHz ?? 0;
      // Granule -1: no packet ends on this page; its time is counted with the next one's.
      const noGranule = page.granuleLow === 0xffffffff && page.granuleHigh === 0xffffffff;
      const granule = noGranule ? lastGranule : page.granuleHigh * 2 ** 32 + page.granuleLow;
      const durationMs = rateHz > 0 && granule > lastGranule ? ((granule - lastGranule) * 1000) / rateHz : 0;
      if (!noGranule) lastGranule = granule;
      yield { bytes, durationMs };
      pos += page.lengthBytes;
    }
    carry = Buffer.from(buf.subarray(pos));
  }
}
