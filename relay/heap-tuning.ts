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
//
// On one CPU, V8 marks the old generation on the main thread only. Its
// concurrent markers are threads of their own, and with one CPU to share they
// run instead of the event loop, not beside it: while 15000 listeners joined
// a relay pinned to one core, incremental marking steps of 16-24 ms (the main
// thread waiting for its helpers) held the event loop and the first-byte p99
// was 25-33 ms; marking on the main thread alone, in steps of at most 4 ms,
// it was 16 ms for the same CPU (BENCHMARKS.md, "Where the first-byte tail
// went"). With two CPUs or more the helpers run beside the loop, as V8 means
// them to. Only this one flag is switched at run time: it is read each time
// marking starts, while switching the other threading flags (e.g.
// --single-threaded-gc) after start-up crashed V8 (Node 20.20).

import os from 'node:os';
import v8 from 'node:v8';

/** Stops the young generation from growing past its initial size, from now on. */
export function capYoungGeneration(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/** Whether old-generation marking was kept on the main thread (one CPU); set by tuneHeapForRelay. */
let markingOnMainThread = false;

/**
 * The relay's heap settings, applied before its modules load (relay/cli.ts):
 * the young generation capped, and marking on the main thread when this
 * process may use one CPU only (its affinity, as taskset or a cpuset sets it).
 */
export function tuneHeapForRelay(): void {
  capYoungGeneration();
  if (os.availableParallelism() === 1) {
    v8.setFlagsFromString('--no-concurrent-marking');
    markingOnMainThread = true;
  }
}

/** How the old generation is marked, for the relay's start-up log line. */
export function oldGenerationMarking(): 'main-thread' | 'concurrent' {
  return markingOnMainThread ? 'main-thread' : 'concurrent';
}

/** The young generation's reserved size in bytes (both semi-spaces). */
export function youngGenerationBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}
