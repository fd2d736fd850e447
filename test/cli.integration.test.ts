// The command line as a user meets it: --help, refusals of bad values with
// exit 2, the generated password, graceful shutdown, and `relaycast push`.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import net from 'node:net';
import { RawListener, SyntheticSource, requireTool, runTool, startTool } from './support/clients.js';
import { assertDecodedLive, decodeWithFfmpeg } from './support/interop.js';
import { CLI, RelayProcess, SAMPLE_MP3, PASSWORD } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const relaycast = (args: string[], timeoutMs = 10_000) => runTool(process.execPath, [CLI, ...args], timeoutMs);

test('relay --help shows every flag with its default and its environment variable', async () => {
  const { code, stdout } = await relaycast(['relay', '--help']);
  assert.equal(code, 0);
  for (const [flag, def, env] of [
    ['--port', '8000', 'RELAYCAST_PORT'],
    ['--burst-bytes', '65536', 'RELAYCAST_BURST_BYTES'],
    ['--max-lag-bytes', '524288', 'RELAYCAST_MAX_LAG_BYTES'],
    ['--source-grace-ms', '30000', 'RELAYCAST_SOURCE_GRACE_MS'],
    ['--source-timeout-ms', '10000', 'RELAYCAST_SOURCE_TIMEOUT_MS'],
    ['--header-timeout-ms', '10000', 'RELAYCAST_HEADER_TIMEOUT_MS'],
  ]) {
    const line = stdout.split('\n').findIndex((l) => l.trimStart().startsWith(`${flag} `));
    assert.ok(line >= 0, `${flag} missing from --help`);
    const block = stdout
      .split('\n')
      .slice(line, line + 4)
      .join(' ')
      .replace(/\s+/g, ' ');
    assert.match(block, new RegExp(`default: "?${def}"?`), `${flag} default`);
    assert.match(block, new RegExp(`env: ${env}`), `${flag} env`);
  }
});

test('invalid values exit 2 with a message that says what to do', async () => {
  const badPort = await relaycast(['relay', '--port', '70000']);
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /--port.*whole number from 0 to 65535/);
  const lagTooBig = await relaycast(['relay', '--buffer-bytes', '600000', '--max-lag-bytes', '524288']);
  assert.equal(lagTooBig.code, 2);
  assert.match(lagTooBig.stderr, /use --buffer-bytes \d+ or more/);
  const badPolicy = await relaycast(['relay', '--slow-policy', 'kick']);
  assert.equal(badPolicy.code, 2);
  assert.match(badPolicy.stderr, /use one of: drop, live/);
  const unknown = await relaycast(['relay', '--buffer', '5']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option '--buffer'/);
  const viaEnv = await runTool('sh', ['-c', `RELAYCAST_PORT=abc ${process.execPath} ${CLI} relay`]);
  assert.equal(viaEnv.code, 2);
});

test('without a password the relay generates one, prints it with the encoder line, keeps it for the next start, and it works', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const stateDir = mkdtempSync(join(tmpdir(), 'relaycast-state-'));
  const env = { RELAYCAST_STATE_DIR: stateDir };
  const relay = await RelayProcess.startFor(t, [], env, { sourcePassword: false });
  const password = await waitFor(
    () => /source password \(generated and kept in [^)]*\): (\S+)/.exec(relay.stderr)?.[1],
    5000,
    'the printed password',
  );
  assert.ok(password.length >= 20, 'strong enough');
  // The password line, and the exact line an encoder is given.
  assert.equal(relay.stderr.split(password).length - 1, 2);
  assert.match(
    relay.stderr,
    new RegExp(`encoder line: +ffmpeg -re -i song\\.mp3 -c copy -f mp3 icecast://source:${password}@127\\.0\\.0\\.1:${relay.port}/listen`),
  );
  assert.equal(relay.stdout.includes(password), false, 'never in the logs');
  const kept = JSON.parse(readFileSync(join(stateDir, 'credentials.json'), 'utf8')) as { sourcePassword: string; adminPassword: string };
  assert.equal(kept.sourcePassword, password);
  assert.notEqual(kept.adminPassword, password, 'the admin password is its own');
  assert.equal(statSync(join(stateDir, 'credentials.json')).mode & 0o077, 0, 'only its owner can read it');
  const ready = { ingestPort: relay.ingestPort };
  const push = startTool(process.execPath, [
    CLI,
    'push',
    SAMPLE_MP3,
    '--url',
    `http://source:${password}@127.0.0.1:${ready.ingestPort}/listen`,
  ]);
  t.after(() => push.child.kill('SIGKILL'));
  await relay.waitForLog((l) => l.msg === 'source connected', 5000);
  relay.expectWarnings('AUTH_REQUIRED');
  const wrong = await relaycast(['push', SAMPLE_MP3, '--url', `http://source:nope@127.0.0.1:${ready.ingestPort}/other`]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /401.*credentials/);

  // After a restart, the same passwords: encoders set up with it keep working.
  const again = await RelayProcess.startFor(t, [], env, { sourcePassword: false });
  await waitFor(() => again.stderr.includes('encoder line:'), 5000, 'the banner');
  assert.match(again.stderr, new RegExp(`source password \\(kept from the first start in [^)]*\\): ${password}`));
  const admin = await fetch(`${again.listenUrl}/admin/listeners`, {
    headers: { authorization: `Basic ${Buffer.from(`admin:${kept.adminPassword}`).toString('base64')}` },
  });
  assert.equal(admin.status, 200);
});

