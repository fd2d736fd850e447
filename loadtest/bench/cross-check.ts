// Cross-checks the load tool's byte counts once against an independent
// client (issue 4): a small relaycast with the real-time feed, 20 load-tool
// listeners and 3 curl listeners started together for the same seconds, then
// three counts side by side: the tool's (its body bytes / listeners), curl's
// own (%{size_download}, body bytes after de-chunking), and the relay's
// (each listener's sentBytes from its 'listener disconnected' log line, told
// apart by User-Agent). Prints markdown for BENCHMARKS.md.
//
// Run it under the load lock: flock /tmp/relaycast-load.lock node dist/loadtest/bench/cross-check.js

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadtestReport } from '../report.js';
import { LOAD_CORE, startFeed } from './feed.js';
import { ManagedProcess } from './managed-process.js';
import { assertPortFree } from './port-probe.js';
import { BENCH_PRIORITY, MOUNT_PATH, ServerUnderTest } from './server-process.js';

const REPO_DIR = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const PORT = 18300;
const TOOL_LISTENERS = 20;
const CURL_LISTENERS = 3;
const DURATION_S = 20;
/** curl's --max-time ends it; the tool ends at --duration and needs a moment to report. */
const EXIT_GRACE_MS = 30_000;

interface RelayCount {
  agent: string;
  sentBytes: number;
}

function relayCounts(logText: string): RelayCount[] {
  const counts: RelayCount[] = [];
  const agentOf = new Map<number, string>();
  for (const line of logText.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { msg?: string; listener?: number; agent?: string; sentBytes?: number };
    if (e.msg === 'listener connected' && e.listener !== undefined) agentOf.set(e.listener, e.agent ?? '');
    if (e.msg === 'listener disconnected' && e.listener !== undefined && e.sentBytes !== undefined) {
      counts.push({ agent: agentOf.get(e.listener) ?? '', sentBytes: e.sentBytes });
    }
  }
  return counts;
}

async function main(): Promise<void> {
  await assertPortFree(PORT);
  await assertPortFree(PORT + 1);
  const dir = mkdtempSync(join(tmpdir(), 'relaycast-cross-check-'));
  const started: Array<{ stop(): Promise<void> }> = [];
  let server: ServerUnderTest | undefined;
  let report: LoadtestReport;
  const curlCounts: number[] = [];
  const commands: string[] = [];
  try {
    server = await ServerUnderTest.start('relaycast', {
      repoDir: REPO_DIR,
      port: PORT,
      outputBase: join(dir, 'relay'),
      relaycastLogLevel: 'info',
      // The front door: the node:net server that every player reaches (issue 15).
      relaycastDoor: 'socket',
    });
    started.push(server);
    const feed = await startFeed(server, 'realtime', REPO_DIR, join(dir, 'relay'));
    started.push(feed);
    const url = `http://127.0.0.1:${server.listenPort}${MOUNT_PATH}`;
    const pin = [...BENCH_PRIORITY, 'taskset', '-c', String(LOAD_CORE)];
    const tool = ManagedProcess.start(
      [
        ...pin,
        'node',
        'dist/relay/cli.js',
        'loadtest',
        '--url',
        url,
        '--listeners',
        String(TOOL_LISTENERS),
        '--duration',
        String(DURATION_S),
        '--ramp',
        '500',
        '--json',
      ],
      { cwd: REPO_DIR, outputBase: join(dir, 'tool'), captureStdout: true },
    );
    started.push(tool);
    const curls = Array.from({ length: CURL_LISTENERS }, (_, i) =>
      ManagedProcess.start([...pin, 'curl', '-s', '-o', '/dev/null', '-w', '%{size_download}', '--max-time', String(DURATION_S), url], {
        cwd: REPO_DIR,
        outputBase: join(dir, `curl${i}`),
        captureStdout: true,
      }),
    );
    started.push(...curls);
    commands.push(
      server.process.command,
      feed.command,
      tool.command,
      `${curls[0].command}   # ${CURL_LISTENERS} of these, started with the tool`,
    );
    for (const p of [tool, ...curls]) {
      if (!(await p.waitForExit(DURATION_S * 1000 + EXIT_GRACE_MS))) throw new Error(`${p.command} did not finish`);
    }
    report = JSON.parse(tool.stdout) as LoadtestReport;
    for (const c of curls) curlCounts.push(Number(c.stdout.trim()));
  } finally {
    for (const p of started.reverse()) await p.stop();
  }
  const relaycastLog = server.relaycastLog;
  // The cross-check starts relaycast, which always has this log.
  if (relaycastLog === undefined) throw new Error(`${server.name} has no relaycast log (the cross-check runs only relaycast)`);
  const relay = relayCounts(readFileSync(relaycastLog, 'utf8'));
  const relayTool = relay.filter((c) => c.agent === 'relaycast-loadtest').map((c) => c.sentBytes);
  const relayCurl = relay.filter((c) => c.agent.startsWith('curl/')).map((c) => c.sentBytes);
  const toolMean = report.bodyBytes / report.connected;
  const stats = (v: number[]) =>
    v.length === 0 ? 'n/a' : `min ${Math.min(...v)}, mean ${Math.round(v.reduce((a, b) => a + b, 0) / v.length)}, max ${Math.max(...v)}`;
  const out = [
    `| client | listeners | body bytes per listener over ${DURATION_S} s | relay's sentBytes for them |`,
    '| --- | --- | --- | --- |',
    `| relaycast loadtest | ${report.connected} | mean ${Math.round(toolMean)} (tool total ${report.bodyBytes}) | ${stats(relayTool)} |`,
    `| curl | ${curlCounts.length} | ${curlCounts.join(', ')} | ${relayCurl.join(', ')} |`,
    '',
    `Tool mean / curl mean: ${(toolMean / (curlCounts.reduce((a, b) => a + b, 0) / curlCounts.length)).toFixed(4)}. ` +
      `The tool's steady delivered rate: min ${report.steady?.deliveredKbps.min}, max ${report.steady?.deliveredKbps.max} kbit/s.`,
    '',
    '```sh',
    ...commands,
    '```',
    `(outputs in ${dir})`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
