// capYoungGeneration relies on V8 reading --semi-space-growth-factor at run
// time; if a Node upgrade stops that, this test says so. The relay must cap it
// before its modules load (relay/cli.ts): once grown, the young generation
// never shrinks back, which is how the cap once stopped working unnoticed.

import assert from 'node:assert/strict';
import os from 'node:os';
import test from 'node:test';
import { capYoungGeneration, youngGenerationBytes } from '../relay/heap-tuning.js';
import { requireTool } from './support/clients.js';
import { RelayProcess } from './support/relay-process.js';

const INITIAL_YOUNG_GENERATION_BYTES = 2 * 1024 * 1024;

test('after capYoungGeneration the young generation stays at its initial size while many objects survive', () => {
  const before = youngGenerationBytes();
  capYoungGeneration();
  // About 40 MB of objects that all survive their scavenges, as joining listeners' sockets do.
  const kept: Array<{ i: number; pair: number[]; text: string }> = [];
  for (let i = 0; i < 300_000; i++) kept.push({ i, pair: [i, i + 1], text: `listener-${i}` });
  assert.equal(kept.length, 300_000);
  assert.ok(
    youngGenerationBytes() <= Math.max(before, INITIAL_YOUNG_GENERATION_BYTES),
    `young generation grew to ${youngGenerationBytes()} bytes`,
  );
});

test('a started relay runs with the young generation at its initial size, not grown while its modules loaded', async (t) => {
  const relay = await RelayProcess.startFor(t);
  const youngBytes = await relay.metric('nodejs_heap_space_size_total_bytes', { space: 'new' });
  assert.ok(youngBytes <= INITIAL_YOUNG_GENERATION_BYTES, `the relay's young generation is ${youngBytes} bytes`);
});

test('a relay that may use one CPU marks its old generation on the main thread; with more it keeps V8 concurrent markers', async (t) => {
  const ready = (relay: RelayProcess) => relay.logs.find((l) => l.msg === 'relay ready');
  if (!requireTool(t, 'taskset')) return;
  const pinned = await RelayProcess.startFor(t, [], {}, { under: ['taskset', '-c', '0'] });
  assert.equal(ready(pinned)?.gcMarking, 'main-thread');
  if (os.availableParallelism() < 2) return; // this machine has one CPU: nothing to compare with
  const free = await RelayProcess.startFor(t);
  assert.equal(ready(free)?.gcMarking, 'concurrent');
});
