// What the spread and drain tests share: the four-part refusal check
// (status, one-line body, log code, counter) for a listener request, and a
// stand-in peer, an HTTP server whose /status.json says whatever the test
// sets and which counts how often it was asked (so a test can wait for a
// relay's next peer checks instead of sleeping).

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { rawRequest } from './clients.js';
import type { RelayProcess } from './relay-process.js';
import { waitFor } from './wait.js';

/** Asserts a GET of `path` on `port` is refused with `code`: status, one-line body, its log line, its counter. */
export function assertListenerRefused(relay: RelayProcess, port: number, path: string, expected: ExpectedRefusal): Promise<void> {
  return assertRefused(relay, port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, expected);
}

export interface ExpectedRefusal {
  code: string;
  status: number;
  body: RegExp;
}

/** Asserts the raw `request` on `port` is refused with `code`: status, one-line body, its log line, its counter. */
export async function assertRefused(relay: RelayProcess, port: number, request: string, expected: ExpectedRefusal): Promise<void> {
  const labels = { code: expected.code, status: String(expected.status) };
  const before = await relay.metric('relaycast_refusals_total', labels);
  const logged = relay.countLogs((l) => l.code === expected.code);
  const res = await rawRequest(port, request);
  assert.equal(res.status, expected.status, `${expected.code}: status`);
  assert.match(res.body, /^[^\n]+\n$/, `${expected.code}: a one-line body`);
  assert.match(res.body, expected.body);
  await waitFor(() => relay.countLogs((l) => l.code === expected.code) > logged, 5000, `a ${expected.code} log line`);
  assert.equal(await relay.metric('relaycast_refusals_total', labels), before + 1, `${expected.code}: counted once`);
}

export interface FakePeer {
  readonly url: string;
  /** The server fields its /status.json answers with. */
  server: { listeners: number; maxListeners: number; redirectOver: number; draining: boolean };
  /** Times its /status.json was read. */
  checks: number;
  /** Resolves once it has been read `n` more times than now. */
  nextChecks(n: number): Promise<void>;
}

export async function fakePeer(t: TestContext, server: FakePeer['server']): Promise<FakePeer> {
  const peer = { url: '', server, checks: 0 } as FakePeer;
  const httpServer = http.createServer((req, res) => {
    if (req.url !== '/status.json') {
      res.writeHead(404).end();
      return;
    }
    peer.checks++;
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ server: { name: 'relaycast', ...peer.server }, mounts: [] }));
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => httpServer.close(() => resolve())));
  t.after(() => httpServer.closeAllConnections());
  peer.nextChecks = (n) => {
    const target = peer.checks + n;
    return waitFor(() => peer.checks >= target, 10_000, `${n} more peer checks`).then(() => undefined);
  };
  Object.defineProperty(peer, 'url', { value: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` });
  return peer;
}
