// /metrics is valid Prometheus text (promtool agrees) and its values match
// what the test did: listeners connected, disconnects by reason, bursts,
// byte counters (exact), and the sampled series once a sample has run.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { FRAME_BYTES, RawListener, SyntheticSource, requireTool } from './support/clients.js';
import { RelayProcess, metricSample, metricValue } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

test('promtool accepts /metrics, and listener counts, disconnect reasons, bursts and byte counters match what happened', async (t) => {
  const relay = await RelayProcess.startFor(t);
  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  // 100 frames fit in one burst: each listener starts at the first byte, so every count below is exact.
  source.send(100);
  const listeners = [0, 1, 2].map(() => new RawListener(relay.port, '/listen'));
  listeners.push(new RawListener(relay.ingestPort, '/listen', { http10: true }));
  t.after(() => {
    for (const l of listeners) l.destroy();
  });
  await waitFor(() => listeners.every((l) => l.bodyBytes === 100 * FRAME_BYTES), 5000, 'four listeners holding every byte');

  const mount = { mount: '/listen' };
  assert.equal(await relay.metric('relaycast_listeners', mount), 4);
  assert.equal(await relay.metric('relaycast_listener_connects_total', mount), 4);
  const burst = await relay.metrics();
  assert.equal(metricValue(burst, 'relaycast_listener_burst_bytes_count', mount), 4, 'one burst per listener');
  assert.equal(metricValue(burst, 'relaycast_listener_burst_bytes_sum', mount), 4 * 100 * FRAME_BYTES, 'each burst was the whole ring');
  assert.equal(metricValue(burst, 'relaycast_listener_burst_bytes_bucket', { ...mount, le: '32768' }), 0);
  assert.equal(metricValue(burst, 'relaycast_listener_burst_bytes_bucket', { ...mount, le: '65536' }), 4);
  assert.equal(metricValue(burst, 'relaycast_source_received_bytes_total', mount), 100 * FRAME_BYTES);
  assert.equal(metricValue(burst, 'relaycast_listener_sent_bytes_total', mount), 4 * 100 * FRAME_BYTES);

  listeners[0].destroy();
  listeners[3].destroy();
  await relay.waitForMetric('relaycast_listeners', mount, (v) => v === 2, 5000);
  const text = await relay.metrics();
  assert.equal(metricValue(text, 'relaycast_listener_disconnects_total', { ...mount, reason: 'client' }), 2);
  assert.equal(metricValue(text, 'relaycast_listener_disconnects_total', { ...mount, reason: 'slow' }), 0);
  assert.equal(metricValue(text, 'relaycast_listeners_peak', mount), 4);
  assert.equal(metricValue(text, 'relaycast_source_connected', mount), 1);
  assert.equal(metricValue(text, 'relaycast_source_connects_total', mount), 1);
  assert.equal(metricValue(text, 'relaycast_listener_first_byte_seconds_count', mount), 4);
  assert.ok(metricValue(text, 'process_cpu_seconds_total') > 0);
  assert.equal(metricValue(text, 'relaycast_listener_session_seconds_count', mount), 2, 'two sessions ended');
  assert.equal(metricValue(text, 'relaycast_listener_disconnects_total', { ...mount, reason: 'admin' }), 0, 'every reason exists at zero');
  assert.equal(metricValue(text, 'relaycast_build_info', { version: '0.1.0', node: process.version }), 1);
  assert.match(text, /^relaycast_refusals_total\{code="MOUNT_BUSY",status="409"\} 0$/m, 'refusal series exist at zero');

  // Live audio to the two left, until the relay's sampler (every 5 s) has run: the sampled series are read after it.
  source.pace(40);
  await relay.waitForMetric('relaycast_listener_lag_bytes_count', mount, (v) => v > 0, 15_000);
  const sampled = await relay.metrics();
  const lagCount = metricValue(sampled, 'relaycast_listener_lag_bytes_count', mount);
  assert.equal(lagCount % 2, 0, 'each sample observes both listeners');
  assert.equal(metricValue(sampled, 'relaycast_listener_lag_bytes_bucket', { ...mount, le: '65536' }), lagCount, 'both kept up');
  const cpu = metricValue(sampled, 'relaycast_connection_cpu_ratio');
  assert.ok(cpu > 0 && cpu < 1, `CPU per connection ${cpu}`);
  const memory = metricValue(sampled, 'relaycast_connection_memory_bytes');
  assert.ok(memory > 0 && memory < 64 * 1024 * 1024, `memory per connection ${memory}`);
  assert.ok(metricValue(sampled, 'relaycast_idle_resident_memory_bytes') > 10 * 1024 * 1024);

  // Quiet again, every byte delivered: the counters are exact, with nothing counted twice.
  source.stop();
  const sentFrames = source.nextSerial;
  await waitFor(
    () => listeners[1].bodyBytes === sentFrames * FRAME_BYTES && listeners[2].bodyBytes === sentFrames * FRAME_BYTES,
    5000,
    'every frame',
  );
  const final = await relay.metrics();
  assert.equal(metricValue(final, 'relaycast_source_received_bytes_total', mount), sentFrames * FRAME_BYTES);
  assert.equal(
    metricValue(final, 'relaycast_listener_sent_bytes_total', mount),
    2 * 100 * FRAME_BYTES + 2 * sentFrames * FRAME_BYTES,
    'bytes sent are what the four listeners received',
  );
  assert.equal(metricSample(final, 'relaycast_listeners', { mount: '/nope' }), undefined, 'a mount never seen has no series');

  const health = await fetch(`${relay.listenUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), 'ok\n');

  if (!requireTool(t, 'promtool')) return;
  const check = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  check.stdout.on('data', (d: Buffer) => (out += d.toString()));
  check.stderr.on('data', (d: Buffer) => (out += d.toString()));
  check.stdin.end(final);
  const code = await new Promise((resolve) => check.on('close', resolve));
  assert.equal(code, 0, out);
  assert.equal(out.trim(), '', `promtool found problems:\n${out}`);
});
