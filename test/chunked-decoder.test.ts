// The chunked body decoder: the same data out whatever the split of the
// input, extensions and trailers read past, the end of the body found
// exactly, and BAD_CHUNK for what a broken source sends.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChunkedDecoder } from '../ingest/chunked-decoder.js';
import { RelayError } from '../relay/errors.js';

function latin1(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'latin1'));
}

/** A decoder that collects its data; `pieces` keeps each onData call. */
function collector() {
  const pieces: Uint8Array[] = [];
  const decoder = new ChunkedDecoder((bytes) => pieces.push(Uint8Array.from(bytes)));
  return {
    decoder,
    pieces,
    data: () => Buffer.concat(pieces).toString('latin1'),
  };
}

function badChunk(err: unknown): boolean {
  assert.ok(err instanceof RelayError, `expected a RelayError, got ${String(err)}`);
  assert.equal(err.code, 'BAD_CHUNK');
  assert.equal(err.status, 400);
  return true;
}

const BODY = '5\r\nhello\r\n6\r\n world\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n';
const DATA = 'hello worldabcdefghijklmnopqrstuvwxyz';

describe('ChunkedDecoder decoding', () => {
  test('a whole body decodes to its data, is done, and leaves nothing over', () => {
    const c = collector();
    const rest = c.decoder.push(latin1(BODY));
    assert.equal(c.data(), DATA);
    assert.equal(c.decoder.done, true);
    assert.equal(rest.length, 0);
  });

  test('data is handed on as views of the input, not copies', () => {
    const input = latin1('5\r\nhello\r\n0\r\n\r\n');
    const views: Uint8Array[] = [];
    new ChunkedDecoder((bytes) => views.push(bytes)).push(input);
    assert.equal(views.length, 1);
    assert.equal(views[0].buffer, input.buffer);
    assert.equal(views[0].byteOffset, 3);
    assert.equal(views[0].length, 5);
  });

  test('a body split at every byte boundary decodes to the same data', () => {
    const input = latin1(BODY);
    for (let split = 0; split <= input.length; split++) {
      const c = collector();
      c.decoder.push(input.subarray(0, split));
      c.decoder.push(input.subarray(split));
      assert.equal(c.data(), DATA, `split ${split}`);
      assert.equal(c.decoder.done, true, `split ${split}`);
    }
  });

  test('a body fed one byte at a time decodes to the same data and is done only after the last byte', () => {
    const input = latin1(BODY);
    const c = collector();
    for (let i = 0; i < input.length; i++) {
      assert.equal(c.decoder.done, false, `before byte ${i}`);
      assert.equal(c.decoder.push(input.subarray(i, i + 1)).length, 0);
    }
    assert.equal(c.decoder.done, true);
    assert.equal(c.data(), DATA);
  });

  test('a chunk split across pushes is handed on in pieces, each no longer than what arrived', () => {
    const c = collector();
    c.decoder.push(latin1('a\r\n0123'));
    c.decoder.push(latin1('456'));
    c.decoder.push(latin1('789\r\n'));
    assert.deepEqual(
      c.pieces.map((p) => Buffer.from(p).toString('latin1')),
      ['0123', '456', '789'],
    );
  });

  test('sizes are hex in either case', () => {
    const c = collector();
    c.decoder.push(latin1(`fF\r\n${'x'.repeat(255)}\r\nA\r\n${'y'.repeat(10)}\r\n0\r\n\r\n`));
    assert.equal(c.data(), 'x'.repeat(255) + 'y'.repeat(10));
    assert.equal(c.decoder.done, true);
  });

  test('chunk data holding CR, LF and blank lines is passed on untouched', () => {
    const c = collector();
    c.decoder.push(latin1('6\r\n\r\n\r\n\n\r\r\n0\r\n\r\n'));
    assert.equal(c.data(), '\r\n\r\n\n\r');
  });

  test('chunk extensions are ignored, on data chunks and on the last chunk', () => {
    const c = collector();
    c.decoder.push(latin1('5;name=value\r\nhello\r\n3 ; a="b;c"\r\nabc\r\n0;final\r\n\r\n'));
    assert.equal(c.data(), 'helloabc');
    assert.equal(c.decoder.done, true);
  });

  test('bare LF line ends are accepted', () => {
    const c = collector();
    c.decoder.push(latin1('5\nhello\n0\n\n'));
    assert.equal(c.data(), 'hello');
    assert.equal(c.decoder.done, true);
  });

  test('an immediate last chunk is a done, empty body', () => {
    const c = collector();
    c.decoder.push(latin1('0\r\n\r\n'));
    assert.equal(c.pieces.length, 0);
    assert.equal(c.decoder.done, true);
  });
});

