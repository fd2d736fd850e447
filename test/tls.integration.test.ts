// HTTPS (issue 15): --tls-port (uWS SSLApp) serves listeners, status, admin
// and titles with the front door's headers and bytes; --tls-ingest-port (our
// own server under node:tls) takes encoders' TLS modes; every name has its
// own certificate by SNI; certificates are re-read on SIGHUP and on a file
// change with no listener dropped, and a bad new certificate is refused with
// a log line and a metric while the old one stays. Certificates are made at
// test time with openssl (test/support/tls-certs.ts).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { FRAME_BYTES, RawListener, SyntheticSource, frameSerials, requireTool, runTool, startTool } from './support/clients.js';
import { assertCleanDecode, assertMpvPlayed, decodeWithFfmpeg, decodeWithMpv, ffmpegToneSource } from './support/interop.js';
import { PASSWORD, RelayProcess, SAMPLE_MP3 } from './support/relay-process.js';
import { makeTestCa, type TestCa } from './support/tls-certs.js';
import { TlsListener, peerFingerprint } from './support/tls-clients.js';
import { waitFor } from './support/wait.js';

/** Headers only one transport sends: uWS adds Date and its name and always chunks; ours says Connection: close. */
const TRANSPORT_HEADERS = new Set(['date', 'uwebsockets', 'transfer-encoding', 'connection']);

function streamHeadersOf(headers: Map<string, string>): Array<[string, string]> {
  return [...headers].filter(([k]) => !TRANSPORT_HEADERS.has(k)).sort();
}

function assertGapFree(body: Buffer, what: string): number[] {
  const { serials } = frameSerials(body);
  assert.ok(serials.length > 0, `${what}: no frames`);
  for (let i = 0; i < serials.length; i++) assert.equal(serials[i], serials[0] + i, `${what}: frame ${i} is ${serials[i]}`);
  return serials;
}

