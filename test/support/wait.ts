// Waiting for something to become true, with a deadline: the only way tests
// here wait. Polls every few milliseconds; fails with what it waited for.

import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 10;

export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(POLL_MS);
  }
}
