// V8 heap settings for a long-running relay process. V8 doubles its young
// generation (up to 2 x 16 MiB on 64-bit) whenever many objects survive a
// scavenge, as every new listener's socket state does while thousands join,
// and it keeps that size under steady allocation. That was about 3 KiB of
// RSS per listener at 10000 listeners on our node:net server, half of its
// memory (BENCHMARKS.md, "Where the front door's memory went"). Kept at its
// initial 1 MiB semi-space the scavenges are more frequent but stay short
// (measured: about 9 a second at 10000 listeners, 1.5 ms each).
//
// Why a growth factor and not --max-semi-space-size: that flag is read once,
// when the heap is set up, so it works only on node's command line, which an
// operator's `relaycast relay` does not control. The growth factor is read
// each time V8 grows the young generation; V8 raises a command-line value
// below 2 to 2 at start-up, but honours 1 set afterwards (Node 20.20, V8 11.3;
// test/heap-tuning.test.ts checks it still does).

import v8 from 'node:v8';

/** Stops the young generation from growing past its initial size, from now on. */
export function capYoungGeneration(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/** The young generation's reserved size in bytes (both semi-spaces). */
export function youngGenerationBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}
