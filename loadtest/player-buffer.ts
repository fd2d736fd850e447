// A simulated player: what a listener would hear, from when its bytes
// arrived. It waits until `bufferSeconds` of audio at the stream's bitrate
// are buffered, then plays at exactly that bitrate. If the buffer runs dry it
// has underrun: playback stops (a stall the listener hears) and waits for a
// full buffer again, as common players do.
//
// Invariant: `bufferedBytes` is what arrived minus what was played up to
// `lastMs`; it never goes below zero. Time only moves forward; a call with
// an older time than the last one changes nothing.
//
// The model is pure arithmetic on the times it is given, so a test can drive
// it with any clock.

export class PlayerBuffer {
  private readonly bytesPerMs: number;
  /** Bytes the player wants before it starts (and restarts after an underrun). */
  readonly prebufferBytes: number;
  bufferedBytes = 0;
  playing = false;
  underruns = 0;
  /** When the buffer first became full and playback started; undefined until then. */
  fullAtMs: number | undefined;
  private stalledMs = 0;
  private stallStartMs = 0;
  private lastMs: number | undefined;

  constructor(bitrateKbps: number, bufferSeconds: number) {
    this.bytesPerMs = (bitrateKbps * 1000) / 8 / 1000;
    this.prebufferBytes = this.bytesPerMs * bufferSeconds * 1000;
  }

  /** `bytes` of audio arrived at `nowMs`. */
  receive(nowMs: number, bytes: number): void {
    this.advance(nowMs);
    this.bufferedBytes += bytes;
    if (!this.playing && this.bufferedBytes >= this.prebufferBytes) {
      this.playing = true;
      if (this.fullAtMs === undefined) this.fullAtMs = nowMs;
      else this.stalledMs += nowMs - this.stallStartMs;
    }
  }

  /** Plays until `nowMs`; notes an underrun at the moment the buffer ran dry. */
  advance(nowMs: number): void {
    const lastMs = this.lastMs;
    if (lastMs !== undefined && nowMs <= lastMs) return;
    this.lastMs = nowMs;
    if (!this.playing || lastMs === undefined) return;
    const playedBytes = (nowMs - lastMs) * this.bytesPerMs;
    // Exactly empty just as new bytes arrive is not a gap: only running past empty is.
    if (playedBytes > this.bufferedBytes) {
      this.stallStartMs = lastMs + this.bufferedBytes / this.bytesPerMs;
      this.bufferedBytes = 0;
      this.playing = false;
      this.underruns++;
    } else {
      this.bufferedBytes -= playedBytes;
    }
  }

  /** Time spent stalled after playback first started, up to `nowMs` (call advance first). */
  stalledMsUntil(nowMs: number): number {
    const ongoing = !this.playing && this.fullAtMs !== undefined ? Math.max(0, nowMs - this.stallStartMs) : 0;
    return this.stalledMs + ongoing;
  }
}
