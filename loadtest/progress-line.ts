// The live one-line status shown on a terminal while a run goes: how many
// listeners are in, the aggregate and per-listener rate, and drops. It is
// rewritten in place (\r, clear to end of line) and only ever on a TTY, so
// logs and pipes get the final report alone.

import type { LoadtestProgress } from './run.js';

export function formatProgress(p: LoadtestProgress): string {
  const perListenerKbps = p.streaming > 0 ? (p.bytesPerS * 8) / 1000 / p.streaming : 0;
  return (
    `${(p.elapsedMs / 1000).toFixed(0).padStart(4)} s  ` +
    `connected ${p.connected}/${p.listeners}  streaming ${p.streaming}  failed ${p.failed}  ` +
    `rate ${((p.bytesPerS * 8) / 1e6).toFixed(1)} Mbit/s (${perListenerKbps.toFixed(1)} kbit/s each)  ` +
    `closed by server ${p.serverClosed}`
  );
}

/** Writes progress over the previous line; returns a function that ends the line. */
export function progressPrinter(stream: NodeJS.WriteStream): { show: (p: LoadtestProgress) => void; done: () => void } {
  let shown = false;
  return {
    show(p) {
      shown = true;
      stream.write(`\r${formatProgress(p)}\x1b[K`);
    },
    done() {
      if (shown) stream.write('\n');
      shown = false;
    },
  };
}
