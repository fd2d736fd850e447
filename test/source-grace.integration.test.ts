// Source loss, where Icecast 2.4 drops every listener: listeners stay for
// --source-grace-ms, a reconnecting source continues the same stream for
// them (joined at its first whole frame, the dead source's half frame never
// sent), and after the grace they get a clean end of stream.

import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { FRAME_BYTES, RawListener, SyntheticSource, frameSerials } from './support/clients.js';
import { PASSWORD, RelayProcess } from './support/relay-process.js';
import { liveMount } from './support/live-mount.js';
import { waitFor } from './support/wait.js';

const GRACE_MS = 2500;

test('listeners survive a source reconnect within the grace and end cleanly after it', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--source-grace-ms', String(GRACE_MS)]);
  const first = await SyntheticSource.connect(relay.ingestPort, { tag: 1 });
  first.send(50);
  first.pace(40);
  const onUws = new RawListener(relay.port, '/listen');
  const onSocket = new RawListener(relay.ingestPort, '/listen', { http10: true });
  t.after(() => {
    onUws.destroy();
    onSocket.destroy();
  });
  await waitFor(() => onUws.bodyBytes > 0 && onSocket.bodyBytes > 0, 5000, 'both listeners');

  first.dropMidFrame();
  await relay.waitForLog((l) => l.msg === 'source disconnected');
  // A fresh encoder with its own junk first: half a frame of noise before its first frame.
  const second = await SyntheticSource.connect(relay.ingestPort, { tag: 2 });
  t.after(() => second.close());
  const resumed = await relay.waitForLog((l) => l.msg === 'source connected' && l.resumed === true);
  assert.equal(resumed.listeners, 2);
  second.socket.write(Buffer.alloc(150, 0x22));
  second.send(60);
  await waitFor(
    () => [onUws, onSocket].every((l) => frameSerials(l.body()).tags.filter((tag) => tag === 2).length >= 60),
    5000,
    "the second source's frames at both listeners",
  );

  for (const listener of [onUws, onSocket]) {
    const body = listener.body();
    const { serials, tags, trailing } = frameSerials(body); // throws if any frame is broken
    assert.equal(trailing, 0);
    const switchAt = tags.indexOf(2);
    assert.ok(switchAt > 0, 'first source frames came before');
    assert.ok(tags.slice(0, switchAt).every((tag) => tag === 1));
    assert.ok(tags.slice(switchAt).every((tag) => tag === 2));
    assert.equal(serials[switchAt], 0, "joined at the new source's first frame");
    assert.equal(body.length % FRAME_BYTES, 0);
    assert.equal(listener.closed, false);
  }
  assert.equal(await relay.metric('relaycast_listener_disconnects_total', { mount: '/listen', reason: 'source_gone' }), 0);

  // Now the source leaves for good: after the grace both listeners get a clean end.
  const leftAtMs = performance.now();
  second.close();
  await waitFor(() => onUws.cleanEnd && onSocket.cleanEnd, GRACE_MS + 5000, 'clean end of stream');
  const waitedMs = performance.now() - leftAtMs;
  assert.ok(waitedMs >= GRACE_MS - 100, `ended after ${waitedMs.toFixed(0)} ms, before the grace`);
  // The mount is gone now, and with it its metric series (issue 10): the log tells the reasons.
  await waitFor(
    () => relay.countLogs((l) => l.msg === 'listener disconnected' && l.mount === '/listen' && l.reason === 'source_gone') === 2,
    3000,
    'two source_gone disconnects',
  );
  await waitFor(async () => !(await relay.metrics()).includes('mount="/listen"'), 3000, "the mount's series to go");
});

test('with --source-grace-ms 0 listeners end as soon as the source leaves (Icecast 2.4)', async (t) => {
  const { relay, source, listener } = await liveMount(t, ['--source-grace-ms', '0']);
  source.close();
  await waitFor(() => listener.cleanEnd, 3000, 'clean end of stream');
  await waitFor(
    () => relay.countLogs((l) => l.msg === 'listener disconnected' && l.mount === '/listen' && l.reason === 'source_gone') === 1,
    3000,
    'one source_gone disconnect',
  );
});

test('a new source with a different Content-Type ends the old listeners', async (t) => {
  const { relay, source, listener } = await liveMount(t);
  source.close();
  await relay.waitForLog((l) => l.msg === 'source disconnected');
  const ogg = net.connect(relay.ingestPort, '127.0.0.1', () =>
    ogg.write(
      `PUT /listen HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${Buffer.from(`source:${PASSWORD}`).toString('base64')}\r\nContent-Type: application/ogg\r\n\r\n`,
    ),
  );
  ogg.on('error', () => undefined);
  t.after(() => ogg.destroy());
  await waitFor(() => listener.cleanEnd, 3000, 'old listener ended');
  await relay.waitForLog((l) => l.msg === 'source connected' && l.contentType === 'application/ogg' && l.resumed === false);
});
