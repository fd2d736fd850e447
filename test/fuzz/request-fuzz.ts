// Requests a hostile or broken client might send, built from the PRNG:
// every method, target, version and header the relay reads, with line ends,
// lengths and bytes that the RFCs forbid mixed in. Used by the parser fuzzer
// (the head alone) and the live fuzzer (sent through real sockets, in pieces).

import { PASSWORD } from '../support/relay-process.js';
import type { Prng } from './prng.js';

/** A password the relay does not know: mutated requests carry it instead of the real one. */
export const DECOY_PASSWORD = 'fuzz-decoy-pw';

const METHODS = ['GET', 'GET', 'GET', 'HEAD', 'OPTIONS', 'PUT', 'SOURCE', 'POST', 'DELETE', 'get', 'X'];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/1.0', 'ICE/1.0', 'HTTP/2.0', 'HTTP/1.9', 'ICY', 'HTTP/1.1 x', ''];

function target(rng: Prng, password: string): string {
  return rng.pick([
    () => '/listen',
    () => '/fuzz',
    () => `/fuzz${rng.int(0, 20)}`,
    () => '/',
    () => '/status.json',
    () => '/status-json.xsl',
    () => '/listen.m3u',
    () => '/listen.pls',
    () => '/metrics',
    () => '/healthz',
    () => '/favicon.ico',
    () => '/admin/listeners?mount=/listen',
    () => `/admin/killclient?mount=/listen&id=${rng.pick(['1', '0x1', '1e0', '-1', '', '99999999999999999999'])}`,
    () => `/admin/metadata?mount=/fuzzmeta&mode=updinfo&song=${encodeURIComponent(String.fromCharCode(...rng.bytes(12)))}`,
    () => `/admin.cgi?pass=${password}&mode=updinfo&song=x%0D%0ASet-Cookie:a`,
    () => `/${'a'.repeat(rng.int(200, 9000))}`,
    () => `/%${rng.pick(['zz', '00', '0d0a', 'ff'])}`,
    () => '/../etc/passwd',
    () => `*`,
  ])();
}

function header(rng: Prng, password: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return rng.pick([
    () => 'Host: 127.0.0.1',
    () => `Authorization: Basic ${b64(`source:${password}`)}`,
    () => `Authorization: Basic ${b64(`admin:${DECOY_PASSWORD}`)}`,
    () => `Authorization: ${rng.pick(['Basic', 'Bearer x', 'Basic !!!', 'Basic'.padEnd(3000, '='), ''])}`,
    () =>
      `Content-Type: ${rng.pick(['audio/mpeg', 'application/ogg', 'audio/aac', 'audio/mpeg\rX-Injected: yes\rSet-Cookie: a=b', 'a b', ''])}`,
    () => `Content-Length: ${rng.pick(['0', '10', '0x10', '1e3', '+20', '', '9'.repeat(23), '5, 5', '-1'])}`,
    () => `Transfer-Encoding: ${rng.pick(['chunked', 'gzip, chunked', 'identity', 'chunked, chunked'])}`,
    () => `Expect: ${rng.pick(['100-continue', '100-continuefoo', '200-ok'])}`,
    () => 'Icy-MetaData: 1',
    () => `ice-name: ${String.fromCharCode(...rng.bytes(rng.int(0, 40)).map((b) => Math.max(b, 0x20)))}`,
    () => `icy-metaint: ${rng.pick(['16000', '0', '-5', 'abc', '2000000'])}`,
    () => `X-Forwarded-For: ${rng.pick(['1.2.3.4', 'garbage', '::1, 10.0.0.1'])}`,
    () => `Range: bytes=${rng.int(0, 100)}-`,
    () => ` folded: value`,
    () => 'NoColon',
    () => `X-Pad: ${'p'.repeat(rng.int(0, 9000))}`,
    () => `X-Bytes: ${Buffer.from(rng.bytes(rng.int(0, 30))).toString('latin1')}`,
  ])();
}

/** A request head (maybe followed by a few body bytes), with the real source password unless `decoy`. */
export function fuzzedHead(rng: Prng, decoy = false): Uint8Array {
  const password = decoy || rng.chance(0.5) ? DECOY_PASSWORD : PASSWORD;
  const eol = rng.pick(['\r\n', '\r\n', '\r\n', '\n', '\r']);
  const lines = [`${rng.pick(METHODS)} ${target(rng, password)} ${rng.pick(VERSIONS)}`];
  for (let n = rng.int(0, 8); n > 0; n--) lines.push(header(rng, password));
  const end = rng.pick([`${eol}${eol}`, '\r\n\r\n', '\n\r\n', '\n\n', '']);
  const body = rng.chance(0.3) ? Buffer.from(rng.bytes(rng.int(0, 500))) : Buffer.alloc(0);
  return Buffer.concat([Buffer.from(lines.join(eol) + end, 'latin1'), body]);
}
