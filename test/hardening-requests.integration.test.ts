// Issue 10, items 1, 4 and 8, sent through real sockets: header injection
// from a source (ingest port and SHOUTcast port) and at the listener port,
// secrets in refusal logs and bodies, and the parser's strictness (RFC 9112
// where it and Icecast agree). Meanwhile listeners on both ports keep an
// untouched response head.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { RawListener, SyntheticSource, frameSerials, rawRequest } from './support/clients.js';
import { ShoutcastV1Source } from './support/icy-clients.js';
import { PASSWORD, RelayProcess, TEST_SECRETS } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const ATTACK = 'audio/mpeg\rX-Injected: yes\rSet-Cookie: a=b';
const ADMIN_PW = 'hardening-admin-pw';
const WRONG_PW = 'hardening-wrong-guess';
TEST_SECRETS.add(ADMIN_PW);
TEST_SECRETS.add(WRONG_PW);
const basic = (user: string, pw: string) => `Authorization: Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}\r\n`;

describe('hostile requests', () => {
  let relay: RelayProcess;
  let source: SyntheticSource;
  let onUws: RawListener;
  let onSocket: RawListener;

  before(async () => {
    relay = await RelayProcess.start(['--shoutcast-port', '0', '--shoutcast-mount', '/sc', '--admin-password', ADMIN_PW]);
    // Every refusal here is an attack sent on purpose; anything else at warn fails the relay's stop().
    relay.expectWarnings(
      'BAD_HEADER',
      'MOUNT_NOT_FOUND',
      'ADMIN_AUTH_REQUIRED',
      'AUTH_REQUIRED',
      'BAD_MOUNT',
      'BAD_REQUEST_LINE',
      'VERSION_NOT_SUPPORTED',
      'LISTENER_NOT_FOUND',
    );
    source = await SyntheticSource.connect(relay.ingestPort, { mount: '/live' });
    source.send(100);
    source.pace(40);
    onUws = new RawListener(relay.port, '/live');
    onSocket = new RawListener(relay.ingestPort, '/live', { http10: true });
    await waitFor(() => onUws.bodyBytes > 0 && onSocket.bodyBytes > 0, 5000, 'listener bytes');
  });

  after(async () => {
    onUws.destroy();
    onSocket.destroy();
    source.close();
    await relay.stop();
  });

  /** Status, one-line body, nosniff, a log line with the code, the counter. */
  async function refused(port: number, request: string | Buffer, status: number, code: string) {
    const before = await relay.metric('relaycast_refusals_total', { code, status: String(status) });
    const logged = relay.countLogs((l) => l.code === code);
    const res = await rawRequest(port, request);
    assert.equal(res.status, status, `${res.statusLine} ${res.body}`);
    assert.equal(res.body.trim().split('\n').length, 1, 'a one-line reason');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    await waitFor(() => relay.countLogs((l) => l.code === code) > logged, 5000, `${code} logged`);
    await waitFor(
      async () => (await relay.metric('relaycast_refusals_total', { code, status: String(status) })) === before + 1,
      2000,
      `${code} counted`,
    );
    return res;
  }

  function assertCleanHeads(): void {
    for (const l of [onUws, onSocket]) {
      assert.equal(l.status, 200);
      assert.equal(l.headers.get('content-type'), 'audio/mpeg');
      assert.ok(!l.headers.has('x-injected') && !l.headers.has('set-cookie'), [...l.headers.keys()].join(','));
    }
  }

  test('the exact injection in a PUT source is refused 400 BAD_HEADER; new listeners on both ports get no injected header', async () => {
    const res = await refused(
      relay.ingestPort,
      `PUT /injected HTTP/1.1\r\nHost: x\r\n${basic('source', PASSWORD)}Content-Type: ${ATTACK}\r\n\r\n`,
      400,
      'BAD_HEADER',
    );
    assert.doesNotMatch(res.body, /Injected|Cookie/);
    assert.equal((await rawRequest(relay.port, 'GET /injected HTTP/1.1\r\nHost: x\r\n\r\n')).status, 404, 'no mount was made');
    // A Content-Type without a CR that still is not a media type cannot reach a header either.
    await refused(
      relay.ingestPort,
      `SOURCE /spaced HTTP/1.0\r\n${basic('source', PASSWORD)}Content-Type: audio/mpeg X-Injected: yes\r\n\r\n`,
      400,
      'BAD_HEADER',
    );
    const late = new RawListener(relay.port, '/live');
    const lateSocket = new RawListener(relay.ingestPort, '/live', { http10: true });
    try {
      await waitFor(() => late.status === 200 && lateSocket.status === 200, 5000, 'late listeners');
      for (const l of [late, lateSocket]) assert.ok(!l.headers.has('x-injected') && !l.headers.has('set-cookie'));
    } finally {
      late.destroy();
      lateSocket.destroy();
    }
    assertCleanHeads();
  });

  test('the exact injection from a SHOUTcast v1 source is refused BAD_HEADER and makes no mount', async () => {
    const logged = relay.countLogs((l) => l.code === 'BAD_HEADER');
    const sc = new ShoutcastV1Source(relay.shoutcastPort, `${PASSWORD}\r\n`, ['icy-name:x', `content-type:${ATTACK}`]);
    try {
      await waitFor(() => sc.closed, 5000, 'the SHOUTcast source hung up on');
      assert.match(sc.response, /malformed header line/);
      await waitFor(() => relay.countLogs((l) => l.code === 'BAD_HEADER') > logged, 5000, 'BAD_HEADER logged');
      assert.equal((await rawRequest(relay.port, 'GET /sc HTTP/1.1\r\nHost: x\r\n\r\n')).status, 404);
    } finally {
      sc.socket.destroy();
    }
  });

  test('the exact injection sent to the listener port as a request header gets no 200 and injects nothing', async () => {
    for (const port of [relay.port, relay.ingestPort]) {
      const res = await rawRequest(port, `GET /live HTTP/1.1\r\nHost: x\r\nX-Type: ${ATTACK}\r\n\r\n`, 3000).catch(() => undefined);
      if (res) {
        assert.notEqual(res.status, 200, `port ${port}`);
        assert.ok(!res.headers.has('x-injected') && !res.headers.has('set-cookie'));
      }
    }
    assertCleanHeads();
  });

  test('a title with CR, LF and a cookie line changes no header and breaks no block', async () => {
    const res = await rawRequest(
      relay.ingestPort,
      `GET /admin/metadata?mount=/live&mode=updinfo&song=a%0D%0ASet-Cookie:%20a=b%0DX-Injected:%20yes HTTP/1.0\r\n${basic('admin', ADMIN_PW)}\r\n`,
    );
    assert.equal(res.status, 200);
    const changed = await relay.waitForLog((l) => l.msg === 'title changed' && String(l.title).includes('Set-Cookie'));
    assert.doesNotMatch(String(changed.title), /[\r\n]/);
    const late = new RawListener(relay.port, '/live', { headers: { 'Icy-MetaData': '1' } });
    try {
      await waitFor(() => late.status === 200, 5000, 'ICY listener');
      assert.ok(!late.headers.has('x-injected') && !late.headers.has('set-cookie'));
    } finally {
      late.destroy();
    }
  });

  test('no password, Authorization value or pass= value reaches a refusal body or the log, on any port', async () => {
    const requests: Array<[number, string]> = [
      // The known leak: a SHOUTcast title before the stream is up (right password, no mount yet).
      [relay.ingestPort, `GET /admin.cgi?pass=${PASSWORD}&mode=updinfo&song=x&mount=/notyet HTTP/1.0\r\n\r\n`],
      [relay.port, `GET /admin.cgi?pass=${PASSWORD}&mode=updinfo&song=x&mount=/notyet HTTP/1.1\r\nHost: x\r\n\r\n`],
      [relay.ingestPort, `GET /admin.cgi?mode=updinfo&pass=${WRONG_PW}&song=x HTTP/1.0\r\n\r\n`],
      [relay.port, `GET /admin/metadata?mount=/nope&mode=updinfo&song=x HTTP/1.1\r\nHost: x\r\n${basic('admin', ADMIN_PW)}\r\n`],
      [relay.port, `GET /admin/listeners HTTP/1.1\r\nHost: x\r\n${basic('admin', WRONG_PW)}\r\n`],
      [relay.ingestPort, `PUT /x HTTP/1.1\r\n${basic('source', WRONG_PW)}Content-Type: audio/mpeg\r\n\r\n`],
      [relay.ingestPort, `PUT /bad%20name?pass=${PASSWORD} HTTP/1.1\r\n${basic('source', PASSWORD)}Content-Type: audio/mpeg\r\n\r\n`],
      // Broken heads that carry a credential: the refusal names the line, never its value.
      [relay.ingestPort, `GET /x?pass=${PASSWORD} HTTP/1.1 extra\r\n\r\n`],
      [relay.ingestPort, `GET /x?pass=${PASSWORD} HTTP/9.9\r\n\r\n`],
      [relay.ingestPort, `PUT /x HTTP/1.1\r\nAuthorization: Basic ${Buffer.from(`source:${PASSWORD}`).toString('base64')}\r\r\n\r\n`],
      [relay.ingestPort, `PUT /x HTTP/1.1\r\nAuthorization Basic ${Buffer.from(`source:${PASSWORD}`).toString('base64')}\r\n\r\n`],
    ];
    const refusalsBefore = relay.logs.length;
    for (const [port, request] of requests) {
      const res = await rawRequest(port, request, 3000);
      assert.ok(res.status >= 400, `${request.split('\r\n')[0]}: ${res.status}`);
      for (const pw of [PASSWORD, ADMIN_PW, WRONG_PW]) {
        assert.ok(!res.body.includes(pw), `body of ${request.split('\r\n')[0]} holds a password: ${res.body}`);
        assert.ok(!res.body.includes(Buffer.from(`source:${pw}`).toString('base64')));
      }
    }
    await waitFor(() => relay.logs.length >= refusalsBefore + 8, 5000, 'the refusal log lines');
    const leak = relay.logs.find((l) => /hunter|test-pw|hardening-(admin|wrong)/.test(JSON.stringify(l)));
    assert.equal(leak, undefined, JSON.stringify(leak));
    assert.ok(
      relay.logs.some((l) => String(l.target).includes('pass=***')),
      'the target is logged, redacted',
    );
  });

  test('Content-Length must be 1*DIGIT of at most 15 digits', async () => {
    for (const value of ['0x10', '1e3', '+20', '', '1'.repeat(23), '1'.repeat(16), '5, 6']) {
      await refused(
        relay.ingestPort,
        `PUT /cl HTTP/1.1\r\nHost: x\r\n${basic('source', PASSWORD)}Content-Type: audio/mpeg\r\nContent-Length: ${value}\r\n\r\n`,
        400,
        'BAD_HEADER',
      );
    }
  });

  test('a head that ends in \\n\\r\\n is answered at once, not after the header timeout', async () => {
    const res = await rawRequest(relay.ingestPort, 'GET /status.json HTTP/1.0\r\nUser-Agent: t\n\r\n', 3000);
    assert.equal(res.status, 200);
  });

  test('OPTIONS on the ingest port answers HTTP/1.0 to ICE/1.0, never ICE/1.0', async () => {
    const res = await rawRequest(relay.ingestPort, 'OPTIONS /live ICE/1.0\r\n\r\n');
    assert.equal(res.statusLine, 'HTTP/1.0 204 No Content');
  });

  test('Expect: 100-continuefoo gets no 100 Continue; Expect: 100-Continue does', async () => {
    const answer = async (expect: string, mount: string) => {
      const socket = net.connect({ port: relay.ingestPort, host: '127.0.0.1' });
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
      socket.write(`PUT ${mount} HTTP/1.1\r\nHost: x\r\n${basic('source', PASSWORD)}Content-Type: audio/mpeg\r\nExpect: ${expect}\r\n\r\n`);
      await waitFor(() => text.includes('200 OK'), 5000, 'the 200');
      socket.destroy();
      return text;
    };
    assert.doesNotMatch(await answer('100-continuefoo', '/expect1'), /100 Continue/);
    assert.match(await answer('100-Continue', '/expect2'), /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  });

  test('a chunk size with leading zeros past 8 digits is accepted, and its bytes reach a listener', async () => {
    const socket = net.connect({ port: relay.ingestPort, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    socket.write(
      `PUT /zeros HTTP/1.1\r\nHost: x\r\n${basic('source', PASSWORD)}Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    try {
      await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === '/zeros');
      socket.write(`0000000000010\r\n${'z'.repeat(16)}\r\n`);
      await relay.waitForMetric('relaycast_source_received_bytes_total', { mount: '/zeros' }, (v) => v === 16, 5000);
      assert.equal(
        relay.countLogs((l) => l.code === 'BAD_CHUNK'),
        0,
      );
    } finally {
      socket.destroy();
    }
  });

  test('killclient id=0x1 (or 1e0, or " 1") is refused and kills nobody', async () => {
    const listeners = async () =>
      (
        JSON.parse(
          (await rawRequest(relay.ingestPort, `GET /admin/listeners?mount=/live HTTP/1.0\r\n${basic('admin', ADMIN_PW)}\r\n`)).body,
        ) as { listeners: Array<{ id: number }> }
      ).listeners;
    const before = (await listeners()).map((l) => l.id).sort();
    for (const id of ['0x1', '1e0', '%201', '01.0', '', '1x']) {
      await refused(
        relay.ingestPort,
        `GET /admin/killclient?mount=/live&id=${id} HTTP/1.0\r\n${basic('admin', ADMIN_PW)}\r\n`,
        404,
        'LISTENER_NOT_FOUND',
      );
    }
    assert.deepEqual((await listeners()).map((l) => l.id).sort(), before);
  });

  test('a refusal echoes at most a short part of a long URI, with nosniff, on both ports', async () => {
    const long = `/${'a'.repeat(60_000)}<script>`;
    const onIngest = await rawRequest(relay.ingestPort, `GET ${long.slice(0, 8000)} HTTP/1.0\r\n\r\n`);
    assert.equal(onIngest.status, 404);
    const onUwsPort = await rawRequest(relay.port, `GET ${long.slice(0, 4000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    for (const res of [onIngest, onUwsPort]) {
      assert.ok(res.body.length < 300, `${res.body.length} bytes of body`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    }
  });

  test('the listeners on both ports were never disturbed: contiguous frames, clean heads', () => {
    assertCleanHeads();
    for (const l of [onUws, onSocket]) {
      const { serials } = frameSerials(l.body().subarray(0, l.body().length - (l.body().length % 417)));
      for (let i = 1; i < serials.length; i++) assert.equal(serials[i], serials[i - 1] + 1, `gap after ${serials[i - 1]}`);
      assert.equal(l.closed, false);
    }
  });
});
