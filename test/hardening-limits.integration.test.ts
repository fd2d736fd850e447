// Issue 10, items 2, 3, 5 and 6, through real sockets: a dead mount's metric
// series go with it, mount names and mount counts are bounded (and the rings'
// memory is a metric), password guessing is slowed per address with repeated
// refusals logged once per interval with a count, and the admin password is
// never the source password unless the operator makes it so.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SyntheticSource, rawRequest } from './support/clients.js';
import { PASSWORD, RelayProcess, TEST_SECRETS } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const GUESS = 'brute-force-guess';
TEST_SECRETS.add(GUESS);
const basic = (user: string, pw: string) => `Authorization: Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}\r\n`;
const BUFFER_BYTES = 65536 + 524288 + 262144;

/** relaycast's own sample lines (Node's default metrics grow as GC kinds appear), and those with a mount label. */
async function seriesCounts(relay: RelayProcess): Promise<{ all: number; mounted: number }> {
  const lines = (await relay.metrics()).split('\n').filter((l) => l.startsWith('relaycast_'));
  return { all: lines.length, mounted: lines.filter((l) => l.includes('mount="')).length };
}

test('the series of mounts that came and went are removed: the scrape returns to its baseline after 150 mounts', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--source-grace-ms', '0']);
  const baseline = await seriesCounts(relay);
  assert.equal(baseline.mounted, 0);
  const one = await SyntheticSource.connect(relay.ingestPort, { mount: '/one' });
  one.send(5);
  await relay.waitForMetric('relaycast_source_received_bytes_total', { mount: '/one' }, (v) => v > 0, 5000);
  const perMount = (await seriesCounts(relay)).mounted;
  assert.ok(perMount > 50, `${perMount} series for one mount`);
  one.close();
  for (let i = 0; i < 150; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: 10 }, (_, j) => SyntheticSource.connect(relay.ingestPort, { mount: `/churn-${i + j}` })),
    );
    for (const source of batch) source.send(2);
    for (const source of batch) source.close();
  }
  await waitFor(() => relay.countLogs((l) => l.msg === 'source disconnected') === 151, 10_000, 'every source gone');
  const after = await seriesCounts(relay);
  assert.equal(after.mounted, 0, 'no series with a mount label is left');
  assert.equal(after.all, baseline.all, 'the scrape has as many series as before any mount');
  assert.equal(await relay.metric('relaycast_ring_bytes'), 0);
});

test('a mount name longer than 256 bytes is refused BAD_MOUNT', async (t) => {
  const relay = await RelayProcess.startFor(t);
  relay.expectWarnings('BAD_MOUNT');
  const res = await rawRequest(
    relay.ingestPort,
    `PUT /${'n'.repeat(7900)} HTTP/1.1\r\nHost: x\r\n${basic('source', PASSWORD)}Content-Type: audio/mpeg\r\n\r\n`,
  );
  assert.equal(res.status, 400);
  assert.match(res.body, /at most 256 bytes/);
  await relay.waitForLog((l) => l.code === 'BAD_MOUNT');
  assert.equal(await relay.metric('relaycast_refusals_total', { code: 'BAD_MOUNT', status: '400' }), 1);
});

test('--max-mounts refuses a source for a new mount with 503 MOUNT_LIMIT and Retry-After; relaycast_ring_bytes counts the rings', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--max-mounts', '2']);
  relay.expectWarnings('MOUNT_LIMIT');
  const a = await SyntheticSource.connect(relay.ingestPort, { mount: '/a' });
  const b = await SyntheticSource.connect(relay.ingestPort, { mount: '/b' });
  t.after(() => {
    a.close();
    b.close();
  });
  assert.equal(await relay.metric('relaycast_ring_bytes'), 2 * BUFFER_BYTES);
  assert.equal(await relay.metric('relaycast_mounts'), 2);
  const res = await rawRequest(
    relay.ingestPort,
    `PUT /c HTTP/1.1\r\nHost: x\r\n${basic('source', PASSWORD)}Content-Type: audio/mpeg\r\n\r\n`,
  );
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('retry-after'), '10');
  assert.match(res.body, /^server has reached its mount limit[^\n]*\n$/);
  await relay.waitForLog((l) => l.code === 'MOUNT_LIMIT' && l.status === 503);
  assert.equal(await relay.metric('relaycast_refusals_total', { code: 'MOUNT_LIMIT', status: '503' }), 1);
  assert.equal(await relay.metric('relaycast_ring_bytes'), 2 * BUFFER_BYTES, 'the refused source took no ring');
});

