// An intro (Icecast's <intro>): a short MP3 or AAC file each new listener
// hears once before the stream. Read once per (re)load into one buffer that
// every listener shares (no copy per listener), cut to whole frames with
// tags and Xing/Info frames left out, with the signature the mount's stream
// must match for it to be played.

import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { MountIntro } from '../core/mount-settings.js';
import { type FrameFormat, isVbrHeaderFrame, scanFrames } from '../formats/frame-header.js';
import { signatureOfFrame } from '../formats/stream-signature.js';

/** Longest intro read: an intro is seconds long; a whole programme is a fallback file's job. */
export const MAX_INTRO_BYTES = 4 * 1024 * 1024;

const FORMATS: Record<string, FrameFormat> = { '.mp3': 'mp3', '.aac': 'adts', '.adts': 'adts' };

export function loadIntro(path: string): MountIntro {
  const format = FORMATS[extname(path).toLowerCase()];
  if (!format) throw new Error(`${path}: an intro must be an .mp3 or .aac file`);
  const size = statSync(path).size;
  if (size > MAX_INTRO_BYTES) throw new Error(`${path}: ${size} bytes; an intro may be at most ${MAX_INTRO_BYTES} bytes`);
  const buf = readFileSync(path);
  const parts: Buffer[] = [];
  let durationMs = 0;
  let first: ReturnType<typeof scanFrames>['frames'][number] | undefined;
  for (const frame of scanFrames(buf, format).frames) {
    if (format === 'mp3' && isVbrHeaderFrame((i) => buf[frame.start + i], frame.header.lengthBytes)) continue;
    first ??= frame;
    parts.push(buf.subarray(frame.start, frame.start + frame.header.lengthBytes));
    durationMs += (frame.header.samples * 1000) / frame.header.sampleRateHz;
  }
  if (!first) throw new Error(`${path}: no ${format} frames in it`);
  return { path, bytes: Buffer.concat(parts), durationMs, signature: signatureOfFrame(format, first.header) };
}
