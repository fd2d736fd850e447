// The fuzz driver, shared by `npm test` (test/fuzz.integration.test.ts, a
// few thousand cases in seconds) and `npm run fuzz` (test/fuzz/fuzz-cli.ts,
// as many cases and seconds as asked): the parser targets, then a live relay
// with a synthetic numbered source, a real MP3 pushed by `relaycast push`,
// and listeners on both ports, hit by fuzzed requests through real sockets
// in random pieces. Afterwards the listeners must hold contiguous frames
// byte-identical to what the source sent, the real MP3 must decode with no
// error, the relay must answer and exit cleanly, and no log line may hold a
// password. Every failure names the seed that reproduces it.

import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { RawListener, SyntheticSource, frameSerials, mp3Frame, FRAME_BYTES } from '../support/clients.js';
import { decodeFileWithFfmpeg, assertCleanDecode } from '../support/interop.js';
import { CLI, PASSWORD, RelayProcess, SAMPLE_MP3 } from '../support/relay-process.js';
import { waitFor } from '../support/wait.js';
import { FUZZ_TARGETS, mutate } from './parser-fuzz.js';
import { Prng } from './prng.js';
import { fuzzedHead } from './request-fuzz.js';

export interface ParserFuzzReport {
  cases: number;
  perTarget: Record<string, number>;
}

/** Runs `casesPerTarget` cases of every parser target (or until `seconds` pass). */
export function runParserFuzz(seed: number, casesPerTarget: number, seconds = Infinity): ParserFuzzReport {
  const perTarget: Record<string, number> = {};
  const deadlineMs = performance.now() + seconds * 1000;
  for (const [name, target] of Object.entries(FUZZ_TARGETS)) {
    // A PRNG per target, so a failure reproduces with its seed whatever runs before it.
    const rng = new Prng(seed ^ hash(name));
    let n = 0;
    for (; n < casesPerTarget && performance.now() < deadlineMs; n++) {
      try {
        target(rng);
      } catch (err) {
        throw new Error(
          `fuzz target ${name} failed at case ${n} with seed ${seed} (reproduce: FUZZ_SEED=${seed}): ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
    perTarget[name] = n;
  }
  return { cases: Object.values(perTarget).reduce((a, b) => a + b, 0), perTarget };
}

function hash(text: string): number {
  let h = 2166136261;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

export interface LiveFuzzReport {
  requests: number;
  framesChecked: number;
  decodedBytes: number;
  seconds: number;
}

/** Sends one fuzzed request in random pieces and hangs up after the answer or `lingerMs`. */
function sendFuzzed(rng: Prng, port: number, lingerMs: number): Promise<void> {
  // Mutated requests carry the decoy password: a mangled real one would be unrecognisable as a password.
  const mutated = rng.chance(0.5);
  const bytes = mutated ? mutate(rng, fuzzedHead(rng, true), 6) : fuzzedHead(rng);
  const cuts = rng.splits(bytes.length, 6);
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => socket.destroy(), lingerMs);
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    let piece = 1;
    const writeNext = () => {
      if (socket.destroyed || piece >= cuts.length) return;
      socket.write(bytes.subarray(cuts[piece - 1], cuts[piece]));
      piece++;
      setImmediate(writeNext);
    };
    socket.on('connect', writeNext);
  });
}

export async function runLiveFuzz(seed: number, requests: number, seconds: number): Promise<LiveFuzzReport> {
  const rng = new Prng(seed);
  const relay = await RelayProcess.start(['--source-grace-ms', '0', '--header-timeout-ms', '1000']);
  const startedMs = performance.now();
  const source = await SyntheticSource.connect(relay.ingestPort, { mount: '/listen' });
  const push = spawn(
    process.execPath,
    [CLI, 'push', SAMPLE_MP3, '--loop', '--url', `http://source:${PASSWORD}@127.0.0.1:${relay.ingestPort}/tone`],
    {
      stdio: 'ignore',
    },
  );
  const listeners: RawListener[] = [];
  try {
    source.send(100);
    source.pace(40);
    await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === '/tone');
    listeners.push(new RawListener(relay.port, '/listen'), new RawListener(relay.ingestPort, '/listen', { http10: true }));
    const tone = new RawListener(relay.port, '/tone');
    listeners.push(tone);
    await waitFor(() => listeners.every((l) => l.bodyBytes > 0), 10_000, 'every standing listener');

    let sent = 0;
    const deadlineMs = performance.now() + seconds * 1000;
    const worker = async () => {
      while (sent < requests && performance.now() < deadlineMs) {
        sent++;
        await sendFuzzed(rng, rng.chance(0.5) ? relay.port : relay.ingestPort, rng.int(50, 400));
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));

    const failures: string[] = [];
    if (relay.exitCode !== null) failures.push(`the relay exited with ${relay.exitCode}`);
    const health = await fetch(`${relay.listenUrl}/healthz`).then((r) => r.status, String);
    if (health !== 200) failures.push(`/healthz answered ${health}`);
    let framesChecked = 0;
    for (const listener of listeners.slice(0, 2)) {
      const body = listener.body();
      const whole = body.subarray(0, body.length - (body.length % FRAME_BYTES));
      const { serials } = frameSerials(whole);
      for (let i = 0; i < serials.length; i++) {
        if (i > 0 && serials[i] !== serials[i - 1] + 1) failures.push(`gap after frame ${serials[i - 1]}`);
        if (!whole.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES).equals(mp3Frame(serials[i])))
          failures.push(`frame ${serials[i]} changed`);
      }
      framesChecked += serials.length;
      if (listener.closed) failures.push('a standing listener was disconnected');
    }
    const recorded = join(tmpdir(), `relaycast-fuzz-${seed}.mp3`);
    writeFileSync(recorded, tone.body());
    try {
      assertCleanDecode('ffmpeg', await decodeFileWithFfmpeg(recorded));
    } catch (err) {
      failures.push(`the pushed MP3 did not decode cleanly: ${(err as Error).message}`);
    }
    if (failures.length > 0)
      throw new Error(`live fuzz with seed ${seed} (reproduce: FUZZ_SEED=${seed}): ${failures.slice(0, 5).join('; ')}`);
    return { requests: sent, framesChecked, decodedBytes: tone.bodyBytes, seconds: (performance.now() - startedMs) / 1000 };
  } finally {
    for (const l of listeners) l.destroy();
    source.close();
    push.kill('SIGKILL');
    // signal() also checks that no log line holds a password; the caller checks the exit code (a finally must not throw).
    exitCodes.set(seed, await relay.signal('SIGTERM'));
  }
}

/** The exit code of each live run's relay, by seed. */
export const exitCodes = new Map<number, number | null>();
