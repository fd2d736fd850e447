// The command line as a user meets it: --help, refusals of bad values with
// exit 2, the generated password, graceful shutdown, and `relaycast push`.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import net from 'node:net';
import { RawListener, SyntheticSource, requireTool, runTool, startTool } from './support/clients.js';
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

test('without a password the relay generates one, prints it once, and it works', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const child = spawn(process.execPath, [CLI, 'relay', '--host', '127.0.0.1', '--port', '0', '--ingest-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const password = await waitFor(() => /source password .*: (\S+)/.exec(stderr)?.[1], 5000, 'the printed password');
  assert.ok(password.length >= 20, 'strong enough');
  assert.equal(stderr.split(password).length - 1, 1, 'printed exactly once');
  assert.equal(stdout.includes(password), false, 'never in the logs');
  const ready = JSON.parse(stdout.split('\n').find((l) => l.includes('relay ready'))!) as { ingestPort: number };
  const push = startTool(process.execPath, [
    CLI,
    'push',
    SAMPLE_MP3,
    '--url',
    `http://source:${password}@127.0.0.1:${ready.ingestPort}/listen`,
  ]);
  t.after(() => push.child.kill('SIGKILL'));
  await waitFor(() => stdout.includes('"source connected"'), 5000, 'the source with the generated password');
  const wrong = await relaycast(['push', SAMPLE_MP3, '--url', `http://source:nope@127.0.0.1:${ready.ingestPort}/other`]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /401.*credentials/);
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
  const code = await relay.stop('SIGTERM');
  assert.equal(code, 0);
  assert.ok(performance.now() - startedMs < 5000);
  await waitFor(() => listener.cleanEnd && legacy.cleanEnd, 2000, 'clean ends');
  assert.ok(relay.logs.some((l) => l.msg === 'listener disconnected' && l.reason === 'shutdown'));
});

/** A source that never answers our FIN, so the ingest port cannot finish closing. */
async function stubbornSource(relay: RelayProcess): Promise<net.Socket> {
  const socket = net.connect({ port: relay.ingestPort, host: '127.0.0.1', allowHalfOpen: true });
  socket.on('error', () => undefined);
  socket.resume();
  await new Promise((r) => socket.once('connect', r));
  socket.write(`SOURCE /stuck HTTP/1.0\r\nAuthorization: Basic ${Buffer.from(`source:${PASSWORD}`).toString('base64')}\r\n\r\n`);
  await relay.waitForLog((l) => l.msg === 'source connected');
  return socket;
}

test('a shutdown held up by a peer still exits 0 at the 5 s deadline', async (t) => {
  const relay = await RelayProcess.start();
  const socket = await stubbornSource(relay);
  t.after(() => socket.destroy());
  const startedMs = performance.now();
  assert.equal(await relay.stop('SIGTERM'), 0);
  const tookMs = performance.now() - startedMs;
  assert.ok(tookMs > 4000 && tookMs < 6500, `exited after ${tookMs.toFixed(0)} ms`);
  assert.ok(relay.logs.some((l) => l.msg === 'shutdown deadline passed; exiting'));
});

test('a second signal during shutdown exits at once', async (t) => {
  const relay = await RelayProcess.start();
  const socket = await stubbornSource(relay);
  t.after(() => socket.destroy());
  relay.child.kill('SIGTERM');
  await relay.waitForLog((l) => l.msg === 'shutting down');
  const startedMs = performance.now();
  assert.equal(await relay.stop('SIGTERM'), 143);
  assert.ok(performance.now() - startedMs < 1000);
});

test('relaycast push paces an MP3 file by frame durations, not as fast as it can', async (t) => {
  const relay = await RelayProcess.start();
  t.after(() => relay.stop());
  const startedMs = performance.now();
  const pushing = relaycast(['push', SAMPLE_MP3, '--url', `http://source:${PASSWORD}@127.0.0.1:${relay.ingestPort}/listen`], 60_000);
  await relay.waitForLog((l) => l.msg === 'source connected');
  await waitFor(() => performance.now() - startedMs > 3000, 4000, '3 s of pushing');
  const elapsedS = (performance.now() - startedMs) / 1000;
  const receivedBytes = await relay.metric('relaycast_source_received_bytes_total', { mount: '/listen' });
  // 128 kbps is 16,000 bytes per second; push runs at most 1 s ahead.
  const audioS = receivedBytes / 16_000;
  assert.ok(audioS > elapsedS - 1.5 && audioS < elapsedS + 1.5, `${audioS.toFixed(2)} s of audio after ${elapsedS.toFixed(2)} s`);
  const result = await pushing;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /done: 20\.\d s of audio sent/);
});

test('relaycast push sends AAC (ADTS) that ffmpeg decodes from the listener port', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const dir = mkdtempSync(join(tmpdir(), 'relaycast-aac-'));
  const aac = join(dir, 'tone.aac');
  const made = await runTool('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=500:duration=12',
    '-c:a',
    'aac',
    '-b:a',
    '96k',
    '-f',
    'adts',
    aac,
  ]);
  assert.equal(made.code, 0, made.stderr);
  const relay = await RelayProcess.start();
  t.after(() => relay.stop());
  const pushing = relaycast(['push', aac, '--url', `http://source:${PASSWORD}@127.0.0.1:${relay.ingestPort}/aac`], 30_000);
  const connected = await relay.waitForLog((l) => l.msg === 'source connected');
  assert.equal(connected.contentType, 'audio/aac');
  await waitFor(async () => (await relay.metric('relaycast_source_received_bytes_total', { mount: '/aac' })) > 30_000, 10_000, 'audio');
  const listener = new RawListener(relay.port, '/aac');
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes > 2, 5000, 'first bytes');
  const body = listener.body();
  assert.equal(body[0], 0xff);
  assert.equal(body[1] & 0xf6, 0xf0, 'starts on an ADTS frame');
  const decoded = await runTool('ffmpeg', ['-hide_banner', '-v', 'error', '-i', `${relay.listenUrl}/aac`, '-t', '3', '-f', 'null', '-']);
  assert.equal(decoded.code, 0, decoded.stderr);
  assert.equal(decoded.stderr.trim(), '');
  await pushing;
});
