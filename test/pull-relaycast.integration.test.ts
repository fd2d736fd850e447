// Issue 14, pull relays: relaycast pulling relaycast. ffmpeg pushes live
// Ogg/Opus, Ogg/Vorbis and MP3 streams to an upstream relaycast; a second
// relaycast relays both, from the upstream's front door (close-delimited)
// and from its uWS port (which always chunks). At the relay's listeners the
// Ogg headers arrive (ffmpeg and ffprobe decode Opus from a mid-stream
// join) and the upstream's titles arrive as ICY metadata.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { RawListener, requireTool } from './support/clients.js';
import { relayConfigYaml } from './support/fake-upstream.js';
import { splitIcyStream, streamTitleOf } from './support/icy-stream.js';
import { setSong } from './support/icy-clients.js';
import {
  assertCleanDecode,
  decodeWithFfmpeg,
  type EncodeOptions,
  ffmpegToneSource,
  MP3_128K,
  probeWithFfprobe,
} from './support/interop.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const OPUS: EncodeOptions = { codec: ['-c:a', 'libopus', '-b:a', '64k'], format: 'opus', contentType: 'audio/ogg', sampleRateHz: 48000 };
const VORBIS: EncodeOptions = { codec: ['-c:a', 'libvorbis', '-q:a', '2'], format: 'ogg', contentType: 'application/ogg' };
const OUR_METAINT = 16000;

async function relayOf(t: TestContext, mounts: Record<string, Record<string, unknown>>): Promise<RelayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'relaycast-pull-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'relaycast.yaml');
  writeFileSync(file, relayConfigYaml(mounts));
  return RelayProcess.startFor(t, ['--config', file]);
}

function encoder(t: TestContext, relay: RelayProcess, mount: string, opts: EncodeOptions): ChildProcess {
  const child = ffmpegToneSource(relay, mount, opts);
  const exited = once(child, 'exit');
  t.after(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  return child;
}

/** Stops the relay first, so the upstream going away later is not a failure it logs; then the encoders and the upstream. */
async function stopInOrder(relay: RelayProcess, encoders: ChildProcess[], upstream: RelayProcess): Promise<void> {
  await relay.stop();
  for (const child of encoders) {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
  await upstream.stop();
}

test('Ogg/Opus and Vorbis pulled from relaycast, from its front door and (chunked) from its uWS port, decode at the relay', async (t) => {
  if (!requireTool(t, 'ffmpeg') || !requireTool(t, 'ffprobe')) return;
  const upstream = await RelayProcess.startFor(t, ['--uws-port', '0']);
  const opus = encoder(t, upstream, '/opus.ogg', OPUS);
  const vorbis = encoder(t, upstream, '/vorbis.ogg', VORBIS);
  await upstream.waitForLog((l) => l.msg === 'source connected' && l.mount === '/opus.ogg');
  await upstream.waitForLog((l) => l.msg === 'source connected' && l.mount === '/vorbis.ogg');
  const relay = await relayOf(t, {
    '/opus.ogg': { 'relay-url': `${upstream.listenUrl}/opus.ogg` },
    '/chunked.ogg': { 'relay-url': `http://127.0.0.1:${upstream.uwsPort}/opus.ogg`, 'on-demand': true },
    '/vorbis.ogg': { 'relay-url': `${upstream.listenUrl}/vorbis.ogg` },
  });
  const pulled = await relay.waitForLog((l) => l.msg === 'pull connected' && l.mount === '/opus.ogg');
  assert.equal(pulled.contentType, 'audio/ogg');
  assert.equal(pulled.protocol, 'HTTP/1.1');
  const agents = upstream.logs.filter((l) => l.msg === 'listener connected').map((l) => String(l.agent));
  assert.ok(
    agents.some((a) => /^relaycast\/\d/.test(a)),
    `the upstream saw relaycast/<version>: ${agents.join(', ')}`,
  );

  for (const [mount, codec, rate] of [
    ['/opus.ogg', 'opus', '48000'],
    ['/chunked.ogg', 'opus', '48000'],
    ['/vorbis.ogg', 'vorbis', '44100'],
  ]) {
    const { result, stream } = await probeWithFfprobe(`${relay.listenUrl}${mount}`);
    assert.equal(result.code, 0, `${mount}: ${result.stderr}`);
    assert.equal(stream?.codec_name, codec, mount);
    assert.equal(stream?.sample_rate, rate, mount);
    const decoded = await decodeWithFfmpeg(`${relay.listenUrl}${mount}`, 3);
    assertCleanDecode(`ffmpeg on ${mount}`, decoded);
    assert.ok(decoded.decodedSeconds >= 2.9, `${mount}: decoded ${decoded.decodedSeconds} s`);
  }
  const chunked = relay.logs.find((l) => l.msg === 'pull connected' && l.mount === '/chunked.ogg');
  assert.equal(chunked?.chunked, undefined, 'the request fields are on the source line');
  const source = relay.logs.find((l) => l.msg === 'source connected' && l.mount === '/chunked.ogg');
  assert.equal(source?.chunked, true, 'the uWS upstream chunked its answer');
  await stopInOrder(relay, [opus, vorbis], upstream);
});

test("an MP3 mount pulled from relaycast carries the upstream's titles to the relay's ICY listeners, both ways", async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const upstream = await RelayProcess.startFor(t, ['--uws-port', '0']);
  const mp3 = encoder(t, upstream, '/live.mp3', MP3_128K);
  await upstream.waitForLog((l) => l.msg === 'source connected' && l.mount === '/live.mp3');
  const relay = await relayOf(t, {
    '/live.mp3': { 'relay-url': `${upstream.listenUrl}/live.mp3` },
    '/chunked.mp3': { 'relay-url': `http://127.0.0.1:${upstream.uwsPort}/live.mp3` },
  });
  await relay.waitForLog((l) => l.msg === 'pull connected' && l.mount === '/live.mp3');
  await relay.waitForLog((l) => l.msg === 'pull connected' && l.mount === '/chunked.mp3');
  const listeners = ['/live.mp3', '/chunked.mp3'].map((m) => new RawListener(relay.port, m, { headers: { 'Icy-MetaData': '1' } }));
  t.after(() => {
    for (const l of listeners) l.destroy();
  });
  assert.equal((await setSong(upstream.port, '/live.mp3', 'Upstream Artist - Relayed Title')).status, 200);
  for (const [i, l] of listeners.entries()) {
    await waitFor(
      () =>
        splitIcyStream(l.body(), OUR_METAINT).blocks.some(
          (b) => b.units > 0 && streamTitleOf(b.payload) === 'Upstream Artist - Relayed Title',
        ),
      15_000,
      `the title at the ICY listener of ${i === 0 ? '/live.mp3' : '/chunked.mp3'}`,
    );
  }
  assert.equal(listeners[0].headers.get('icy-metaint'), String(OUR_METAINT));
  assert.equal(listeners[0].headers.get('icy-name'), 'relaycast interop');
  assertCleanDecode('ffmpeg on the relayed MP3', await decodeWithFfmpeg(`${relay.listenUrl}/live.mp3`, 2));
  for (const l of listeners) l.destroy();
  await stopInOrder(relay, [mp3], upstream);
});
