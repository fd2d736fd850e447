// Every refusal a client can meet, through real sockets: the status, the
// one-line reason, the log line and the metric. Meanwhile a listener keeps
// receiving the stream: bad clients never harm good ones.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { RawListener, SyntheticSource, frameSerials, rawRequest } from './support/clients.js';
import { PASSWORD, RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const PROVOKED = [
  'MOUNT_NOT_FOUND',
  'AUTH_REQUIRED',
  'MOUNT_BUSY',
  'CONTENT_TYPE_REQUIRED',
  'HEAD_TOO_LARGE',
  'BAD_REQUEST_LINE',
  'METHOD_NOT_ALLOWED',
  'HEADER_TIMEOUT',
  'MOUNT_RESERVED',
  'MOUNT_FULL',
  'SERVER_FULL',
  'BAD_CHUNK',
  'BAD_MOUNT',
  'BAD_HEADER',
  'VERSION_NOT_SUPPORTED',
  'INTERNAL',
  'unexpected error',
];

const auth = (password: string) => `Authorization: Basic ${Buffer.from(`source:${password}`).toString('base64')}\r\n`;

describe('refusals', () => {
  let relay: RelayProcess;
  let source: SyntheticSource;
  let bystander: RawListener;
  /** The last frame of the bystander's join burst: every frame after it reached the bystander live. */
  let burstEndSerial: number;

  before(async () => {
    // debug: libshout's probe (AUTH_PROBE) is logged at debug only.
    relay = await RelayProcess.start(
      ['--header-timeout-ms', '400', '--max-listeners-per-mount', '3', '--max-listeners', '5', '--log-level', 'debug'],
      {
        // A planted bug (relay/api/routes.ts): no request we know of reaches a real one.
        RELAYCAST_TEST_FAULT_PATH: '/fault',
      },
    );
    // Every refusal below is provoked on purpose; anything else logged at warn fails the relay's stop().
    relay.expectWarnings(...PROVOKED);
    source = await SyntheticSource.connect(relay.ingestPort, { mount: '/live' });
    source.send(200);
    bystander = new RawListener(relay.port, '/live');
    // The whole burst (up to frame 199, the last sent before it joined); only then the live frames start.
    burstEndSerial = 199;
    await waitFor(() => frameSerials(bystander.body()).serials.at(-1) === burstEndSerial, 5000, "the bystander's burst");
    source.pace(40);
  });

  after(async () => {
    bystander.destroy();
    source.close();
    await relay.stop();
  });

  /** Asserts status, reason line, a log line with the code, and the refusal counter. */
  async function expectRefusal(port: number, request: string, status: number, code: string, reason: RegExp): Promise<Map<string, string>> {
    const before = await relay.metric('relaycast_refusals_total', { code, status: String(status) });
    const res = await rawRequest(port, request);
    assert.equal(res.status, status, `${res.statusLine} ${res.body}`);
    assert.match(res.body, reason);
    assert.equal(res.body.trim().split('\n').length, 1, 'the reason is one line');
    await relay.waitForLog((l) => l.code === code && l.status === status);
    await relay.waitForMetric('relaycast_refusals_total', { code, status: String(status) }, (v) => v === before + 1, 2000);
    return res.headers;
  }

  test('an unknown mount is 404 on both ports', async () => {
    await expectRefusal(relay.port, 'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n', 404, 'MOUNT_NOT_FOUND', /no such mount/);
    await expectRefusal(relay.ingestPort, 'GET /nope HTTP/1.0\r\n\r\n', 404, 'MOUNT_NOT_FOUND', /no such mount/);
  });

  test('a source with missing or wrong credentials gets 401 with WWW-Authenticate; missing ones are a probe, logged at debug', async () => {
    const missing = await expectRefusal(
      relay.ingestPort,
      'SOURCE /live HTTP/1.0\r\nContent-Type: audio/mpeg\r\n\r\n',
      401,
      'AUTH_PROBE',
      /credentials/,
    );
    assert.match(missing.get('www-authenticate') ?? '', /^Basic realm=/);
    assert.ok(
      relay.logs.filter((l) => l.code === 'AUTH_PROBE').every((l) => l.level === 20),
      'the probe is logged at debug',
    );
    const wrong = await expectRefusal(
      relay.ingestPort,
      `PUT /other HTTP/1.1\r\nHost: x\r\n${auth('wrong')}Content-Type: audio/mpeg\r\n\r\n`,
      401,
      'AUTH_REQUIRED',
      /credentials/,
    );
    assert.match(wrong.get('www-authenticate') ?? '', /^Basic realm=/);
  });

  test("libshout's credential-less probe with Content-Length: 0 gets a calm 401", async () => {
    await expectRefusal(
      relay.ingestPort,
      'PUT /probe HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Type: audio/mpeg\r\n\r\n',
      401,
      'AUTH_PROBE',
      /credentials/,
    );
  });

  test('a second source on a busy mount is 409', async () => {
    await expectRefusal(
      relay.ingestPort,
      `PUT /live HTTP/1.1\r\nHost: x\r\n${auth(PASSWORD)}Content-Type: audio/mpeg\r\n\r\n`,
      409,
      'MOUNT_BUSY',
      /already has a source/,
    );
  });

  test('a PUT without Content-Type is 415, while SOURCE defaults to audio/mpeg', async () => {
    await expectRefusal(
      relay.ingestPort,
      `PUT /typeless HTTP/1.1\r\nHost: x\r\n${auth(PASSWORD)}\r\n`,
      415,
      'CONTENT_TYPE_REQUIRED',
      /Content-Type/,
    );
    const legacy = await SyntheticSource.connect(relay.ingestPort, { mount: '/legacy-typeless', method: 'SOURCE' });
    const line = await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === '/legacy-typeless');
    assert.equal(line.contentType, 'audio/mpeg');
    legacy.close();
  });

  test('a request head over 8 KiB is 431', async () => {
    const big = `GET /live HTTP/1.0\r\nX-Filler: ${'a'.repeat(9000)}\r\n\r\n`;
    await expectRefusal(relay.ingestPort, big, 431, 'HEAD_TOO_LARGE', /8 KiB/);
  });

  test('a malformed request line is 400', async () => {
    await expectRefusal(relay.ingestPort, 'HELLO THERE\r\n\r\n', 400, 'BAD_REQUEST_LINE', /malformed request line/);
  });

  test('an unsupported method is 405 with Allow, on both ports', async () => {
    const uwsAllow = await expectRefusal(relay.port, 'DELETE /live HTTP/1.1\r\nHost: x\r\n\r\n', 405, 'METHOD_NOT_ALLOWED', /not allowed/);
    assert.match(uwsAllow.get('allow') ?? '', /GET/);
    const ingestAllow = await expectRefusal(
      relay.ingestPort,
      'DELETE /live HTTP/1.1\r\nHost: x\r\n\r\n',
      405,
      'METHOD_NOT_ALLOWED',
      /not allowed/,
    );
    assert.match(ingestAllow.get('allow') ?? '', /SOURCE/);
  });

  test('a head not complete within --header-timeout-ms is answered 408 and closed', async () => {
    const startedMs = performance.now();
    const res = await rawRequest(relay.ingestPort, 'SOURCE /live HTTP/1.0\r\nAuthor', 5000);
    const tookMs = performance.now() - startedMs;
    assert.equal(res.status, 408);
    assert.ok(tookMs >= 350 && tookMs < 3000, `closed after ${tookMs.toFixed(0)} ms`);
    await relay.waitForLog((l) => l.code === 'HEADER_TIMEOUT');
  });

  test('reserved paths cannot be mounts', async () => {
    for (const path of ['/metrics', '/admin/metadata', '/status-json.xsl']) {
      const res = await rawRequest(
        relay.ingestPort,
        `PUT ${path} HTTP/1.1\r\nHost: x\r\n${auth(PASSWORD)}Content-Type: audio/mpeg\r\n\r\n`,
      );
      assert.equal(res.status, 403, path);
      assert.match(res.body, /reserved/);
    }
    assert.ok((await relay.metric('relaycast_refusals_total', { code: 'MOUNT_RESERVED', status: '403' })) >= 3);
  });

  test('a full mount is 503 with Retry-After, then the whole server is', async () => {
    const extra = [new RawListener(relay.port, '/live'), new RawListener(relay.port, '/live')];
    try {
      await relay.waitForMetric('relaycast_listeners', { mount: '/live' }, (v) => v === 3, 5000);
      const mountFull = await expectRefusal(relay.port, 'GET /live HTTP/1.1\r\nHost: x\r\n\r\n', 503, 'MOUNT_FULL', /listener limit/);
      assert.equal(mountFull.get('retry-after'), '10');
      // Two more on another mount reach the global limit of 5.
      const other = await SyntheticSource.connect(relay.ingestPort, { mount: '/second' });
      other.send(50);
      extra.push(new RawListener(relay.port, '/second'), new RawListener(relay.port, '/second'));
      await relay.waitForMetric('relaycast_listeners', { mount: '/second' }, (v) => v === 2, 5000);
      const serverFull = await expectRefusal(relay.ingestPort, 'GET /second HTTP/1.0\r\n\r\n', 503, 'SERVER_FULL', /listener limit/);
      assert.equal(serverFull.get('retry-after'), '10');
      other.close();
    } finally {
      for (const l of extra) l.destroy();
    }
  });

  test('CORS preflight is answered on both ports with Icy-MetaData and Range allowed', async () => {
    for (const port of [relay.port, relay.ingestPort]) {
      const res = await rawRequest(
        port,
        'OPTIONS /live HTTP/1.1\r\nHost: x\r\nOrigin: https://player.example\r\nAccess-Control-Request-Method: GET\r\n' +
          'Access-Control-Request-Headers: icy-metadata, range\r\n\r\n',
        2000,
      );
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.match(res.headers.get('access-control-allow-headers') ?? '', /Icy-MetaData/);
      assert.match(res.headers.get('access-control-allow-headers') ?? '', /Range/);
    }
  });

  test('HEAD answers the stream headers with no body; Range: bytes=0- gets the live stream with 200', async () => {
    const head = await rawRequest(relay.port, 'HEAD /live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2000);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'audio/mpeg');
    assert.equal(head.headers.get('icy-name'), 'synthetic');
    assert.equal(head.headers.get('cache-control'), 'no-cache, no-store');
    assert.equal(head.body, '');
    const ranged = new RawListener(relay.port, '/live', { headers: { Range: 'bytes=0-' } });
    try {
      await waitFor(() => ranged.bodyBytes > 1000, 5000, 'ranged listener bytes');
      assert.equal(ranged.status, 200);
      assert.equal(ranged.headers.get('access-control-allow-origin'), '*');
    } finally {
      ranged.destroy();
    }
  });

  test('a source whose chunked body is malformed is cut, counted, and its mount is gone', async () => {
    const socket = net.connect({ port: relay.ingestPort, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    socket.resume();
    await new Promise((r) => socket.once('connect', r));
    socket.write(
      `PUT /garbage HTTP/1.1\r\nHost: x\r\n${auth(PASSWORD)}Content-Type: audio/mpeg\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
    );
    await relay.waitForLog((l) => l.code === 'BAD_CHUNK');
    await relay.waitForMetric('relaycast_refusals_total', { code: 'BAD_CHUNK', status: '400' }, (v) => v === 1, 2000);
    await waitFor(() => socket.destroyed || socket.readableEnded, 3000, 'the broken source to be cut');
    socket.destroy();
    const res = await rawRequest(relay.port, 'GET /garbage HTTP/1.1\r\nHost: x\r\n\r\n', 2000);
    assert.equal(res.status, 404);
  });

  test('a source naming a path that cannot be a mount is 400 BAD_MOUNT', async () => {
    await expectRefusal(
      relay.ingestPort,
      `PUT /bad!mount HTTP/1.1\r\nHost: x\r\n${auth(PASSWORD)}Content-Type: audio/mpeg\r\n\r\n`,
      400,
      'BAD_MOUNT',
      /mount names are/,
    );
  });

  test('a source with a Content-Length that is not a number is 400 BAD_HEADER', async () => {
    await expectRefusal(
      relay.ingestPort,
      `PUT /sized HTTP/1.1\r\nHost: x\r\n${auth(PASSWORD)}Content-Type: audio/mpeg\r\nContent-Length: lots\r\n\r\n`,
      400,
      'BAD_HEADER',
      /Content-Length "lots"/,
    );
  });

  test('a request in HTTP/2.0 or HTTP/0.9 style on the ingest port is 505', async () => {
    await expectRefusal(relay.ingestPort, 'GET /live HTTP/2.0\r\n\r\n', 505, 'VERSION_NOT_SUPPORTED', /only HTTP\/1\.x/);
    await expectRefusal(relay.ingestPort, 'GET /live RTSP/1.0\r\n\r\n', 505, 'VERSION_NOT_SUPPORTED', /only HTTP\/1\.x/);
  });

  test('a PUT with Expect: 100-continue gets "100 Continue" on the wire before its 200', async () => {
    const socket = net.connect({ port: relay.ingestPort, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    await new Promise((r) => socket.once('connect', r));
    socket.write(`PUT /expect HTTP/1.1\r\nHost: x\r\n${auth(PASSWORD)}Content-Type: audio/mpeg\r\nExpect: 100-continue\r\n\r\n`);
    let wire = '';
    socket.on('data', (c: Buffer) => (wire += c.toString('latin1')));
    try {
      await waitFor(() => /\r\n\r\n[\s\S]*\r\n\r\n/.test(wire), 3000, 'the interim and the final answer');
      assert.match(wire, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
      await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === '/expect');
    } finally {
      socket.destroy();
    }
  });

  test('a bug while answering is 500 INTERNAL on both ports, logged as an error with its stack', async () => {
    await expectRefusal(relay.port, 'GET /fault HTTP/1.1\r\nHost: x\r\n\r\n', 500, 'INTERNAL', /^internal error$/m);
    await expectRefusal(relay.ingestPort, 'GET /fault HTTP/1.0\r\n\r\n', 500, 'INTERNAL', /^internal error$/m);
    const logged = relay.logs.filter((l) => l.msg === 'unexpected error');
    assert.equal(logged.length, 2);
    for (const line of logged) {
      assert.equal(line.level, 50);
      assert.match(String((line.err as { stack?: string }).stack), /planted fault at \/fault\n\s+at /);
    }
  });

  // Last, so it covers every test above: the source kept sending throughout, and the bystander got all of it live.
  test('the bystander listener kept receiving every frame live and in order through all of it', async () => {
    const target = source.nextSerial - 1;
    await waitFor(() => (frameSerials(bystander.body()).serials.at(-1) ?? -1) >= target, 5000, `frame ${target} at the bystander`);
    const { serials } = frameSerials(bystander.body());
    for (let i = 1; i < serials.length; i++) assert.equal(serials[i], serials[i - 1] + 1, `gap after frame ${serials[i - 1]}`);
    // Every frame the source sent after the burst arrived, counted: a source gone quiet, or a bystander starved, fails here.
    const live = serials.filter((serial) => serial > burstEndSerial && serial <= target).length;
    assert.equal(live, target - burstEndSerial, 'every frame after the burst');
    // The tests above take about a second at least; at 40 frames a second that is far more than this.
    assert.ok(live >= 20, `only ${live} live frames after the burst`);
    assert.equal(bystander.closed, false);
  });
});
