// Real-socket clients for integration tests: a raw streaming listener, a raw
// one-shot request, a synthetic MP3 source whose every frame carries its
// serial number (so tests can check order and contiguity byte for byte),
// and helpers to find and run the Debian tools (ffmpeg, mpg123, promtool).

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { after, type TestContext } from 'node:test';
import { ChunkedDecoder } from '../../ingest/chunked-decoder.js';
import { PASSWORD } from './relay-process.js';
import { waitFor } from './wait.js';

// ---------------------------------------------------------------- listener

export interface RawListenerOptions {
  http10?: boolean;
  headers?: Record<string, string>;
  method?: string;
  /** Do not read at all after the request is sent (a stalled player). */
  stalled?: boolean;
}

export class RawListener {
  readonly socket: net.Socket;
  status = 0;
  headers = new Map<string, string>();
  readonly chunks: Buffer[] = [];
  /** performance.now() when each of `chunks` arrived. */
  readonly arrivalsMs: number[] = [];
  bodyBytes = 0;
  connectedAtMs = 0;
  firstByteAtMs = 0;
  /** The body ended cleanly: a chunked terminator, or FIN on a close-delimited body. */
  cleanEnd = false;
  closed = false;
  private head = Buffer.alloc(0);
  private decoder: ChunkedDecoder | undefined;

  constructor(port: number, path: string, opts: RawListenerOptions = {}) {
    const version = opts.http10 ? 'HTTP/1.0' : 'HTTP/1.1';
    const extra = Object.entries(opts.headers ?? {})
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    const host = opts.http10 ? '' : `Host: 127.0.0.1:${port}\r\n`;
    this.socket = net.connect({ port, host: '127.0.0.1' }, () => {
      this.connectedAtMs = performance.now();
      this.socket.write(`${opts.method ?? 'GET'} ${path} ${version}\r\n${host}${extra}\r\n`);
      if (opts.stalled) this.socket.pause();
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('end', () => {
      if (!this.decoder && this.status === 200) this.cleanEnd = true;
    });
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => undefined);
  }

  private onData(chunk: Buffer): void {
    if (this.status === 0) {
      this.head = Buffer.concat([this.head, chunk]);
      const end = this.head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = this.head.subarray(0, end).toString('latin1').split('\r\n');
      this.status = Number(lines[0].split(' ')[1]);
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        this.headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
      }
      if (/chunked/i.test(this.headers.get('transfer-encoding') ?? '')) {
        this.decoder = new ChunkedDecoder((bytes) => this.onBody(bytes));
      }
      chunk = this.head.subarray(end + 4);
      this.head = Buffer.alloc(0);
    }
    if (chunk.length === 0) return;
    if (this.decoder) {
      this.decoder.push(chunk);
      if (this.decoder.done) this.cleanEnd = true;
    } else {
      this.onBody(chunk);
    }
  }

