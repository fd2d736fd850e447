// One simulated listener: a raw node:net socket (or a node:tls one for
// https://) that sends a streaming GET and counts the body it gets back. A
// plain socket reads into a buffer it is given (`onread`), so a worker with
// thousands of listeners allocates nothing per read; the bytes are counted,
// fed to the simulated player and dropped. node:tls has no `onread`: a TLS
// listener takes 'data' chunks (one allocation per decrypted record batch),
// and all TLS listeners of a worker share one SecureContext, so a handshake
// costs the handshake and not a context build.
//
// Lifecycle, once each way:
//   idle -> connecting -> streaming -> (server-closed | stopped)
//                   \---> failed
// `failed` means no 200 head was ever read; anything the server does after
// the 200 is a server close, with its reason. stop() is the tool ending the
// run; it is not counted as a disconnect.

import net, { type Socket } from 'node:net';
import tls, { type SecureContext } from 'node:tls';
import { ArrivalRate } from './arrival-rate.js';
import { ChunkedCounter } from './chunked-counter.js';
import type { Target } from './options.js';
import { PlayerBuffer } from './player-buffer.js';
import { ReadThrottle, slowReadBufferBytes } from './read-throttle.js';
import { ResponseHeadReader } from '../relay/formats/response-head.js';
import type { ListenerOutcome, ListenerResult, WorkerTally } from './worker-protocol.js';

/** A listener with no 200 head this long after it started connecting has failed. */
export const HEAD_TIMEOUT_MS = 10_000;
/** What a typical player buffers before it starts playing. */
export const PLAYER_BUFFER_SECONDS = 2;

export interface ListenerSpec {
  index: number;
  /** Index of `target` in the run's targets (for the per-target counts). */
  targetIndex: number;
  target: Target;
  /** For https:// targets: the worker's one context, and whether to skip verification. */
  secureContext?: SecureContext;
  rejectUnauthorized?: boolean;
  http10: boolean;
  localAddress: string | undefined;
  /** Set for slow readers: how fast they read. */
  slowRateBytesPerS: number | undefined;
  bitrateKbps: number;
  /** performance.now() of the run's start in this thread, for timeline times. */
  runStartMs: number;
}

type State = 'idle' | 'connecting' | 'streaming' | 'server-closed' | 'failed' | 'stopped';

const OUTCOME_OF: Record<State, ListenerOutcome> = {
  idle: 'not-started',
  connecting: 'failed',
  failed: 'failed',
  streaming: 'streaming',
  stopped: 'streaming',
  'server-closed': 'server-closed',
};

export class ListenerClient {
  private readonly spec: ListenerSpec;
  private readonly tally: WorkerTally;
  private readonly readBuffer: Buffer;
  private state: State = 'idle';
  private socket: Socket | undefined;
  private headTimer: NodeJS.Timeout | undefined;
  private resumeTimer: NodeJS.Timeout | undefined;
  private readonly headReader = new ResponseHeadReader();
  private counter: ChunkedCounter | undefined;
  private readonly player: PlayerBuffer;
  private throttle: ReadThrottle | undefined;
  private reason: string | undefined;
  /** Last socket error code; names the reason when the socket then closes. */
  private errorCode: string | undefined;
  private serverEnded = false;
  private startedAtMs = 0;
  private connectedAtMs: number | undefined;
  private secureAtMs: number | undefined;
  private headAtMs: number | undefined;
  private firstByteAtMs: number | undefined;
  private closedAtMs: number | undefined;
  /** When this listener stopped hearing anything: server close, failure or the run's end. */
  private endedAtMs: number | undefined;
  private lagStartedAtMs: number | undefined;
  private readonly steadyRate = new ArrivalRate();
  private steadyBytes: number | undefined;
  private steadyMs: number | undefined;
  private bodyBytes = 0;

  /** `sharedReadBuffer` serves every normal listener of a worker: reads are handled synchronously. */
  constructor(spec: ListenerSpec, tally: WorkerTally, sharedReadBuffer: Buffer) {
    this.spec = spec;
    this.tally = tally;
    // A slow reader gets a small buffer of its own, so each read is a small step of its pace.
    this.readBuffer = spec.slowRateBytesPerS ? Buffer.allocUnsafe(slowReadBufferBytes(spec.slowRateBytesPerS)) : sharedReadBuffer;
    this.player = new PlayerBuffer(spec.bitrateKbps, PLAYER_BUFFER_SECONDS);
    this.onRead = this.onRead.bind(this);
    this.onConnect = this.onConnect.bind(this);
    this.onTcpConnect = this.onTcpConnect.bind(this);
    this.onData = this.onData.bind(this);
    this.onError = this.onError.bind(this);
    this.onEnd = this.onEnd.bind(this);
    this.onClose = this.onClose.bind(this);
    this.onHeadTimeout = this.onHeadTimeout.bind(this);
    this.onResumeDue = this.onResumeDue.bind(this);
  }

