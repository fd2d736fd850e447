// Real encoders and players from Debian, driven the way a station would
// configure them, for the interop tests: ffmpeg encoding a test tone live,
// and the players (ffmpeg, ffprobe, mpv, mpg123, gst-launch) decoding a
// mount with their decoder errors collected. ffmpeg, mpv and gst-launch
// decode to PCM (8 kHz mono s16, so 16000 bytes a second) that is counted:
// a player "decoded N s cleanly" when it exits 0, prints nothing that looks
// like a decoder complaint, and handed over at least N s of audio. A
// stream that ends early (even cleanly) fails. Name more seconds than the
// join burst holds, and the count also proves the live hand-off decoded.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ToolResult, runTool, startTool, trackTool } from './clients.js';
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

/** 128 kbit/s MP3, the encoding most tests push. */
export const MP3_128K: EncodeOptions = { codec: ['-c:a', 'libmp3lame', '-b:a', '128k'], format: 'mp3', contentType: 'audio/mpeg' };

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

/** The PCM every decoder here writes: 8 kHz, mono, signed 16-bit. */
const PCM_RATE_HZ = 8000;
const PCM_BYTES_PER_SECOND = PCM_RATE_HZ * 2;
/** A player may stop up to a packet or two short of its length (Vorbis blocks are up to 46 ms). */
const SHORT_SECONDS = 0.1;

/** A player run that decoded to PCM: its output, how much audio it produced, how long it took. */
export interface DecodeResult extends ToolResult {
  decodedSeconds: number;
  wallMs: number;
}

/** Asserts the player exited 0 and complained about nothing. */
export function assertCleanDecode(player: string, result: ToolResult, output = result.stderr): void {
  assert.equal(result.code, 0, `${player} exited with ${result.code}: ${result.stderr}${result.stdout}`);
  const trouble = output.split('\n').filter((line) => DECODER_TROUBLE.test(line));
  assert.deepEqual(trouble, [], `${player} reported trouble`);
}

export interface LiveDecodeExpectation {
  /** Seconds of audio the player must have decoded. */
  seconds: number;
  /**
   * Seconds of audio the join burst gives at once. Past it a live source
   * delivers in real time, so decoding `seconds` takes at least
   * `seconds - burstSeconds` of wall time (less 1 s for the ring's tail).
   */
  burstSeconds: number;
}

/** Asserts a clean decode of at least `seconds`, past the burst and in real time. */
export function assertDecodedLive(player: string, result: DecodeResult, expect: LiveDecodeExpectation): void {
  assertCleanDecode(player, result);
  assert.ok(
    expect.seconds > expect.burstSeconds,
    `a check of ${expect.seconds} s inside a ${expect.burstSeconds} s burst proves nothing about live audio`,
  );
  assert.ok(
    result.decodedSeconds >= expect.seconds - SHORT_SECONDS,
    `${player} decoded ${result.decodedSeconds.toFixed(2)} s, not ${expect.seconds} s: the stream ended or stalled`,
  );
  const liveMs = (expect.seconds - expect.burstSeconds - 1) * 1000;
  assert.ok(
    result.wallMs >= liveMs,
    `${player} decoded ${expect.seconds} s in ${result.wallMs.toFixed(0)} ms: faster than a live source can send past its burst`,
  );
}

/**
 * Runs a decoder whose PCM goes to file descriptor `pcmFd` (3, or 1 for
 * players that can only write it to stdout), counting it. With
 * `stopAtSeconds`, sends SIGINT once that much audio has come out (for
 * players with no duration option of their own).
 */
