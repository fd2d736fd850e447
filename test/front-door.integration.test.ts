// The front door (issue 15): a relay started with only --port (and a
// password) takes every source and serves every player on that one port, in
// the dialect Icecast clients expect: PUT with Expect: 100-continue, SOURCE
// over HTTP/1.0, ICE/1.0, libshout's credential-less probe; HTTP/1.0 and 1.1
// players; a body that is never chunked; request heads in any number of
// segments; /metrics; ACME challenges from --acme-webroot. Every refusal is
// answered, logged and counted (status, one-line body, log code, counter).

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { FRAME_BYTES, RawListener, SyntheticSource, frameSerials, mp3Frame, rawRequest } from './support/clients.js';
import { PASSWORD, RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const AUTH = `Authorization: Basic ${Buffer.from(`source:${PASSWORD}`).toString('base64')}\r\n`;
const TOKEN = 'Xy9-_abcDEF0123456789ghijklmnopQRSTUVwxyz01';

/** Writes `bytes` one byte per TCP segment: Nagle off, and each byte handed to the kernel before the next. */
async function writeBytewise(socket: net.Socket, bytes: Buffer): Promise<void> {
  socket.setNoDelay(true);
  for (const byte of bytes) {
    await new Promise<void>((resolve, reject) => socket.write(Buffer.of(byte), (err) => (err ? reject(err) : resolve())));
    await nextTurn();
  }
}

/** A response read until the server closes. */
function readAll(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (s: string) => (text += s));
    socket.on('close', () => resolve(text));
    socket.on('error', () => undefined);
  });
}

