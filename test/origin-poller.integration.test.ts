// An edge's origin poller (ingest/origin/, issue 14) against real origins:
// relaycast processes and a real icecast2 with ffmpeg sources, the poller
// in this process with a recording pull target. New mounts are learnt
// within a poll, removed ones go; a poll that fails keeps the last list;
// several origins fail over in order; each origin's up/down is logged once
// per change; Icecast's streamlist.txt is read with its relay user, whose
// password never reaches a log line.

import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { OriginPoller } from '../ingest/origin/origin-poller.js';
import type { PullSpec, PullTarget } from '../ingest/origin/pull-target.js';
import type { PullOwner } from '../ingest/pull/pull-relays.js';
import { parseOriginUrl } from '../relay/formats/origin-url.js';
import { Metrics } from '../relay/metrics/metrics.js';
import { rawPutSource, requireTool } from './support/clients.js';
import {
  ICECAST_ADMIN_PASSWORD,
  ICECAST_HIDDEN_MOUNT,
  ICECAST_RELAY_PASSWORD,
  ICECAST_RELAY_USER,
  IcecastOrigin,
} from './support/icecast-origin.js';
import { MP3_128K } from './support/interop.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const POLL_MS = 150;

/** The pull target an edge would have: every sync recorded. */
class RecordingTarget implements PullTarget {
  readonly syncs: Array<{ owner: string; specs: readonly PullSpec[] }> = [];
  sync(owner: PullOwner, specs: readonly PullSpec[]): void {
    this.syncs.push({ owner, specs });
  }
  get mounts(): string[] {
    return (this.syncs.at(-1)?.specs ?? []).map((s) => s.mount);
  }
}

interface Harness {
  poller: OriginPoller;
  target: RecordingTarget;
  metrics: Metrics;
  logs: Array<Record<string, unknown>>;
}

const pollers: OriginPoller[] = [];
after(() => {
  for (const poller of pollers) poller.stop();
});

function startPoller(origins: string[], isLocal: (m: string) => boolean = () => false): Harness {
  const logs: Array<Record<string, unknown>> = [];
  // A plain pino, without relaycast's redaction: the poller itself must keep credentials out.
  const log = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  const target = new RecordingTarget();
  const metrics = new Metrics();
  const poller = new OriginPoller({
    origins: origins.map(parseOriginUrl),
    pollMs: POLL_MS,
    target,
    isLocal,
    idleMs: () => 7000,
    metrics,
    log,
  });
  pollers.push(poller);
  poller.start();
  return { poller, target, metrics, logs };
}

async function sample(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = metrics.registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value;
}

/** Waits for `n` more completed polls of `origin` (ok or failed), so "nothing changed" is a checked fact. */
async function morePolls(h: Harness, origin: string, n: number): Promise<void> {
  const count = async () =>
    ((await sample(h.metrics, 'relaycast_origin_polls_total', { origin, result: 'ok' })) ?? 0) +
    ((await sample(h.metrics, 'relaycast_origin_polls_total', { origin, result: 'failed' })) ?? 0);
  const start = await count();
  await waitFor(async () => (await count()) >= start + n, 10_000, `${n} more polls of ${origin}`);
}

const logsOf = (h: Harness, msg: string, origin?: string) =>
  h.logs.filter((l) => l.msg === msg && (origin === undefined || l.origin === origin));

