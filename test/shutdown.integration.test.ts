// What a client meets while the relay shuts down (SIGTERM): the listening
// sockets are closed at once, but a connection the uWS port (--uws-port)
// already holds is still answered (the front door answers one request per
// connection, so it holds none), and a stream request on it is refused
// with SHUTTING_DOWN, logged and counted like every other refusal.

import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { RelayProcess, metricValue } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

/** A keep-alive connection that sends one request at a time and reads each Content-Length answer. */
class KeepAliveConnection {
  private readonly socket: net.Socket;
  private text = '';

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => (this.text += c.toString('latin1')));
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<KeepAliveConnection> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    await new Promise((resolve) => socket.once('connect', resolve));
    return new KeepAliveConnection(socket);
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    this.text = '';
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const answer = await waitFor(
      () => {
        const end = this.text.indexOf('\r\n\r\n');
        const length = /\r\ncontent-length: *(\d+)/i.exec(this.text.slice(0, end));
        if (end < 0 || !length || this.text.length < end + 4 + Number(length[1])) return undefined;
        return { status: Number(this.text.split(' ')[1]), body: this.text.slice(end + 4, end + 4 + Number(length[1])) };
      },
      3000,
      `the answer to GET ${path}`,
    );
    return answer;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

test('a stream request on a held connection while the relay shuts down is 503 SHUTTING_DOWN, logged and counted', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--uws-port', '0', '--metrics-host', '127.0.0.1', '--metrics-port', '0']);
  relay.expectWarnings('SHUTTING_DOWN');
  const metricsPort = (await relay.waitForLog((l) => l.msg === 'relay ready')).metricsPort as number;
  // A peer on the front door that never finishes its request head holds the shutdown open for
  // relay-server.ts's linger (250 ms; sources no longer can: they are destroyed at shutdown),
  // and the held uWS connection asks in that time.
  const stubborn = net.connect({ port: relay.port, host: '127.0.0.1', allowHalfOpen: true });
  stubborn.on('error', () => undefined);
  stubborn.resume();
  t.after(() => stubborn.destroy());
  await new Promise((resolve) => stubborn.once('connect', resolve));
  stubborn.write('GET /listen HTTP/1.0\r\nUser-Agent: slow');
  const held = await KeepAliveConnection.open(relay.uwsPort);
  t.after(() => held.destroy());
  assert.equal((await held.get('/healthz')).status, 200, 'the connection is open and kept alive');

  // Read once before the signal: the count before, and fetch is ready to ask again at once.
  const scrape = async () =>
    metricValue(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(), 'relaycast_refusals_total', {
      code: 'SHUTTING_DOWN',
      status: '503',
    });
  assert.equal(await scrape(), 0);

  relay.child.kill('SIGTERM');
  await relay.waitForLog((l) => l.msg === 'shutting down');
  const refused = await held.get('/live');
  assert.equal(refused.status, 503);
  assert.equal(refused.body, 'server is shutting down\n');
  // The counter is incremented with the log line (relay/api/refusals.ts), so it is read before waiting for the line.
  assert.equal(await scrape(), 1);
  await relay.waitForLog((l) => l.code === 'SHUTTING_DOWN' && l.status === 503);

  // Let the shutdown finish: it completes cleanly (checked by stop()).
  stubborn.destroy();
  held.destroy();
  await waitFor(() => relay.exitCode !== null, 4000, 'the relay to exit');
});
