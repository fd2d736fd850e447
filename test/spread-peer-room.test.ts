// Issue 14, item 3: how a peer's status JSON becomes its room, and which
// --peer values are accepted (a base URL and nothing else: the listener's
// own path and query are appended to it in every Location).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readPeerReport, roomOf } from '../relay/cluster/peer-room.js';
import { buildConfig } from '../relay/config.js';

const report = (server: Record<string, unknown>) => readPeerReport({ server: { name: 'relaycast', ...server }, mounts: [] });

test("a peer's room is its lower limit less its listeners; none without limits is unbounded; a draining peer has none", () => {
  assert.equal(roomOf(report({ listeners: 8, maxListeners: 10, redirectOver: 0, draining: false })), 2);
  assert.equal(roomOf(report({ listeners: 5, maxListeners: 100, redirectOver: 20, draining: false })), 15);
  assert.equal(roomOf(report({ listeners: 30, maxListeners: 100, redirectOver: 20, draining: false })), 0);
  assert.equal(roomOf(report({ listeners: 12, maxListeners: 10, redirectOver: 0, draining: false })), 0, 'never negative');
  assert.equal(roomOf(report({ listeners: 9999, maxListeners: 0, redirectOver: 0, draining: false })), Infinity);
  assert.equal(roomOf(report({ listeners: 0, maxListeners: 0, redirectOver: 0, draining: true })), 0);
});

test('a status JSON without the server fields of room is refused with what is missing', () => {
  assert.throws(() => readPeerReport({ icestats: {} }), /no "server" object/);
  assert.throws(() => report({ listeners: 1, maxListeners: 10, redirectOver: 0 }), /server\.draining is not a boolean/);
  assert.throws(() => report({ listeners: -1, maxListeners: 10, redirectOver: 0, draining: false }), /server\.listeners is not a count/);
  assert.throws(
    () => report({ listeners: 1, maxListeners: '10', redirectOver: 0, draining: false }),
    /server\.maxListeners is not a count/,
  );
});

test('--peer takes a base URL (a trailing slash is dropped) and refuses paths, queries, credentials and other schemes', () => {
  assert.deepEqual(buildConfig({ peers: ['http://10.0.0.2:8000/', 'https://edge.example.org'] }).peers, [
    'http://10.0.0.2:8000',
    'https://edge.example.org',
  ]);
  for (const bad of [
    '10.0.0.2:8000',
    'ftp://10.0.0.2',
    'http://10.0.0.2:8000/live',
    'http://a:b@10.0.0.2',
    'http://10.0.0.2/?x=1',
    'nonsense',
  ]) {
    assert.throws(() => buildConfig({ peers: [bad] }), /--peer .* use a base URL like http:\/\/10\.0\.0\.2:8000/, bad);
  }
});
