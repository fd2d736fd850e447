// Per-listener detail for operators: /admin/listeners lists each listener
// with its address, user agent, time connected, bytes sent, lag and whether
// it waits on its socket; /admin/killclient ends one with reason `admin`.
// Admin credentials only; X-Forwarded-For counts only with --trust-proxy.

import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { RawListener, SyntheticSource, rawRequest } from './support/clients.js';
import { PASSWORD, RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const ADMIN_PW = 'admin-secret';
const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

interface Detail {
  id: number;
  mount: string;
  address: string;
  userAgent: string;
  transport: string;
  connectedSeconds: number;
  sentBytes: number;
  lagBytes: number;
  waitingOnSocket: boolean;
}

/** A listener behind a PROXY protocol v2 proxy (as HAProxy sends it) that says the client is `ipv4`. */
function proxiedListener(port: number, ipv4: string): net.Socket {
  const header = Buffer.alloc(28);
  Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1').copy(header, 0);
  header.set([0x21, 0x11, 0x00, 12], 12); // v2 PROXY, TCP over IPv4, 12 address bytes
  header.set(ipv4.split('.').map(Number), 16);
  header.set([127, 0, 0, 1], 20);
  header.writeUInt16BE(40000, 24);
  header.writeUInt16BE(port, 26);
  const socket = net.connect({ port, host: '127.0.0.1' }, () => {
    socket.write(Buffer.concat([header, Buffer.from('GET /listen HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')]));
  });
  socket.on('data', () => undefined).on('error', () => undefined);
  return socket;
}

async function listenersOf(relay: RelayProcess, query: string): Promise<Detail[]> {
  const res = await fetch(`${relay.listenUrl}/admin/listeners${query}`, { headers: { Authorization: basic('admin', ADMIN_PW) } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { listeners: Detail[] }).listeners;
}

test('/admin/listeners shows each listener to the admin only, and killclient ends one with reason admin', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--admin-password', ADMIN_PW, '--uws-port', '0']);
  relay.expectWarnings('ADMIN_AUTH_REQUIRED', 'MOUNT_NOT_FOUND', 'LISTENER_NOT_FOUND');
  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  source.send(50);
  source.pace(40);
  const web = new RawListener(relay.uwsPort, '/listen', { headers: { 'User-Agent': 'TestPlayer/1.0', 'X-Forwarded-For': '203.0.113.9' } });
  const old = new RawListener(relay.port, '/listen', { http10: true, headers: { 'User-Agent': 'mpg123/1.31' } });
  t.after(() => {
    for (const l of [web, old]) l.destroy();
  });
  await waitFor(() => web.bodyBytes > 0 && old.bodyBytes > 0, 5000, 'both listeners receiving');

  // No credentials, a source's credentials, a wrong password: refused, with a Basic challenge.
  for (const auth of [undefined, basic('source', PASSWORD), basic('admin', 'wrong')]) {
    const res = await fetch(`${relay.listenUrl}/admin/listeners?mount=/listen`, { headers: auth ? { Authorization: auth } : {} });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /);
    assert.match(await res.text(), /admin credentials/);
  }
  assert.equal(await relay.metric('relaycast_refusals_total', { code: 'ADMIN_AUTH_REQUIRED', status: '401' }), 3);

  const details = await listenersOf(relay, '?mount=/listen');
  assert.equal(details.length, 2);
  const w = details.find((d) => d.transport === 'uws')!;
  const o = details.find((d) => d.transport === 'socket')!;
  assert.equal(w.userAgent, 'TestPlayer/1.0');
  assert.equal(w.address, '127.0.0.1', 'X-Forwarded-For is ignored without --trust-proxy');
  assert.equal(o.userAgent, 'mpg123/1.31');
  assert.match(o.address, /^127\.0\.0\.1:\d+$/);
  for (const d of details) {
    assert.equal(d.mount, '/listen');
    assert.ok(d.sentBytes > 0 && d.sentBytes <= source.nextSerial * 417);
    assert.ok(d.lagBytes >= 0 && d.lagBytes < 65536, `lag ${d.lagBytes}`);
    assert.ok(d.connectedSeconds >= 0 && d.connectedSeconds < 30);
    assert.equal(d.waitingOnSocket, false);
  }
  assert.deepEqual((await listenersOf(relay, '')).map((d) => d.id).sort(), details.map((d) => d.id).sort(), 'no mount: every mount');
  const missing = await fetch(`${relay.listenUrl}/admin/listeners?mount=/nope`, { headers: { Authorization: basic('admin', ADMIN_PW) } });
  assert.equal(missing.status, 404);

  // killclient, on the ingest port as an HTTP/1.0 script would call it.
  const kill = await rawRequest(
    relay.ingestPort,
    `GET /admin/killclient?mount=/listen&id=${w.id} HTTP/1.0\r\nAuthorization: ${basic('admin', ADMIN_PW)}\r\n\r\n`,
  );
  assert.equal(kill.status, 200, kill.body);
  assert.match(kill.body, new RegExp(`<message>Client ${w.id} removed</message><return>1</return>`));
  // A clean end of stream (the chunked terminator), so the player stops instead of reporting an error.
  await waitFor(() => web.cleanEnd, 5000, 'the killed listener to see its stream end');
  assert.equal(old.closed, false);
  assert.equal(await relay.metric('relaycast_listener_disconnects_total', { mount: '/listen', reason: 'admin' }), 1);
  assert.deepEqual(
    (await listenersOf(relay, '?mount=/listen')).map((d) => d.id),
    [o.id],
  );
  const again = await fetch(`${relay.listenUrl}/admin/killclient?mount=/listen&id=${w.id}`, {
    headers: { Authorization: basic('admin', ADMIN_PW) },
  });
  assert.equal(again.status, 404);
  assert.match(await again.text(), /no such listener/);
  await relay.waitForLog((l) => l.msg === 'listener disconnected' && l.reason === 'admin' && l.listener === w.id);
});