describe('the front door: one port for every source and every player', () => {
  let relay: RelayProcess;
  let webroot: string;

  before(async () => {
    webroot = mkdtempSync(join(tmpdir(), 'relaycast-acme-'));
    mkdirSync(join(webroot, '.well-known', 'acme-challenge'), { recursive: true });
    writeFileSync(join(webroot, '.well-known', 'acme-challenge', TOKEN), `${TOKEN}.thumbprint`);
    writeFileSync(join(webroot, 'secret.txt'), 'not for the web');
    symlinkSync(join(webroot, 'secret.txt'), join(webroot, '.well-known', 'acme-challenge', 'linked'));
    // debug: libshout's probe (AUTH_PROBE) is logged at debug only.
    relay = await RelayProcess.start(['--acme-webroot', webroot, '--log-level', 'debug']);
  });
  after(async () => {
    await relay.stop();
    rmSync(webroot, { recursive: true, force: true });
  });

  /**
   * Status, one-line reason, a log line with the code, the counter. Repeats of one kind of
   * refusal are logged once per 10 s (relay/api/refusals.ts), so each one is counted by the
   * counter; the log line is the first of its kind.
   */
  async function expectRefusal(request: string | Buffer, status: number, code: string, reason: RegExp): Promise<Map<string, string>> {
    const before = await relay.metric('relaycast_refusals_total', { code, status: String(status) });
    const res = await rawRequest(relay.port, request);
    assert.equal(res.status, status, `${res.statusLine} ${res.body}`);
    assert.match(res.body, reason);
    assert.equal(res.body.trim().split('\n').length, 1, 'the reason is one line');
    await relay.waitForLog((l) => l.code === code && l.status === status && l.port === 'listener', 2000);
    await relay.waitForMetric('relaycast_refusals_total', { code, status: String(status) }, (v) => v === before + 1, 2000);
    return res.headers;
  }

  test('the relay was started with --port alone: no other port is open', () => {
    const ready = relay.logs.find((l) => l.msg === 'relay ready');
    assert.ok(ready);
    assert.equal(ready.ingestPort, undefined);
    assert.equal(ready.uwsPort, undefined);
    assert.equal(ready.tlsPort, undefined);
    assert.equal(relay.ingestPort, relay.port);
  });

  test('PUT with Expect: 100-continue, SOURCE over HTTP/1.0 and SOURCE over ICE/1.0 all stream in on --port', async (t) => {
    for (const [mount, head] of [
      [
        '/put.mp3',
        `PUT /put.mp3 HTTP/1.1\r\nHost: x\r\n${AUTH}Content-Type: audio/mpeg\r\nExpect: 100-continue\r\nice-name: Put FM\r\n\r\n`,
      ],
      ['/source10.mp3', `SOURCE /source10.mp3 HTTP/1.0\r\n${AUTH}Content-Type: audio/mpeg\r\nice-name: Source FM\r\n\r\n`],
      ['/ice.mp3', `SOURCE /ice.mp3 ICE/1.0\r\n${AUTH}content-type: audio/mpeg\r\nice-name: Ice FM\r\n\r\n`],
    ] as const) {
      const socket = net.connect({ port: relay.port, host: '127.0.0.1' });
      t.after(() => socket.destroy());
      let answer = '';
      socket.on('data', (b: Buffer) => (answer += b.toString('latin1')));
      socket.write(head);
      await waitFor(() => /^(HTTP\/1\.[01] 100 Continue|HTTP\/1\.[01] 200 OK)\r\n/.test(answer), 5000, `the answer to ${mount}`);
      const frames = Array.from({ length: 60 }, (_, i) => mp3Frame(i));
      socket.write(Buffer.concat(frames));
      const listener = new RawListener(relay.port, mount, { http10: true });
      t.after(() => listener.destroy());
      await waitFor(() => listener.bodyBytes >= 60 * FRAME_BYTES, 5000, `the frames of ${mount}`);
      assert.deepEqual(
        frameSerials(listener.body()).serials,
        Array.from({ length: 60 }, (_, i) => i),
      );
    }
    const versions = relay.logs.filter((l) => l.msg === 'source connected').map((l) => [l.mount, l.method, l.version]);
    assert.deepEqual(
      versions.filter(([m]) => ['/put.mp3', '/source10.mp3', '/ice.mp3'].includes(m as string)),
      [
        ['/put.mp3', 'PUT', 'HTTP/1.1'],
        ['/source10.mp3', 'SOURCE', 'HTTP/1.0'],
        ['/ice.mp3', 'SOURCE', 'ICE/1.0'],
      ],
    );
  });

  test("libshout's credential-less probe gets 401 with a Basic challenge, logged (at debug) and counted", async () => {
    const probe = await expectRefusal('SOURCE /probe.mp3 HTTP/1.0\r\nContent-Length: 0\r\n\r\n', 401, 'AUTH_PROBE', /source credentials/);
    assert.ok(
      relay.logs.filter((l) => l.code === 'AUTH_PROBE').every((l) => l.level === 20),
      'the probe is logged at debug',
    );
    assert.match(probe.get('www-authenticate') ?? '', /^Basic realm=/);
  });

  test('an HTTP/1.1 reader gets a close-delimited body, never chunked, that holds every frame in order', async (t) => {
    const source = await SyntheticSource.connect(relay.port, { mount: '/raw.mp3' });
    t.after(() => source.close());
    source.send(50);
    const reader = new RawListener(relay.port, '/raw.mp3');
    t.after(() => reader.destroy());
    await waitFor(() => reader.bodyBytes >= 50 * FRAME_BYTES, 5000, 'the burst');
    assert.equal(reader.headers.get('transfer-encoding'), undefined);
    assert.equal(reader.headers.get('content-length'), undefined);
    assert.equal(reader.headers.get('connection'), 'close');
    source.send(100);
    await waitFor(() => reader.bodyBytes >= 150 * FRAME_BYTES, 5000, 'live frames');
    // The bytes as read off the socket: nothing to undo, so they are the frames, back to back.
    assert.equal(reader.body().length % FRAME_BYTES, 0, 'no chunk-size lines between frames');
    assert.deepEqual(
      frameSerials(reader.body()).serials,
      Array.from({ length: 150 }, (_, i) => i),
    );
  });

  test('a listener request and a title update delivered one byte per TCP segment are served', async (t) => {
    const source = await SyntheticSource.connect(relay.port, { mount: '/bytewise.mp3' });
    t.after(() => source.close());
    source.send(100);
    const socket = net.connect({ port: relay.port, host: '127.0.0.1' });
    t.after(() => socket.destroy());
    await new Promise((resolve) => socket.once('connect', resolve));
    let received = Buffer.alloc(0);
    socket.on('data', (b: Buffer) => (received = Buffer.concat([received, b])));
    await writeBytewise(
      socket,
      Buffer.from('GET /bytewise.mp3?utm_source=a-long-tracking-parameter HTTP/1.1\r\nHost: 127.0.0.1\r\nIcy-MetaData: 1\r\n\r\n'),
    );
    await waitFor(() => received.length > 30_000, 5000, 'the stream');
    assert.match(received.toString('latin1', 0, 200), /^HTTP\/1\.1 200 OK\r\n[\s\S]*icy-metaint: 16000\r\n/);

    const update = net.connect({ port: relay.port, host: '127.0.0.1' });
    t.after(() => update.destroy());
    await new Promise((resolve) => update.once('connect', resolve));
    const answer = readAll(update);
    await writeBytewise(
      update,
      Buffer.from(`GET /admin/metadata?mount=/bytewise.mp3&mode=updinfo&song=Split%20Title HTTP/1.0\r\n${AUTH}\r\n`),
    );
    assert.match(await answer, /^HTTP\/1\.0 200 OK\r\n[\s\S]*Metadata update successful/);
    await relay.waitForLog((l) => l.msg === 'title changed' && l.mount === '/bytewise.mp3');
  });

  test('/metrics and /healthz are served on --port', async () => {
    const metrics = await rawRequest(relay.port, 'GET /metrics HTTP/1.0\r\n\r\n');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^# HELP relaycast_/m);
    const health = await rawRequest(relay.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(health.body, 'ok\n');
  });

  test('an ACME challenge is served from --acme-webroot, and nothing else is', async () => {
    const res = await rawRequest(relay.port, `GET /.well-known/acme-challenge/${TOKEN} HTTP/1.1\r\nHost: radio.test\r\n\r\n`);
    assert.equal(res.status, 200);
    assert.equal(res.body, `${TOKEN}.thumbprint`);
    assert.equal(res.headers.get('content-type'), 'text/plain');
    relay.expectWarnings('ACME_TOKEN_NOT_FOUND');
    for (const path of ['../../secret.txt', '..%2f..%2fsecret.txt', 'linked', 'missing-token', '.hidden', '']) {
      await expectRefusal(
        `GET /.well-known/acme-challenge/${path} HTTP/1.1\r\nHost: x\r\n\r\n`,
        404,
        'ACME_TOKEN_NOT_FOUND',
        /^no such ACME challenge token/,
      );
    }
  });

  test('oversized heads, too many headers, bad header lines and other versions are answered, logged and counted', async () => {
    relay.expectWarnings('HEAD_TOO_LARGE', 'BAD_HEADER', 'VERSION_NOT_SUPPORTED', 'METHOD_NOT_ALLOWED', 'BAD_REQUEST_LINE');
    await expectRefusal(
      `GET /x HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`,
      431,
      'HEAD_TOO_LARGE',
      /request head over 8 KiB/,
    );
    // No count limit of its own: any number of headers is bounded by the 8 KiB head.
    const many = Array.from({ length: 800 }, (_, i) => `X-H${i}: v\r\n`).join('');
    await expectRefusal(`GET /x HTTP/1.1\r\nHost: x\r\n${many}\r\n`, 431, 'HEAD_TOO_LARGE', /request head over 8 KiB/);
    await expectRefusal('GET /x HTTP/1.1\r\nHost: x\r\n: no name\r\n\r\n', 400, 'BAD_HEADER', /malformed header line/);
    await expectRefusal('GET /x HTTP/2.0\r\n\r\n', 505, 'VERSION_NOT_SUPPORTED', /only HTTP\/1\.x/);
    await expectRefusal('GET /x SIP/1.0\r\n\r\n', 505, 'VERSION_NOT_SUPPORTED', /only HTTP\/1\.x/);
    await expectRefusal('BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n', 405, 'METHOD_NOT_ALLOWED', /not allowed/);
    await expectRefusal('hello\r\n\r\n', 400, 'BAD_REQUEST_LINE', /malformed request line/);
  });
});

test('--ingest-port is an extra port of the same server: a source there is heard on --port and vice versa', async (t) => {
  const relay = await RelayProcess.start(['--ingest-port', '0']);
  t.after(() => relay.stop());
  assert.notEqual(relay.ingestPort, relay.port);
  const viaIngest = await SyntheticSource.connect(relay.ingestPort, { mount: '/a.mp3' });
  const viaDoor = await SyntheticSource.connect(relay.port, { mount: '/b.mp3' });
  t.after(() => {
    viaIngest.close();
    viaDoor.close();
  });
  viaIngest.send(30);
  viaDoor.send(30);
  const a = new RawListener(relay.port, '/a.mp3');
  const b = new RawListener(relay.ingestPort, '/b.mp3', { http10: true });
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  await waitFor(() => a.bodyBytes >= 30 * FRAME_BYTES && b.bodyBytes >= 30 * FRAME_BYTES, 5000, 'both listeners');
  assert.deepEqual(
    frameSerials(a.body()).serials,
    Array.from({ length: 30 }, (_, i) => i),
  );
  assert.deepEqual(
    frameSerials(b.body()).serials,
    Array.from({ length: 30 }, (_, i) => i),
  );
  const status = await rawRequest(relay.ingestPort, 'GET /status.json HTTP/1.0\r\n\r\n');
  assert.equal(status.status, 200);
});

test('with --trust-proxy a PROXY v1 or v2 header on --port gives the listener its address; without, it is taken off and ignored', async (t) => {
  const listenersOf = async (relay: RelayProcess) => {
    const res = await rawRequest(
      relay.port,
      `GET /admin/listeners?mount=/p.mp3 HTTP/1.0\r\nAuthorization: Basic ${Buffer.from('admin:admin-pw').toString('base64')}\r\n\r\n`,
    );
    return (JSON.parse(res.body) as { listeners: Array<{ address: string }> }).listeners.map((l) => l.address).sort();
  };
  const v2 = Buffer.alloc(28);
  Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1').copy(v2, 0);
  v2.set([0x21, 0x11, 0x00, 12, 192, 0, 2, 44, 127, 0, 0, 1, 0x9c, 0x40, 0x1f, 0x40], 12);
  const v1 = Buffer.from('PROXY TCP4 198.51.100.7 127.0.0.1 40000 8000\r\n');
  for (const trusted of [true, false]) {
    const relay = await RelayProcess.start(['--admin-password', 'admin-pw', ...(trusted ? ['--trust-proxy'] : [])]);
    t.after(() => relay.stop());
    const source = await SyntheticSource.connect(relay.port, { mount: '/p.mp3' });
    t.after(() => source.close());
    source.send(20);
    const sockets = [v2, v1].map((header) => {
      const socket = net.connect({ port: relay.port, host: '127.0.0.1' }, () => {
        socket.write(Buffer.concat([header, Buffer.from('GET /p.mp3 HTTP/1.0\r\n\r\n')]));
      });
      socket.on('data', () => undefined).on('error', () => undefined);
      return socket;
    });
    t.after(() => {
      for (const s of sockets) s.destroy();
    });
    await waitFor(async () => (await listenersOf(relay)).length === 2, 5000, 'both proxied listeners');
    const addresses = await listenersOf(relay);
    if (trusted) assert.deepEqual(addresses, ['192.0.2.44', '198.51.100.7']);
    else
      assert.ok(
        addresses.every((a) => /^127\.0\.0\.1:\d+$/.test(a)),
        addresses.join(' '),
      );
  }
});