test('SIGTERM ends listeners cleanly and exits 0 within 5 s; a second signal exits at once', async (t) => {
  const relay = await RelayProcess.start();
  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  source.send(60);
  const listener = new RawListener(relay.port, '/listen');
  const legacy = new RawListener(relay.ingestPort, '/listen', { http10: true });
  t.after(() => {
    listener.destroy();
    legacy.destroy();
  });
  await waitFor(() => listener.bodyBytes > 0 && legacy.bodyBytes > 0, 5000, 'listener bytes');
  const startedMs = performance.now();
  const code = await relay.signal('SIGTERM');
  assert.equal(code, 0);
  assert.ok(performance.now() - startedMs < 5000);
  relay.assertHealthy(code);
  await waitFor(() => listener.cleanEnd && legacy.cleanEnd, 2000, 'clean ends');
  assert.ok(relay.logs.some((l) => l.msg === 'listener disconnected' && l.reason === 'shutdown'));
});

/**
 * A peer that never answers our FIN and never finishes its request head, so the ingest port
 * cannot finish closing (a source no longer can: sources are destroyed at shutdown).
 */
async function stubbornPeer(relay: RelayProcess): Promise<net.Socket> {
  const socket = net.connect({ port: relay.ingestPort, host: '127.0.0.1', allowHalfOpen: true });
  socket.on('error', () => undefined);
  socket.resume();
  await new Promise((r) => socket.once('connect', r));
  socket.write('GET /listen HTTP/1.0\r\nUser-Agent: slow');
  return socket;
}

test('a peer that never finishes its request cannot hold shutdown: it is let go and the relay exits cleanly', async (t) => {
  const relay = await RelayProcess.start();
  const socket = await stubbornPeer(relay);
  t.after(() => socket.destroy());
  const startedMs = performance.now();
  assert.equal(await relay.signal('SIGTERM'), 0);
  const tookMs = performance.now() - startedMs;
  // Ended, then destroyed after relay-server.ts's 250 ms linger: well before the 5 s deadline.
  assert.ok(tookMs < 2500, `exited after ${tookMs.toFixed(0)} ms`);
  assert.ok(relay.logs.some((l) => l.msg === 'shut down cleanly'));
  assert.equal(socket.destroyed || socket.readableEnded, true, 'the peer was let go');
});

// Issue 10 item 7: sources used to be only half-closed, so an encoder that keeps sending held the process to the deadline.
test('SIGTERM with an encoder that keeps sending and that never closes its side exits cleanly, before the deadline', async (t) => {
  const relay = await RelayProcess.start(['--shoutcast-port', '0']);
  // allowHalfOpen: like an encoder that ignores our FIN and keeps writing.
  const socket = net.connect({ port: relay.ingestPort, host: '127.0.0.1', allowHalfOpen: true });
  socket.on('error', () => undefined);
  socket.resume();
  await new Promise((r) => socket.once('connect', r));
  socket.write(`SOURCE /stuck HTTP/1.0\r\nAuthorization: Basic ${Buffer.from(`source:${PASSWORD}`).toString('base64')}\r\n\r\n`);
  const shoutcast = net.connect({ port: relay.shoutcastPort, host: '127.0.0.1', allowHalfOpen: true });
  shoutcast.on('error', () => undefined);
  shoutcast.resume();
  shoutcast.write(`${PASSWORD}\r\ncontent-type: audio/mpeg\r\n\r\n`);
  const frames = setInterval(() => {
    if (!socket.destroyed) socket.write(Buffer.alloc(4096, 0x11));
    if (!shoutcast.destroyed) shoutcast.write(Buffer.alloc(4096, 0x11));
  }, 20);
  t.after(() => {
    clearInterval(frames);
    socket.destroy();
    shoutcast.destroy();
  });
  await waitFor(() => relay.countLogs((l) => l.msg === 'source connected') === 2, 5000, 'both sources connected');
  const listener = new RawListener(relay.port, '/stuck');
  const legacy = new RawListener(relay.ingestPort, '/listen', { http10: true });
  t.after(() => {
    listener.destroy();
    legacy.destroy();
  });
  await waitFor(() => listener.status === 200 && legacy.status === 200, 5000, 'listeners answered');
  const startedMs = performance.now();
  assert.equal(await relay.signal('SIGTERM'), 0);
  const tookMs = performance.now() - startedMs;
  t.diagnostic(`exited ${tookMs.toFixed(0)} ms after SIGTERM`);
  assert.ok(
    relay.logs.some((l) => l.msg === 'shut down cleanly'),
    'shut down cleanly',
  );
  assert.ok(!relay.logs.some((l) => l.msg === 'shutdown deadline passed; exiting'), 'not at the deadline');
});

