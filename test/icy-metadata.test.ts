import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  encodeIcyBlock,
  fitIcyTitle,
  icyAllowedFor,
  MAX_ICY_PAYLOAD_BYTES,
  parseIcyPayload,
  sanitizeIcyText,
  truncateUtf8,
} from '../relay/formats/icy-metadata.js';

test('a block is a length byte and StreamTitle/StreamUrl padded with NULs to a multiple of 16', () => {
  const block = Buffer.from(encodeIcyBlock('Artist - Song', 'http://x.example/'));
  const text = "StreamTitle='Artist - Song';StreamUrl='http://x.example/';";
  assert.equal(block[0], Math.ceil(text.length / 16));
  assert.equal(block.length, 1 + block[0] * 16);
  assert.equal(block.subarray(1, 1 + text.length).toString('latin1'), text);
  assert.ok(block.subarray(1 + text.length).every((b) => b === 0));
});

test('a title without a URL has no StreamUrl field', () => {
  const block = Buffer.from(encodeIcyBlock('A', ''));
  assert.equal(block.subarray(1).toString('latin1').replace(/\0+$/, ''), "StreamTitle='A';");
});

test('a UTF-8 title keeps its bytes exactly', () => {
  const title = 'Sigur Rós – Hoppípolla';
  const block = Buffer.from(encodeIcyBlock(title, ''));
  const expected = Buffer.concat([Buffer.from("StreamTitle='"), Buffer.from(title, 'utf8'), Buffer.from("';")]);
  assert.deepEqual(block.subarray(1, 1 + expected.length), expected);
});

test('CR, LF, NUL, tabs and other control characters never reach a title', () => {
  assert.equal(sanitizeIcyText('a\r\nb\0c\td\x7fe\u0085f\u2028g'), 'a b c d e f g');
  assert.equal(sanitizeIcyText('  spaced\r\n\r\nout  '), 'spaced out');
});

test("apostrophes are kept, except one followed by ';' which would end the value early", () => {
  assert.equal(sanitizeIcyText("Don't Stop"), "Don't Stop");
  assert.equal(sanitizeIcyText("evil';StreamUrl='http://x';"), "evil\u2019;StreamUrl='http://x\u2019;");
  const fields = parseIcyPayload(
    Buffer.from(encodeIcyBlock(fitIcyTitle("evil';StreamUrl='http://x", '').title, ''))
      .subarray(1)
      .toString('utf8'),
  );
  assert.deepEqual([...fields.keys()], ['StreamTitle']);
});

test('a 10 KB title is cut so the block stays within 4080 bytes, on a character boundary', () => {
  const raw = 'é'.repeat(5000) + '€'.repeat(100);
  const { title } = fitIcyTitle(raw, 'http://example.com/');
  const block = encodeIcyBlock(title, 'http://example.com/');
  assert.ok(block.length - 1 <= MAX_ICY_PAYLOAD_BYTES, `payload ${block.length - 1}`);
  assert.equal(block[0], 255);
  assert.ok(!title.includes('\ufffd'), 'no broken character');
  assert.ok(raw.startsWith(title));
});

test('truncateUtf8 backs off to the start of a multi-byte character', () => {
  assert.equal(truncateUtf8('a€', 2), 'a');
  assert.equal(truncateUtf8('a€', 4), 'a€');
  assert.equal(truncateUtf8('😀😀', 5), '😀');
});

test('a long URL is capped and the title still fits', () => {
  const { title, url } = fitIcyTitle('t'.repeat(5000), `http://${'u'.repeat(5000)}`);
  assert.ok(Buffer.byteLength(url) <= 1024);
  assert.ok(encodeIcyBlock(title, url).length <= 1 + MAX_ICY_PAYLOAD_BYTES);
});

test('Ogg and WebM never get ICY metadata; MP3 and AAC do', () => {
  assert.equal(icyAllowedFor('audio/mpeg'), true);
  assert.equal(icyAllowedFor('audio/aacp'), true);
  assert.equal(icyAllowedFor('audio/ogg'), false);
  assert.equal(icyAllowedFor('application/ogg'), false);
  assert.equal(icyAllowedFor('audio/webm'), false);
});

test('parseIcyPayload reads each value up to its closing quote-semicolon', () => {
  const fields = parseIcyPayload("StreamTitle='It's a title';StreamUrl='http://x/';\0\0\0");
  assert.equal(fields.get('StreamTitle'), "It's a title");
  assert.equal(fields.get('StreamUrl'), 'http://x/');
});