function runPcmDecoder(cmd: string, args: string[], opts: { pcmFd?: 1 | 3; stopAtSeconds?: number } = {}): Promise<DecodeResult> {
  const timeoutMs = 30_000;
  const { pcmFd = 3, stopAtSeconds } = opts;
  return new Promise((resolve) => {
    const startedMs = performance.now();
    const child = trackTool(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    let pcmBytes = 0;
    let interrupted = false;
    if (pcmFd !== 1) child.stdout?.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr?.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.stdio[pcmFd]?.on('data', (b: Buffer) => {
      pcmBytes += b.length;
      if (stopAtSeconds !== undefined && !interrupted && pcmBytes >= stopAtSeconds * PCM_BYTES_PER_SECOND) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - startedMs;
      const decodedSeconds = pcmBytes / PCM_BYTES_PER_SECOND;
      if (code === null) stderr += `\n[killed after ${timeoutMs} ms with ${decodedSeconds.toFixed(2)} s decoded]`;
      resolve({ code, stdout, stderr, decodedSeconds, wallMs });
    });
  });
}

/**
 * ffmpeg decodes `seconds` of the URL (-t) to PCM. -v warning: the seam and
 * reconnect warnings a bad hand-off causes fail the check (a clean relayed
 * stream prints nothing at this level).
 */
export function decodeWithFfmpeg(url: string, seconds: number): Promise<DecodeResult> {
  return runPcmDecoder('ffmpeg', [
    ...['-hide_banner', '-nostdin', '-v', 'warning', '-i', url, '-t', String(seconds)],
    ...['-ac', '1', '-ar', String(PCM_RATE_HZ), '-f', 's16le', 'pipe:3'],
  ]);
}

/** ffmpeg decodes a file (bytes a listener received) from its first byte. */
export function decodeFileWithFfmpeg(path: string): Promise<ToolResult> {
  return runTool('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'warning', '-i', path, '-f', 'null', '-'], 30_000);
}

/**
 * mpv plays `seconds` (--length) into a PCM file (ao=pcm), whose size is
 * what it decoded. It prints warnings and errors, and (cplayer at info) the
 * audio track it opened and why it exited, which tests check: mpv exits 0
 * even when it found nothing it could play.
 */
export async function decodeWithMpv(url: string, seconds: number): Promise<DecodeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'relaycast-mpv-'));
  const pcm = join(dir, 'out.pcm');
  try {
    const result = await runPcmDecoder('mpv', [
      ...['--no-config', '--no-video', '--msg-level=all=warn,cplayer=info', `--length=${seconds}`],
      ...['--ao=pcm', `--ao-pcm-file=${pcm}`, '--ao-pcm-waveheader=no'],
      ...['--audio-format=s16', '--audio-channels=mono', `--audio-samplerate=${PCM_RATE_HZ}`],
      url,
    ]);
    let bytes = 0;
    try {
      bytes = statSync(pcm).size;
    } catch {
      bytes = 0; // mpv never opened an audio output: nothing decoded, which the check reports
    }
    return { ...result, stderr: result.stdout + result.stderr, decodedSeconds: bytes / PCM_BYTES_PER_SECOND };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Asserts mpv opened the codec's audio track and an output, decoded `seconds` live, and complained about nothing. */
export function assertMpvPlayed(result: DecodeResult, codec: string, expect: LiveDecodeExpectation): void {
  assertDecodedLive('mpv', result, expect);
  assert.match(result.stderr, new RegExp(`\\(\\+\\) Audio .*\\(${codec} `), 'mpv opened the audio track');
  assert.match(result.stderr, /AO: \[pcm\]/, 'mpv decoded audio to its output');
  assert.match(result.stderr, /Exiting\.\.\. \(End of file\)/, 'mpv stopped at the end of --length');
}

/** The first stream ffprobe finds at the URL. */
export async function probeWithFfprobe(url: string): Promise<{ result: ToolResult; stream: Record<string, unknown> | undefined }> {
  const result = await runTool('ffprobe', ['-hide_banner', '-v', 'warning', '-show_streams', '-of', 'json', url], 30_000);
  const parsed = result.code === 0 ? (JSON.parse(result.stdout) as { streams?: Record<string, unknown>[] }) : {};
  return { result, stream: parsed.streams?.[0] };
}

/**
 * gst-launch plays through souphttpsrc and decodebin to PCM on fd 3 until
 * `seconds` of audio came out; then SIGINT, and -e turns that into an EOS
 * the pipeline drains before gst-launch exits 0. -q prints only errors and
 * warnings (on stderr; stdout is checked too).
 */
export async function decodeWithGstreamer(url: string, seconds: number): Promise<DecodeResult> {
  const result = await runPcmDecoder(
    'gst-launch-1.0',
    [
      ...['-q', '-e', 'souphttpsrc', `location=${url}`, '!', 'decodebin', '!', 'audioconvert', '!', 'audioresample'],
      ...['!', `audio/x-raw,format=S16LE,rate=${PCM_RATE_HZ},channels=1`, '!', 'fdsink', 'fd=3', 'sync=false'],
    ],
    { stopAtSeconds: seconds },
  );
  return { ...result, stderr: result.stdout + result.stderr };
}

/** mpg123 decodes `frames` MP3 frames (-n) to PCM on stdout (-s, resampled to 8 kHz mono). */
export function decodeWithMpg123(url: string, frames: number): Promise<DecodeResult> {
  return runPcmDecoder('mpg123', ['-s', '-m', '-r', String(PCM_RATE_HZ), '-e', 's16', '-n', String(frames), url], { pcmFd: 1 });
}