test('without --trust-proxy a PROXY protocol header does not change the address', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--admin-password', ADMIN_PW, '--uws-port', '0']);
  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  source.send(20);
  const proxied = proxiedListener(relay.uwsPort, '192.0.2.44');
  t.after(() => proxied.destroy());
  await waitFor(async () => (await listenersOf(relay, '?mount=/listen')).length === 1, 5000, 'the listener');
  assert.equal((await listenersOf(relay, '?mount=/listen'))[0].address, '127.0.0.1');
});

test('with --trust-proxy the address comes from PROXY protocol v2 (--uws-port) or the last X-Forwarded-For entry', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--admin-password', ADMIN_PW, '--trust-proxy', '--uws-port', '0']);
  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  source.send(20);
  const web = new RawListener(relay.uwsPort, '/listen', { headers: { 'X-Forwarded-For': '198.51.100.7, 203.0.113.9' } });
  const old = new RawListener(relay.port, '/listen', { http10: true, headers: { 'X-Forwarded-For': '2001:db8::1' } });
  const bogus = new RawListener(relay.uwsPort, '/listen', { headers: { 'X-Forwarded-For': '<script>' } });
  const proxied = proxiedListener(relay.uwsPort, '192.0.2.44');
  t.after(() => {
    for (const l of [web, old, bogus]) l.destroy();
  });
  t.after(() => proxied.destroy());
  await waitFor(() => [web, old, bogus].every((l) => l.bodyBytes > 0), 5000, 'three listeners receiving');
  await waitFor(async () => (await listenersOf(relay, '?mount=/listen')).length === 4, 5000, 'the proxied listener too');
  const addresses = (await listenersOf(relay, '?mount=/listen')).map((d) => d.address).sort();
  assert.deepEqual(addresses, ['127.0.0.1', '192.0.2.44', '2001:db8::1', '203.0.113.9']);
});
