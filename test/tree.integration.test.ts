// Issue 14's proof on one machine: an origin with two edges, as separate
// relay processes on loopback. Each edge pulls a mount once however many
// of its listeners hear it; a title set on the origin reaches every edge
// listener; the origin's source reconnecting loses no edge listener; a
// drained edge sends its new listeners to the other; an edge killed
// outright loses only its own listeners.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FRAME_BYTES, frameSerials, RawListener, SyntheticSource } from './support/clients.js';
import { setSong } from './support/icy-clients.js';
import { splitIcyStream, streamTitleOf } from './support/icy-stream.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const ADMIN_PW = 'tree-admin-pw';
/** Real time at 128 kbps: 38.28 frames of 417 bytes a second. */
const FRAMES_PER_S = 38.28;
const MOUNT = '/live';

function edgeArgs(origin: RelayProcess, peers: RelayProcess[] = []): string[] {
  return [
    '--origin',
    origin.listenUrl,
    '--origin-poll-ms',
    '300',
    '--admin-password',
    ADMIN_PW,
    ...peers.flatMap((p) => ['--peer', p.listenUrl]),
  ];
}

/** An edge listener that asks for ICY metadata, as most players do. */
function icyListener(edge: RelayProcess): RawListener {
  return new RawListener(edge.port, MOUNT, { headers: { 'Icy-MetaData': '1' } });
}

function icyOf(listener: RawListener) {
  return splitIcyStream(listener.body(), Number(listener.headers.get('icy-metaint')));
}

/** Frames tagged `tag` this listener has heard, in order, with no gap among them. */
function framesTagged(listener: RawListener, tag: number): number[] {
  const { audio } = icyOf(listener);
  const start = audio.indexOf(Buffer.from([0xff, 0xfb]));
  const { serials, tags } = frameSerials(audio.subarray(start));
  return serials.filter((_, i) => tags[i] === tag);
}

function assertNoGap(serials: number[], who: string): void {
  for (let i = 1; i < serials.length; i++)
    assert.equal(serials[i], serials[i - 1] + 1, `${who}: frame ${serials[i - 1]} then ${serials[i]}`);
}

async function admin(relay: RelayProcess, method: string, path: string): Promise<Response> {
  const auth = `Basic ${Buffer.from(`admin:${ADMIN_PW}`).toString('base64')}`;
  return fetch(`${relay.listenUrl}${path}`, { method, headers: { Authorization: auth }, redirect: 'manual' });
}

test('an origin and two edges: one pull per mount per edge, titles, a source reconnect, a drain and a kill', async (t) => {
  const origin = await RelayProcess.startFor(t, ['--source-grace-ms', '10000', '--admin-password', ADMIN_PW]);
  let source = await SyntheticSource.connect(origin.ingestPort, { mount: MOUNT, tag: 1 });
  source.pace(FRAMES_PER_S);
  t.after(() => source.close());
  // B is killed outright below, so it is started without the health-checked stop.
  const edgeB = await RelayProcess.start(edgeArgs(origin));
  t.after(() => edgeB.child.kill('SIGKILL'));
  const edgeA = await RelayProcess.startFor(t, edgeArgs(origin, [edgeB]));
  for (const edge of [edgeA, edgeB]) await edge.waitForMetric('relaycast_origin_mounts', {}, (n) => n === 1);

  const onA = [icyListener(edgeA), icyListener(edgeA), icyListener(edgeA)];
  const onB = [icyListener(edgeB), icyListener(edgeB)];
  t.after(() => {
    for (const l of [...onA, ...onB]) l.destroy();
  });
  await waitFor(() => [...onA, ...onB].every((l) => framesTagged(l, 1).length >= 20), 10_000, 'every edge listener hearing the origin');

  // Five listeners on two edges are two listeners of the origin: one pull per edge.
  assert.equal(await origin.metric('relaycast_listeners', { mount: MOUNT }), 2);
  assert.equal(await edgeA.metric('relaycast_listeners', { mount: MOUNT }), 3);
  assert.equal(await edgeB.metric('relaycast_listeners', { mount: MOUNT }), 2);

  // A title set on the origin reaches the edges' listeners in their ICY metadata.
  const set = await setSong(origin.port, MOUNT, 'Edge Title');
  assert.equal(set.status, 200);
  await waitFor(
    () => [...onA, ...onB].every((l) => icyOf(l).blocks.some((b) => streamTitleOf(b.payload) === 'Edge Title')),
    10_000,
    'the title at every edge listener',
  );

  // The origin's source drops and comes back: no edge listener is lost, all hear the new source.
  source.close();
  source = await SyntheticSource.connect(origin.ingestPort, { mount: MOUNT, tag: 2 });
  source.pace(FRAMES_PER_S);
  await waitFor(() => [...onA, ...onB].every((l) => framesTagged(l, 2).length >= 20), 15_000, 'every edge listener hearing the new source');
  for (const l of [...onA, ...onB]) {
    assert.equal(l.closed, false, 'an edge listener was lost over the source reconnect');
    assertNoGap(framesTagged(l, 2), 'after the reconnect');
  }

  // Edge A drains: not ready, its listeners stay, a new listener is sent to B and hears the stream there.
  const drained = await admin(edgeA, 'POST', '/admin/drain');
  assert.equal(drained.status, 200);
  assert.equal((await fetch(`${edgeA.listenUrl}/readyz`)).status, 503);
  assert.equal((await fetch(`${edgeB.listenUrl}/readyz`)).status, 200);
  const redirected = await fetch(`${edgeA.listenUrl}${MOUNT}`, { redirect: 'manual' });
  assert.equal(redirected.status, 302);
  const location = redirected.headers.get('location') ?? '';
  await redirected.body?.cancel();
  assert.ok(location.startsWith(edgeB.listenUrl), `sent to ${location}`);
  const landed = new RawListener(edgeB.port, new URL(location).pathname);
  t.after(() => landed.destroy());
  await waitFor(() => landed.bodyBytes >= 20 * FRAME_BYTES, 10_000, 'the redirected listener hearing edge B');
  const beforeA = onA.map((l) => framesTagged(l, 2).length);
  await waitFor(
    () => onA.every((l, i) => framesTagged(l, 2).length >= beforeA[i] + 20),
    10_000,
    "the drained edge's listeners still hearing it",
  );

  // Edge B is killed: its listeners go, A's keep hearing the stream, the origin keeps A's pull.
  edgeA.expectWarnings('peer is down: no listeners are sent to it');
  edgeB.child.kill('SIGKILL');
  await waitFor(() => [...onB, landed].every((l) => l.closed), 5000, "B's listeners closed");
  const afterKill = onA.map((l) => framesTagged(l, 2).length);
  await waitFor(() => onA.every((l, i) => framesTagged(l, 2).length >= afterKill[i] + 20), 10_000, "A's listeners hearing on after B died");
  for (const l of onA) {
    assert.equal(l.closed, false);
    assertNoGap(framesTagged(l, 2), 'on edge A');
  }
  await origin.waitForMetric('relaycast_listeners', { mount: MOUNT }, (n) => n === 1);
});
