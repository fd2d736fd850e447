// Which Content-Types the relay treats as Ogg (page-aligned joins, header
// pages first): every type the README's Formats table names, its x- variants,
// with parameters and in any case; nothing else.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOggType } from '../relay/formats/ogg-content-type.js';

test('every Ogg type the README lists, and its x- variant, is Ogg', () => {
  for (const base of ['application/ogg', 'audio/ogg', 'audio/opus', 'audio/vorbis', 'video/ogg']) {
    const [kind, sub] = base.split('/');
    assert.equal(isOggType(base), true, base);
    assert.equal(isOggType(`${kind}/x-${sub}`), true, `${kind}/x-${sub}`);
  }
});

test('parameters and case do not change what a type is', () => {
  assert.equal(isOggType('audio/ogg; codecs=opus'), true);
  assert.equal(isOggType('Audio/X-Opus'), true);
  assert.equal(isOggType('  video/x-ogg ;charset=binary'), true);
});

test('MP3, AAC, WebM and byte streams are not Ogg', () => {
  for (const type of [
    'audio/mpeg',
    'audio/aac',
    'audio/aacp',
    'audio/webm',
    'video/webm',
    'application/octet-stream',
    'video/mp2t',
    'audio/oggx',
  ]) {
    assert.equal(isOggType(type), false, type);
  }
});
