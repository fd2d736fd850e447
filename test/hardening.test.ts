// Issue 10's parsers and guards, unit by unit: request heads that refuse
// bytes a field may not hold, the media-type check of a source's
// Content-Type, Content-Length and Expect as RFC 9112/9110 spell them, chunk
// sizes with leading zeros, the one redaction, and the login limiter's decay
// and bound. The real-socket attacks are in hardening.integration.test.ts.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contentLengthOf, expectsContinue } from '../ingest/source-request.js';
import { ChunkedDecoder } from '../ingest/chunked-decoder.js';
import { AuthLimiter, LEAK_MS, MAX_ADDRESSES, MAX_FAILURES, addressKeyOf } from '../relay/api/auth-limiter.js';
import { headerSafe, icyHeaders, mediaTypeOf } from '../relay/core/stream-info.js';
import { MAX_DETAIL_CHARS, RelayError, type ErrorCode } from '../relay/errors.js';
import { mountNameOf } from '../relay/formats/mount-name.js';
import { redactSecrets } from '../relay/formats/redact.js';
import { HeadReader, headEnd } from '../relay/formats/request-head.js';
import { redactFields } from '../relay/log.js';

function relayError(code: ErrorCode) {
  return (err: unknown) => {
    assert.ok(err instanceof RelayError, `expected a RelayError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  };
}

const read = (text: string) => new HeadReader().push(Buffer.from(text, 'latin1'));

describe('request heads hold only what a field value may hold', () => {
  test('the exact injection (bare CRs inside Content-Type) is BAD_HEADER, and the detail does not echo the value', () => {
    const attack = 'PUT /live HTTP/1.1\r\nContent-Type: audio/mpeg\rX-Injected: yes\rSet-Cookie: a=b\r\n\r\n';
    assert.throws(
      () => read(attack),
      (err: unknown) => {
        assert.ok(err instanceof RelayError && err.code === 'BAD_HEADER');
        assert.doesNotMatch(err.message, /Injected|Cookie/);
        return true;
      },
    );
  });

  test('NUL, other control bytes and DEL anywhere in the head are BAD_HEADER; HTAB and obs-text are kept', () => {
    for (const byte of [0x00, 0x01, 0x08, 0x0b, 0x0c, 0x0d, 0x1b, 0x1f, 0x7f]) {
      const c = String.fromCharCode(byte);
      assert.throws(() => read(`GET /x HTTP/1.1\r\nX-A: a${c}b\r\n\r\n`), relayError('BAD_HEADER'), `0x${byte.toString(16)} in a value`);
      assert.throws(() => read(`GET /x${c} HTTP/1.1\r\n\r\n`), relayError('BAD_HEADER'), `0x${byte.toString(16)} in the request line`);
    }
    const head = read('GET /x HTTP/1.1\r\nIce-Name: caf\xe9\tbar \xa0\r\n\r\n')?.head;
    assert.equal(head?.headers.get('ice-name'), 'caf\xe9\tbar \xa0', 'HTAB inside, obs-text (0xA0 too) kept; only SP/HTAB trimmed');
  });

  test('a head ending in \\n\\r\\n is recognised, as are \\r\\n\\r\\n and \\n\\n', () => {
    assert.equal(headEnd(Buffer.from('GET / HTTP/1.0\n\r\nBODY')), 17);
    assert.equal(read('GET /status.json HTTP/1.0\r\nA: 1\n\r\n')?.head.headers.get('a'), '1');
    assert.equal(headEnd(Buffer.from('A\r\n\r\n')), 5);
    assert.equal(headEnd(Buffer.from('A\n\n')), 3);
    assert.equal(headEnd(Buffer.from('A\r\nB\r\n\rC')), -1, 'a CR that is not followed by LF does not end the head');
  });
});

describe("a source's Content-Type and stream info", () => {
  test('media types with parameters pass; anything else is BAD_HEADER', () => {
    for (const ok of [
      'audio/mpeg',
      'application/ogg',
      'audio/aac;  rate=44100',
      'audio/ogg; codecs="opus"',
      'text/plain;charset=utf-8',
      'a/b;',
    ]) {
      assert.equal(mediaTypeOf(ok), ok);
    }
    assert.equal(mediaTypeOf('  audio/mpeg\t'), 'audio/mpeg');
    for (const bad of [
      'audio/mpeg\rX-Injected: yes\rSet-Cookie: a=b',
      'audio/mpeg\r\nX: y',
      'audio/mpeg X-Injected: yes',
      'audio',
      '/mpeg',
      'audio/',
      'audio/mpeg; a',
      'audio/mpeg; a="unterminated',
      'audio/mpeg, text/html',
      'audio/mp\xe9g',
      `audio/${'x'.repeat(300)}`,
      '',
    ]) {
      assert.throws(() => mediaTypeOf(bad), relayError('BAD_HEADER'), JSON.stringify(bad));
    }
  });

  test('icy-* values are made header-safe where they are written, whatever was stored', () => {
    const headers = icyHeaders({ name: 'a\rX-Injected: yes\nSet-Cookie: a=b', genre: '\u2028jazz\u0000', url: 'http://x/' });
    for (const [, value] of headers) assert.doesNotMatch(value, /[\r\n\0\u2028]/);
    assert.equal(headerSafe('a\r\nb'), 'a  b');
  });
});

describe('Content-Length, Expect, chunk sizes and mount names as the RFCs spell them', () => {
  test('Content-Length is 1*DIGIT of at most 15 digits', () => {
    assert.equal(contentLengthOf(undefined), undefined);
    assert.equal(contentLengthOf('0'), 0);
    assert.equal(contentLengthOf('000123'), 123);
    assert.equal(contentLengthOf('999999999999999'), 999_999_999_999_999);
    for (const bad of ['0x10', '1e3', '+20', '-1', '', ' ', '1.0', '12 34', '1, 1', '9'.repeat(16), '9'.repeat(23)]) {
      assert.throws(() => contentLengthOf(bad), relayError('BAD_HEADER'), JSON.stringify(bad));
    }
  });

  test('Expect matches the token 100-continue exactly, in any case', () => {
    assert.equal(expectsContinue('100-continue'), true);
    assert.equal(expectsContinue('100-Continue'), true);
    assert.equal(expectsContinue(' 100-CONTINUE '), true);
    for (const no of [undefined, '', '100-continuefoo', 'x100-continue', '100-continue;x', '200-continue']) {
      assert.equal(expectsContinue(no), false, JSON.stringify(no));
    }
  });

  test('chunk sizes with leading zeros beyond 8 digits are valid; more than 8 significant digits are not', () => {
    const got: Buffer[] = [];
    const decoder = new ChunkedDecoder((bytes) => got.push(Buffer.from(bytes)));
    decoder.push(Buffer.from('000000000010\r\n0123456789abcdef\r\n0000000000000\r\n\r\n', 'latin1'));
    assert.equal(Buffer.concat(got).toString('latin1'), '0123456789abcdef');
    assert.equal(decoder.done, true);
    assert.throws(() => new ChunkedDecoder(() => undefined).push(Buffer.from('0100000000\r\n')), relayError('BAD_CHUNK'));
    assert.throws(() => new ChunkedDecoder(() => undefined).push(Buffer.from('0x10\r\n')), relayError('BAD_CHUNK'));
  });

  test('a mount name has at most 256 bytes', () => {
    assert.equal(mountNameOf(`/${'a'.repeat(255)}`).length, 256);
    assert.throws(() => mountNameOf(`/${'a'.repeat(256)}`), relayError('BAD_MOUNT'));
    assert.throws(() => mountNameOf(`/${'a'.repeat(7900)}`), relayError('BAD_MOUNT'));
  });
});

describe('secrets are taken out in one place', () => {
  test('pass= values, Authorization values and URL passwords become ***', () => {
    assert.equal(redactSecrets('/admin.cgi?pass=hunter2&mode=updinfo'), '/admin.cgi?pass=***&mode=updinfo');
    assert.equal(redactSecrets('/admin.cgi?mode=x&PASS=hunter2'), '/admin.cgi?mode=x&PASS=***');
    assert.equal(redactSecrets('GET /x?password=hunter2 HTTP/1.0'), 'GET /x?password=*** HTTP/1.0');
    assert.equal(redactSecrets('Authorization: Basic c291cmNlOmh1bnRlcjI='), 'Authorization: ***');
    assert.equal(redactSecrets('"authorization":"Bearer abc.def"'), '"authorization":"***"');
    assert.equal(redactSecrets('got Basic c291cmNlOmh1bnRlcjI= here'), 'got Basic *** here');
    assert.equal(redactSecrets('http://source:hunter2@127.0.0.1:8001/live'), 'http://source:***@127.0.0.1:8001/live');
    assert.equal(redactSecrets('/listen?x=1'), '/listen?x=1');
  });

  test('a RelayError redacts its detail and echoes at most MAX_DETAIL_CHARS of it', () => {
    const err = new RelayError('MOUNT_NOT_FOUND', `/x?pass=hunter2&${'a'.repeat(70_000)}`);
    assert.doesNotMatch(err.message, /hunter2/);
    assert.ok(err.message.length < MAX_DETAIL_CHARS + 60, `${err.message.length} chars`);
  });

  test('the logger redacts strings in every field, nested ones and errors included', () => {
    const out = redactFields({ target: '/admin.cgi?pass=hunter2', nested: { url: 'http://u:hunter2@h/' }, err: new Error('pass=hunter2') });
    assert.doesNotMatch(JSON.stringify(out), /hunter2/);
  });
});

describe('the login limiter', () => {
  test('an address is refused after MAX_FAILURES failures, with Retry-After, and forgiven as the failures leak away', () => {
    let nowMs = 0;
    const limiter = new AuthLimiter(() => nowMs);
    for (let i = 0; i < MAX_FAILURES; i++) {
      limiter.gate('10.0.0.1:1000');
      limiter.failed(`10.0.0.1:${1000 + i}`);
    }
    assert.throws(
      () => limiter.gate('10.0.0.1:2000'),
      (err: unknown) =>
        err instanceof RelayError && err.code === 'AUTH_RATE_LIMITED' && err.status === 429 && err.retryAfterSeconds === LEAK_MS / 1000,
    );
    limiter.gate('10.0.0.2:1000'); // another address is not affected
    nowMs += LEAK_MS;
    limiter.gate('10.0.0.1:3000'); // one failure leaked away: one more guess
    limiter.failed('10.0.0.1:3000');
    assert.throws(() => limiter.gate('10.0.0.1'), relayError('AUTH_RATE_LIMITED'));
    nowMs += LEAK_MS * (MAX_FAILURES + 1);
    limiter.gate('10.0.0.1');
    assert.equal(limiter.size, 0, 'a fully leaked address is forgotten');
  });

  test('memory is bounded: at most MAX_ADDRESSES addresses, the least recently failed forgotten first', () => {
    const limiter = new AuthLimiter(() => 0);
    for (let i = 0; i < MAX_ADDRESSES + 500; i++) limiter.failed(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:1`);
    assert.equal(limiter.size, MAX_ADDRESSES);
  });

  test('addresses are keyed without their port; IPv6 by its /64', () => {
    assert.equal(addressKeyOf('127.0.0.1:5555'), '127.0.0.1');
    assert.equal(addressKeyOf('127.0.0.1'), '127.0.0.1');
    assert.equal(addressKeyOf('::ffff:10.1.2.3:80'), '10.1.2.3');
    assert.equal(addressKeyOf('2001:db8:1:2::5:443'), addressKeyOf('2001:db8:1:2:ffff::9'));
    assert.equal(addressKeyOf('::1:5678'), addressKeyOf('0000:0000:0000:0000:0000:0000:0000:0001'));
    assert.notEqual(addressKeyOf('2001:db8:1:2::1'), addressKeyOf('2001:db8:1:3::1'));
  });
});
