// readProxyHeader: HAProxy's PROXY protocol v1 and v2 at the start of a
// front-door connection, in any split, and requests that merely start alike.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readProxyHeader } from '../relay/http/proxy-header.js';

function v2(family: number, address: number[], command = 0x21): Buffer {
  const addressBytes = family === 0x11 ? 12 : 36;
  const header = Buffer.alloc(16 + addressBytes);
  Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1').copy(header, 0);
  header.set([command, family], 12);
  header.writeUInt16BE(addressBytes, 14);
  header.set(address, 16);
  return header;
}

describe('PROXY protocol headers', () => {
  test('a v2 TCP over IPv4 header gives its source address and length, in any split', () => {
    const header = v2(0x11, [192, 0, 2, 44, 127, 0, 0, 1, 0x9c, 0x40, 0x1f, 0x40]);
    const bytes = Buffer.concat([header, Buffer.from('GET / HTTP/1.1\r\n\r\n')]);
    assert.deepEqual(readProxyHeader(bytes), { kind: 'header', length: 28, address: '192.0.2.44' });
    for (let cut = 1; cut < 28; cut++) assert.equal(readProxyHeader(bytes.subarray(0, cut)).kind, 'partial', `cut at ${cut}`);
  });

  test('a v2 IPv6 header gives the IPv6 source; LOCAL gives no address', () => {
    const six = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1, ...Array(16).fill(0), 0, 80, 0, 80];
    assert.deepEqual(readProxyHeader(v2(0x21, six)), { kind: 'header', length: 52, address: '2001:db8:0:0:0:0:0:1' });
    assert.deepEqual(readProxyHeader(v2(0x11, Array(12).fill(0), 0x20)), { kind: 'header', length: 28, address: undefined });
  });

  test('a v1 line gives its source address; UNKNOWN gives none; a malformed one is invalid', () => {
    const line = Buffer.from('PROXY TCP4 198.51.100.7 127.0.0.1 40000 8000\r\nGET / HTTP/1.0\r\n\r\n');
    assert.deepEqual(readProxyHeader(line), { kind: 'header', length: 46, address: '198.51.100.7' });
    assert.equal(readProxyHeader(line.subarray(0, 20)).kind, 'partial');
    assert.deepEqual(readProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')), { kind: 'header', length: 15, address: undefined });
    assert.equal(readProxyHeader(Buffer.from('PROXY TCP4 <script> 1 2 3\r\n')).kind, 'invalid');
    assert.equal(readProxyHeader(Buffer.from(`PROXY ${'x'.repeat(200)}`)).kind, 'invalid');
  });

  test('requests that only start alike are not PROXY headers', () => {
    for (const request of ['GET / HTTP/1.1\r\n', 'PUT /m HTTP/1.1\r\n', 'POST /x HTTP/1.1\r\n', 'SOURCE /m ICE/1.0\r\n']) {
      assert.equal(readProxyHeader(Buffer.from(request)).kind, 'none', request);
    }
    assert.equal(readProxyHeader(Buffer.from('P')).kind, 'partial', 'one byte of PUT may still be PROXY');
    assert.equal(readProxyHeader(Buffer.from('PU')).kind, 'none');
  });
});