test('password guessing from one address is refused 429 AUTH_RATE_LIMITED past 10 failures, on every port; the log says it once with a count', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--admin-password', 'limit-admin-pw']);
  relay.expectWarnings('AUTH_REQUIRED', 'AUTH_RATE_LIMITED', 'ADMIN_AUTH_REQUIRED');
  TEST_SECRETS.add('limit-admin-pw');
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await rawRequest(
      relay.ingestPort,
      `PUT /guess HTTP/1.1\r\nHost: x\r\n${basic('source', GUESS)}Content-Type: audio/mpeg\r\n\r\n`,
    );
    statuses.push(res.status);
    if (res.status === 429) {
      assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
    }
  }
  assert.deepEqual(statuses, [...Array(10).fill(401), ...Array(30).fill(429)]);
  // Even the right password is not compared now, and the limit holds on the other port and for admin too.
  const right = await rawRequest(
    relay.ingestPort,
    `PUT /guess HTTP/1.1\r\nHost: x\r\n${basic('source', PASSWORD)}Content-Type: audio/mpeg\r\n\r\n`,
  );
  assert.equal(right.status, 429);
  const admin = await rawRequest(relay.port, `GET /admin/listeners HTTP/1.1\r\nHost: x\r\n${basic('admin', GUESS)}\r\n`);
  assert.equal(admin.status, 429);
  assert.equal(admin.headers.get('x-content-type-options'), 'nosniff');
  const cgi = await rawRequest(relay.ingestPort, `GET /admin.cgi?pass=${GUESS}&mode=updinfo&song=x HTTP/1.0\r\n\r\n`);
  assert.equal(cgi.status, 429);

  // The metric counts every refusal; the log has one line per kind and then a summary with the count.
  assert.equal(await relay.metric('relaycast_refusals_total', { code: 'AUTH_REQUIRED', status: '401' }), 10);
  assert.equal(await relay.metric('relaycast_refusals_total', { code: 'AUTH_RATE_LIMITED', status: '429' }), 33);
  assert.equal(
    relay.countLogs((l) => l.code === 'AUTH_REQUIRED'),
    1,
  );
  const limitedLines = relay.countLogs((l) => l.code === 'AUTH_RATE_LIMITED' && l.repeats === undefined);
  assert.ok(limitedLines <= 4, `${limitedLines} lines for 33 refusals (one per path and port)`);
  const summary = await relay.waitForLog((l) => l.code === 'AUTH_REQUIRED' && l.repeats === 9, 15_000);
  assert.match(summary.msg, /9 more like this/);
  await relay.waitForLog((l) => l.code === 'AUTH_RATE_LIMITED' && typeof l.repeats === 'number' && l.repeats >= 29, 5000);
});

test('without --admin-password the admin password is generated, printed once, and the source password is not enough', async (t) => {
  const relay = await RelayProcess.startFor(t);
  relay.expectWarnings('ADMIN_AUTH_REQUIRED');
  // The banner goes to stderr just after "relay ready" is logged: wait for it.
  const printed = await waitFor(
    () => /admin password \(generated, shown once[^)]*\): (\S+)/.exec(relay.stderr) ?? undefined,
    5000,
    'the banner',
  );
  const adminPw = printed[1];
  TEST_SECRETS.add(adminPw);
  assert.notEqual(adminPw, PASSWORD);
  const asSource = await rawRequest(relay.port, `GET /admin/listeners HTTP/1.1\r\nHost: x\r\n${basic('admin', PASSWORD)}\r\n`);
  assert.equal(asSource.status, 401);
  const asAdmin = await rawRequest(relay.port, `GET /admin/listeners HTTP/1.1\r\nHost: x\r\n${basic('admin', adminPw)}\r\n`);
  assert.equal(asAdmin.status, 200);
  assert.ok(!relay.logs.some((l) => JSON.stringify(l).includes(adminPw)), 'the generated admin password is not logged');
});

test('an operator who sets the admin password equal to the source password gets exactly that', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--admin-password', PASSWORD]);
  // The banner is one write; once it is there, it would hold the admin line.
  await waitFor(() => relay.stderr.includes('metrics:'), 5000, 'the banner');
  assert.doesNotMatch(relay.stderr, /admin password/);
  const res = await rawRequest(relay.port, `GET /admin/listeners HTTP/1.1\r\nHost: x\r\n${basic('admin', PASSWORD)}\r\n`);
  assert.equal(res.status, 200);
});
