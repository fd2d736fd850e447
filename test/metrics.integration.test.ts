// /metrics is valid Prometheus text (promtool agrees) and its values match
// what the test did: listeners connected, disconnects by reason, bytes.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { RawListener, SyntheticSource, requireTool } from './support/clients.js';
import { RelayProcess, metricValue } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

test('promtool accepts /metrics, and listener counts and disconnect reasons match what happened', async (t) => {
  const relay = await RelayProcess.start();
  t.after(() => relay.stop());
  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  source.send(100);
  source.pace(40);
  const listeners = [0, 1, 2].map(() => new RawListener(relay.port, '/listen'));
  listeners.push(new RawListener(relay.ingestPort, '/listen', { http10: true }));
  t.after(() => {
    for (const l of listeners) l.destroy();
  });
  await waitFor(() => listeners.every((l) => l.bodyBytes > 0), 5000, 'four listeners receiving');

  const mount = { mount: '/listen' };
  assert.equal(await relay.metric('relaycast_listeners', mount), 4);
  assert.equal(await relay.metric('relaycast_listener_connects_total', mount), 4);
  listeners[0].destroy();
  listeners[3].destroy();
  await waitFor(async () => (await relay.metric('relaycast_listeners', mount)) === 2, 5000, 'two listeners left');
  const text = await relay.metrics();
  assert.equal(metricValue(text, 'relaycast_listener_disconnects_total', { ...mount, reason: 'client' }), 2);
  assert.equal(metricValue(text, 'relaycast_listener_disconnects_total', { ...mount, reason: 'slow' }), 0);
  assert.equal(metricValue(text, 'relaycast_listeners_peak', mount), 4);
  assert.equal(metricValue(text, 'relaycast_source_connected', mount), 1);
  assert.equal(metricValue(text, 'relaycast_source_connects_total', mount), 1);
  assert.ok(metricValue(text, 'relaycast_source_received_bytes_total', mount) >= 100 * 417);
  assert.ok(metricValue(text, 'relaycast_listener_sent_bytes_total', mount) >= 4 * 100 * 417 * 0.9);
  assert.equal(metricValue(text, 'relaycast_listener_first_byte_seconds_count', mount), 4);
  assert.ok(metricValue(text, 'process_cpu_seconds_total') > 0);
  for (const name of ['relaycast_connection_cpu_ratio', 'relaycast_connection_memory_bytes', 'relaycast_idle_resident_memory_bytes']) {
    assert.match(text, new RegExp(`^${name} `, 'm'), `${name} is exported`);
  }

  assert.equal(metricValue(text, 'relaycast_listener_session_seconds_count', mount), 2, 'two sessions ended');
  assert.equal(metricValue(text, 'relaycast_listener_disconnects_total', { ...mount, reason: 'admin' }), 0, 'every reason exists at zero');
  assert.equal(metricValue(text, 'relaycast_build_info', { version: '0.1.0', node: process.version }), 1);
  assert.match(text, /^relaycast_refusals_total\{code="MOUNT_BUSY",status="409"\} 0$/m, 'refusal series exist at zero');
  assert.match(text, /^relaycast_listener_lag_bytes_bucket\{le="\+Inf",mount="\/listen"\} \d+$/m);

  const health = await fetch(`${relay.listenUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), 'ok\n');

  if (!requireTool(t, 'promtool')) return;
  const check = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  check.stdout.on('data', (d: Buffer) => (out += d.toString()));
  check.stderr.on('data', (d: Buffer) => (out += d.toString()));
  check.stdin.end(text);
  const code = await new Promise((resolve) => check.on('close', resolve));
  assert.equal(code, 0, out);
  assert.equal(out.trim(), '', `promtool found problems:\n${out}`);
});
