// Upstream servers a pull relay connects to, written here on node:net so a
// test controls every byte: a SHOUTcast v1-style `ICY 200 OK` stream of
// numbered MP3 frames (mp3Frame) with ICY metadata interleaved every metaInt
// bytes when a title is set, or a fixed answer (a 404, an HTML page,
// garbage). It counts connections, keeps each request head, records the
// audio it sent in order, and stamps (performance.now()) the first body byte
// written on each connection, so a test in the same process can measure a
// listener's latency behind it. drop() cuts every connection; close() stops.

import { once } from 'node:events';
import net from 'node:net';
import { mp3Frame } from './clients.js';

export interface FakeUpstreamOptions {
  /** Status line and headers, without the blank line. Default: SHOUTcast v1's ICY 200 OK with icy-* headers. */
  head?: string;
  /** Interleave ICY metadata every this many audio bytes (announced as icy-metaint in the default head). */
  metaInt?: number;
  /** A fixed body sent after the head, then the connection closes (no frames). */
  fixedBody?: string;
  /** Frames per second while connected (38.28/s is real time at 128 kbps). */
  framesPerSecond?: number;
  /** Frames sent at once on connect (a server's burst). */
  burstFrames?: number;
}

export interface UpstreamConnection {
  socket: net.Socket;
  request: string;
  /** performance.now() when its first body byte was written. */
  firstBodyAtMs: number;
  /** Audio bytes sent, without metadata. */
  audio: Buffer[];
  closed: boolean;
}

export class FakeUpstream {
  readonly server: net.Server;
  port = 0;
  readonly connections: UpstreamConnection[] = [];
  /** Set to interleave it (as StreamTitle) in the next metadata block and every one after. */
  title = '';
  nextSerial = 0;
  private readonly opts: FakeUpstreamOptions;

  private constructor(opts: FakeUpstreamOptions) {
    this.opts = opts;
    this.server = net.createServer({ noDelay: true }, (socket) => this.serve(socket));
  }

  static async start(opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
    const upstream = new FakeUpstream(opts);
    upstream.server.listen(0, '127.0.0.1');
    await once(upstream.server, 'listening');
    upstream.port = (upstream.server.address() as net.AddressInfo).port;
    return upstream;
  }

  url(path = '/stream'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  get open(): UpstreamConnection[] {
    return this.connections.filter((c) => !c.closed);
  }

  drop(): void {
    for (const c of this.connections) c.socket.destroy();
  }

  async close(): Promise<void> {
    this.drop();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private serve(socket: net.Socket): void {
    const conn: UpstreamConnection = { socket, request: '', firstBodyAtMs: 0, audio: [], closed: false };
    this.connections.push(conn);
    socket.on('error', () => undefined);
    let timer: NodeJS.Timeout | undefined;
    socket.on('close', () => {
      conn.closed = true;
      clearInterval(timer);
    });
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.resume();
      conn.request = head.slice(0, end);
      timer = this.answer(conn);
    };
    socket.on('data', onData);
  }

  private answer(conn: UpstreamConnection): NodeJS.Timeout | undefined {
    const { socket } = conn;
    const metaInt = this.opts.metaInt;
    const head =
      this.opts.head ??
      [
        'ICY 200 OK',
        'icy-notice1: <BR>This stream requires a player',
        'icy-name: Fake Upstream',
        'icy-genre: Test',
        'icy-url: http://example.org/',
        'icy-br: 128',
        'icy-pub: 1',
        'content-type: audio/mpeg',
        ...(metaInt ? [`icy-metaint: ${metaInt}`] : []),
      ].join('\r\n');
    socket.write(`${head}\r\n\r\n`);
    if (this.opts.fixedBody !== undefined) {
      conn.firstBodyAtMs = performance.now();
      socket.end(this.opts.fixedBody);
      return undefined;
    }
    let untilMeta = metaInt ?? Infinity;
    const sendFrames = (count: number) => {
      if (socket.destroyed || count === 0) return;
      const pieces: Buffer[] = [];
      for (let i = 0; i < count; i++) {
        let frame = mp3Frame(this.nextSerial++);
        conn.audio.push(frame);
        // Cut the frame wherever a metadata block falls: blocks land mid-frame, as real servers place them.
        while (frame.length >= untilMeta) {
          pieces.push(frame.subarray(0, untilMeta), this.metadataBlock());
          frame = frame.subarray(untilMeta);
          untilMeta = metaInt as number;
        }
        pieces.push(frame);
        untilMeta -= frame.length;
      }
      if (conn.firstBodyAtMs === 0) conn.firstBodyAtMs = performance.now();
      socket.write(Buffer.concat(pieces));
    };
    sendFrames(this.opts.burstFrames ?? 0);
    const fps = this.opts.framesPerSecond ?? 38.28;
    const intervalMs = 20;
    let owed = 0;
    const timer = setInterval(() => {
      owed += (fps * intervalMs) / 1000;
      const n = Math.floor(owed);
      owed -= n;
      sendFrames(n);
    }, intervalMs);
    timer.unref();
    return timer;
  }

  private metadataBlock(): Buffer {
    if (this.title === '') return Buffer.from([0]);
    const text = Buffer.from(`StreamTitle='${this.title}';`, 'utf8');
    const units = Math.ceil(text.length / 16);
    const block = Buffer.alloc(1 + units * 16);
    block[0] = units;
    text.copy(block, 1);
    return block;
  }
}

/** A relaycast config file whose `mounts:` are `mounts` (YAML written as JSON, which YAML reads). */
export function relayConfigYaml(mounts: Record<string, Record<string, unknown>>): string {
  return `${JSON.stringify({ mounts }, null, 2)}\n`;
}
