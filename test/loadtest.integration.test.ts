// `relaycast loadtest` against a real relay: its JSON report says what the
// listeners really got, and bad arguments exit 2.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTool } from './support/clients.js';
import { liveMount } from './support/live-mount.js';
import { CLI } from './support/relay-process.js';

test('relaycast loadtest reports every listener connected, at the stream rate, with an instant first byte', async (t) => {
  // Real time at 128 kbps is 38.28 frames per second; 300 frames first fill the burst.
  const { relay } = await liveMount(t, [], { frames: 300, framesPerSecond: 38.28 });
  const run = await runTool(
    process.execPath,
    [CLI, 'loadtest', '--url', `${relay.listenUrl}/listen`, '--listeners', '20', '--duration', '8', '--ramp', '100', '--json'],
    30_000,
  );
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as {
    connected: number;
    failed: number;
    firstByteMs: { p99: number };
    steady: { deliveredKbps: { min: number }; belowBitrate: number } | null;
    serverClosed: { total: number };
    bodyBytes: number;
  };
  assert.equal(report.connected, 20);
  assert.equal(report.failed, 0);
  assert.ok(report.firstByteMs.p99 < 500, `first byte p99 ${report.firstByteMs.p99} ms`);
  assert.ok(report.steady, 'the run had a steady window');
  assert.equal(report.steady.belowBitrate, 0);
  assert.ok(report.steady.deliveredKbps.min > 120, `min ${report.steady.deliveredKbps.min} kbit/s`);
  assert.equal(report.serverClosed.total, 0);
  // What the relay says it sent matches what the tool says it received (within the burst in flight).
  const sent = await relay.metric('relaycast_listener_sent_bytes_total', { mount: '/listen' });
  assert.ok(Math.abs(sent - report.bodyBytes) < 20 * 20_000, `relay sent ${sent}, tool received ${report.bodyBytes}`);
  assert.equal(await relay.metric('relaycast_listener_connects_total', { mount: '/listen' }), 21);
});

test('relaycast loadtest refuses a bad argument with exit 2', async () => {
  const run = await runTool(process.execPath, [CLI, 'loadtest', '--url', 'http://127.0.0.1:1/x', '--listeners', '0', '--duration', '5']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--listeners/);
});
