// Issue 10 item 9: the seeded fuzzer, in every `npm test`: a few thousand
// parser cases, then fuzzed requests against a live relay whose standing
// listeners must stay byte-identical and decode cleanly. A failure prints
// its seed; FUZZ_SEED=<seed> npm test reproduces it. `npm run fuzz` runs the
// same code for longer (release checklist).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireTool } from './support/clients.js';
import { fuzzSeed } from './fuzz/prng.js';
import { exitCodes, runLiveFuzz, runParserFuzz } from './fuzz/run-fuzz.js';

const seed = fuzzSeed();

test(`the parsers survive 500 fuzzed cases each and keep their invariants (seed ${seed})`, (t) => {
  const report = runParserFuzz(seed, 500);
  t.diagnostic(`seed ${seed}: ${JSON.stringify(report.perTarget)}`);
  assert.equal(report.cases, 500 * 6);
});

test(`fuzzed requests on both ports leave standing listeners byte-identical and decodable (seed ${seed})`, async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const report = await runLiveFuzz(seed, 400, 20);
  t.diagnostic(`seed ${seed}: ${JSON.stringify(report)}`);
  assert.ok(report.requests >= 100, `${report.requests} requests sent`);
  assert.ok(report.framesChecked > 100);
  assert.equal(exitCodes.get(seed), 0, 'the relay exited 0');
});
