// `npm run bench:scrape`: what one /metrics scrape costs with many live
// mounts, and what is left of the mounts' series after thousands of
// short-lived mounts came and went (issue 10: a scrape with 100 live
// mounts answers in under 50 ms and never holds the event loop longer).
// The loop hold is seen from outside: a /healthz sent with each scrape
// can only be answered when the relay's loop is free, so its latency is
// the longest the scrape held the loop (plus the network's share). And
// the relay's own CPU time per scrape (from /proc, less what it spends in
// an equally long window without scrapes) is what the scrape costs on an
// idle machine, where wall time is the busy machine's as much as ours.
// Run it under `flock /tmp/relaycast-load.lock`, like every bench.

import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { readProcessCpuTicks, ticksPerSecond } from '../bench/proc-stats.js';
import { startRelayChild } from './relay-child.js';

const PASSWORD = 'scrape-source-pw';
/** One MPEG-1 Layer III frame header (128 kbps, 44.1 kHz) padded to its 417 bytes. */
const FRAME = Buffer.alloc(417, 0x11);
FRAME.set([0xff, 0xfb, 0x90, 0x44]);
const FRAME_EVERY_MS = 100;
const LISTENERS = 20;
/** Time for every mount's series to exist before the first scrape. */
const SETTLE_MS = 6000;
const CHURN_BATCH = 50;

const { values } = parseArgs({
  options: {
    mounts: { type: 'string', default: '100' },
    scrapes: { type: 'string', default: '30' },
    churn: { type: 'string', default: '3000' },
  },
});
const liveMounts = Number(values.mounts);
const scrapeCount = Number(values.scrapes);
const churnMounts = Number(values.churn);

/** A PUT source on `mount` that has sent three frames (its mount exists once this resolves). */
function openSource(ingestPort: number, mount: string): Promise<net.Socket> {
  const auth = Buffer.from(`source:${PASSWORD}`).toString('base64');
  return new Promise((resolve, reject) => {
    const socket = net.connect(ingestPort, '127.0.0.1', () => {
      socket.write(`PUT ${mount} HTTP/1.1\r\nHost: bench\r\nAuthorization: Basic ${auth}\r\nContent-Type: audio/mpeg\r\n\r\n`);
    });
    socket.once('error', reject);
    socket.once('data', (reply: Buffer) => {
      if (!reply.toString('latin1').startsWith('HTTP/1.1 200')) reject(new Error(`${mount}: ${reply.toString('latin1').split('\r\n')[0]}`));
      socket.write(Buffer.concat([FRAME, FRAME, FRAME]));
      resolve(socket);
    });
  });
}

function openListener(port: number, mount: string): net.Socket {
  const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${mount} HTTP/1.1\r\nHost: bench\r\n\r\n`));
  socket.on('error', () => undefined);
  socket.resume();
  return socket;
}

async function timedGet(url: string): Promise<{ ms: number; text: string }> {
  const startedMs = performance.now();
  const text = await fetch(url).then((r) => r.text());
  return { ms: performance.now() - startedMs, text };
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Series that carry a mount label: what grows with mounts. */
function mountSeries(text: string): number {
  return text.split('\n').filter((line) => !line.startsWith('#') && line.includes('mount="')).length;
}

const round = (ms: number) => Number(ms.toFixed(1));

async function main(): Promise<void> {
  const relay = await startRelayChild(PASSWORD, ['--source-grace-ms', '0', '--max-mounts', String(liveMounts + CHURN_BATCH)]);
  const base = `http://127.0.0.1:${relay.port}`;
  try {
    const sources: net.Socket[] = [];
    for (let i = 0; i < liveMounts; i++) sources.push(await openSource(relay.ingestPort, `/live-${i}`));
    const pacer = setInterval(() => {
      for (const s of sources) s.write(FRAME);
    }, FRAME_EVERY_MS);
    const listeners = Array.from({ length: LISTENERS }, (_, i) => openListener(relay.port, `/live-${i % liveMounts}`));
    await sleep(SETTLE_MS);
    const scrapeMs: number[] = [];
    const healthMs: number[] = [];
    let text = '';
    const pid = relay.child.pid as number;
    const ticksBefore = readProcessCpuTicks(pid);
    const scrapingStartedMs = performance.now();
    for (let i = 0; i < scrapeCount; i++) {
      const health = timedGet(`${base}/healthz`);
      const scrape = await timedGet(`${base}/metrics`);
      healthMs.push((await health).ms);
      scrapeMs.push(scrape.ms);
      text = scrape.text;
    }
    const scrapingTicks = readProcessCpuTicks(pid) - ticksBefore;
    const idleTicksBefore = readProcessCpuTicks(pid);
    await sleep(performance.now() - scrapingStartedMs);
    const idleTicks = readProcessCpuTicks(pid) - idleTicksBefore;
    const cpuMsPerScrape = ((scrapingTicks - idleTicks) * 1000) / ticksPerSecond() / scrapeCount;
    console.log(
      JSON.stringify({
        phase: `${liveMounts} live mounts, ${LISTENERS} listeners`,
        cpuMsPerScrape: round(cpuMsPerScrape),
        scrapes: scrapeCount,
        scrapeMs: { median: round(quantile(scrapeMs, 0.5)), p95: round(quantile(scrapeMs, 0.95)), max: round(Math.max(...scrapeMs)) },
        healthzBesideScrapeMs: { median: round(quantile(healthMs, 0.5)), max: round(Math.max(...healthMs)) },
        scrapeBytes: text.length,
        mountSeries: mountSeries(text),
      }),
    );
    clearInterval(pacer);
    for (const s of [...sources, ...listeners]) s.destroy();

    const churnStartedMs = performance.now();
    for (let i = 0; i < churnMounts; i += CHURN_BATCH) {
      const n = Math.min(CHURN_BATCH, churnMounts - i);
      const batch = await Promise.all(Array.from({ length: n }, (_, j) => openSource(relay.ingestPort, `/churn-${i + j}`)));
      for (const s of batch) s.destroy();
    }
    const churnSeconds = (performance.now() - churnStartedMs) / 1000;
    // The last batch's sources close as the relay reads their FIN: give it a moment to forget them.
    await sleep(2000);
    const afterMs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const scrape = await timedGet(`${base}/metrics`);
      afterMs.push(scrape.ms);
      text = scrape.text;
    }
    console.log(
      JSON.stringify({
        phase: `after ${churnMounts} short-lived mounts (and the ${liveMounts} live ones) went`,
        churnSeconds: round(churnSeconds),
        mountSeries: mountSeries(text),
        scrapeBytes: text.length,
        scrapeMs: { median: round(quantile(afterMs, 0.5)), max: round(Math.max(...afterMs)) },
      }),
    );
  } finally {
    relay.child.kill('SIGTERM');
  }
}

await main();