  private onBody(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.firstByteAtMs === 0) this.firstByteAtMs = performance.now();
    this.chunks.push(Buffer.from(bytes));
    this.arrivalsMs.push(performance.now());
    this.bodyBytes += bytes.length;
  }

  /** Body bytes that arrived within `windowMs` of the first one. */
  bytesWithinMs(windowMs: number): number {
    let n = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      if (this.arrivalsMs[i] - this.firstByteAtMs <= windowMs) n += this.chunks[i].length;
    }
    return n;
  }

  body(): Buffer {
    return Buffer.concat(this.chunks);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------- one-shot request

export interface RawResponse {
  status: number;
  statusLine: string;
  headers: Map<string, string>;
  body: string;
  /** Interim (1xx) responses that came before this one, as sent. */
  interim: string;
}

/**
 * Sends raw bytes and reads one answer: done when its body is complete
 * (Content-Length, a chunked terminator, or no body for HEAD, 1xx, 204 and
 * 304), else when the server closes, or after `timeoutMs`. Completing on
 * the length matters on the uWS port, which keeps the connection open.
 * A 100 Continue before the answer is kept in `interim`.
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  const isHead = Buffer.from(request).subarray(0, 5).toString('latin1') === 'HEAD ';
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write(request));
    const parts: Buffer[] = [];
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (c: Buffer) => {
      parts.push(c);
      if (complete(Buffer.concat(parts).toString('latin1'), isHead)) finish();
    });
    socket.on('error', () => undefined);
    socket.on('close', finish);
    let done = false;
    function finish(): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      let text = Buffer.concat(parts).toString('latin1');
      let interim = '';
      while (/^HTTP\/1\.\d 1\d\d /.test(text) && text.includes('\r\n\r\n')) {
        const cut = text.indexOf('\r\n\r\n') + 4;
        interim += text.slice(0, cut);
        text = text.slice(cut);
      }
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) {
        reject(new Error(`no complete response: ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      const lines = text.slice(0, end).split('\r\n');
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
      }
      resolve({ status: Number(lines[0].split(' ')[1]), statusLine: lines[0], headers, body: text.slice(end + 4), interim });
    }
  });
}

/** Whether `text` holds a whole final response (after any 1xx), judged by its framing. */
function complete(text: string, isHead: boolean): boolean {
  for (;;) {
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) return false;
    const head = text.slice(0, end);
    const status = Number(head.split(' ')[1]);
    const body = text.slice(end + 4);
    if (status >= 100 && status < 200) {
      text = body;
      continue;
    }
    if (isHead || status === 204 || status === 304) return true;
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length) return Buffer.byteLength(body, 'latin1') >= Number(length[1]);
    if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) return /(^|\r\n)0\r\n\r\n$/.test(body);
    return false;
  }
}

// ---------------------------------------------------------------- synthetic MP3 source

/** MPEG-1 Layer III, 128 kbps, 44.1 kHz, no padding: 417 bytes, 26.12 ms of audio. */
export const FRAME_BYTES = 417;
const FRAME_HEADER = [0xff, 0xfb, 0x90, 0x44];

/** A valid MP3 frame whose payload spells `serial` and `tag` and holds no 0xFF byte. */
export function mp3Frame(serial: number, tag = 0): Buffer {
  const frame = Buffer.alloc(FRAME_BYTES, 0x11);
  frame.set(FRAME_HEADER, 0);
  // Seven bits per byte, so no payload byte can be 0xFF and look like a header.
  for (let i = 0; i < 4; i++) frame[4 + i] = (serial >>> (7 * (3 - i))) & 0x7f;
  frame[8] = tag & 0x7f;
  return frame;
}

function serialAt(body: Buffer, pos: number): number {
  let serial = 0;
  for (let i = 0; i < 4; i++) serial = serial * 128 + body[pos + 4 + i];
  return serial;
}

/** Serial numbers of the whole frames in `body`, which must start on a frame. */
export function frameSerials(body: Buffer): { serials: number[]; tags: number[]; trailing: number } {
  const serials: number[] = [];
  const tags: number[] = [];
  let pos = 0;
  while (pos + FRAME_BYTES <= body.length) {
    if (body[pos] !== 0xff || body[pos + 1] !== 0xfb) throw new Error(`no frame header at byte ${pos}`);
    serials.push(serialAt(body, pos));
    tags.push(body[pos + 8]);
    pos += FRAME_BYTES;
  }
  return { serials, tags, trailing: body.length - pos };
}

export interface SyntheticSourceOptions {
  mount?: string;
  method?: 'PUT' | 'SOURCE';
  password?: string;
  /** Marks this source's frames, to tell two sources apart. */
  tag?: number;
  /** The request line's version; default HTTP/1.0 for SOURCE, HTTP/1.1 for PUT. */
  version?: string;
}

/** An encoder stand-in over a raw socket, writing numbered frames when told to. */
export class SyntheticSource {
  readonly socket: net.Socket;
  response = '';
  nextSerial = 0;
  readonly tag: number;
  private timer: NodeJS.Timeout | undefined;

  private constructor(socket: net.Socket, tag: number) {
    this.socket = socket;
    this.tag = tag;
  }

