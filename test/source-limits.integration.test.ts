// Source-side protocol and timing rules through real sockets: ICE/1.0
// request lines, the idle source timeout, and the listening-time limit.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawListener, SyntheticSource } from './support/clients.js';
import { RelayProcess } from './support/relay-process.js';
import { liveMount } from './support/live-mount.js';
import { waitFor } from './support/wait.js';

test('a SOURCE with an ICE/1.0 request line is accepted and heard', async (t) => {
  const relay = await RelayProcess.startFor(t);
  const source = await SyntheticSource.connect(relay.ingestPort, { method: 'SOURCE', version: 'ICE/1.0', mount: '/ice' });
  t.after(() => source.close());
  assert.match(source.response, /^HTTP\/1\.0 200 OK\r\n/);
  const connected = await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === '/ice');
  assert.equal(connected.version, 'ICE/1.0');
  source.send(40);
  const listener = new RawListener(relay.port, '/ice');
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes >= 39 * 417, 5000, 'the frames');
});

test('a source that sends nothing for --source-timeout-ms is dropped and counted', async (t) => {
  const { relay, source, listener } = await liveMount(t, ['--source-timeout-ms', '600', '--source-grace-ms', '0'], { frames: 20 });
  relay.expectWarnings('SOURCE_TIMEOUT');
  const quietSinceMs = performance.now();
  await relay.waitForLog((l) => l.code === 'SOURCE_TIMEOUT', 5000);
  const waitedMs = performance.now() - quietSinceMs;
  assert.ok(waitedMs >= 450, `dropped after ${waitedMs.toFixed(0)} ms of silence`);
  await waitFor(() => source.socket.destroyed || source.socket.readableEnded, 3000, 'the source socket to close');
  await waitFor(() => listener.cleanEnd, 3000, "the listener's clean end");
  assert.equal(await relay.metric('relaycast_refusals_total', { code: 'SOURCE_TIMEOUT', status: '408' }), 1);
  // With no grace the mount went with its source, and its series with it.
  assert.equal(await relay.metricSample('relaycast_source_connected', { mount: '/listen' }), undefined);
});

test('--max-listen-seconds ends a listener with reason limit', async (t) => {
  const { relay, listener } = await liveMount(t, ['--max-listen-seconds', '1'], { frames: 20, framesPerSecond: 40 });
  // Limits are enforced by the 5 s sampler, so the end comes within about 6 s.
  await waitFor(() => listener.cleanEnd, 8000, 'the end of the allowed time');
  const line = await relay.waitForLog((l) => l.msg === 'listener disconnected');
  assert.equal(line.reason, 'limit');
  assert.ok((line.seconds as number) >= 1);
  assert.equal(await relay.metric('relaycast_listener_disconnects_total', { mount: '/listen', reason: 'limit' }), 1);
});
