// --metrics-port moves /metrics off the public port; the sampled per-mount
// gauges (measured source bitrate, ring fill) reflect the real stream.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawListener, SyntheticSource } from './support/clients.js';
import { RelayProcess, metricValue } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

test('with --metrics-port, /metrics is served there and not on the listener port', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--metrics-host', '127.0.0.1', '--metrics-port', '0']);
  relay.expectWarnings('no such mount: /metrics');
  const ready = await relay.waitForLog((l) => l.msg === 'relay ready');
  const metricsPort = ready.metricsPort as number;
  assert.ok(metricsPort > 0 && metricsPort !== relay.port && metricsPort !== relay.ingestPort);

  const own = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  assert.equal(own.status, 200);
  assert.match(own.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  assert.match(await own.text(), /^relaycast_build_info\{/m);
  const elsewhere = await fetch(`http://127.0.0.1:${metricsPort}/status.json`);
  assert.equal(elsewhere.status, 404);

  const publicPort = await fetch(`${relay.listenUrl}/metrics`);
  assert.equal(publicPort.status, 404);
  await publicPort.text();
});

test('the measured source bitrate and the ring fill follow the stream', async (t) => {
  const relay = await RelayProcess.startFor(t);
  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  // 38.28 frames/s of 417 bytes is 128 kbps.
  source.send(20);
  source.pace(38.28);
  const listener = new RawListener(relay.port, '/listen');
  t.after(() => listener.destroy());
  const mount = { mount: '/listen' };
  // Sampled every 5 s; the first sample measures from the mount's creation.
  const text = await waitFor(
    async () => {
      const t2 = await relay.metrics();
      return metricValue(t2, 'relaycast_source_measured_bytes_per_second', mount) > 0 ? t2 : undefined;
    },
    12_000,
    'a bitrate sample',
  );
  const bps = metricValue(text, 'relaycast_source_measured_bytes_per_second', mount) * 8;
  // The 20 frames sent at once push the first figure up a little; it stays near 128 kbps.
  assert.ok(bps > 110_000 && bps < 200_000, `measured ${bps} bit/s`);
  const fill = metricValue(text, 'relaycast_ring_fill_bytes', mount);
  assert.ok(fill > 20 * 417 && fill <= metricValue(text, 'relaycast_source_received_bytes_total', mount), `ring fill ${fill}`);
  assert.ok(metricValue(text, 'relaycast_ring_size_bytes', mount) >= 65536 + 524288);
});
