// capYoungGeneration relies on V8 reading --semi-space-growth-factor at run
// time; if a Node upgrade stops that, this test says so.

import assert from 'node:assert/strict';
import test from 'node:test';
import { capYoungGeneration, youngGenerationBytes } from '../relay/heap-tuning.js';

test('after capYoungGeneration the young generation stays at its initial size while many objects survive', () => {
  const before = youngGenerationBytes();
  capYoungGeneration();
  // About 40 MB of objects that all survive their scavenges, as joining listeners' sockets do.
  const kept: Array<{ i: number; pair: number[]; text: string }> = [];
  for (let i = 0; i < 300_000; i++) kept.push({ i, pair: [i, i + 1], text: `listener-${i}` });
  assert.equal(kept.length, 300_000);
  assert.ok(youngGenerationBytes() <= Math.max(before, 2 * 1024 * 1024), `young generation grew to ${youngGenerationBytes()} bytes`);
});
