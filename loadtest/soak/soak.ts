// `npm run soak -- --minutes N`: runs one relay for N minutes under the life
// a station gives it (listeners that come and go, title updates, a source
// that reconnects every few minutes) and reports its memory and event loop
// over time: a line per --sample-seconds (RSS, V8 heap, event-loop delay p99
// and max, listeners, scrape time) and a JSON summary at the end (first,
// last and peak of each, and the RSS growth from the first full minute to
// the end, which is what "memory flat" is judged by). Light by design: tens
// of listeners. Run it under `flock /tmp/relaycast-load.lock` (the bench's lock).

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseRssKb } from '../bench/proc-stats.js';
import { CLI, type RelayChild, startRelayChild } from './relay-child.js';

const SAMPLE = fileURLToPath(new URL('../../../samples/tone-128k.mp3', import.meta.url));
const PASSWORD = 'soak-source-pw';
const MOUNT = '/soak';

interface Sample {
  atSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  listeners: number;
  scrapeMs: number;
}

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    listeners: { type: 'string', default: '30' },
    'reconnect-minutes': { type: 'string', default: '3' },
    'sample-seconds': { type: 'string', default: '60' },
    'title-seconds': { type: 'string', default: '10' },
    out: { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const listenerCount = Number(values.listeners);
const reconnectMs = Number(values['reconnect-minutes']) * 60_000;
const sampleMs = Number(values['sample-seconds']) * 1000;
const titleMs = Number(values['title-seconds']) * 1000;

function startRelay(): Promise<RelayChild> {
  return startRelayChild(PASSWORD, ['--admin-password', 'soak-admin-pw']);
}

function startSource(ingestPort: number): ChildProcess {
  return spawn(process.execPath, [CLI, 'push', SAMPLE, '--loop', '--url', `http://source:${PASSWORD}@127.0.0.1:${ingestPort}${MOUNT}`], {
    stdio: 'ignore',
  });
}

/** A listener that stays 5-60 s, then leaves; `onEnd` starts the next. */
function listen(port: number, onEnd: () => void): void {
  const stayMs = 5000 + Math.random() * 55_000;
  const req = http.get(
    { host: '127.0.0.1', port, path: MOUNT, agent: false, headers: { 'Icy-MetaData': Math.random() < 0.5 ? '1' : '0' } },
    (res) => {
      res.on('data', () => undefined);
      res.on('end', onEnd);
    },
  );
  const timer = setTimeout(() => req.destroy(), stayMs);
  req.on('error', () => undefined);
  req.on('close', () => {
    clearTimeout(timer);
    onEnd();
  });
}

async function scrape(port: number): Promise<{ text: string; ms: number }> {
  const startedMs = performance.now();
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  return { text, ms: performance.now() - startedMs };
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : Number.NaN;
}

async function main(): Promise<void> {
  const relay = await startRelay();
  const pid = relay.child.pid as number;
  let source = startSource(relay.ingestPort);
  let reconnects = 0;
  const startedMs = performance.now();
  const endAtMs = startedMs + minutes * 60_000;
  let stopping = false;
  let listenersStarted = 0;
  const startListener = () => {
    if (stopping) return;
    listenersStarted++;
    let ended = false;
    listen(relay.port, () => {
      if (ended) return;
      ended = true;
      setTimeout(startListener, 200 + Math.random() * 2000);
    });
  };
  // Let the source connect before the first listeners arrive.
  await new Promise((r) => setTimeout(r, 2000));
  for (let i = 0; i < listenerCount; i++) setTimeout(startListener, Math.random() * 5000);

  let titles = 0;
  const titleTimer = setInterval(() => {
    titles++;
    const auth = Buffer.from(`source:${PASSWORD}`).toString('base64');
    fetch(`http://127.0.0.1:${relay.port}/admin/metadata?mount=${MOUNT}&mode=updinfo&song=soak%20title%20${titles}`, {
      headers: { Authorization: `Basic ${auth}` },
    }).catch(() => undefined);
  }, titleMs);
  const reconnectTimer = setInterval(() => {
    reconnects++;
    source.kill('SIGKILL');
    source = startSource(relay.ingestPort);
  }, reconnectMs);

  const samples: Sample[] = [];
  const takeSample = async () => {
    const { text, ms } = await scrape(relay.port);
    const sample: Sample = {
      atSeconds: Math.round((performance.now() - startedMs) / 1000),
      rssBytes: parseRssKb(readFileSync(`/proc/${pid}/status`, 'utf8')) * 1024,
      heapUsedBytes: metric(text, 'nodejs_heap_size_used_bytes'),
      loopDelayP99Ms: metric(text, 'nodejs_eventloop_lag_p99_seconds') * 1000,
      loopDelayMaxMs: metric(text, 'nodejs_eventloop_lag_max_seconds') * 1000,
      listeners: metric(text, 'relaycast_listeners'),
      scrapeMs: ms,
    };
    samples.push(sample);
    const mb = (b: number) => (b / 2 ** 20).toFixed(1);
    process.stdout.write(
      `${String(sample.atSeconds).padStart(5)} s  rss ${mb(sample.rssBytes)} MiB  heap ${mb(sample.heapUsedBytes)} MiB  ` +
        `loop p99 ${sample.loopDelayP99Ms.toFixed(1)} ms max ${sample.loopDelayMaxMs.toFixed(1)} ms  listeners ${sample.listeners}  ` +
        `scrape ${sample.scrapeMs.toFixed(1)} ms  reconnects ${reconnects}  titles ${titles}\n`,
    );
  };
  await takeSample();
  while (performance.now() < endAtMs) {
    await new Promise((r) => setTimeout(r, Math.min(sampleMs, endAtMs - performance.now())));
    await takeSample();
  }

  stopping = true;
  clearInterval(titleTimer);
  clearInterval(reconnectTimer);
  source.kill('SIGKILL');
  const exited = new Promise<number | null>((resolve) => relay.child.once('exit', resolve));
  relay.child.kill('SIGTERM');
  const exitCode = await exited;
  const steady = samples.find((s) => s.atSeconds >= 60) ?? samples[0];
  const last = samples[samples.length - 1];
  const peak = (pick: (s: Sample) => number) => Math.max(...samples.map(pick));
  const summary = {
    minutes,
    listeners: listenerCount,
    listenerSessions: listenersStarted,
    sourceReconnects: reconnects,
    titleUpdates: titles,
    samples: samples.length,
    rssBytes: { first: samples[0].rssBytes, steady: steady.rssBytes, last: last.rssBytes, peak: peak((s) => s.rssBytes) },
    rssGrowthFromSteadyBytes: last.rssBytes - steady.rssBytes,
    heapUsedBytes: { first: samples[0].heapUsedBytes, last: last.heapUsedBytes, peak: peak((s) => s.heapUsedBytes) },
    loopDelayMs: { p99Peak: peak((s) => s.loopDelayP99Ms), maxPeak: peak((s) => s.loopDelayMaxMs) },
    scrapeMsPeak: peak((s) => s.scrapeMs),
    relayExitCode: exitCode,
    series: samples,
  };
  const json = JSON.stringify(summary, null, 2);
  process.stdout.write(`${json}\n`);
  if (values.out) writeFileSync(values.out, `${json}\n`);
  process.exit(exitCode === 0 ? 0 : 1);
}

await main();
