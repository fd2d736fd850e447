// The ingest request head reader: Icecast SOURCE and HTTP PUT heads in any
// split, the line-end and header leniencies real encoders need, the body
// bytes that follow, and a stable error code for everything it refuses.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HeadReader, headEnd, MAX_HEAD_BYTES, parseRequestHead } from '../relay/formats/request-head.js';
import { RelayError, type ErrorCode } from '../relay/errors.js';

function relayError(code: ErrorCode, status: number) {
  return (err: unknown) => {
    assert.ok(err instanceof RelayError, `expected a RelayError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    return true;
  };
}

function readAll(input: string | Buffer) {
  return new HeadReader().push(Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1'));
}

const SOURCE_HEAD =
  'SOURCE /live ICE/1.0\r\n' +
  'Authorization: Basic c291cmNlOmhhY2ttZQ==\r\n' +
  'Content-Type: audio/mpeg\r\n' +
  'Ice-Name: Test FM\r\n' +
  'Ice-Public: 0\r\n' +
  '\r\n';

describe('HeadReader framing', () => {
  test('a complete head with no body returns the head and an empty rest', () => {
    const result = readAll(SOURCE_HEAD);
    assert.ok(result);
    assert.equal(result.head.method, 'SOURCE');
    assert.equal(result.head.target, '/live');
    assert.equal(result.head.version, 'ICE/1.0');
    assert.deepEqual(
      [...result.head.headers],
      [
        ['authorization', 'Basic c291cmNlOmhhY2ttZQ=='],
        ['content-type', 'audio/mpeg'],
        ['ice-name', 'Test FM'],
        ['ice-public', '0'],
      ],
    );
    assert.equal(result.rest.length, 0);
  });

  test('the bytes after the head are returned exactly, binary and blank lines included', () => {
    const body = Buffer.from([0xff, 0xfb, 0x90, 0x44, 0x00, 0x0d, 0x0a, 0x0d, 0x0a, 0x80, 0x0a, 0x0a]);
    const result = readAll(Buffer.concat([Buffer.from(SOURCE_HEAD), body]));
    assert.deepEqual(result?.rest, body);
  });

  test('an incomplete head returns undefined', () => {
    assert.equal(readAll(SOURCE_HEAD.slice(0, -1)), undefined);
    assert.equal(readAll('SOURCE /live ICE/1.0\r\n'), undefined);
  });

  test('a head and body split at every byte boundary give the same head and the same body bytes', () => {
    const body = Buffer.from('\xff\xfbBODY\r\n\r\nMORE', 'latin1');
    const input = Buffer.concat([Buffer.from(SOURCE_HEAD), body]);
    const headBytes = SOURCE_HEAD.length;
    const expected = readAll(input)!.head;
    for (let split = 1; split < input.length; split++) {
      const reader = new HeadReader();
      const first = reader.push(input.subarray(0, split));
      if (split < headBytes) {
        assert.equal(first, undefined, `split ${split}: head is not complete yet`);
        const second = reader.push(input.subarray(split));
        assert.deepEqual(second?.head, expected, `split ${split}`);
        assert.deepEqual(second?.rest, body, `split ${split}`);
      } else {
        assert.deepEqual(first?.head, expected, `split ${split}`);
        assert.deepEqual(first?.rest, input.subarray(headBytes, split), `split ${split}`);
      }
    }
  });

  test('a head trickled one byte at a time completes on its last byte', () => {
    const reader = new HeadReader();
    const input = Buffer.from(SOURCE_HEAD);
    for (let i = 0; i < input.length - 1; i++) assert.equal(reader.push(input.subarray(i, i + 1)), undefined, `byte ${i}`);
    const result = reader.push(input.subarray(input.length - 1));
    assert.equal(result?.head.method, 'SOURCE');
    assert.equal(result?.head.headers.get('ice-name'), 'Test FM');
    assert.equal(result?.rest.length, 0);
  });

  test('a head with bare LF line ends ends at the first empty line', () => {
    const result = readAll('SOURCE /live ICE/1.0\nContent-Type: audio/mpeg\n\nBODY\n\n');
    assert.equal(result?.head.headers.get('content-type'), 'audio/mpeg');
    assert.equal(result?.rest.toString('latin1'), 'BODY\n\n');
  });

  test('a bare LF blank line after CRLF header lines ends the head', () => {
    const result = readAll('PUT /live HTTP/1.1\r\nHost: relay\r\n\nBODY');
    assert.equal(result?.head.headers.get('host'), 'relay');
    assert.equal(result?.rest.toString('latin1'), 'BODY');
  });

  test('headEnd finds whichever blank line comes first', () => {
    assert.equal(headEnd(Buffer.from('A\r\n\r\nB\n\n')), 5);
    assert.equal(headEnd(Buffer.from('A\n\nB\r\n\r\n')), 3);
    assert.equal(headEnd(Buffer.from('A\r\nB\r\n')), -1);
  });
});

describe('HeadReader request lines', () => {
  test('SOURCE with HTTP/1.0 is accepted as sent', () => {
    const head = readAll('SOURCE /jazz HTTP/1.0\r\n\r\n')!.head;
    assert.deepEqual([head.method, head.target, head.version], ['SOURCE', '/jazz', 'HTTP/1.0']);
  });

  test('PUT with HTTP/1.1 is accepted with its query in the target', () => {
    const head = readAll(
      'PUT /live.mp3?x=1 HTTP/1.1\r\nContent-Type: audio/mpeg\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n',
    )!.head;
    assert.deepEqual([head.method, head.target, head.version], ['PUT', '/live.mp3?x=1', 'HTTP/1.1']);
    assert.equal(head.headers.get('transfer-encoding'), 'chunked');
    assert.equal(head.headers.get('expect'), '100-continue');
  });

  test('GET with HTTP/1.0 and ICE/1.0 are accepted', () => {
    assert.equal(readAll('GET /status HTTP/1.0\r\n\r\n')!.head.method, 'GET');
    assert.equal(readAll('GET / ICE/1.0\r\n\r\n')!.head.version, 'ICE/1.0');
  });

  test('the method is upper-cased', () => {
    assert.equal(readAll('source /live ICE/1.0\r\n\r\n')!.head.method, 'SOURCE');
  });

  test('a request line without a version, with extra words or with two spaces is BAD_REQUEST_LINE (400)', () => {
    for (const line of [
      'SOURCE /live',
      'SOURCE /live ICE/1.0 extra',
      'SOURCE  /live ICE/1.0',
      'S0URCE /live ICE/1.0',
      '/live ICE/1.0',
      'garbage',
    ]) {
      assert.throws(() => readAll(`${line}\r\n\r\n`), relayError('BAD_REQUEST_LINE', 400), line);
    }
  });

  test('an empty request line is BAD_REQUEST_LINE', () => {
    assert.throws(() => readAll('\r\n\r\n'), relayError('BAD_REQUEST_LINE', 400));
    assert.throws(() => readAll('\n\n'), relayError('BAD_REQUEST_LINE', 400));
  });

  test('HTTP/2.0 and ICE/2.0 are VERSION_NOT_SUPPORTED (505)', () => {
    assert.throws(() => readAll('PUT /live HTTP/2.0\r\n\r\n'), relayError('VERSION_NOT_SUPPORTED', 505));
    assert.throws(() => readAll('SOURCE /live ICE/2.0\r\n\r\n'), relayError('VERSION_NOT_SUPPORTED', 505));
  });

  test('an unknown protocol in the version position is VERSION_NOT_SUPPORTED', () => {
    assert.throws(() => readAll('GET / RTSP/1.0\r\n\r\n'), relayError('VERSION_NOT_SUPPORTED', 505));
  });
});

describe('HeadReader header lines', () => {
  test('header names are lower-cased and values trimmed, colons in values kept', () => {
    const headers = readAll('PUT /live HTTP/1.1\r\nHOST:   relay.example:8001  \r\nIce-Description:a: b\r\nX-Empty:\r\n\r\n')!.head.headers;
    assert.equal(headers.get('host'), 'relay.example:8001');
    assert.equal(headers.get('ice-description'), 'a: b');
    assert.equal(headers.get('x-empty'), '');
    assert.equal(headers.has('HOST'), false);
  });

  test('repeated headers, in any case, are joined with ", " in order', () => {
    const headers = readAll('SOURCE /live ICE/1.0\r\nIce-Genre: jazz\r\nice-genre: blues\r\nICE-GENRE: soul\r\n\r\n')!.head.headers;
    assert.equal(headers.get('ice-genre'), 'jazz, blues, soul');
    assert.equal(headers.size, 1);
  });

  test('a header line without a colon, with an empty name or a space in the name is BAD_HEADER (400)', () => {
    for (const line of ['NoColonHere', ': value', 'Bad Name: x', ' Folded: x', 'Name\t: x']) {
      assert.throws(() => readAll(`SOURCE /live ICE/1.0\r\n${line}\r\n\r\n`), relayError('BAD_HEADER', 400), JSON.stringify(line));
    }
  });

  test('parseRequestHead takes the head text directly and ignores the blank line', () => {
    const head = parseRequestHead('GET /x HTTP/1.1\r\nA: 1\r\n\r\n');
    assert.equal(head.target, '/x');
    assert.deepEqual([...head.headers], [['a', '1']]);
  });
});

describe('HeadReader size limit', () => {
  const line = 'PUT /live HTTP/1.1\r\n';

  function paddedHead(totalBytes: number): string {
    // request line + "X-Pad: " + padding + CRLF CRLF == totalBytes
    return `${line}X-Pad: ${'a'.repeat(totalBytes - line.length - 'X-Pad: '.length - 4)}\r\n\r\n`;
  }

  test('a head of exactly MAX_HEAD_BYTES (8 KiB) is accepted, also with a body after it', () => {
    assert.equal(MAX_HEAD_BYTES, 8192);
    const head = paddedHead(MAX_HEAD_BYTES);
    assert.equal(head.length, 8192);
    assert.ok(readAll(head));
    const result = readAll(head + 'b'.repeat(20_000));
    assert.equal(result?.rest.length, 20_000);
  });

  test('more than 8 KiB without a blank line, fed at once, is HEAD_TOO_LARGE (431)', () => {
    assert.throws(() => readAll(`${line}X-Pad: ${'a'.repeat(9000)}`), relayError('HEAD_TOO_LARGE', 431));
  });

  test('a head whose blank line ends past 8 KiB is HEAD_TOO_LARGE even when it arrives complete', () => {
    assert.throws(() => readAll(`${paddedHead(MAX_HEAD_BYTES + 1)}body`), relayError('HEAD_TOO_LARGE', 431));
  });

  test('a head trickled one byte at a time is refused on byte 8193, not before', () => {
    const input = Buffer.from(`${line}X-Pad: ${'a'.repeat(9000)}`);
    const reader = new HeadReader();
    for (let i = 0; i < MAX_HEAD_BYTES; i++) assert.equal(reader.push(input.subarray(i, i + 1)), undefined, `byte ${i}`);
    assert.throws(() => reader.push(input.subarray(MAX_HEAD_BYTES, MAX_HEAD_BYTES + 1)), relayError('HEAD_TOO_LARGE', 431));
  });

  test('a head trickled in 1000-byte pieces is refused on the piece that passes 8 KiB', () => {
    const input = Buffer.from(`${line}X-Pad: ${'a'.repeat(20_000)}`);
    const reader = new HeadReader();
    for (let off = 0; off < 8000; off += 1000) assert.equal(reader.push(input.subarray(off, off + 1000)), undefined, `piece at ${off}`);
    assert.throws(() => reader.push(input.subarray(8000, 9000)), relayError('HEAD_TOO_LARGE', 431));
  });
});
