// Is a port free, is a server listening, is a mount streaming: the checks
// the bench makes before and while starting a server. Each probe is one
// short connection with its own timeout; the waits poll under a deadline.

import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const PROBE_TIMEOUT_MS = 1000;
const POLL_MS = 100;

/** Resolves when nothing listens on 127.0.0.1:port; rejects with a sentence that names the port. */
export async function assertPortFree(port: number): Promise<void> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${port} on 127.0.0.1 is in use; stop what listens there (ss -ltnp 'sport = :${port}') or pass --port`
            : `cannot bind 127.0.0.1:${port}: ${err.message}`,
        ),
      ),
    );
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** One GET: true when the answer is 200 and at least one body byte follows. */
export function mountStreams(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    let head = Buffer.alloc(0);
    const socket = net.connect({ port, host: '127.0.0.1' }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: relaycast-bench-probe\r\n\r\n`);
    });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.on('data', (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      if (!/^HTTP\/1\.[01] 200\b/.test(statusLine)) return done(false);
      // Chunked framing counts too: a chunk size line means bytes are coming.
      if (head.length > end + 4) done(true);
    });
    socket.once('error', () => done(false));
    socket.once('end', () => done(false));
  });
}

/** Polls `probe` until it is true; throws after `timeoutMs` saying what it waited for. */
export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const startedMs = performance.now();
  for (;;) {
    if (await probe()) return performance.now() - startedMs;
    if (performance.now() - startedMs > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(POLL_MS);
  }
}