  start(nowMs: number): void {
    if (this.state !== 'idle') return;
    this.state = 'connecting';
    this.startedAtMs = nowMs;
    this.tally.started++;
    const { target } = this.spec;
    let socket: Socket;
    if (target.tls) {
      // tls.connect hands every socket option to its net.Socket's connect; the types leave localAddress out.
      const tlsOptions: tls.ConnectionOptions & net.TcpNetConnectOpts = {
        host: target.host,
        port: target.port,
        localAddress: this.spec.localAddress,
        servername: target.servername,
        secureContext: this.spec.secureContext,
        rejectUnauthorized: this.spec.rejectUnauthorized ?? true,
      };
      socket = tls.connect(tlsOptions);
      // TCP connected, then the handshake: the request goes out after the second.
      socket.once('connect', this.onTcpConnect);
      socket.once('secureConnect', this.onConnect);
      socket.on('data', this.onData);
    } else {
      socket = net.connect({
        host: target.host,
        port: target.port,
        localAddress: this.spec.localAddress,
        onread: { buffer: this.readBuffer, callback: this.onRead },
      });
      socket.once('connect', this.onConnect);
    }
    this.socket = socket;
    socket.on('error', this.onError);
    socket.on('end', this.onEnd);
    socket.once('close', this.onClose);
    this.headTimer = setTimeout(this.onHeadTimeout, HEAD_TIMEOUT_MS);
  }

  /** The steady window opens: remember where this listener's byte count stood. */
  markSteadyStart(nowMs: number): void {
    if (this.state !== 'streaming') return;
    this.steadyRate.open(nowMs, this.bodyBytes);
  }

  /** The run is over: account up to now and drop the connection. */
  stop(nowMs: number): void {
    if (this.state === 'streaming') {
      this.player.advance(nowMs);
      const rate = this.steadyRate.close(nowMs, this.bodyBytes);
      if (rate) {
        this.steadyBytes = rate.bytes;
        this.steadyMs = rate.ms;
      }
      this.state = 'stopped';
      this.endedAtMs = nowMs;
    } else if (this.state === 'connecting') {
      this.fail('no response head before the run ended');
    }
    this.release();
  }

  result(): ListenerResult {
    const since = (atMs: number | undefined) => (atMs === undefined ? undefined : atMs - this.startedAtMs);
    const atRun = (atMs: number | undefined) => (atMs === undefined ? undefined : atMs - this.spec.runStartMs);
    return {
      index: this.spec.index,
      targetIndex: this.spec.targetIndex,
      tlsHandshakeMs: this.secureAtMs !== undefined && this.connectedAtMs !== undefined ? this.secureAtMs - this.connectedAtMs : undefined,
      tlsHandshakeAtRunMs: atRun(this.secureAtMs),
      slow: this.spec.slowRateBytesPerS !== undefined,
      outcome: OUTCOME_OF[this.state],
      reason: this.reason,
      connectSinceStartMs: since(this.connectedAtMs),
      firstByteSinceStartMs: since(this.firstByteAtMs),
      bufferFullSinceStartMs: since(this.player.fullAtMs),
      steadyBytes: this.steadyBytes,
      steadyMs: this.steadyMs,
      underruns: this.player.underruns,
      stalledMs: this.player.stalledMsUntil(this.endedAtMs ?? performance.now()),
      bodyBytes: this.bodyBytes,
      streamedMs: this.headAtMs !== undefined && this.endedAtMs !== undefined ? this.endedAtMs - this.headAtMs : undefined,
      serverClosedAtRunMs: atRun(this.state === 'server-closed' ? this.closedAtMs : undefined),
      lagStartedAtRunMs: atRun(this.lagStartedAtMs),
    };
  }

  private onTcpConnect(): void {
    this.connectedAtMs = performance.now();
  }

  /** A TLS listener's decrypted bytes: the same path as a plain read. */
  private onData(chunk: Buffer): void {
    this.onRead(chunk.length, chunk);
  }

