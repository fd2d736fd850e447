// The load tool's response head reader: status and framing from a head that
// arrives in pieces, and where the body starts in the read that ended it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_HEAD_BYTES, ResponseHeadReader } from '../loadtest/response-head.js';

const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nTransfer-Encoding: chunked\r\n\r\n';

test('a head split at every byte is read once, with the body start in the last read', () => {
  const wire = Buffer.from(`${HEAD}5\r\nhello`);
  for (let cut = 1; cut < HEAD.length; cut++) {
    const reader = new ResponseHeadReader();
    assert.equal(reader.push(wire, 0, cut), undefined, `cut at ${cut}`);
    const head = reader.push(wire, cut, wire.length);
    assert.deepEqual(head, { status: 200, chunked: true, bodyStart: HEAD.length }, `cut at ${cut}`);
  }
});

test('a close-delimited HTTP/1.0 answer is not chunked', () => {
  const headText = 'HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\n\r\n';
  const head = new ResponseHeadReader().push(Buffer.from(`${headText}ID3`));
  assert.deepEqual(head, { status: 200, chunked: false, bodyStart: headText.length });
});

test('a SHOUTcast ICY status line and a refusal are read', () => {
  assert.equal((new ResponseHeadReader().push(Buffer.from('ICY 200 OK\r\n\r\n')) as { status: number }).status, 200);
  assert.equal((new ResponseHeadReader().push(Buffer.from('HTTP/1.1 503 Service Unavailable\r\n\r\n')) as { status: number }).status, 503);
});

test('a head without a status line or over the cap is an error', () => {
  assert.match((new ResponseHeadReader().push(Buffer.from('hello\r\n\r\n')) as { error: string }).error, /bad status line/);
  const reader = new ResponseHeadReader();
  const result = reader.push(Buffer.alloc(MAX_HEAD_BYTES + 10, 'a'));
  assert.match((result as { error: string }).error, /over 8192 bytes/);
});
