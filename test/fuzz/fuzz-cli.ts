// `npm run fuzz -- [--seed N] [--cases N] [--requests N] [--seconds S]`: the
// fuzzer of test/fuzz.integration.test.ts for as long as asked, for the
// release checklist. Prints the seed first, and a JSON report at the end.

import { parseArgs } from 'node:util';
import { fuzzSeed } from './prng.js';
import { exitCodes, runLiveFuzz, runParserFuzz } from './run-fuzz.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    cases: { type: 'string', default: '20000' },
    requests: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '120' },
  },
});
const seed = fuzzSeed(values.seed === undefined ? undefined : Number(values.seed));
const seconds = Number(values.seconds);
process.stdout.write(`fuzz seed ${seed} (reproduce with --seed ${seed})\n`);
const parsers = runParserFuzz(seed, Number(values.cases), seconds / 2);
process.stdout.write(`parsers: ${JSON.stringify(parsers)}\n`);
const live = await runLiveFuzz(seed, Number(values.requests), seconds / 2);
process.stdout.write(`${JSON.stringify({ seed, parsers, live, relayExitCode: exitCodes.get(seed) })}\n`);
if (exitCodes.get(seed) !== 0) process.exitCode = 1;
