// A listener that stops reading is cut once its lag passes --max-lag-bytes,
// counted as slow, while a listener beside it receives every byte in order.
// The source runs faster than real time so loopback's kernel buffers (several
// MB) fill in seconds; the lag limit, not uWS's own stall timeout, decides.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawListener, SyntheticSource, frameSerials } from './support/clients.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const MAX_LAG_BYTES = 262144;
/** ~1.6 MB/s: about 100x real time at 128 kbps. */
const FRAMES_PER_SECOND = 4000;

for (const transport of ['uws', 'socket'] as const) {
  test(`a ${transport} listener that stops reading is dropped as slow past the lag limit while a reading one gets every byte in order`, async (t) => {
    const relay = await RelayProcess.startFor(t, ['--max-lag-bytes', String(MAX_LAG_BYTES), '--source-grace-ms', '0', '--uws-port', '0']);
    const source = await SyntheticSource.connect(relay.ingestPort);
    t.after(() => source.close());
    source.send(100);
    const port = transport === 'uws' ? relay.uwsPort : relay.port;
    const http10 = transport === 'socket';
    const reader = new RawListener(port, '/listen', { http10 });
    const stalled = new RawListener(port, '/listen', { http10, stalled: true });
    t.after(() => {
      reader.destroy();
      stalled.destroy();
    });
    await waitFor(() => reader.bodyBytes > 0, 5000, 'reader bytes');
    source.pace(FRAMES_PER_SECOND);

    const dropped = await relay.waitForLog((l) => l.msg === 'slow listener dropped', 30_000);
    assert.ok((dropped.lagBytes as number) > MAX_LAG_BYTES, `dropped at lag ${String(dropped.lagBytes)}`);
    const gone = await relay.waitForLog((l) => l.msg === 'listener disconnected' && l.reason === 'slow');
    assert.equal(gone.listener, dropped.listener);
    assert.equal(await relay.metric('relaycast_listener_disconnects_total', { mount: '/listen', reason: 'slow' }), 1);
    assert.equal(await relay.metric('relaycast_slow_listeners_total', { mount: '/listen', action: 'drop' }), 1);

    // The reader is still there and its bytes are the source's frames, none missing, none twice.
    const sentAtDrop = source.nextSerial;
    await waitFor(() => frameSerials(reader.body()).serials.at(-1)! >= sentAtDrop - 1, 10_000, 'reader to catch up');
    assert.equal(reader.closed, false);
    assert.equal(await relay.metric('relaycast_listeners', { mount: '/listen' }), 1);
    const { serials } = frameSerials(reader.body());
    assert.equal(serials[0], 0, 'the reader joined at the first frame (the burst covered it)');
    for (let i = 1; i < serials.length; i++) assert.equal(serials[i], serials[i - 1] + 1, `gap after frame ${serials[i - 1]}`);
  });
}

test('with --slow-policy live a lagging listener is moved to live and stays connected', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--max-lag-bytes', String(MAX_LAG_BYTES), '--slow-policy', 'live']);
  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  source.send(100);
  const stalled = new RawListener(relay.ingestPort, '/listen', { http10: true, stalled: true });
  t.after(() => stalled.destroy());
  await relay.waitForMetric('relaycast_listeners', { mount: '/listen' }, (v) => v === 1, 5000);
  source.pace(FRAMES_PER_SECOND);
  await relay.waitForLog((l) => l.msg === 'slow listener moved to live', 30_000);
  await relay.waitForMetric('relaycast_slow_listeners_total', { mount: '/listen', action: 'live' }, (v) => v >= 2, 30_000);
  assert.equal(
    relay.countLogs((l) => l.msg === 'slow listener moved to live'),
    1,
    'logged once per listener',
  );
  assert.equal(await relay.metric('relaycast_listener_disconnects_total', { mount: '/listen', reason: 'slow' }), 0);
  assert.equal(await relay.metric('relaycast_listeners', { mount: '/listen' }), 1);
});

test('a source far faster than the flush timer loses no bytes for listeners that keep up', async (t) => {
  const relay = await RelayProcess.startFor(t);
  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  source.send(10);
  const readers = [0, 1, 2].map(() => new RawListener(relay.port, '/listen'));
  t.after(() => {
    for (const r of readers) r.destroy();
  });
  await waitFor(() => readers.every((r) => r.bodyBytes > 0), 5000, 'readers');
  // ~20 MB in 50 bursts of 400 KB: 2.5 MB per 250 ms flush interval, three times the ring.
  const total = 10 + 50 * 1000;
  for (let i = 0; i < 50; i++) {
    source.send(1000);
    await new Promise((r) => setTimeout(r, 40));
  }
  await waitFor(() => readers.every((r) => r.bodyBytes >= total * 417), 20_000, 'every byte at every reader');
  for (const reader of readers) {
    const { serials } = frameSerials(reader.body());
    assert.equal(serials.length, total);
    for (let i = 1; i < serials.length; i++) assert.equal(serials[i], serials[i - 1] + 1, `gap after frame ${serials[i - 1]}`);
  }
  assert.equal(await relay.metric('relaycast_listener_disconnects_total', { mount: '/listen', reason: 'slow' }), 0);
});

test('a listener that hangs up while its socket is full is counted as client, not slow', async (t) => {
  // A lag limit far away: only the hang-up can end this listener.
  const relay = await RelayProcess.startFor(t, ['--max-lag-bytes', String(16 * 1024 * 1024), '--admin-password', 'admin-pw']);
  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  source.send(100);
  const stalled = new RawListener(relay.port, '/listen', { stalled: true });
  t.after(() => stalled.destroy());
  source.pace(FRAMES_PER_SECOND);

  const auth = `Basic ${Buffer.from('admin:admin-pw').toString('base64')}`;
  await waitFor(
    async () => {
      const res = await fetch(`${relay.listenUrl}/admin/listeners?mount=/listen`, { headers: { Authorization: auth } });
      const body = (await res.json()) as { listeners: Array<{ waitingOnSocket: boolean }> };
      return body.listeners.some((l) => l.waitingOnSocket);
    },
    20_000,
    'the stalled listener to be waiting on its socket',
  );
  stalled.destroy();

  const gone = await relay.waitForLog((l) => l.msg === 'listener disconnected');
  assert.equal(gone.reason, 'client');
  assert.equal(await relay.metric('relaycast_listener_disconnects_total', { mount: '/listen', reason: 'slow' }), 0);
  assert.equal(await relay.metric('relaycast_listener_disconnects_total', { mount: '/listen', reason: 'client' }), 1);
});