test('a second signal during shutdown exits at once', async (t) => {
  const relay = await RelayProcess.start();
  const socket = await stubbornPeer(relay);
  t.after(() => socket.destroy());
  relay.child.kill('SIGTERM');
  await relay.waitForLog((l) => l.msg === 'shutting down');
  const startedMs = performance.now();
  assert.equal(await relay.signal('SIGTERM'), 143);
  assert.ok(performance.now() - startedMs < 1000);
});

/** A `seconds`-long 128 kbps MP3 tone, written by ffmpeg into a directory removed after the test. */
async function toneFile(t: TestContext, name: string, seconds: number, codec: string[], format: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'relaycast-push-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  const made = await runTool('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=500:duration=${seconds}`,
    ...codec,
    '-f',
    format,
    path,
  ]);
  assert.equal(made.code, 0, made.stderr);
  return path;
}

test('relaycast push paces an MP3 file by frame durations, not as fast as it can', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  // 6 s: long enough to see the pace at 3 s, short enough that the push runs to its end quickly.
  const mp3 = await toneFile(t, 'tone.mp3', 6, ['-c:a', 'libmp3lame', '-b:a', '128k'], 'mp3');
  const relay = await RelayProcess.startFor(t);
  const startedMs = performance.now();
  const pushing = relaycast(['push', mp3, '--url', `http://source:${PASSWORD}@127.0.0.1:${relay.ingestPort}/listen`], 60_000);
  await relay.waitForLog((l) => l.msg === 'source connected');
  await waitFor(() => performance.now() - startedMs > 3000, 4000, '3 s of pushing');
  const elapsedS = (performance.now() - startedMs) / 1000;
  const receivedBytes = await relay.metric('relaycast_source_received_bytes_total', { mount: '/listen' });
  // 128 kbps is 16,000 bytes per second; push runs at most 1 s ahead.
  const audioS = receivedBytes / 16_000;
  assert.ok(audioS > elapsedS - 1.5 && audioS < elapsedS + 1.5, `${audioS.toFixed(2)} s of audio after ${elapsedS.toFixed(2)} s`);
  const result = await pushing;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /done: 6\.\d s of audio sent/);
});

test('relaycast push sends AAC (ADTS) that ffmpeg decodes live from the listener port, past its burst', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  // The file lasts 30 s; the push is stopped once the decode is done.
  const aac = await toneFile(t, 'tone.aac', 30, ['-c:a', 'aac', '-b:a', '96k'], 'adts');
  const relay = await RelayProcess.startFor(t);
  const push = startTool(process.execPath, [CLI, 'push', aac, '--url', `http://source:${PASSWORD}@127.0.0.1:${relay.ingestPort}/aac`]);
  t.after(() => push.child.kill('SIGKILL'));
  const connected = await relay.waitForLog((l) => l.msg === 'source connected');
  assert.equal(connected.contentType, 'audio/aac');
  await relay.waitForMetric('relaycast_source_received_bytes_total', { mount: '/aac' }, (v) => v > 30_000, 10_000);
  const listener = new RawListener(relay.port, '/aac');
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes > 2, 5000, 'first bytes');
  const body = listener.body();
  assert.equal(body[0], 0xff);
  assert.equal(body[1] & 0xf6, 0xf0, 'starts on an ADTS frame');
  // The file's own rate says how many seconds the 64 KiB burst holds at most; decode 3 s past that.
  const burstSeconds = 65536 / (statSync(aac).size / 30);
  const seconds = Math.ceil(burstSeconds) + 3;
  assertDecodedLive('ffmpeg', await decodeWithFfmpeg(`${relay.listenUrl}/aac`, seconds), { seconds, burstSeconds });
});
