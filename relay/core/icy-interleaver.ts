// Puts ICY metadata blocks into an ICY listener's writes: after every
// ICY_METAINT audio bytes, its mount's shared title block (when the title
// changed since this listener's last block) or a single 0x00.
//
// Per listener only two numbers are kept (icyBytesToBlock, icyTitleVersion);
// the block itself is the mount's, built once per title change.
// Invariants:
// - a write never exceeds maxWriteBytes, blocks included (uWS's cork limit);
// - a write with no block inside is a zero-copy ring view, as for plain
//   listeners; only a write that straddles a boundary is composed in one
//   scratch buffer shared by all listeners (a sink never keeps a reference);
// - the listener's counters advance when a write is composed, because a
//   sink copies what it refuses: the bytes of a refused write still reach
//   the listener, in order, so the count stays exact.

import { ICY_METAINT, UNCHANGED_BLOCK, icyAllowedFor, wantsIcyMetadata } from '../formats/icy-metadata.js';
import type { Listener } from './listener.js';
import type { Ring } from './ring.js';

export class IcyInterleaver {
  /** Audio (ring) bytes in the write `next` returned last; the cursor moves by this much. */
  audioBytes = 0;
  private readonly maxWriteBytes: number;
  private readonly scratch: Uint8Array;

  constructor(maxWriteBytes: number) {
    this.maxWriteBytes = maxWriteBytes;
    this.scratch = new Uint8Array(maxWriteBytes);
  }

  /** The next write for an ICY listener whose cursor is at `pos` (< end). */
  next(listener: Listener, ring: Ring, pos: number, end: number): Uint8Array {
    const max = this.maxWriteBytes;
    let toBlock = listener.icyBytesToBlock;
    if (toBlock > 0) {
      const view = ring.view(pos, Math.min(max, end - pos, toBlock));
      // No block inside: either the boundary is further on, or it falls at the
      // very end of what there is to send (the next write starts with it).
      if (view.length < toBlock || pos + view.length === end || view.length === max) {
        listener.icyBytesToBlock = toBlock - view.length;
        this.audioBytes = view.length;
        return view;
      }
    }
    const mount = listener.mount;
    const scratch = this.scratch;
    let out = 0;
    let p = pos;
    for (;;) {
      if (toBlock === 0) {
        const block = listener.icyTitleVersion === mount.titleVersion ? UNCHANGED_BLOCK : mount.icyBlock;
        if (out + block.length > max) break;
        scratch.set(block, out);
        out += block.length;
        listener.icyTitleVersion = mount.titleVersion;
        toBlock = ICY_METAINT;
      }
      const want = Math.min(end - p, toBlock, max - out);
      if (want <= 0) break;
      const view = ring.view(p, want);
      if (view.length === 0) break;
      scratch.set(view, out);
      out += view.length;
      p += view.length;
      toBlock -= view.length;
    }
    listener.icyBytesToBlock = toBlock;
    this.audioBytes = p - pos;
    return scratch.subarray(0, out);
  }
}

/**
 * Turns ICY metadata on for a new listener when its request asked for it
 * (`Icy-MetaData` header) and its mount's type allows it. True when on:
 * the response must then carry `icy-metaint` (streamHeaders' icyMetaInt).
 */
export function enableIcy(listener: Listener, icyMetaDataHeader: string | undefined): boolean {
  if (!wantsIcyMetadata(icyMetaDataHeader) || !icyAllowedFor(listener.mount.contentType)) return false;
  listener.icy = true;
  listener.icyBytesToBlock = ICY_METAINT;
  return true;
}
