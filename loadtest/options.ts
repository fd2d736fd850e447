// What a load test run is asked to do: one frozen object, checked once, so
// the plan, the workers and the report can trust every field. Checks return
// a sentence that says what to do instead; the command turns it into exit 2.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export interface Target {
  /** Address to connect to ("localhost" is taken as 127.0.0.1, so IPv6 is never guessed). */
  host: string;
  port: number;
  /** Path and query sent in the request line. */
  path: string;
  /** Host header value for HTTP/1.1. */
  hostHeader: string;
  /** The target is on 127.0.0.0/8: listeners may be spread over several source addresses. */
  loopback: boolean;
  /** https://: the listener speaks TLS (node:tls) before its request. */
  tls: boolean;
  /** SNI name for https:// (the URL's host name), undefined when the host is an IP address (SNI carries no addresses). */
  servername: string | undefined;
}

/** How https:// listeners check the server's certificate. */
export interface TlsClientOptions {
  /** Accept any certificate (the self-signed test certificate). */
  insecure: boolean;
  /** PEM file of the CA that signed the server's certificate; undefined = the system's CAs. */
  caFile: string | undefined;
}

export interface LoadtestOptions {
  /** Listener i listens to targets[i mod targets.length]: several edges in one run. */
  targets: readonly Target[];
  listeners: number;
  durationS: number;
  /** Listeners opened per second; the ramp ends when the last one has been opened. */
  rampPerS: number;
  http10: boolean;
  /** Share of listeners (0 to 1) that read slower than the stream. */
  slowFraction: number;
  slowRateBytesPerS: number;
  /** The stream's bitrate, for the simulated player and the delivered-rate verdict. */
  bitrateKbps: number;
  workers: number;
  /**
   * Source addresses are 127.<block>.0.x: several load processes in one bench
   * each take their own block, so their ephemeral ports never collide.
   */
  addressBlock: number;
  tls: TlsClientOptions;
}

export const LOADTEST_DEFAULTS = {
  rampPerS: 1000,
  bitrateKbps: 128,
  slowFraction: 0,
} as const;

/** Sockets the tool may hold besides its listeners (stdio, worker pipes, the event loop's own). */
const FD_HEADROOM = 100;

export function parseTarget(raw: string): Target {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${JSON.stringify(raw)} is not a URL; use http://HOST:PORT/MOUNT`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${url.protocol} is not supported; use an http:// or https:// URL`);
  const tls = url.protocol === 'https:';
  if (url.username || url.password) throw new Error('listeners send no credentials; remove user:password@ from the URL');
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const host = hostname === 'localhost' ? '127.0.0.1' : hostname;
  return {
    host,
    port: url.port === '' ? (tls ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    hostHeader: url.host,
    loopback: /^127\.\d+\.\d+\.\d+$/.test(host),
    tls,
    servername: isIP(hostname) === 0 ? hostname : undefined,
  };
}

/**
 * The process's open-file limit from /proc/self/limits, or undefined where
 * there is no such file. Worker threads share the process's fd table, so
 * every listener of every worker counts against this one limit.
 */
export function openFileLimit(): number | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (!match || match[1] === 'unlimited') return undefined;
  return Number(match[1]);
}

/** Problems between options, as one sentence each; empty when the run can start. */
export function checkOptions(o: LoadtestOptions, fdLimit = openFileLimit()): string[] {
  const problems: string[] = [];
  const rampS = (o.listeners - 1) / o.rampPerS;
  if (rampS >= o.durationS) {
    const needed = Math.ceil(o.listeners / o.durationS);
    problems.push(
      `--ramp ${o.rampPerS} takes ${rampS.toFixed(1)} s to open ${o.listeners} listeners, longer than --duration ${o.durationS};` +
        ` use --ramp ${needed * 2} or more, or a longer --duration`,
    );
  }
  if (o.slowFraction > 0 && !(o.slowRateBytesPerS > 0)) {
    problems.push('--slow-fraction needs --slow-rate BYTES_PER_S (how fast the slow listeners read)');
  }
  if (o.slowFraction === 0 && o.slowRateBytesPerS > 0) {
    problems.push('--slow-rate has no effect without --slow-fraction; add --slow-fraction 0.1 (for example) or drop --slow-rate');
  }
  if (fdLimit !== undefined && o.listeners + FD_HEADROOM > fdLimit) {
    problems.push(
      `--listeners ${o.listeners} needs ${o.listeners + FD_HEADROOM} open files but this process may open ${fdLimit};` +
        ` raise "ulimit -n" or use --listeners ${Math.max(1, fdLimit - FD_HEADROOM)} or fewer`,
    );
  }
  if (o.targets.length === 0) problems.push('give at least one --url');
  if (new Set(o.targets.map((t) => t.loopback)).size > 1) {
    problems.push('mix of loopback and other --url targets; use all 127.x.x.x or none (source addresses are chosen for loopback)');
  }
  if (o.tls.insecure && o.tls.caFile !== undefined) problems.push('--insecure and --tls-ca contradict each other; use one');
  if ((o.tls.insecure || o.tls.caFile !== undefined) && !o.targets.some((t) => t.tls)) {
    problems.push('--insecure / --tls-ca apply to https:// URLs only; none was given');
  }
  return problems;
}
