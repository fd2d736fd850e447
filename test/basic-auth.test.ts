// Source credentials: parsing the Basic header the way encoders send it, and
// the one check ingest makes (user "source", the configured password).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSourceAuthorized, parseBasicAuth, safeEqual } from '../relay/formats/basic-auth.js';

function basic(userColonPassword: string, scheme = 'Basic'): string {
  return `${scheme} ${Buffer.from(userColonPassword, 'utf8').toString('base64')}`;
}

describe('parseBasicAuth', () => {
  test('a Basic header gives the user and password', () => {
    assert.deepEqual(parseBasicAuth(basic('source:hackme')), { user: 'source', password: 'hackme' });
    assert.deepEqual(parseBasicAuth('Basic c291cmNlOmhhY2ttZQ=='), { user: 'source', password: 'hackme' });
  });

  test('the password is everything after the first colon, colons included', () => {
    assert.deepEqual(parseBasicAuth(basic('source:a:b::c')), { user: 'source', password: 'a:b::c' });
  });

  test('an empty user or an empty password is kept as an empty string', () => {
    assert.deepEqual(parseBasicAuth(basic('source:')), { user: 'source', password: '' });
    assert.deepEqual(parseBasicAuth(basic(':secret')), { user: '', password: 'secret' });
  });

  test('the password is decoded as UTF-8', () => {
    assert.deepEqual(parseBasicAuth(basic('source:pässwörd€')), { user: 'source', password: 'pässwörd€' });
  });

  test('the scheme is case-insensitive and surrounding spaces are tolerated', () => {
    const token = Buffer.from('source:hackme').toString('base64');
    for (const header of [`basic ${token}`, `BASIC ${token}`, `Basic    ${token}`, `Basic ${token}  `]) {
      assert.deepEqual(parseBasicAuth(header), { user: 'source', password: 'hackme' }, header);
    }
  });

  test('base64 without padding and URL-safe base64 are accepted', () => {
    // "source:??>>" is c291cmNlOj8/Pj4= in standard base64 and c291cmNlOj8_Pj4 in URL-safe
    const expected = { user: 'source', password: '??>>' };
    assert.deepEqual(parseBasicAuth('Basic c291cmNlOj8/Pj4='), expected);
    assert.deepEqual(parseBasicAuth('Basic c291cmNlOj8/Pj4'), expected);
    assert.deepEqual(parseBasicAuth('Basic c291cmNlOj8_Pj4'), expected);
    assert.deepEqual(parseBasicAuth('Basic c291cmNlOnB3P34+Pw=='), { user: 'source', password: 'pw?~>?' });
  });

  test('a missing header, another scheme, an empty token or a token with other characters is not credentials', () => {
    for (const header of [
      undefined,
      '',
      'Basic',
      'Basic ',
      'Bearer c291cmNlOmhhY2ttZQ==',
      'Digest username="source"',
      'Basic c291cmNl!OmhhY2ttZQ==',
      'Basic c291 cmNl',
      'xBasic c291cmNlOmhhY2ttZQ==',
    ]) {
      assert.equal(parseBasicAuth(header), undefined, JSON.stringify(header));
    }
  });

  test('a decoded token without a colon is not credentials', () => {
    assert.equal(parseBasicAuth(basic('sourcehackme')), undefined);
  });
});

describe('safeEqual', () => {
  test('equal strings are equal, whatever their length', () => {
    assert.equal(safeEqual('hackme', 'hackme'), true);
    assert.equal(safeEqual('', ''), true);
    assert.equal(safeEqual('x'.repeat(10_000), 'x'.repeat(10_000)), true);
  });

  test('strings that differ in content, case or length are not equal', () => {
    assert.equal(safeEqual('hackme', 'hackmf'), false);
    assert.equal(safeEqual('hackme', 'HACKME'), false);
    assert.equal(safeEqual('hackme', 'hackme2'), false);
    assert.equal(safeEqual('hackme', ''), false);
  });
});

describe('isSourceAuthorized', () => {
  const PASSWORD = 'Zq3-long_password';

  test('user "source" with the configured password is authorized', () => {
    assert.equal(isSourceAuthorized(basic(`source:${PASSWORD}`), PASSWORD), true);
  });

  test('a wrong, truncated, extended or differently-cased password is refused', () => {
    for (const password of ['wrong', PASSWORD.slice(0, -1), `${PASSWORD}x`, PASSWORD.toUpperCase(), '']) {
      assert.equal(isSourceAuthorized(basic(`source:${password}`), PASSWORD), false, password);
    }
  });

  test('any user other than "source" is refused, even with the right password', () => {
    for (const user of ['admin', 'Source', 'SOURCE', '', 'source ']) {
      assert.equal(isSourceAuthorized(basic(`${user}:${PASSWORD}`), PASSWORD), false, JSON.stringify(user));
    }
  });

  test('a missing or malformed header is refused', () => {
    assert.equal(isSourceAuthorized(undefined, PASSWORD), false);
    assert.equal(isSourceAuthorized('Basic', PASSWORD), false);
    assert.equal(isSourceAuthorized(`Bearer ${PASSWORD}`, PASSWORD), false);
  });
});
