// The load tool's response head reader: status and framing from a head that
// arrives in pieces, and where the body starts in the read that ended it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type HeadResult, type ResponseHead, MAX_HEAD_BYTES, ResponseHeadReader } from '../relay/formats/response-head.js';

/** The status and framing of a head (its header map is checked apart). */
function framing(head: HeadResult): { status: number; chunked: boolean; bodyStart: number } | HeadResult {
  if (!head || 'error' in head) return head;
  return { status: head.status, chunked: head.chunked, bodyStart: head.bodyStart };
}

const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nTransfer-Encoding: chunked\r\n\r\n';

test('a head split at every byte is read once, with the body start in the last read', () => {
  const wire = Buffer.from(`${HEAD}5\r\nhello`);
  for (let cut = 1; cut < HEAD.length; cut++) {
    const reader = new ResponseHeadReader();
    assert.equal(reader.push(wire, 0, cut), undefined, `cut at ${cut}`);
    const head = reader.push(wire, cut, wire.length);
    assert.deepEqual(framing(head), { status: 200, chunked: true, bodyStart: HEAD.length }, `cut at ${cut}`);
  }
});

test('a close-delimited HTTP/1.0 answer is not chunked', () => {
  const headText = 'HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\n\r\n';
  const head = new ResponseHeadReader().push(Buffer.from(`${headText}ID3`));
  assert.deepEqual(framing(head), { status: 200, chunked: false, bodyStart: headText.length });
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

test('an ICY head keeps its protocol and icy-* headers, names in lower case, repeats joined', () => {
  const head = new ResponseHeadReader().push(
    Buffer.from('ICY 200 OK\r\nicy-name: Radio\r\nicy-metaint: 8192\r\nX-A: 1\r\nx-a: 2\r\n\r\n'),
  ) as ResponseHead;
  assert.equal(head.protocol, 'ICY');
  assert.equal(head.headers.get('icy-name'), 'Radio');
  assert.equal(head.headers.get('icy-metaint'), '8192');
  assert.equal(head.headers.get('x-a'), '1, 2');
});
