// Takes ICY metadata out of a source's body. A source that sends
// `icy-metaint: N` in its request head (a relay pulling from another server)
// interleaves, after every N audio bytes, a length byte L and L*16 bytes of
// `StreamTitle='...';`. Listeners must get the audio alone, and the title
// becomes the mount's. Stateful across chunks, so a block may be split at
// any byte; audio is passed on as views into the chunk (no copy).
//
//   state audio:  `audioLeft` bytes until the next length byte
//   state length: the next byte is L (0 = no metadata this time)
//   state meta:   collecting L*16 bytes into `meta` (at most 4080)

import type { SourceInput } from '../relay/core/mounts.js';
import { parseIcyPayload } from '../relay/formats/icy-metadata.js';
import { decodeText } from '../relay/formats/query-bytes.js';

export class IcyStripper {
  private readonly metaInt: number;
  private readonly onAudio: (bytes: Uint8Array) => void;
  private readonly onMetadata: (fields: Map<string, string>) => void;
  private state: 'audio' | 'length' | 'meta' = 'audio';
  private audioLeft: number;
  private meta = new Uint8Array(0);
  private metaFilled = 0;

  constructor(metaInt: number, onAudio: (bytes: Uint8Array) => void, onMetadata: (fields: Map<string, string>) => void) {
    if (!Number.isInteger(metaInt) || metaInt <= 0) throw new RangeError(`icy-metaint must be a positive integer, got ${metaInt}`);
    this.metaInt = metaInt;
    this.audioLeft = metaInt;
    this.onAudio = onAudio;
    this.onMetadata = onMetadata;
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'audio') {
        const n = Math.min(this.audioLeft, chunk.length - i);
        this.onAudio(chunk.subarray(i, i + n));
        i += n;
        this.audioLeft -= n;
        if (this.audioLeft === 0) this.state = 'length';
      } else if (this.state === 'length') {
        const units = chunk[i++];
        if (units === 0) {
          this.startAudio();
        } else {
          this.meta = new Uint8Array(units * 16);
          this.metaFilled = 0;
          this.state = 'meta';
        }
      } else {
        const n = Math.min(this.meta.length - this.metaFilled, chunk.length - i);
        this.meta.set(chunk.subarray(i, i + n), this.metaFilled);
        this.metaFilled += n;
        i += n;
        if (this.metaFilled === this.meta.length) {
          const end = this.meta.indexOf(0);
          this.onMetadata(parseIcyPayload(decodeText(end < 0 ? this.meta : this.meta.subarray(0, end), undefined)));
          this.startAudio();
        }
      }
    }
  }

  private startAudio(): void {
    this.state = 'audio';
    this.audioLeft = this.metaInt;
  }
}

/**
 * Wraps a source's input so that its inline ICY metadata is stripped and
 * reported; the wrapped write asks for a pause when any audio piece did.
 */
export function stripIcyMetadata(input: SourceInput, metaInt: number, onTitle: (title: string, url: string) => void): SourceInput {
  let pause = false;
  const stripper = new IcyStripper(
    metaInt,
    (bytes) => {
      if (!input.write(bytes)) pause = true;
    },
    (fields) => {
      const title = fields.get('StreamTitle');
      if (title !== undefined) onTitle(title, fields.get('StreamUrl') ?? '');
    },
  );
  return {
    mount: input.mount,
    write(bytes) {
      pause = false;
      stripper.push(bytes);
      return !pause;
    },
    end: () => input.end(),
    stopped: input.stopped,
  };
}
