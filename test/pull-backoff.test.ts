// A pull relay's wait between rounds of failed upstream attempts
// (ingest/pull/backoff.ts): it starts at its first delay, doubles to its
// cap, each delay drawn within its jitter band, and starts again after reset.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, RECONNECT_FIRST_DELAY_MS, RECONNECT_JITTER_RATIO, RECONNECT_MAX_DELAY_MS } from '../ingest/pull/backoff.js';

test('the backoff grows from its first delay by doubling to its cap, each delay within its jitter band', () => {
  const low = new Backoff(() => 0);
  const high = new Backoff(() => 1);
  const bases: number[] = [];
  for (let i = 0; i < 8; i++) {
    const lo = low.nextDelayMs();
    const hi = high.nextDelayMs();
    const base = Math.round((lo + hi) / 2);
    bases.push(base);
    assert.equal(lo, Math.round(base * (1 - RECONNECT_JITTER_RATIO)));
    assert.equal(hi, Math.round(base * (1 + RECONNECT_JITTER_RATIO)));
  }
  assert.equal(bases[0], RECONNECT_FIRST_DELAY_MS);
  assert.equal(bases[1], RECONNECT_FIRST_DELAY_MS * 2);
  assert.equal(bases.at(-1), RECONNECT_MAX_DELAY_MS);
  low.reset();
  assert.equal(low.nextDelayMs(), Math.round(RECONNECT_FIRST_DELAY_MS * (1 - RECONNECT_JITTER_RATIO)));
});
