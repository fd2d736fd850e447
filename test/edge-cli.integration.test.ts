// `relaycast relay --origin` (issue 14) through the real CLI: relaycast's
// own /admin/streamlist.txt (what an edge may read from a relaycast
// origin), an edge configured from a file (origin: and origin-poll-ms: are
// settings like every flag) learning the origin's mounts and leaving its own
// config mounts alone, and the --origin values refused at start.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { rawPutSource, runTool } from './support/clients.js';
import { basic } from './support/icecast-origin.js';
import { CLI, RelayProcess, TEST_SECRETS } from './support/relay-process.js';

const ORIGIN_ADMIN_PW = 'origin-admin-5d1e';
TEST_SECRETS.add(ORIGIN_ADMIN_PW);

function tempFile(t: { after(fn: () => void): void }, name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'relaycast-edge-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

test('/admin/streamlist.txt gives the admin one public mount per CRLF line, and refuses anyone else four ways', async (t) => {
  const config = tempFile(t, 'origin.yaml', 'mounts:\n  /secret:\n    hidden: true\n');
  const origin = await RelayProcess.startFor(t, ['--config', config, '--admin-password', ORIGIN_ADMIN_PW]);
  origin.expectWarnings('ADMIN_AUTH_REQUIRED');
  const sockets: net.Socket[] = [];
  t.after(() => {
    for (const s of sockets) s.destroy();
  });
  const empty = await fetch(`${origin.listenUrl}/admin/streamlist.txt`, { headers: { Authorization: basic('admin', ORIGIN_ADMIN_PW) } });
  assert.equal(empty.status, 200);
  assert.equal(await empty.text(), '');
  for (const mount of ['/b.mp3', '/secret', '/a.mp3']) sockets.push(await rawPutSource(origin.port, mount, 'audio/mpeg'));

  const res = await fetch(`${origin.listenUrl}/admin/streamlist.txt`, { headers: { Authorization: basic('admin', ORIGIN_ADMIN_PW) } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(await res.text(), '/a.mp3\r\n/b.mp3\r\n', 'sorted, CRLF, the hidden mount left out');

  for (const auth of [undefined, basic('admin', 'wrong'), basic('source', 'test-pw')]) {
    const refused = await fetch(`${origin.listenUrl}/admin/streamlist.txt`, { headers: auth ? { Authorization: auth } : {} });
    assert.equal(refused.status, 401);
    const body = await refused.text();
    assert.match(body, /^admin credentials missing or wrong[^\n]*\n$/, 'one line');
    assert.doesNotMatch(body, /\/a\.mp3/);
  }
  await origin.waitForLog((l) => l.code === 'ADMIN_AUTH_REQUIRED');
  assert.equal(await origin.metric('relaycast_refusals_total', { code: 'ADMIN_AUTH_REQUIRED', status: '401' }), 3);
  for (const s of sockets) s.destroy();
});

test('an edge from a config file learns the origin mounts from its stream list, new ones too, and keeps its own config mounts', async (t) => {
  const origin = await RelayProcess.startFor(t, ['--admin-password', ORIGIN_ADMIN_PW, '--source-grace-ms', '0']);
  const sockets: net.Socket[] = [];
  t.after(() => {
    for (const s of sockets) s.destroy();
  });
  for (const mount of ['/news.mp3', '/mine']) sockets.push(await rawPutSource(origin.port, mount, 'audio/mpeg'));
  const down = 'http://127.0.0.1:9'; // discard port: nothing listens there, so it is refused at once
  const config = tempFile(
    t,
    'edge.yaml',
    `origin:\n  - http://admin:${ORIGIN_ADMIN_PW}@127.0.0.1:${origin.port}\n  - ${down}\norigin-poll-ms: 200\nmounts:\n  /mine: {}\n`,
  );
  const edge = await RelayProcess.startFor(t, ['--config', config]);
  // The teardown stops the origin before the edge, which may then find both origins down.
  edge.expectWarnings('origin down');
  const label = `127.0.0.1:${origin.port}`;

  const first = await edge.waitForLog((l) => l.msg === 'edge: origin mounts changed');
  assert.deepEqual(first.added, ['/news.mp3'], "the edge's own /mine is not taken from the origin");
  const up = await edge.waitForLog((l) => l.msg === 'origin up');
  assert.equal(up.origin, label);
  assert.equal(up.document, '/admin/streamlist.txt');
  assert.equal(await edge.metric('relaycast_origin_mounts'), 1);
  assert.equal(await edge.metric('relaycast_origin_up', { origin: label }), 1);
  assert.equal(
    await edge.metric('relaycast_origin_up', { origin: '127.0.0.1:9' }),
    0,
    'the second origin is only read when the first fails',
  );

  sockets.push(await rawPutSource(origin.port, '/sport.mp3', 'audio/mpeg'));
  const added = await edge.waitForLog((l) => l.msg === 'edge: origin mounts changed' && (l.added as string[]).includes('/sport.mp3'));
  assert.equal(added.mounts, 2);
  sockets[0].destroy();
  const removed = await edge.waitForLog((l) => l.msg === 'edge: origin mounts changed' && (l.removed as string[]).includes('/news.mp3'));
  assert.equal(removed.mounts, 1);
  await edge.waitForMetric('relaycast_origin_mounts', {}, (v) => v === 1);
  assert.ok(!edge.stdout.includes(ORIGIN_ADMIN_PW), "the origin's password is in no log line");
  assert.equal(
    edge.countLogs((l) => l.msg === 'origin down'),
    0,
    'the first origin answered every poll',
  );
  for (const s of sockets) s.destroy();
});

test('an --origin that cannot be used exits 2 with what to give instead', async () => {
  const relaycast = (args: string[]) => runTool(process.execPath, [CLI, 'relay', '--source-password', 'x', ...args], 10_000);
  for (const [args, message] of [
    [['--origin', 'https://o.example:8443'], /https:\/\/ origins are not supported yet/],
    [
      ['--origin', 'http://o.example:8000/live'],
      /the path must be empty or one of \/status-json\.xsl, \/status\.json, \/admin\/streamlist\.txt/,
    ],
    [['--origin', 'http://o:8000', '--origin', 'http://o:8000/status.json'], /--origin http:\/\/o:8000 is given twice/],
    [['--origin', 'http://u:hunter2@o:8000/x'], /the path must be empty/],
    [['--origin-poll-ms', '10'], /--origin-poll-ms/],
  ] as Array<[string[], RegExp]>) {
    const result = await relaycast(args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /hunter2/);
  }
});
