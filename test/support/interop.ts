// Real encoders and players from Debian, driven the way a station would
// configure them, for the interop tests: ffmpeg encoding a test tone live,
// and the players (ffmpeg, ffprobe, mpv, mpg123, gst-launch) decoding a
// few seconds of a mount with their decoder errors collected. A player
// "decodes cleanly" when it exits 0 and prints nothing that looks like a
// decoder complaint.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { runTool, startTool, type ToolResult } from './clients.js';
import { PASSWORD, type RelayProcess } from './relay-process.js';

export interface EncodeOptions {
  /** ffmpeg's codec arguments, e.g. ['-c:a', 'libmp3lame', '-b:a', '128k']. */
  codec: string[];
  /** ffmpeg's muxer: mp3, adts, ogg, opus. */
  format: string;
  contentType: string;
  sampleRateHz?: number;
  /** ffmpeg's -legacy_icecast 1: SOURCE instead of PUT. */
  legacy?: boolean;
}

/** ffmpeg encoding a live tone (real time, -re) and pushing it to `mount` through icecast://. */
export function ffmpegToneSource(relay: RelayProcess, mount: string, opts: EncodeOptions): ChildProcess {
  const rate = opts.sampleRateHz ?? 44100;
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-re',
    // A tone with a little noise on top: the encoder has real work per frame, unlike pure silence.
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=${rate}`,
    '-f',
    'lavfi',
    '-i',
    `anoisesrc=color=pink:amplitude=0.05:sample_rate=${rate}`,
    '-filter_complex',
    'amix=inputs=2',
    '-ac',
    '2',
    ...opts.codec,
    '-f',
    opts.format,
    '-content_type',
    opts.contentType,
    '-ice_name',
    'relaycast interop',
    ...(opts.legacy ? ['-legacy_icecast', '1'] : []),
    `icecast://source:${PASSWORD}@127.0.0.1:${relay.ingestPort}${mount}`,
  ];
  return startTool('ffmpeg', args).child;
}

/** Words players print when a decoder or demuxer met broken input. */
const DECODER_TROUBLE = /error|invalid|corrupt|missing|fail|overread|mismatch|skipp|junk|warning|illegal|damaged|could not|can't/i;

/** Asserts the player exited 0 and complained about nothing. */
export function assertCleanDecode(player: string, result: ToolResult, output = result.stderr): void {
  assert.equal(result.code, 0, `${player} exited with ${result.code}: ${result.stderr}${result.stdout}`);
  const trouble = output.split('\n').filter((line) => DECODER_TROUBLE.test(line));
  assert.deepEqual(trouble, [], `${player} reported trouble`);
}

/** ffmpeg decodes `seconds` of the URL to nothing; -v error prints only errors. */
export function decodeWithFfmpeg(url: string, seconds: number): Promise<ToolResult> {
  return runTool('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', url, '-t', String(seconds), '-f', 'null', '-'], 30_000);
}

/** ffmpeg decodes a file (bytes a listener received) from its first byte. */
export function decodeFileWithFfmpeg(path: string): Promise<ToolResult> {
  return runTool('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', path, '-f', 'null', '-'], 30_000);
}

/**
 * mpv plays `seconds` with no audio device. It prints warnings and errors,
 * and (cplayer at info) the audio track it opened and why it exited, which
 * tests check: mpv exits 0 even when it found nothing it could play.
 */
export async function decodeWithMpv(url: string, seconds: number): Promise<ToolResult> {
  const result = await runTool(
    'mpv',
    ['--no-config', '--no-video', '--ao=null', '--msg-level=all=warn,cplayer=info', `--length=${seconds}`, url],
    30_000,
  );
  return { ...result, stderr: result.stdout + result.stderr };
}

/** Asserts mpv opened an audio decoder and output, played to the end of --length, and complained about nothing. */
export function assertMpvPlayed(result: ToolResult, codec: string): void {
  assertCleanDecode('mpv', result);
  assert.match(result.stderr, new RegExp(`\\(\\+\\) Audio .*\\(${codec} `), 'mpv opened the audio track');
  assert.match(result.stderr, /AO: \[null\]/, 'mpv decoded audio to its output');
  assert.match(result.stderr, /Exiting\.\.\. \(End of file\)/, 'mpv played to the end of --length');
}

/** The first stream ffprobe finds at the URL. */
export async function probeWithFfprobe(url: string): Promise<{ result: ToolResult; stream: Record<string, unknown> | undefined }> {
  const result = await runTool('ffprobe', ['-hide_banner', '-v', 'error', '-show_streams', '-of', 'json', url], 30_000);
  const parsed = result.code === 0 ? (JSON.parse(result.stdout) as { streams?: Record<string, unknown>[] }) : {};
  return { result, stream: parsed.streams?.[0] };
}

/**
 * gst-launch plays through souphttpsrc and decodebin until `buffers` decoded
 * buffers have passed (identity sends EOS then), so it exits 0 only after
 * really decoding them; -q prints only errors and warnings.
 */
export function decodeWithGstreamer(url: string, buffers: number): Promise<ToolResult> {
  return runTool(
    'gst-launch-1.0',
    [
      '-q',
      'souphttpsrc',
      `location=${url}`,
      '!',
      'decodebin',
      '!',
      'audioconvert',
      '!',
      'identity',
      `eos-after=${buffers}`,
      '!',
      'fakesink',
      'sync=false',
    ],
    30_000,
  );
}

/** mpg123 decodes `frames` MP3 frames in test mode (no audio device). */
export function decodeWithMpg123(url: string, frames: number): Promise<ToolResult> {
  return runTool('mpg123', ['-t', '-n', String(frames), url], 30_000);
}
