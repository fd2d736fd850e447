// The load tool's chunked body counter: it must count exactly the body bytes
// however the response is cut into reads, and reject broken framing.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkedCounter } from '../loadtest/chunked-counter.js';

function chunked(parts: string[], trailer = ''): { wire: Buffer; bodyBytes: number } {
  let wire = '';
  let bodyBytes = 0;
  parts.forEach((part, i) => {
    // Mixed-case hex and an extension on some chunks, as real servers may send.
    const size = i % 2 === 0 ? part.length.toString(16) : part.length.toString(16).toUpperCase();
    wire += `${size}${i === 1 ? ';name=value' : ''}\r\n${part}\r\n`;
    bodyBytes += part.length;
  });
  wire += `0\r\n${trailer}\r\n`;
  return { wire: Buffer.from(wire, 'latin1'), bodyBytes };
}

const SAMPLE = chunked(['a', 'hello world\r\n', 'x'.repeat(300), '0\r\n\r\n', 'tail'], 'X-Trailer: 1\r\n');

test('a body split in two at every byte is counted exactly and ends', () => {
  for (let cut = 0; cut <= SAMPLE.wire.length; cut++) {
    const counter = new ChunkedCounter();
    const counted = counter.push(SAMPLE.wire.subarray(0, cut)) + counter.push(SAMPLE.wire.subarray(cut));
    assert.equal(counted, SAMPLE.bodyBytes, `cut at ${cut}`);
    assert.equal(counter.bodyBytes, SAMPLE.bodyBytes, `cut at ${cut}`);
    assert.equal(counter.done, true, `cut at ${cut}`);
    assert.equal(counter.failed, false, `cut at ${cut}`);
  }
});

test('a body split in three at every pair of bytes is counted exactly', () => {
  const { wire, bodyBytes } = chunked(['abc', 'defghij', '\r\n0\r\n']);
  for (let a = 0; a <= wire.length; a++) {
    for (let b = a; b <= wire.length; b++) {
      const counter = new ChunkedCounter();
      counter.push(wire, 0, a);
      counter.push(wire, a, b);
      counter.push(wire, b, wire.length);
      assert.equal(counter.bodyBytes, bodyBytes, `cuts at ${a} and ${b}`);
      assert.equal(counter.done, true, `cuts at ${a} and ${b}`);
    }
  }
});

test('a body fed one byte at a time is counted exactly', () => {
  const counter = new ChunkedCounter();
  for (let i = 0; i < SAMPLE.wire.length; i++) counter.push(SAMPLE.wire.subarray(i, i + 1));
  assert.equal(counter.bodyBytes, SAMPLE.bodyBytes);
  assert.equal(counter.done, true);
});

test('only the given range of the read buffer is read', () => {
  const framed = Buffer.concat([Buffer.from('garbage'), Buffer.from('5\r\nhello\r\n'), Buffer.from('more garbage')]);
  const counter = new ChunkedCounter();
  assert.equal(counter.push(framed, 7, 7 + 10), 5);
  assert.equal(counter.failed, false);
  assert.equal(counter.done, false);
});

test('a stream that has not ended is counted as far as it went and is not done', () => {
  const counter = new ChunkedCounter();
  assert.equal(counter.push(Buffer.from('10\r\n0123456')), 7);
  assert.equal(counter.done, false);
  assert.equal(counter.push(Buffer.from('789abcdef\r\n4\r\nwxyz\r\n')), 13);
  assert.equal(counter.bodyBytes, 20);
});

test('bytes after the terminating chunk are not counted', () => {
  const counter = new ChunkedCounter();
  assert.equal(counter.push(Buffer.from('3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n')), 3);
  assert.equal(counter.done, true);
  assert.equal(counter.push(Buffer.from('5\r\nhello\r\n')), 0);
});

test('a bare LF after chunk data and after the size line is accepted', () => {
  const counter = new ChunkedCounter();
  assert.equal(counter.push(Buffer.from('3\nabc\n0\n\n')), 3);
  assert.equal(counter.done, true);
});

test('broken framing fails with a reason and counts nothing more', () => {
  const cases: Array<[string, RegExp]> = [
    ['zz\r\nabc\r\n', /chunk size starts with byte 0x7a/],
    ['3\r\nabcd\r\n', /chunk data longer than its size/],
    ['1234567890abc\r\n', /too many digits/],
    [`3;${'x'.repeat(2000)}\r\n`, /size line too long/],
    [`0\r\n${'x'.repeat(2000)}`, /trailer line too long/],
  ];
  for (const [wire, reason] of cases) {
    const counter = new ChunkedCounter();
    counter.push(Buffer.from(wire));
    assert.equal(counter.failed, true, wire.slice(0, 20));
    assert.match(counter.error ?? '', reason);
    assert.equal(counter.push(Buffer.from('3\r\nabc\r\n')), 0);
  }
});
