// The SHOUTcast v1 source port (--shoutcast-port, off by default;
// conventionally --ingest-port + 1, since encoders set up for SHOUTcast
// connect to the configured port + 1 and send their titles to the port itself).
// The v1 handshake, as SHOUTcast DNAS and Icecast speak it:
//   source: PASSWORD\r\n          (or \n; DNAS v2's `PASSWORD:#sid` also works)
//   relay:  OK2\r\nicy-caps:11\r\n\r\n    or   invalid password\r\n  and close
//   source: icy-name:..\r\n icy-genre:.. icy-br:.. content-type:.. \r\n (blank line)
//   source: audio until it closes
// The source is attached to --shoutcast-mount through the same path as an
// Icecast SOURCE/PUT (MountRegistry.attachSource, runSourceSession). Some
// encoders send their headers without waiting for OK2: everything read is
// kept, so either order works.

import net, { type Socket } from 'node:net';
import { safeEqual } from '../relay/formats/basic-auth.js';
import type { RelayContext } from '../relay/api/context.js';
import { RelayError } from '../relay/errors.js';
import { streamInfoFrom } from '../relay/core/stream-info.js';
import { inlineMetaIntOf, withInlineTitles } from './source-request.js';
import { HeadReader } from '../relay/formats/request-head.js';
import { runSourceSession } from './source-session.js';

/** The password line is short; anything longer is not a SHOUTcast source. */
const MAX_PASSWORD_LINE_BYTES = 1024;
/** How long a refused source may take to read our answer before it is cut. */
const LINGER_MS = 2000;

export const SHOUTCAST_OK = 'OK2\r\nicy-caps:11\r\n\r\n';
export const SHOUTCAST_BAD_PASSWORD = 'invalid password\r\n';

export function createShoutcastServer(ctx: RelayContext): net.Server {
  return net.createServer({ noDelay: true }, (socket) => acceptShoutcast(ctx, socket));
}

/** `password` (the SHOUTcast mount's, else the server's), alone or in DNAS v2's `password:#streamid` form. */
export function isShoutcastSourcePassword(line: string, password: string): boolean {
  if (safeEqual(line, password)) return true;
  const sid = line.lastIndexOf(':#');
  return sid > 0 && safeEqual(line.slice(0, sid), password);
}

function acceptShoutcast(ctx: RelayContext, socket: Socket): void {
  const mountName = ctx.config.shoutcastMount;
  const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
  const where = { remote, method: 'SHOUTCAST', target: mountName, port: 'ingest' as const };
  const headerTimer = setTimeout(onHeaderTimeout, ctx.config.headerTimeoutMs);
  let passwordLine: Buffer | undefined = Buffer.alloc(0);
  const reader = new HeadReader();

  function onData(chunk: Buffer): void {
    try {
      if (passwordLine !== undefined) {
        passwordLine = Buffer.concat([passwordLine, chunk]);
        const nl = passwordLine.indexOf(0x0a);
        if (nl < 0) {
          if (passwordLine.length > MAX_PASSWORD_LINE_BYTES) throw new RelayError('HEAD_TOO_LARGE', 'SHOUTcast password line');
          return;
        }
        const password = passwordLine.subarray(0, nl).toString('utf8').replace(/\r+$/, '');
        const rest = passwordLine.subarray(nl + 1);
        passwordLine = undefined;
        ctx.authLimiter.gate(remote);
        const station = ctx.registry.station;
        const settings = station.forMount(mountName);
        if (!settings || !isShoutcastSourcePassword(password, settings.sourcePassword ?? station.sourcePassword)) {
          ctx.authLimiter.failed(remote);
          done();
          ctx.refusals.record(new RelayError('AUTH_REQUIRED', 'SHOUTcast password'), where);
          hangUp(SHOUTCAST_BAD_PASSWORD);
          return;
        }
        // Refuse a busy mount before saying OK2; attachSource checks again.
        if (ctx.registry.get(mountName)?.hasSource) throw new RelayError('MOUNT_BUSY', mountName);
        socket.write(SHOUTCAST_OK);
        // The icy-* lines are a request head without its request line: lend them one.
        reader.push(Buffer.from(`SOURCE ${mountName} HTTP/1.0\r\n`, 'latin1'));
        chunk = rest;
        if (chunk.length === 0) return;
      }
      const parsed = reader.push(chunk);
      if (!parsed) return;
      done();
      startSource(parsed.head.headers, parsed.rest);
    } catch (err) {
      done();
      const refusal = ctx.refusals.record(err, where);
      hangUp(`${refusal.message}\r\n`);
    }
  }

  function startSource(headers: Map<string, string>, firstBytes: Buffer): void {
    const metaInt = inlineMetaIntOf(headers);
    const attached = ctx.registry.attachSource(mountName, headers.get('content-type') || 'audio/mpeg', streamInfoFrom(headers), remote, {
      method: 'SHOUTCAST',
      version: 'ICY',
      agent: headers.get('user-agent') ?? '',
      icyMetaInt: metaInt,
    });
    const input = metaInt === undefined ? attached : withInlineTitles(ctx, attached, metaInt);
    runSourceSession(socket, input, firstBytes, {
      chunked: false,
      lengthBytes: undefined,
      timeoutMs: ctx.config.sourceTimeoutMs,
      log: ctx.log.child({ mount: mountName, remote }),
      onFault: (code, detail) => ctx.refusals.record(new RelayError(code, detail), where),
    });
  }

  function onHeaderTimeout(): void {
    done();
    const refusal = ctx.refusals.record(new RelayError('HEADER_TIMEOUT', `${ctx.config.headerTimeoutMs} ms`), where);
    hangUp(`${refusal.message}\r\n`);
  }

  function done(): void {
    clearTimeout(headerTimer);
    socket.off('data', onData);
  }

  function hangUp(line: string): void {
    if (socket.destroyed) return;
    socket.end(line);
    // A refused source may keep sending; read and drop it until we hang up.
    socket.resume();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  }

  socket.on('data', onData);
  socket.on('error', (err: Error) => ctx.log.debug({ remote, err: err.message }, 'shoutcast socket error'));
  socket.on('close', () => clearTimeout(headerTimer));
}