describe('against relaycast origins', () => {
  test('a new origin mount is learnt within a poll and a removed one goes, one sync per change', async (t) => {
    const origin = await RelayProcess.startFor(t, ['--source-grace-ms', '0']);
    const label = `127.0.0.1:${origin.port}`;
    const h = startPoller([origin.listenUrl]);
    const sockets: net.Socket[] = [];
    t.after(() => {
      h.poller.stop();
      for (const s of sockets) s.destroy();
    });
    await waitFor(() => logsOf(h, 'origin up', label).length === 1, 5000, 'the first poll');
    assert.equal(h.target.syncs.length, 0, 'an origin with no mount asks for no pull');

    sockets.push(await rawPutSource(origin.port, '/a.mp3', 'audio/mpeg'));
    await waitFor(() => h.target.mounts.includes('/a.mp3'), 5000, '/a.mp3 on the edge');
    assert.deepEqual(h.target.syncs.at(-1), {
      owner: 'origin',
      specs: [{ mount: '/a.mp3', urls: [`${origin.listenUrl}/a.mp3`], onDemand: true, idleMs: 7000 }],
    });
    sockets.push(await rawPutSource(origin.port, '/b.ogg', 'application/ogg'));
    await waitFor(() => h.target.mounts.length === 2, 5000, '/b.ogg on the edge');
    assert.deepEqual(h.target.mounts, ['/a.mp3', '/b.ogg']);
    assert.equal(await sample(h.metrics, 'relaycast_origin_mounts'), 2);

    sockets[0].destroy(); // the source of /a.mp3 leaves; with no grace the origin drops the mount
    await waitFor(() => h.target.mounts.length === 1, 5000, '/a.mp3 to go from the edge');
    assert.deepEqual(h.target.mounts, ['/b.ogg']);
    const syncs = h.target.syncs.length;
    await morePolls(h, label, 3);
    assert.equal(h.target.syncs.length, syncs, 'polls that change nothing call no sync');
    assert.equal(syncs, 3, 'one sync per change: /a.mp3 came, /b.ogg came, /a.mp3 went');
    const changes = logsOf(h, 'edge: origin mounts changed');
    assert.deepEqual(
      changes.map((l) => [l.added, l.removed]),
      [
        [['/a.mp3'], []],
        [['/b.ogg'], []],
        [[], ['/a.mp3']],
      ],
    );
    assert.equal(logsOf(h, 'origin up').length, 1, 'an origin that stays up is logged up once');
    for (const s of sockets) s.destroy();
  });

  test('the mounts of the edge config are not taken from the origin', async (t) => {
    const origin = await RelayProcess.startFor(t);
    const sockets = [await rawPutSource(origin.port, '/mine', 'audio/mpeg'), await rawPutSource(origin.port, '/theirs', 'audio/mpeg')];
    const h = startPoller([origin.listenUrl], (m) => m === '/mine');
    t.after(() => {
      h.poller.stop();
      for (const s of sockets) s.destroy();
    });
    await waitFor(() => h.target.syncs.length === 1, 5000, 'the first sync');
    assert.deepEqual(h.target.mounts, ['/theirs']);
    assert.equal(await sample(h.metrics, 'relaycast_origin_mounts'), 1);
    for (const s of sockets) s.destroy();
  });

  test('origins fail over in order, a poll that fails everywhere keeps the list, and each state change is logged once', async (t) => {
    const first = await RelayProcess.start(['--source-grace-ms', '0']);
    const second = await RelayProcess.startFor(t, ['--source-grace-ms', '0']);
    const [a, b] = [`127.0.0.1:${first.port}`, `127.0.0.1:${second.port}`];
    const sockets = [await rawPutSource(first.port, '/x', 'audio/mpeg'), await rawPutSource(second.port, '/y', 'audio/mpeg')];
    const h = startPoller([first.listenUrl, second.listenUrl]);
    let revived: RelayProcess | undefined;
    t.after(async () => {
      h.poller.stop();
      for (const s of sockets) s.destroy();
      if (first.exitCode === null) await first.stop();
      await revived?.stop();
    });
    await waitFor(() => h.target.syncs.length === 1, 5000, 'the first sync');
    assert.deepEqual(h.target.syncs[0].specs, [
      { mount: '/x', urls: [`${first.listenUrl}/x`, `${second.listenUrl}/x`], onDemand: true, idleMs: 7000 },
    ]);
    assert.equal(await sample(h.metrics, 'relaycast_origin_up', { origin: a }), 1);
    assert.equal(await sample(h.metrics, 'relaycast_origin_up', { origin: b }), 0, 'the second origin is not read while the first answers');

    // The first origin goes: the second one's list is used.
    sockets[0].destroy();
    await first.stop();
    await waitFor(() => h.target.mounts.join() === '/y', 5000, "the second origin's list");
    await morePolls(h, a, 3);
    assert.equal(logsOf(h, 'origin down', a).length, 1, 'down is logged once, however many polls fail');
    assert.equal(logsOf(h, 'origin up', b).length, 1);
    assert.equal(await sample(h.metrics, 'relaycast_origin_up', { origin: a }), 0);
    assert.equal(await sample(h.metrics, 'relaycast_origin_up', { origin: b }), 1);

    // Both go: nothing is dropped.
    const syncs = h.target.syncs.length;
    sockets[1].destroy();
    await waitFor(() => h.target.mounts.length === 0, 5000, 'the second origin to drop /y once its source leaves');
    sockets.push(await rawPutSource(second.port, '/z', 'audio/mpeg'));
    await waitFor(() => h.target.mounts.join() === '/z', 5000, '/z on the edge');
    const kept = h.target.syncs.length;
    assert.equal(kept, syncs + 2);
    sockets[2].destroy();
    await second.stop();
    await morePolls(h, b, 3);
    assert.equal(h.target.syncs.length, kept, 'a poll that fails on every origin drops no mount');
    assert.deepEqual(h.target.mounts, ['/z']);
    assert.equal(await sample(h.metrics, 'relaycast_origin_mounts'), 1);
    assert.equal(logsOf(h, 'origin down', b).length, 1);
    assert.equal(logsOf(h, 'origin down', a).length, 1);
    assert.equal(await sample(h.metrics, 'relaycast_origin_up', { origin: b }), 0);
    assert.ok(((await sample(h.metrics, 'relaycast_origin_polls_total', { origin: b, result: 'failed' })) ?? 0) >= 3);

    // The first comes back on its port: down -> up is logged once, and its (empty) list is used.
    revived = await RelayProcess.start(['--port', String(first.port)]);
    await waitFor(() => logsOf(h, 'origin up', a).length === 2, 5000, 'the first origin up again');
    await waitFor(() => h.target.mounts.length === 0, 5000, "the revived origin's list");
    assert.match(String(logsOf(h, 'origin down', a)[0].reason), /ECONNREFUSED/);
  });
});