/** One request over TLS, read to the end (the server closes or ends the chunked body). */
function tlsRequest(port: number, servername: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false }, () => socket.write(request));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (s: string) => {
      text += s;
      if (/\r\n\r\n[\s\S]*\n$/.test(text) && !/chunked/i.test(text)) socket.end();
      if (/0\r\n\r\n$/.test(text)) socket.end();
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('HTTPS on --tls-port and TLS sources on --tls-ingest-port', () => {
  let ca: TestCa;
  let relay: RelayProcess;
  let radio: { cert: string; key: string; fingerprint256: string };
  let other: { cert: string; key: string; fingerprint256: string };

  before(async () => {
    ca = makeTestCa();
    radio = ca.issue('radio', ['radio.test', 'localhost']);
    other = ca.issue('other', ['other.test']);
    relay = await RelayProcess.start([
      '--tls-port',
      '0',
      '--tls-ingest-port',
      '0',
      '--tls-cert',
      radio.cert,
      '--tls-key',
      radio.key,
      '--tls-cert',
      other.cert,
      '--tls-key',
      other.key,
      '--admin-password',
      'admin-pw',
    ]);
  });
  after(async () => {
    await relay.stop();
    ca.remove();
  });

  test('a TLS listener gets the same stream headers and gap-free frames as a front-door listener, and status hands out https URLs', async (t) => {
    const source = await SyntheticSource.connect(relay.port, { mount: '/same.mp3' });
    t.after(() => source.close());
    source.send(100);
    source.pace(40);
    const plain = new RawListener(relay.port, '/same.mp3');
    const secure = new TlsListener(relay.tlsPort, '/same.mp3', { servername: 'radio.test', ca: readFileSync(ca.caCert) });
    t.after(() => {
      plain.destroy();
      secure.destroy();
    });
    await waitFor(() => plain.bodyBytes > 50 * FRAME_BYTES && secure.bodyBytes > 50 * FRAME_BYTES, 10_000, 'both listeners');
    assert.equal(secure.status, 200);
    assert.equal(secure.fingerprint256, radio.fingerprint256, 'verified against the test CA, for radio.test');
    assert.deepEqual(streamHeadersOf(secure.headers), streamHeadersOf(plain.headers));
    assert.equal(plain.headers.get('transfer-encoding'), undefined, 'the front door never chunks');
    // Stop the pacing so that the last frame is known, then send a last 40.
    source.stop();
    const target = source.nextSerial + 40;
    source.send(40);
    await waitFor(() => frameSerials(secure.body()).serials.at(-1) === target - 1, 5000, 'the TLS listener to reach the last frame');
    await waitFor(() => frameSerials(plain.body()).serials.at(-1) === target - 1, 5000, 'the plain listener to reach the last frame');
    assertGapFree(secure.body(), 'TLS listener');
    assertGapFree(plain.body(), 'plain listener');

    const status = await runTool('curl', [
      '-s',
      '--cacert',
      ca.caCert,
      '--resolve',
      `radio.test:${relay.tlsPort}:127.0.0.1`,
      `https://radio.test:${relay.tlsPort}/status.json`,
    ]);
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout) as { mounts: Array<{ mount: string; listenUrl: string }> };
    assert.equal(report.mounts.find((m) => m.mount === '/same.mp3')?.listenUrl, `https://radio.test:${relay.tlsPort}/same.mp3`);
  });

  test('titles and admin work over HTTPS; a source on the uWS TLS port is refused 405 with a pointer, logged and counted', async (t) => {
    const source = await SyntheticSource.connect(relay.port, { mount: '/admin.mp3' });
    t.after(() => source.close());
    source.send(20);
    const curl = (path: string, user: string) =>
      runTool('curl', [
        '-s',
        '-u',
        user,
        '--cacert',
        ca.caCert,
        '--resolve',
        `other.test:${relay.tlsPort}:127.0.0.1`,
        `https://other.test:${relay.tlsPort}${path}`,
      ]);
    const title = await curl('/admin/metadata?mount=/admin.mp3&mode=updinfo&song=Over%20TLS', `source:${PASSWORD}`);
    assert.match(title.stdout, /Metadata update successful/);
    await relay.waitForLog((l) => l.msg === 'title changed' && l.mount === '/admin.mp3');
    const listeners = await curl('/admin/listeners', 'admin:admin-pw');
    assert.match(listeners.stdout, /^\{"listeners":/);

    relay.expectWarnings('METHOD_NOT_ALLOWED');
    const before = await relay.metric('relaycast_refusals_total', { code: 'METHOD_NOT_ALLOWED', status: '405' });
    const answer = await tlsRequest(
      relay.tlsPort,
      'radio.test',
      'PUT /nope HTTP/1.1\r\nHost: radio.test\r\nContent-Type: audio/mpeg\r\nContent-Length: 0\r\n\r\n',
    );
    assert.match(answer, /^HTTP\/1\.1 405 /);
    assert.match(answer, /method not allowed here: PUT: sources go to --port or --tls-ingest-port\n/);
    await relay.waitForLog((l) => l.code === 'METHOD_NOT_ALLOWED' && l.port === 'tls' && l.target === '/nope');
    assert.equal(await relay.metric('relaycast_refusals_total', { code: 'METHOD_NOT_ALLOWED', status: '405' }), before + 1);
  });

  test('each SNI name gets its own certificate on both TLS ports; no SNI or an unknown name gets the first', async () => {
    for (const port of [relay.tlsPort, relay.tlsIngestPort]) {
      assert.equal(await peerFingerprint(port, 'radio.test'), radio.fingerprint256);
      assert.equal(await peerFingerprint(port, 'other.test'), other.fingerprint256);
      assert.equal(await peerFingerprint(port, 'unknown.test'), radio.fingerprint256);
      assert.equal(await peerFingerprint(port, undefined), radio.fingerprint256);
    }
  });

  test('curl (verifying), ffmpeg and Chromium <audio> play a live MP3 over HTTPS', async (t) => {
    if (!requireTool(t, 'ffmpeg') || !requireTool(t, 'curl')) return;
    const encoder = ffmpegToneSource(relay, '/https.mp3', {
      codec: ['-c:a', 'libmp3lame', '-b:a', '128k'],
      format: 'mp3',
      contentType: 'audio/mpeg',
    });
    t.after(() => encoder.kill('SIGKILL'));
    await relay.waitForMetric('relaycast_source_received_bytes_total', { mount: '/https.mp3' }, (v) => v > 65536, 20_000);
    const dir = mkdtempSync(join(tmpdir(), 'relaycast-https-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // curl verifies the chain and the name; 3 s of the stream, then its --max-time ends it (exit 28).
    const file = join(dir, 'curl.mp3');
    const curl = await runTool('curl', [
      '-s',
      '--cacert',
      ca.caCert,
      '--max-time',
      '3',
      '-o',
      file,
      `https://localhost:${relay.tlsPort}/https.mp3`,
    ]);
    assert.equal(curl.code, 28, `curl ${curl.code}: ${curl.stderr}`);
    const decodedFile = await runTool('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-']);
    assertCleanDecode('ffmpeg (curl file)', decodedFile);
    assert.ok(readFileSync(file).length > 65536, 'curl got the burst and more');
    // ffmpeg reads https itself (its TLS, its de-chunking).
    assertCleanDecode('ffmpeg', await decodeWithFfmpeg(`https://localhost:${relay.tlsPort}/https.mp3`, 6));

    if (!requireTool(t, 'chromium')) return;
    const { chromium } = await import('playwright-core');
    const userDataDir = mkdtempSync(join(tmpdir(), 'relaycast-chromium-tls-'));
    t.after(() => rmSync(userDataDir, { recursive: true, force: true }));
    const browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: (await runTool('sh', ['-c', 'command -v chromium'])).stdout.trim(),
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--ignore-certificate-errors'],
    });
    t.after(() => browser.close());
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(`https://localhost:${relay.tlsPort}/`);
    await page.setContent(`<audio id="a" src="https://localhost:${relay.tlsPort}/https.mp3" autoplay muted></audio>`);
    const audio = page.locator('#a');
    const startedAt = await waitFor(
      async () => {
        const time = await audio.evaluate((a: HTMLAudioElement) => a.currentTime);
        return time > 0 ? time : undefined;
      },
      15_000,
      'the <audio> element to play over HTTPS',
    );
    await waitFor(
      async () => (await audio.evaluate((a: HTMLAudioElement) => a.currentTime)) > startedAt + 1,
      10_000,
      'currentTime to advance',
    );
    assert.equal(await audio.evaluate((a: HTMLAudioElement) => a.error === null && !a.paused), true);
  });

  test('mpv and GStreamer (souphttpsrc, verifying against the test CA) play a live MP3 over HTTPS', async (t) => {
    if (!requireTool(t, 'ffmpeg') || !requireTool(t, 'mpv') || !requireTool(t, 'gst-launch-1.0')) return;
    const encoder = ffmpegToneSource(relay, '/players.mp3', {
      codec: ['-c:a', 'libmp3lame', '-b:a', '128k'],
      format: 'mp3',
      contentType: 'audio/mpeg',
    });
    t.after(() => encoder.kill('SIGKILL'));
    await relay.waitForMetric('relaycast_source_received_bytes_total', { mount: '/players.mp3' }, (v) => v > 65536, 20_000);
    const url = `https://localhost:${relay.tlsPort}/players.mp3`;
    assertMpvPlayed(await decodeWithMpv(url, 8), 'mp3', { seconds: 8, burstSeconds: 65536 / 16000 });
    const gst = await runTool(
      'gst-launch-1.0',
      [
        '-q',
        'souphttpsrc',
        `location=${url}`,
        `ssl-ca-file=${ca.caCert}`,
        'ssl-strict=true',
        '!',
        'decodebin',
        '!',
        'audioconvert',
        '!',
        'identity',
        'eos-after=300',
        '!',
        'fakesink',
        'sync=false',
      ],
      30_000,
    );
    assertCleanDecode('gst-launch', gst);
  });

  test('ffmpeg (-tls 1, PUT) and ezstream (libshout, HTTPS) stream to --tls-ingest-port and are decoded from the front door', async (t) => {
    if (!requireTool(t, 'ffmpeg') || !requireTool(t, 'ezstream')) return;
    const ffmpeg = startTool('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=330',
      '-c:a',
      'libmp3lame',
      '-b:a',
      '128k',
      '-f',
      'mp3',
      '-content_type',
      'audio/mpeg',
      '-tls',
      '1',
      '-ca_file',
      ca.caCert,
      '-tls_verify',
      '1',
      `icecast://source:${PASSWORD}@localhost:${relay.tlsIngestPort}/ffmpeg-tls.mp3`,
    ]);
    t.after(() => ffmpeg.child.kill('SIGKILL'));
    const dir = mkdtempSync(join(tmpdir(), 'relaycast-ezstream-tls-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, 'ezstream.xml');
    writeFileSync(config, ezstreamTlsConfig(relay.tlsIngestPort, ca.caCert), { mode: 0o600 });
    // libshout sends each title update first without credentials, as it does its SOURCE; that one is refused 401.
    relay.expectWarnings('ADMIN_AUTH_REQUIRED');
    const ez = startTool('ezstream', ['-c', config]);
    t.after(() => ez.child.kill('SIGKILL'));
    for (const mount of ['/ffmpeg-tls.mp3', '/ezstream-tls.mp3']) {
      await relay
        .waitForMetric('relaycast_source_received_bytes_total', { mount }, (v) => v > 65536, 20_000)
        .catch((err: Error) => {
          throw new Error(`${err.message}: a burst on ${mount} (${ffmpeg.stderr()} ${ez.stderr()})`);
        });
      assertCleanDecode(`ffmpeg ${mount}`, await decodeWithFfmpeg(`${relay.listenUrl}${mount}`, 4));
    }
    const ezConnected = relay.logs.find((l) => l.msg === 'source connected' && l.mount === '/ezstream-tls.mp3');
    assert.match(String(ezConnected?.agent), /^libshout\//);
  });
});

function ezstreamTlsConfig(port: number, caFile: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<ezstream>
  <servers><server>
    <protocol>HTTPS</protocol>
    <hostname>localhost</hostname>
    <port>${port}</port>
    <user>source</user>
    <password>${PASSWORD}</password>
    <ca_file>${caFile}</ca_file>
  </server></servers>
  <streams><stream><mountpoint>/ezstream-tls.mp3</mountpoint><format>MP3</format></stream></streams>
  <intakes><intake><type>file</type><filename>${SAMPLE_MP3}</filename><stream_once>No</stream_once></intake></intakes>
</ezstream>
`;
}

test("the CLI refuses TLS flags that cannot work: no certificate (exit 2), a key that is not the certificate's (exit 1, naming the file)", async (t) => {
  const { CLI } = await import('./support/relay-process.js');
  const noCert = await runTool(process.execPath, [CLI, 'relay', '--host', '127.0.0.1', '--port', '0', '--tls-port', '0'], 10_000);
  assert.equal(noCert.code, 2);
  assert.match(noCert.stderr, /--tls-port and --tls-ingest-port need --tls-cert FILE and --tls-key FILE/);
  const ca = makeTestCa();
  t.after(() => ca.remove());
  const one = ca.issue('one', ['one.test']);
  const two = ca.issue('two', ['two.test']);
  const mismatch = await runTool(
    process.execPath,
    [
      CLI,
      'relay',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--tls-port',
      '0',
      '--tls-cert',
      one.cert,
      '--tls-key',
      two.key,
      '--log-format',
      'json',
    ],
    10_000,
  );
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stdout, /"msg":"cannot start"/);
  assert.ok(mismatch.stdout.includes(`${two.key} is not the key of ${one.cert}`), mismatch.stdout);
});
