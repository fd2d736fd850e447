// Issue 14, pull relays and the config file: a reload (SIGHUP) adds and
// removes relays without a restart; a relay mount's source slot is its
// pull's (a push gets 409 MOUNT_BUSY while the pull is connected); an
// https:// relay-url is refused with a clear error.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FRAME_BYTES, RawListener, rawPutSource, runTool } from './support/clients.js';
import { FakeUpstream, relayConfigYaml } from './support/fake-upstream.js';
import { CLI, RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

test('a reload adds a relay mount (it connects), then removes it (its upstream connection closes)', async (t) => {
  const upstream = await FakeUpstream.start({ burstFrames: 5 });
  t.after(() => upstream.close());
  const dir = mkdtempSync(join(tmpdir(), 'relaycast-pull-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'relaycast.yaml');
  writeFileSync(file, relayConfigYaml({ '/live': {} }));
  const relay = await RelayProcess.startFor(t, ['--config', file]);
  assert.equal(upstream.connections.length, 0);

  writeFileSync(file, relayConfigYaml({ '/live': {}, '/relay.mp3': { 'relay-url': upstream.url() } }));
  relay.child.kill('SIGHUP');
  await relay.waitForLog((l) => l.msg === 'pull connected' && l.mount === '/relay.mp3');
  assert.equal(upstream.connections.length, 1);
  const listener = new RawListener(relay.port, '/relay.mp3');
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes >= 5 * FRAME_BYTES, 10_000, 'the relay mount playing');

  writeFileSync(file, relayConfigYaml({ '/live': {} }));
  relay.child.kill('SIGHUP');
  await relay.waitForLog((l) => l.msg === 'relay mount removed' && l.mount === '/relay.mp3' && l.why === 'removed');
  await waitFor(() => upstream.open.length === 0, 5000, 'the upstream connection closed');
  assert.equal(await relay.metricSample('relaycast_pull_connected', { mount: '/relay.mp3' }), undefined, 'its series went with it');
  assert.equal(
    relay.countLogs((l) => l.code === 'UPSTREAM_FAILED'),
    0,
    'a removal is no failure',
  );
  listener.destroy();
  await relay.stop();
});

test('a push source on a relay mount whose pull is connected gets 409 MOUNT_BUSY', async (t) => {
  const upstream = await FakeUpstream.start({ burstFrames: 5 });
  t.after(() => upstream.close());
  const dir = mkdtempSync(join(tmpdir(), 'relaycast-pull-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'relaycast.yaml');
  writeFileSync(file, relayConfigYaml({ '/relay.mp3': { 'relay-url': upstream.url() } }));
  const relay = await RelayProcess.startFor(t, ['--config', file]);
  relay.expectWarnings('MOUNT_BUSY');
  await relay.waitForLog((l) => l.msg === 'pull connected');
  const socket = await rawPutSource(relay.port, '/relay.mp3', 'audio/mpeg').catch((err: Error) => err);
  assert.ok(socket instanceof Error, 'the push was refused');
  assert.match(socket.message, /409/);
  await relay.waitForLog((l) => l.code === 'MOUNT_BUSY');
  assert.equal(await relay.metric('relaycast_refusals_total', { code: 'MOUNT_BUSY', status: '409' }), 1);
  await relay.stop();
});

test('an https:// relay-url, or one in default-mount, is refused by the config check with the setting named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relaycast-pull-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'relaycast.yaml');
  writeFileSync(file, relayConfigYaml({ '/relay.mp3': { 'relay-url': 'https://example.org/live' } }));
  const result = await runTool(process.execPath, [CLI, 'config', 'check', file]);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr + result.stdout, /relay-url/);
  // An upstream is one mount's: default-mount takes on-demand settings but no relay-url.
  writeFileSync(file, JSON.stringify({ 'default-mount': { 'relay-url': 'http://example.org/live', 'on-demand': true } }));
  const shared = await runTool(process.execPath, [CLI, 'config', 'check', file]);
  assert.notEqual(shared.code, 0);
  assert.match(shared.stderr + shared.stdout, /default-mount.*relay-url|relay-url.*default-mount/);
  writeFileSync(file, JSON.stringify({ 'default-mount': { 'on-demand': true, 'on-demand-idle-ms': 5000 } }));
  assert.equal((await runTool(process.execPath, [CLI, 'config', 'check', file])).code, 0);
});
