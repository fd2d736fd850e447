// Issue 14, item 4, through SIGUSR2: the same drain as POST /admin/drain
// (test/drain-admin.test.ts), started by the signal a process manager
// sends; a player (mpv) asking the draining relay follows the 302 and plays
// from the peer; --drain-deadline-ms ends the listener left; a SIGTERM
// afterwards still shuts the relay down cleanly.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FRAME_BYTES, frameSerials, RawListener, SyntheticSource, requireTool } from './support/clients.js';
import { assertMpvPlayed, decodeWithMpv, ffmpegToneSource, MP3_128K } from './support/interop.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

/** The join burst (64 KiB) of a 128 kbit/s stream, in seconds. */
const BURST_SECONDS = 65536 / 16000;

test('SIGUSR2 drains: /readyz 503, /healthz 200, mpv lands on the peer, the old listener keeps every frame until the deadline; SIGTERM then stops cleanly', async (t) => {
  if (!requireTool(t, 'ffmpeg') || !requireTool(t, 'mpv')) return;
  const b = await RelayProcess.startFor(t);
  const tone = ffmpegToneSource(b, '/live', MP3_128K);
  t.after(() => tone.kill('SIGKILL'));
  await b.waitForMetric('relaycast_source_connected', { mount: '/live' }, (v) => v === 1);

  const a = await RelayProcess.startFor(t, ['--peer', b.listenUrl, '--peer-check-ms', '200', '--drain-deadline-ms', '8000']);
  const source = await SyntheticSource.connect(a.ingestPort, { mount: '/live' });
  t.after(() => source.close());
  source.send(20);
  source.pace(38.28);
  const old = new RawListener(a.port, '/live');
  t.after(() => old.destroy());
  await waitFor(() => old.bodyBytes > 0, 5000, 'the listener connected before the drain');
  await a.waitForLog((l) => l.msg === 'peer is up with room');

  a.child.kill('SIGUSR2');
  const started = await a.waitForLog((l) => l.msg === 'drain started: new listeners go to peers');
  assert.deepEqual(
    { by: started.by, signal: started.signal, deadlineMs: started.deadlineMs },
    { by: 'signal', signal: 'SIGUSR2', deadlineMs: 8000 },
  );
  const bytesAtDrain = old.bodyBytes;
  const ready = await fetch(`${a.listenUrl}/readyz`);
  assert.deepEqual([ready.status, await ready.text()], [503, 'draining\n']);
  const health = await fetch(`${a.listenUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(await a.metric('relaycast_draining'), 1);

  const seconds = Math.ceil(BURST_SECONDS) + 2;
  const played = await decodeWithMpv(`${a.listenUrl}/live`, seconds);
  assertMpvPlayed(played, 'mp3', { seconds, burstSeconds: BURST_SECONDS });
  assert.equal(
    b.countLogs((l) => l.msg === 'listener connected' && /mpv|libmpv|Lavf/i.test(String(l.agent))),
    1,
    'mpv was heard at the peer',
  );
  assert.equal(await a.metric('relaycast_redirects_total', { peer: b.listenUrl }), 1);

  await waitFor(() => old.closed, 15_000, 'the deadline to end the old listener');
  assert.equal(old.cleanEnd, true, 'ended cleanly (FIN), not reset');
  const body = old.body();
  const { serials } = frameSerials(body.subarray(0, body.length - (body.length % FRAME_BYTES)));
  for (let i = 1; i < serials.length; i++) assert.equal(serials[i], serials[i - 1] + 1, `frame ${i} follows frame ${i - 1}`);
  assert.ok(old.bodyBytes > bytesAtDrain + 100 * FRAME_BYTES, `live frames after the drain began (${old.bodyBytes - bytesAtDrain} bytes)`);
  await a.waitForLog((l) => l.msg === 'drain: no listeners remain');
  await a.waitForMetric('relaycast_drain_listeners_remaining', {}, (v) => v === 0);
  assert.equal(await a.metric('relaycast_listener_disconnects_total', { mount: '/live', reason: 'drain' }), 1);
  source.close();
  // SIGTERM after the drain: RelayProcess.stop() (the test's teardown) fails unless the relay shuts down cleanly and in time.
});