describe('against an origin that never answers', () => {
  test('a list request that gets no answer times out, is logged down once, and the next origin is used', async (t) => {
    // Accepts connections and says nothing, like a hung origin.
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => held.push(socket)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const silentPort = (silent.address() as net.AddressInfo).port;
    const origin = await RelayProcess.startFor(t);
    const socket = await rawPutSource(origin.port, '/up', 'audio/mpeg');
    const h = startPoller([`http://127.0.0.1:${silentPort}`, origin.listenUrl]);
    t.after(async () => {
      h.poller.stop();
      socket.destroy();
      for (const s of held) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    await waitFor(() => h.target.mounts.join() === '/up', 10_000, "the second origin's list");
    const down = logsOf(h, 'origin down', `127.0.0.1:${silentPort}`);
    assert.equal(down.length, 1);
    assert.equal(down[0].reason, 'no answer in 1000 ms', 'the request deadline is the poll interval, at least 1 s');
    socket.destroy();
  });
});

describe('against Icecast 2.4', () => {
  test('status-json.xsl and streamlist.txt (with the relay user) both give the public mounts; no log holds the password', async (t) => {
    if (!requireTool(t, 'icecast2') || !requireTool(t, 'ffmpeg')) return;
    const icecast = await IcecastOrigin.start();
    t.after(() => icecast.stop());
    await icecast.addSource('/one.mp3', MP3_128K);
    await icecast.addSource(ICECAST_HIDDEN_MOUNT, MP3_128K);

    const json = startPoller([icecast.url]);
    const streamlist = startPoller([`http://${ICECAST_RELAY_USER}:${ICECAST_RELAY_PASSWORD}@127.0.0.1:${icecast.port}`]);
    // Icecast 2.4.4 answers 401 to user admin on streamlist.txt: it wants the relay user.
    const asAdmin = startPoller([`http://admin:${ICECAST_ADMIN_PASSWORD}@127.0.0.1:${icecast.port}/admin/streamlist.txt`]);
    t.after(() => {
      for (const h of [json, streamlist, asAdmin]) h.poller.stop();
    });
    for (const h of [json, streamlist]) await waitFor(() => h.target.mounts.join() === '/one.mp3', 10_000, 'one Icecast mount');

    await icecast.addSource('/two.ogg', { codec: ['-c:a', 'libvorbis', '-b:a', '96k'], format: 'ogg', contentType: 'application/ogg' });
    for (const h of [json, streamlist]) await waitFor(() => h.target.mounts.join() === '/one.mp3,/two.ogg', 10_000, 'two Icecast mounts');
    assert.deepEqual(streamlist.target.syncs.at(-1)?.specs[1], {
      mount: '/two.ogg',
      urls: [`${icecast.url}/two.ogg`],
      onDemand: true,
      idleMs: 7000,
    });
    await icecast.removeSource('/one.mp3');
    for (const h of [json, streamlist]) await waitFor(() => h.target.mounts.join() === '/two.ogg', 10_000, '/one.mp3 to go');

    const label = `127.0.0.1:${icecast.port}`;
    assert.equal(logsOf(streamlist, 'origin up', label)[0]?.document, '/admin/streamlist.txt');
    await waitFor(() => logsOf(asAdmin, 'origin down', label).length === 1, 5000, 'the admin-credential poll to fail');
    assert.match(String(logsOf(asAdmin, 'origin down', label)[0].reason), /answered 401/);
    assert.equal(asAdmin.target.syncs.length, 0);
    for (const h of [json, streamlist, asAdmin]) {
      const text = JSON.stringify(h.logs);
      for (const secret of [
        ICECAST_RELAY_PASSWORD,
        ICECAST_ADMIN_PASSWORD,
        Buffer.from(`${ICECAST_RELAY_USER}:${ICECAST_RELAY_PASSWORD}`).toString('base64'),
      ]) {
        assert.ok(!text.includes(secret), 'no log line holds an origin credential');
      }
    }
  });
});
