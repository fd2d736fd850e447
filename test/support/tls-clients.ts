// A raw streaming listener over TLS, for the HTTPS tests: it sends one GET
// with the SNI name it is given, undoes chunking when the server chunks
// (uWS always does), and records the certificate the server presented.

import tls from 'node:tls';
import { ChunkedDecoder } from '../../ingest/chunked-decoder.js';

export interface TlsListenerOptions {
  /** The SNI name to send; undefined sends none (as a client given an IP address). */
  servername?: string;
  ca?: Buffer;
  headers?: Record<string, string>;
  http10?: boolean;
}

export class TlsListener {
  readonly socket: tls.TLSSocket;
  status = 0;
  headers = new Map<string, string>();
  readonly chunks: Buffer[] = [];
  bodyBytes = 0;
  /** The server certificate's SHA-256 fingerprint, once the handshake is done. */
  fingerprint256 = '';
  closed = false;
  error: Error | undefined;
  private head = Buffer.alloc(0);
  private decoder: ChunkedDecoder | undefined;

  constructor(port: number, path: string, opts: TlsListenerOptions = {}) {
    const extra = Object.entries(opts.headers ?? {})
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    const version = opts.http10 ? 'HTTP/1.0' : 'HTTP/1.1';
    const host = opts.http10 ? '' : `Host: ${opts.servername ?? '127.0.0.1'}:${port}\r\n`;
    this.socket = tls.connect(
      { port, host: '127.0.0.1', servername: opts.servername, ca: opts.ca, rejectUnauthorized: opts.ca !== undefined },
      () => {
        this.fingerprint256 = this.socket.getPeerCertificate().fingerprint256;
        this.socket.write(`GET ${path} ${version}\r\n${host}${extra}\r\n`);
      },
    );
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', (err) => (this.error = err));
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
      if (/chunked/i.test(this.headers.get('transfer-encoding') ?? '')) this.decoder = new ChunkedDecoder((bytes) => this.onBody(bytes));
      chunk = this.head.subarray(end + 4);
      this.head = Buffer.alloc(0);
    }
    if (chunk.length === 0) return;
    if (this.decoder) this.decoder.push(chunk);
    else this.onBody(chunk);
  }

  private onBody(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(Buffer.from(bytes));
    this.bodyBytes += bytes.length;
  }

  body(): Buffer {
    return Buffer.concat(this.chunks);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The certificate a new handshake gets for `servername` (undefined: no SNI). */
export function peerFingerprint(port: number, servername: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fp);
    });
    socket.on('error', reject);
  });
}
