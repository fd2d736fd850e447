import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeText, parseQueryBytes } from '../relay/formats/query-bytes.js';

const q = (s: string) => parseQueryBytes(Buffer.from(s, 'latin1'));

test('percent escapes and + become bytes; the first of a repeated name wins', () => {
  const params = q('mode=updinfo&song=A+%26+B%3D&song=second&empty=&flag');
  assert.equal(Buffer.from(params.get('song')!).toString(), 'A & B=');
  assert.equal(params.get('empty')!.length, 0);
  assert.equal(params.get('flag')!.length, 0);
});

test('a stray % is kept as it is', () => {
  assert.equal(Buffer.from(q('song=100%&x=%zz%4').get('song')!).toString(), '100%');
  assert.equal(Buffer.from(q('x=%zz%4').get('x')!).toString(), '%zz%4');
});

test('UTF-8 is read as UTF-8, Latin-1 with charset= or by fallback', () => {
  const utf8 = q('song=Sigur%20R%C3%B3s%20%E2%80%93%20Hopp%C3%ADpolla').get('song')!;
  assert.equal(decodeText(utf8, undefined), 'Sigur Rós – Hoppípolla');
  const latin1 = q('song=Sigur%20R%F3s').get('song')!;
  assert.equal(decodeText(latin1, 'ISO-8859-1'), 'Sigur Rós');
  assert.equal(decodeText(latin1, 'latin1'), 'Sigur Rós');
  assert.equal(decodeText(latin1, undefined), 'Sigur Rós', 'invalid UTF-8 falls back to Latin-1');
  assert.throws(() => decodeText(latin1, 'klingon-8'), RangeError);
});