  /** Plain: TCP connected. TLS: the handshake is done (TCP connect was noted before). */
  private onConnect(): void {
    const socket = this.socket as Socket;
    const nowMs = performance.now();
    if (this.spec.target.tls) this.secureAtMs = nowMs;
    else this.connectedAtMs = nowMs;
    const { target } = this.spec;
    // HTTP/1.0 without Host, as the oldest players send it; 1.1 needs Host (uWS refuses it without).
    const request = this.spec.http10
      ? `GET ${target.path} HTTP/1.0\r\nUser-Agent: relaycast-loadtest\r\n\r\n`
      : `GET ${target.path} HTTP/1.1\r\nHost: ${target.hostHeader}\r\nUser-Agent: relaycast-loadtest\r\nAccept: */*\r\n\r\n`;
    socket.write(request);
    // Flowing mode, so that 'end' is emitted when the server closes: onread delivers no 'data'.
    if (!this.spec.target.tls) socket.resume();
  }

  /**
   * Called by node:net for every read into `readBuffer`; must not keep
   * references to it. Always true ("keep reading"): a slow reader pauses its
   * socket itself, so resume() is the one way back.
   */
  private onRead(nread: number, buffer: Buffer): boolean {
    const nowMs = performance.now();
    let bodyStart = 0;
    if (this.state === 'connecting') {
      const head = this.headReader.push(buffer, 0, nread);
      if (head === undefined) return true;
      if ('error' in head) return this.fail(`bad response: ${head.error}`);
      if (head.status !== 200) return this.fail(`HTTP ${head.status}`);
      clearTimeout(this.headTimer);
      this.headAtMs = nowMs;
      this.state = 'streaming';
      this.tally.connected++;
      if (head.chunked) this.counter = new ChunkedCounter();
      if (this.spec.slowRateBytesPerS) this.throttle = new ReadThrottle(this.spec.slowRateBytesPerS, nowMs);
      bodyStart = head.bodyStart;
    }
    if (this.state !== 'streaming') return true;
    const counter = this.counter;
    const bytes = counter ? counter.push(buffer, bodyStart, nread) : nread - bodyStart;
    if (bytes > 0) {
      if (this.firstByteAtMs === undefined) this.firstByteAtMs = nowMs;
      this.bodyBytes += bytes;
      this.tally.bodyBytes += bytes;
      this.player.receive(nowMs, bytes);
      this.steadyRate.receive(nowMs, this.bodyBytes);
    }
    if (counter?.failed) return this.serverClosed(nowMs, counter.error as string);
    // uWS keeps an HTTP/1.1 connection open after ending the body: the terminator is the close.
    if (counter?.done) return this.serverClosed(nowMs, 'chunked body ended');
    if (this.throttle) this.pace(nowMs, nread);
    return true;
  }

  private pace(nowMs: number, readBytes: number): void {
    const pauseMs = (this.throttle as ReadThrottle).consume(nowMs, readBytes);
    if (pauseMs <= 0) return;
    if (this.lagStartedAtMs === undefined) this.lagStartedAtMs = nowMs;
    (this.socket as Socket).pause();
    this.resumeTimer = setTimeout(this.onResumeDue, Math.ceil(pauseMs));
  }

  private onResumeDue(): void {
    this.resumeTimer = undefined;
    if (this.state === 'streaming') (this.socket as Socket).resume();
  }

  private onError(err: NodeJS.ErrnoException): void {
    this.errorCode = err.code ?? err.message;
  }

  private onEnd(): void {
    this.serverEnded = true;
  }

  private onClose(): void {
    if (this.state === 'connecting') {
      this.fail(this.errorCode ?? 'closed before the response head');
    } else if (this.state === 'streaming') {
      const how = this.errorCode ?? (this.serverEnded ? 'closed (FIN)' : 'closed');
      this.serverClosed(performance.now(), how);
    }
  }

  private onHeadTimeout(): void {
    this.headTimer = undefined;
    if (this.state === 'connecting') this.fail(`no response head in ${HEAD_TIMEOUT_MS / 1000} s`);
  }

  /** Returns true so that the read path can `return this.fail(...)`. */
  private fail(reason: string): true {
    this.state = 'failed';
    this.reason = reason;
    this.tally.failed++;
    this.release();
    return true;
  }

  private serverClosed(nowMs: number, reason: string): true {
    this.player.advance(nowMs);
    this.state = 'server-closed';
    this.reason = reason;
    this.closedAtMs = nowMs;
    this.endedAtMs = nowMs;
    this.tally.serverClosed++;
    this.release();
    return true;
  }

  private release(): void {
    clearTimeout(this.headTimer);
    clearTimeout(this.resumeTimer);
    this.headTimer = undefined;
    this.resumeTimer = undefined;
    this.socket?.destroy();
  }
}
