// --log-format pretty gives one readable line per event; json stays one
// object per line. Neither logs per chunk: streaming for a while adds no
// lines beyond the connect.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prettyLine } from '../relay/log.js';
import { RawListener, SyntheticSource } from './support/clients.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

test('a pretty line shows time, level, message and fields, quoting only what needs it', () => {
  const line = prettyLine(
    JSON.stringify({
      level: 30,
      time: Date.UTC(2024, 0, 2, 3, 4, 5, 678),
      pid: 1,
      hostname: 'h',
      app: 'relaycast',
      msg: 'listener connected',
      mount: '/listen',
      agent: 'VLC 3.0',
      listener: 7,
    }),
  );
  assert.equal(line, '03:04:05.678 INFO  listener connected mount=/listen agent="VLC 3.0" listener=7\n');
  assert.equal(prettyLine('not json'), 'not json\n');
});

test('the relay logs readable lines with --log-format pretty, and none per chunk while streaming', async (t) => {
  const relay = await RelayProcess.startFor(t, ['--log-format', 'pretty']);
  assert.doesNotMatch(relay.stdout, /^\{/m, 'no JSON lines');
  const { port, ingestPort } = relay;

  const source = await SyntheticSource.connect(ingestPort);
  t.after(() => source.close());
  source.send(40);
  source.pace(200);
  const listener = new RawListener(port, '/listen');
  t.after(() => listener.destroy());
  await waitFor(
    () => /INFO {2}listener connected mount=\/listen listener=\d+ remote=127\.0\.0\.1/.test(relay.stdout),
    5000,
    'a pretty connect line',
  );
  const out = () => relay.stdout;
  const linesAfterConnect = out().split('\n').length;
  // Some hundred source writes and flushes later, still no new line.
  await waitFor(() => listener.bodyBytes > 200 * 417, 10_000, 'a couple of hundred frames');
  assert.equal(
    out().split('\n').length,
    linesAfterConnect,
    `new lines while streaming:\n${out()
      .split('\n')
      .slice(linesAfterConnect - 1)
      .join('\n')}`,
  );
});

test('JSON stays the format when stdout is not a terminal', async (t) => {
  const relay = await RelayProcess.startFor(t);
  const ready = await relay.waitForLog((l) => l.msg === 'relay ready');
  assert.equal(ready.level, 30);
  assert.equal(typeof ready.time, 'number');
});
