// EBML element headers (relay/formats/ebml.ts): IDs and sizes of every width,
// unknown sizes, what is not an element, and 'short' until a header is whole.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EBML_ID, ebmlDocType, parseTracks, readElementHeader, unknownSizeVint, vintLength } from '../relay/formats/ebml.js';
import { concat, ebmlHeader, el, segmentHead, sizeVint } from './support/webm-elements.js';

const at = (bytes: Uint8Array) => (i: number) => bytes[i];

describe('EBML element headers', () => {
  test('a VINT is one byte longer for each leading zero bit', () => {
    assert.deepEqual([0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01, 0xff, 0x7f, 0x00].map(vintLength), [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 0]);
  });

  test('sizes of every width read back, and all-ones in any width is unknown', () => {
    for (let width = 1; width <= 8; width++) {
      const size = Math.min(2 ** (7 * width) - 2, 123_456_789_012);
      const bytes = concat(Uint8Array.from([0xa3]), sizeVint(size, width));
      assert.deepEqual(readElementHeader(at(bytes), bytes.length), { id: 0xa3, headerBytes: 1 + width, sizeBytes: width, size });
      const unknown = concat(Uint8Array.from([0xa3]), unknownSizeVint(width));
      assert.equal((readElementHeader(at(unknown), unknown.length) as { size: unknown }).size, undefined, `width ${width}`);
      assert.deepEqual(unknownSizeVint(width), sizeVint(undefined, width));
    }
  });

  test('the four-byte IDs of the EBML header, Segment and Cluster read with their marker bits', () => {
    for (const id of [EBML_ID.EBML, EBML_ID.Segment, EBML_ID.Cluster, EBML_ID.Tracks]) {
      const bytes = el(id, new Uint8Array(3));
      assert.deepEqual(readElementHeader(at(bytes), bytes.length), { id, headerBytes: 5, sizeBytes: 1, size: 3 });
    }
  });

  test('a header is short until its last byte arrives, at every split point', () => {
    const bytes = concat(Uint8Array.from([0x1f, 0x43, 0xb6, 0x75]), sizeVint(1000, 8));
    for (let n = 0; n < bytes.length; n++) assert.equal(readElementHeader(at(bytes), n), 'short', `${n} bytes`);
    assert.deepEqual(readElementHeader(at(bytes), bytes.length), { id: EBML_ID.Cluster, headerBytes: 12, sizeBytes: 8, size: 1000 });
  });

  test('an ID longer than four bytes, a reserved or zero ID, and a zero size byte are not elements', () => {
    for (const bytes of [
      [0x08, 1, 2, 3, 4, 0x81],
      [0xff, 0x81],
      [0x80, 0x81],
      [0x7f, 0xff, 0x81],
      [0xa3, 0x00, 1],
    ]) {
      assert.equal(readElementHeader(at(Uint8Array.from(bytes)), bytes.length), undefined, bytes.join(','));
    }
  });

  test('DocType and tracks are read from an init segment', () => {
    const header = ebmlHeader('matroska');
    assert.equal(ebmlDocType(header.subarray(5)), 'matroska');
    const head = segmentHead([
      { number: 1, type: 1, codec: 'V_VP8' },
      { number: 2, type: 2, codec: 'A_OPUS' },
    ]);
    const tracksPos = head.indexOf(0x16);
    const tracks = readElementHeader(at(head.subarray(tracksPos)), head.length - tracksPos);
    assert.ok(tracks && tracks !== 'short' && tracks.size !== undefined);
    const body = head.subarray(tracksPos + tracks.headerBytes, tracksPos + tracks.headerBytes + tracks.size);
    assert.deepEqual(parseTracks(body), [
      { number: 1, type: 1, codecId: 'V_VP8' },
      { number: 2, type: 2, codecId: 'A_OPUS' },
    ]);
  });
});
