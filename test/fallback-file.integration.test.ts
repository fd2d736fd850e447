// Fallback files and intros (issue 12): a mount's fallback-file plays as a
// mount of its own, looped and paced in real time, heard by a listener who
// arrives while the mount has no source and by listeners whose source
// drops, with its title from the file's ID3 tag; an intro-file is heard
// once by each new listener before the stream, only when its format matches.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isVbrHeaderFrame, scanFrames } from '../relay/formats/frame-header.js';
import { RawListener, requireTool, runTool } from './support/clients.js';
import { splitIcyStream, streamTitleOf } from './support/icy-stream.js';
import { ffmpegToneSource, MP3_128K } from './support/interop.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'relaycast-files-'));

async function encodeFile(name: string, seconds: number, sampleRateHz: number, tags: string[] = []): Promise<string> {
  const path = join(dir, name);
  const made = await runTool('ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=330:sample_rate=${sampleRateHz}:duration=${seconds}`,
    '-ac',
    '2',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '128k',
    '-id3v2_version',
    '3',
    ...tags,
    path,
  ]);
  assert.equal(made.code, 0, made.stderr);
  return path;
}

function configFile(lines: string[]): string {
  const path = join(dir, `relaycast-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

test('a fallback file: heard at once by a listener of a sourceless mount, looped in real time, titled from its tag; live takes over and hands back', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const file = await encodeFile('autodj.mp3', 3, 44100, ['-metadata', 'artist=The AutoDJ', '-metadata', 'title=Loop One']);
  const config = configFile(['mounts:', '  /live:', `    fallback-file: ${file}`, '    fallback-override: true', '    source-grace-ms: 0']);
  const relay = await RelayProcess.startFor(t, ['--config', config]);
  await relay.waitForLog((l) => l.msg === 'fallback file playing' && l.mount === '/live/fallback-file', 5000);

  const listener = new RawListener(relay.ingestPort, '/live', { http10: true, headers: { 'Icy-MetaData': '1' } });
  t.after(() => listener.destroy());
  await waitFor(() => listener.status === 200 && listener.bodyBytes > 0, 5000, 'the fallback file');
  const connected = await relay.waitForLog((l) => l.msg === 'listener connected');
  assert.equal(connected.hearing, '/live/fallback-file');
  // Looped and paced: over 6 s (two passes of the 3 s file) it arrives at about 128 kbit/s.
  const fromBytes = listener.bodyBytes;
  const fromMs = performance.now();
  await waitFor(() => performance.now() - fromMs >= 6000, 8000, 'six seconds');
  const kbps = ((listener.bodyBytes - fromBytes) * 8) / (performance.now() - fromMs);
  assert.ok(kbps > 90 && kbps < 180, `the file arrived at ${kbps.toFixed(0)} kbit/s`);
  const titles = splitIcyStream(listener.body(), 16000)
    .blocks.map((b) => streamTitleOf(b.payload))
    .filter(Boolean);
  assert.equal(titles[0], 'The AutoDJ - Loop One');

  const live = ffmpegToneSource(relay, '/live', MP3_128K);
  t.after(() => live.exitCode === null && live.kill('SIGKILL'));
  await relay.waitForLog((l) => l.msg === 'listeners back from the fallback', 10_000);
  const atLive = listener.bodyBytes;
  await waitFor(() => listener.bodyBytes > atLive + 48_000, 10_000, 'three seconds of live');
  live.kill('SIGKILL');
  await relay.waitForLog((l) => l.msg === 'listeners moved to the fallback', 10_000);
  const atFile = listener.bodyBytes;
  await waitFor(() => listener.bodyBytes > atFile + 32_000, 10_000, 'the file again');
  assert.equal(listener.closed, false);
  assert.equal(
    relay.countLogs((l) => l.msg === 'listener disconnected'),
    0,
  );

  const recording = join(dir, 'through-file.mp3');
  writeFileSync(recording, splitIcyStream(listener.body(), 16000).audio);
  const decoded = await runTool('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', recording, '-f', 'null', '-'], 30_000);
  assert.equal(decoded.code, 0, decoded.stderr);
  assert.equal(decoded.stderr, '');
});

test('a chain /live -> /autodj -> its file: each link is heard in turn, and the listener never reconnects', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const file = await encodeFile('chain.mp3', 3, 44100);
  const config = configFile([
    'mounts:',
    '  /live:',
    '    fallback-mount: /autodj',
    '    fallback-override: true',
    '    source-grace-ms: 0',
    '  /autodj:',
    `    fallback-file: ${file}`,
    '    source-grace-ms: 0',
  ]);
  const relay = await RelayProcess.startFor(t, ['--config', config]);
  await relay.waitForLog((l) => l.msg === 'fallback file playing' && l.mount === '/autodj/fallback-file', 5000);
  // Neither /live nor /autodj has a source: the end of the chain, the file.
  const listener = new RawListener(relay.port, '/live');
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes > 16_000, 10_000, 'the file');
  assert.equal((await relay.waitForLog((l) => l.msg === 'listener connected')).hearing, '/autodj/fallback-file');
  // The AutoDJ comes up, then the DJ: fallback-override brings the listener to /live.
  const autodj = ffmpegToneSource(relay, '/autodj', MP3_128K);
  t.after(() => autodj.exitCode === null && autodj.kill('SIGKILL'));
  await relay.waitForMetric('relaycast_source_received_bytes_total', { mount: '/autodj' }, (v) => v > 16_000, 10_000);
  const live = ffmpegToneSource(relay, '/live', MP3_128K);
  t.after(() => live.exitCode === null && live.kill('SIGKILL'));
  await relay.waitForLog((l) => l.msg === 'listeners back from the fallback' && l.mount === '/live', 10_000);
  assert.equal(await relay.metric('relaycast_listeners_on_fallback', { mount: '/live' }), 0);
  // The DJ drops: the next link with audio is /autodj itself.
  live.kill('SIGKILL');
  const moved = await relay.waitForLog((l) => l.msg === 'listeners moved to the fallback' && l.mount === '/live', 10_000);
  assert.equal(moved.to, '/autodj');
  const atAutodj = listener.bodyBytes;
  await waitFor(() => listener.bodyBytes > atAutodj + 32_000, 10_000, 'the AutoDJ');
  assert.equal(listener.closed, false);
  assert.equal(
    relay.countLogs((l) => l.msg === 'listener disconnected'),
    0,
  );
  const recording = join(dir, 'chain.mp3.rec');
  writeFileSync(recording, listener.body());
  const decoded = await runTool(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-v', 'error', '-f', 'mp3', '-i', recording, '-f', 'null', '-'],
    30_000,
  );
  assert.equal(decoded.code, 0, decoded.stderr);
  assert.equal(decoded.stderr, '');
});

test('an intro is heard once, first, by each new listener, and counted; an intro of another sample rate is not played', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const intro = await encodeFile('intro.mp3', 1, 44100);
  const wrong = await encodeFile('intro-48k.mp3', 1, 48000);
  const config = configFile(['mounts:', '  /live:', `    intro-file: ${intro}`, '  /other:', `    intro-file: ${wrong}`]);
  const relay = await RelayProcess.startFor(t, ['--config', config]);
  relay.expectWarnings('intro not played: its format differs from the stream');
  const live = ffmpegToneSource(relay, '/live', MP3_128K);
  t.after(() => live.kill('SIGKILL'));
  const other = ffmpegToneSource(relay, '/other', MP3_128K);
  t.after(() => other.kill('SIGKILL'));
  for (const mount of ['/live', '/other']) {
    await relay.waitForMetric('relaycast_source_received_bytes_total', { mount }, (v) => v > 16_000, 10_000);
  }

  const fileBytes = readFileSync(intro);
  const expected = Buffer.concat(
    scanFrames(fileBytes, 'mp3')
      .frames.filter((f) => !isVbrHeaderFrame((i) => fileBytes[f.start + i], f.header.lengthBytes))
      .map((f) => fileBytes.subarray(f.start, f.start + f.header.lengthBytes)),
  );
  const listeners = [new RawListener(relay.port, '/live'), new RawListener(relay.ingestPort, '/live', { http10: true })];
  t.after(() => {
    for (const l of listeners) l.destroy();
  });
  await waitFor(() => listeners.every((l) => l.bodyBytes > expected.length + 32_000), 10_000, 'the intro and the stream');
  for (const l of listeners) assert.ok(l.body().subarray(0, expected.length).equals(expected), 'the intro, byte for byte, first');
  assert.equal(await relay.metric('relaycast_intros_total', { mount: '/live', result: 'played' }), 2);

  const recording = join(dir, 'with-intro.mp3');
  writeFileSync(recording, listeners[0].body());
  const decoded = await runTool('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', recording, '-f', 'null', '-'], 30_000);
  assert.equal(decoded.stderr, '', 'the intro and the stream decode as one');

  const plain = new RawListener(relay.port, '/other');
  t.after(() => plain.destroy());
  await waitFor(() => plain.bodyBytes > 4000, 10_000, '/other');
  assert.equal(await relay.metric('relaycast_intros_total', { mount: '/other', result: 'mismatch' }), 1);
  const warned = await relay.waitForLog((l) => l.msg === 'intro not played: its format differs from the stream');
  assert.equal(warned.intro, 'mp3 48000 Hz 2 ch');
  assert.equal(warned.stream, 'mp3 44100 Hz 2 ch');
  assert.ok(!plain.body().subarray(0, 4000).equals(readFileSync(wrong).subarray(0, 4000)));
});

test("a missing fallback file or an Ogg intro is refused with the setting's line and column", async () => {
  const config = configFile(['mounts:', '  /live:', '    fallback-file: /nonexistent/autodj.mp3', '    intro-file: intro.ogg']);
  const run = await runTool(process.execPath, [new URL('../relay/cli.js', import.meta.url).pathname, 'config', 'check', config]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /:3:20: mounts\.\/live\.fallback-file: no such file: \/nonexistent\/autodj\.mp3/);
  assert.match(run.stderr, /:4:17: mounts\.\/live\.intro-file: an intro must be MP3 or AAC/);
});
