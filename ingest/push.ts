// `relaycast push`: a source client that needs nothing but relaycast. It
// streams an MP3 or ADTS file (never the whole file in memory) frame by
// frame, paced by each frame's duration so the relay receives real time,
// over an Icecast-style PUT. It stays up to LEAD_MS ahead of real time so a
// fresh relay has its listeners' burst at once.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import net from 'node:net';
import { extname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { frameFormatOf, type FrameFormat, scanFrames } from '../relay/formats/frame-header.js';

const LEAD_MS = 1000;
const READ_CHUNK_BYTES = 64 * 1024;
const RESPONSE_TIMEOUT_MS = 10_000;

const TYPE_BY_EXTENSION: Record<string, string> = {
  '.mp3': 'audio/mpeg',
  '.aac': 'audio/aac',
  '.adts': 'audio/aac',
};

export interface PushOptions {
  file: string;
  url: string;
  loop: boolean;
  contentType?: string;
  name?: string;
  /** Stops after this much audio (tests); default: the whole file (forever with loop). */
  maxMediaMs?: number;
}

export interface Frame {
  bytes: Uint8Array;
  durationMs: number;
}

/** Frames of one pass over a file. Bytes that are not frames (tags, junk) are skipped. */
export async function* readFrames(file: string, format: FrameFormat): AsyncGenerator<Frame> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK_BYTES })) {
    const buf: Buffer = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    const { frames, consumed } = scanFrames(buf, format);
    for (const { start, header } of frames) {
      yield { bytes: buf.subarray(start, start + header.lengthBytes), durationMs: (header.samples * 1000) / header.sampleRateHz };
    }
    carry = Buffer.from(buf.subarray(consumed));
  }
}

interface Target {
  host: string;
  port: number;
  mount: string;
  authorization: string;
}

function parseTarget(raw: string): Target {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`--url ${JSON.stringify(raw)} is not a URL; use http://source:PASSWORD@host:8001/mount`);
  }
  if (url.protocol !== 'http:') throw new Error(`--url must start with http://, got ${url.protocol}`);
  if (!url.password) throw new Error('--url has no password; use http://source:PASSWORD@host:8001/mount');
  const user = decodeURIComponent(url.username || 'source');
  const password = decodeURIComponent(url.password);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 80),
    mount: url.pathname === '/' ? '/listen' : url.pathname,
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  };
}

/** Connects, sends the PUT and waits for 200; rejects with the relay's own reason otherwise. */
function openSource(target: Target, contentType: string, name: string | undefined): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
    let response = '';
    const timer = setTimeout(
      () => fail(new Error(`no answer from ${target.host}:${target.port} in ${RESPONSE_TIMEOUT_MS} ms`)),
      RESPONSE_TIMEOUT_MS,
    );
    function fail(err: Error): void {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    }
    socket.once('error', fail);
    socket.once('connect', () => {
      const lines = [
        `PUT ${target.mount} HTTP/1.1`,
        `Host: ${target.host}:${target.port}`,
        `Authorization: ${target.authorization}`,
        `Content-Type: ${contentType}`,
        'User-Agent: relaycast-push',
        'ice-public: 0',
        ...(name ? [`ice-name: ${name.replace(/[\r\n]/g, ' ')}`] : []),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    socket.on('data', function onResponse(chunk: Buffer) {
      response += chunk.toString('latin1');
      for (;;) {
        const end = response.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = /^\S+ (\d{3})/.exec(response)?.[1];
        if (status === '100') {
          response = response.slice(end + 4);
          continue;
        }
        if (status === '200') {
          clearTimeout(timer);
          socket.off('data', onResponse);
          socket.off('error', fail);
          resolve(socket);
          return;
        }
        // Wait briefly for the one-line reason the relay sends as the body.
        setTimeout(() => fail(new Error(`relay refused the source: ${response.split('\r\n')[0]}: ${response.slice(end + 4).trim()}`)), 100);
        socket.off('data', onResponse);
        socket.on('data', (more: Buffer) => (response += more.toString('latin1')));
        return;
      }
    });
  });
}

/** Runs the push; resolves to the process exit code. */
export async function pushFile(opts: PushOptions): Promise<number> {
  const say = (line: string) => process.stderr.write(`relaycast push: ${line}\n`);
  let target: Target;
  const contentType = opts.contentType ?? TYPE_BY_EXTENSION[extname(opts.file).toLowerCase()];
  try {
    target = parseTarget(opts.url);
    if (!contentType) throw new Error(`cannot tell the type of ${opts.file}; use .mp3 or .aac, or give --content-type`);
    const info = await stat(opts.file).catch(() => undefined);
    if (!info?.isFile()) throw new Error(`${opts.file} is not a readable file`);
  } catch (err) {
    say((err as Error).message);
    return 2;
  }
  const format = frameFormatOf(contentType);
  if (!format) {
    say(`${contentType} has no frames to pace by; push MP3 (audio/mpeg) or ADTS (audio/aac)`);
    return 2;
  }
  let socket: net.Socket;
  try {
    socket = await openSource(target, contentType, opts.name);
  } catch (err) {
    say((err as Error).message);
    return 1;
  }
  say(`pushing ${opts.file} as ${contentType} to ${target.host}:${target.port}${target.mount}${opts.loop ? ', looping' : ''}`);
  let closedByRelay = false;
  socket.on('close', () => (closedByRelay = true));
  socket.on('error', (err) => say(`connection error: ${err.message}`));
  const stop = () => socket.end();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const startedAt = performance.now();
  let mediaMs = 0;
  try {
    do {
      let frames = 0;
      for await (const frame of readFrames(opts.file, format)) {
        if (closedByRelay || socket.writableEnded) break;
        frames++;
        const aheadMs = mediaMs - (performance.now() - startedAt);
        if (aheadMs > LEAD_MS) await sleep(aheadMs - LEAD_MS);
        if (!socket.write(frame.bytes)) await new Promise((resolve) => socket.once('drain', resolve));
        mediaMs += frame.durationMs;
        if (opts.maxMediaMs !== undefined && mediaMs >= opts.maxMediaMs) break;
      }
      if (frames === 0) {
        say(`${opts.file} holds no ${format} frames`);
        socket.destroy();
        return 1;
      }
    } while (opts.loop && !closedByRelay && !socket.writableEnded && (opts.maxMediaMs === undefined || mediaMs < opts.maxMediaMs));
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (closedByRelay && !socket.writableEnded) {
    say('the relay closed the connection');
    return 1;
  }
  await new Promise<void>((resolve) => socket.end(resolve));
  say(`done: ${(mediaMs / 1000).toFixed(1)} s of audio sent`);
  return 0;
}