  static connect(port: number, opts: SyntheticSourceOptions = {}): Promise<SyntheticSource> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      const source = new SyntheticSource(socket, opts.tag ?? 0);
      const auth = Buffer.from(`source:${opts.password ?? PASSWORD}`).toString('base64');
      socket.on('connect', () => {
        const version = opts.version ?? (opts.method === 'SOURCE' ? 'HTTP/1.0' : 'HTTP/1.1');
        socket.write(
          `${opts.method ?? 'PUT'} ${opts.mount ?? '/listen'} ${version}\r\nHost: 127.0.0.1\r\n` +
            `Authorization: Basic ${auth}\r\nContent-Type: audio/mpeg\r\nice-name: synthetic\r\n\r\n`,
        );
      });
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        source.response += chunk.toString('latin1');
        if (!source.response.includes('\r\n\r\n')) return;
        if (/^HTTP\/1\.\d 200/.test(source.response)) resolve(source);
        else reject(new Error(`source refused: ${source.response}`));
      });
    });
  }

  /** Writes `count` frames now. */
  send(count: number): void {
    const frames: Buffer[] = [];
    for (let i = 0; i < count; i++) frames.push(mp3Frame(this.nextSerial++, this.tag));
    this.socket.write(Buffer.concat(frames));
  }

  /** Writes frames on a timer at `framesPerSecond` (38.28/s is real time at 128 kbps). */
  pace(framesPerSecond: number): void {
    const intervalMs = 20;
    let owed = 0;
    this.timer = setInterval(() => {
      owed += (framesPerSecond * intervalMs) / 1000;
      const n = Math.floor(owed);
      owed -= n;
      if (n > 0) this.send(n);
    }, intervalMs);
    // A test that fails in its teardown skips its later hooks (and so stop()): the timer must not keep the file running.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Leaves mid-frame, as a crashing encoder does. */
  dropMidFrame(): void {
    this.stop();
    this.socket.end(mp3Frame(this.nextSerial++, this.tag).subarray(0, 200));
  }

  close(): void {
    this.stop();
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------- external tools

/** True when `name` is on PATH (for setup code, which has no test to skip). */
export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** True when `name` is on PATH. Under CI=true a missing tool fails the test instead of skipping it. */
export function requireTool(t: TestContext, name: string): boolean {
  if (hasTool(name)) return true;
  if (process.env.CI === 'true') throw new Error(`${name} is required under CI (install it in .ci/run)`);
  t.skip(`${name} is not installed`);
  return false;
}

/** `cmd args` as an unprivileged user when we are root (VLC and Icecast refuse root). */
export function unprivileged(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'nobody', '--', cmd, ...args]] : [cmd, args];
}

/** A port the kernel had free a moment ago (for servers such as Icecast that cannot be told to pick one). */
export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Tools still running; killed when the test file ends, so a failed teardown leaves no encoder behind. */
const runningTools = new Set<ChildProcess>();
after(() => {
  for (const child of runningTools) child.kill('SIGKILL');
});

/** Tracks a spawned tool until it exits (every tool the helpers start goes through here). */
export function trackTool<T extends ChildProcess>(child: T): T {
  runningTools.add(child);
  child.on('exit', () => runningTools.delete(child));
  return child;
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (killed after `timeoutMs`). */
export function runTool(cmd: string, args: string[], timeoutMs = 30_000): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = trackTool(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running program; the caller kills it. */
export function startTool(cmd: string, args: string[]): { child: ReturnType<typeof spawn>; stderr: () => string } {
  const child = trackTool(spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  return { child, stderr: () => stderr };
}

/** A PUT source on a raw socket, answered 200 before it sends a byte; it sends what the test writes, when it writes it. */
export async function rawPutSource(port: number, mount: string, contentType: string, extraHeaders = ''): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  const auth = Buffer.from(`source:${PASSWORD}`).toString('base64');
  socket.write(
    `PUT ${mount} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic ${auth}\r\nContent-Type: ${contentType}\r\n${extraHeaders}\r\n`,
  );
  let answer = '';
  await waitFor(
    () => {
      answer += socket.read()?.toString('latin1') ?? '';
      return answer.includes('\r\n\r\n');
    },
    5000,
    'the answer to PUT',
  );
  if (!/^HTTP\/1\.1 200/.test(answer)) throw new Error(`source refused: ${answer}`);
  return socket;
}