describe('ChunkedDecoder end of body', () => {
  test('trailers are read and ignored; the body is done only after the blank line that ends them', () => {
    const c = collector();
    c.decoder.push(latin1('5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n'));
    assert.equal(c.decoder.done, false);
    c.decoder.push(latin1('\r'));
    assert.equal(c.decoder.done, false);
    c.decoder.push(latin1('\n'));
    assert.equal(c.decoder.done, true);
    assert.equal(c.data(), 'hello');
  });

  test('the last chunk without its blank line is not done', () => {
    const c = collector();
    c.decoder.push(latin1('5\r\nhello\r\n0\r\n'));
    assert.equal(c.decoder.done, false);
  });

  test('bytes after the end of the body are returned as left over, exactly', () => {
    const c = collector();
    const rest = c.decoder.push(latin1('2\r\nhi\r\n0\r\n\r\nGET / HTTP/1.1\r\n\xff'));
    assert.equal(Buffer.from(rest).toString('latin1'), 'GET / HTTP/1.1\r\n\xff');
    assert.equal(c.data(), 'hi');
  });

  test('once done, further pushes are returned whole and produce no data', () => {
    const c = collector();
    c.decoder.push(latin1('0\r\n\r\n'));
    const more = latin1('5\r\nhello\r\n');
    const rest = c.decoder.push(more);
    assert.deepEqual(rest, more);
    assert.equal(c.pieces.length, 0);
  });
});

describe('ChunkedDecoder errors', () => {
  test('a size that is not hex is BAD_CHUNK', () => {
    for (const size of ['zz', '0x10', '-1', '1 2', '+5', 'g']) {
      assert.throws(() => collector().decoder.push(latin1(`${size}\r\n`)), badChunk, size);
    }
  });

  test('an empty size line is BAD_CHUNK', () => {
    assert.throws(() => collector().decoder.push(latin1('\r\n')), badChunk);
    assert.throws(() => collector().decoder.push(latin1(';ext\r\n')), badChunk);
  });

  test('a size of more than 8 hex digits is BAD_CHUNK', () => {
    assert.throws(() => collector().decoder.push(latin1('100000000\r\n')), badChunk);
    const c = collector();
    c.decoder.push(latin1('0000000A\r\n0123456789\r\n0\r\n\r\n'));
    assert.equal(c.data(), '0123456789');
  });

  test('chunk data longer than its size is BAD_CHUNK', () => {
    const c = collector();
    assert.throws(() => c.decoder.push(latin1('5\r\nhelloX\r\n')), badChunk);
    assert.equal(c.data(), 'hello');
  });

  test('chunk data longer than its size is BAD_CHUNK when the extra byte arrives alone', () => {
    const c = collector();
    c.decoder.push(latin1('3\r\nabc'));
    c.decoder.push(latin1('d'));
    assert.throws(() => c.decoder.push(latin1('\r\n')), badChunk);
  });

  test('a line longer than 1024 bytes is BAD_CHUNK before its end arrives', () => {
    const c = collector();
    c.decoder.push(latin1(`1;${'a'.repeat(1022)}`)); // 1024 bytes: still allowed
    assert.throws(() => c.decoder.push(latin1('a')), badChunk);
  });

  test('a 1024-byte size line is accepted', () => {
    const c = collector();
    c.decoder.push(latin1(`2;${'a'.repeat(1022)}\r\nok\r\n0\r\n\r\n`));
    assert.equal(c.data(), 'ok');
    assert.equal(c.decoder.done, true);
  });

  test('an over-long trailer line is BAD_CHUNK', () => {
    const c = collector();
    assert.throws(() => c.decoder.push(latin1(`0\r\nX-Long: ${'a'.repeat(2000)}\r\n\r\n`)), badChunk);
  });
});
