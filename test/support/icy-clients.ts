// Clients for the title tests: a title update over a raw socket (either
// port, any HTTP version), a SHOUTcast v1 source (password line, OK2, icy-*
// lines, then numbered MP3 frames), and an Icecast source that interleaves
// ICY metadata into its body the way a relay of another server does.

import net from 'node:net';
import type { TestContext } from 'node:test';
import { encodeIcyBlock } from '../../relay/formats/icy-metadata.js';
import { mp3Frame, rawPutSource, rawRequest, type RawResponse } from './clients.js';
import { PASSWORD, RelayProcess } from './relay-process.js';
import { waitFor } from './wait.js';

export interface TitleUpdateOptions {
  /** user:password for Basic auth; none when undefined. */
  credentials?: string;
  http10?: boolean;
}

/** GET `pathAndQuery` (e.g. /admin/metadata?mount=/m&mode=updinfo&song=x) and read the answer. */
export function titleUpdate(port: number, pathAndQuery: string, opts: TitleUpdateOptions = {}): Promise<RawResponse> {
  const auth = opts.credentials ? `Authorization: Basic ${Buffer.from(opts.credentials).toString('base64')}\r\n` : '';
  const request = opts.http10
    ? `GET ${pathAndQuery} HTTP/1.0\r\n${auth}\r\n`
    : `GET ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Connection: close\r\n\r\n`;
  return rawRequest(port, Buffer.from(request, 'latin1'));
}

/** /admin/metadata for `mount` with `song` percent-encoded as UTF-8. */
export function setSong(port: number, mount: string, song: string, opts: TitleUpdateOptions = {}): Promise<RawResponse> {
  return titleUpdate(port, `/admin/metadata?mount=${encodeURIComponent(mount)}&mode=updinfo&song=${encodeURIComponent(song)}`, {
    credentials: `source:${PASSWORD}`,
    ...opts,
  });
}

/** A SHOUTcast v1 encoder stand-in. */
export class ShoutcastV1Source {
  readonly socket: net.Socket;
  /** Everything the relay sent back. */
  response = '';
  closed = false;
  nextSerial = 0;

  constructor(
    port: number,
    passwordLine: string,
    headerLines: string[] = ['icy-name:sc test', 'icy-genre:tests', 'icy-br:128', 'icy-pub:0'],
  ) {
    this.socket = net.connect({ port, host: '127.0.0.1' }, () => this.socket.write(passwordLine));
    this.socket.on('data', (chunk: Buffer) => {
      const first = this.response === '';
      this.response += chunk.toString('latin1');
      // As a real v1 encoder: the header lines only after OK2.
      if (first && this.response.startsWith('OK2')) this.socket.write(`${headerLines.join('\r\n')}\r\n\r\n`);
    });
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => undefined);
  }

  /** Waits until the relay answered with a whole line (OK2... or a refusal). */
  answered(timeoutMs = 5000): Promise<string> {
    return waitFor(() => (this.response.includes('\r\n') ? this.response : undefined), timeoutMs, 'SHOUTcast answer');
  }

  send(count: number): void {
    const frames: Buffer[] = [];
    for (let i = 0; i < count; i++) frames.push(mp3Frame(this.nextSerial++));
    this.socket.write(Buffer.concat(frames));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** An Icecast PUT source whose body carries ICY metadata every `metaInt` bytes. */
export class InlineIcySource {
  readonly socket: net.Socket;
  nextSerial = 0;
  private readonly metaInt: number;
  private toBlock: number;
  private pendingTitle: string | undefined;

  private constructor(socket: net.Socket, metaInt: number) {
    this.socket = socket;
    this.metaInt = metaInt;
    this.toBlock = metaInt;
  }

  static async connect(port: number, mount: string, metaInt: number): Promise<InlineIcySource> {
    return new InlineIcySource(await rawPutSource(port, mount, 'audio/mpeg', `icy-metaint: ${metaInt}\r\n`), metaInt);
  }

  /** The next block carries this title; later ones are 0x00 until the next call. */
  setTitle(title: string): void {
    this.pendingTitle = title;
  }

  /** Writes `count` frames with metadata interleaved every metaInt bytes. */
  send(count: number): void {
    const audio: Buffer[] = [];
    for (let i = 0; i < count; i++) audio.push(mp3Frame(this.nextSerial++));
    let rest = Buffer.concat(audio);
    const out: Buffer[] = [];
    while (rest.length > 0) {
      const n = Math.min(this.toBlock, rest.length);
      out.push(rest.subarray(0, n));
      rest = rest.subarray(n);
      this.toBlock -= n;
      if (this.toBlock === 0) {
        out.push(this.pendingTitle === undefined ? Buffer.from([0]) : Buffer.from(encodeIcyBlock(this.pendingTitle, '')));
        this.pendingTitle = undefined;
        this.toBlock = this.metaInt;
      }
    }
    this.socket.write(Buffer.concat(out));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** True when `port` can be bound on loopback now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A relay whose SHOUTcast port is its ingest port + 1, the layout SHOUTcast
 * encoders assume (libshout connects to the given port + 1). The pair is
 * probed free first; another process may still take it, so a few tries.
 */
export async function startWithShoutcastPair(args: string[], t: TestContext): Promise<RelayProcess> {
  for (let attempt = 0; ; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    if (!(await portFree(base)) || !(await portFree(base + 1))) continue;
    try {
      return await RelayProcess.startFor(t, ['--ingest-port', String(base), '--shoutcast-port', String(base + 1), ...args]);
    } catch (err) {
      if (attempt >= 4) throw err;
    }
  }
}
