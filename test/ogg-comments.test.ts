// Titles inside Ogg (issue 12, item 6): the comment header of a Vorbis or
// Opus stream is read into "ARTIST - TITLE", even when it spans pages, and
// each new logical stream's comment header reaches OggHeaders.onTitle.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Mount } from '../relay/core/mount.js';
import { OggRingWriter } from '../relay/core/ogg-ring-writer.js';
import { oggStreamPackets, oggTitle, parseCommentPacket, titleOfComments } from '../relay/formats/ogg-comments.js';
import { OGG_BOS, OGG_CONTINUED, filler, oggPage, opusHeadPacket, vorbisHeaderPacket, vorbisIdPacket } from './support/ogg-pages.js';

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/** A comment packet: `magic`, vendor, fields, (Vorbis) framing bit. */
function commentPacket(magic: 'vorbis' | 'opus', fields: string[], vendor = 'relaycast-test'): Uint8Array {
  const parts = [
    magic === 'vorbis' ? Buffer.from('\x03vorbis', 'latin1') : Buffer.from('OpusTags'),
    u32(Buffer.byteLength(vendor)),
    Buffer.from(vendor),
  ];
  parts.push(u32(fields.length));
  for (const f of fields) parts.push(u32(Buffer.byteLength(f)), Buffer.from(f));
  if (magic === 'vorbis') parts.push(Buffer.from([1]));
  return Uint8Array.from(Buffer.concat(parts));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** A Vorbis stream's three header pages with `fields` in its comment packet. */
function vorbisHeaders(serial: number, fields: string[]): Uint8Array[] {
  return [
    oggPage({ serial, sequence: 0, flags: OGG_BOS, packets: [vorbisIdPacket()] }),
    oggPage({ serial, sequence: 1, granule: 0, packets: [commentPacket('vorbis', fields), vorbisHeaderPacket(5, 300)] }),
  ];
}

function audio(serial: number, from: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    oggPage({ serial, sequence: from + i, granule: (from + i) * 1024, packets: [filler(800, i)] }),
  );
}

describe('Ogg comment headers', () => {
  test('Vorbis comments and OpusTags give their fields, keys in any case, the first of a repeated key', () => {
    const vorbis = parseCommentPacket(commentPacket('vorbis', ['title=Song', 'ARTIST=Band', 'Artist=Other', 'ENCODER=x']));
    assert.deepEqual(vorbis && [...vorbis], [
      ['TITLE', 'Song'],
      ['ARTIST', 'Band'],
      ['ENCODER', 'x'],
    ]);
    const opus = parseCommentPacket(commentPacket('opus', ['TITLE=Über Grün']));
    assert.equal(opus?.get('TITLE'), 'Über Grün');
    assert.equal(parseCommentPacket(opusHeadPacket()), undefined);
  });

  test('the title is "ARTIST - TITLE", or TITLE alone; no TITLE is no title', () => {
    assert.equal(
      titleOfComments(
        new Map([
          ['TITLE', 'Song'],
          ['ARTIST', 'Band'],
        ]),
      ),
      'Band - Song',
    );
    assert.equal(titleOfComments(new Map([['TITLE', 'Song']])), 'Song');
    assert.equal(titleOfComments(new Map([['ARTIST', 'Band']])), undefined);
  });

  test('a truncated or lying comment packet gives what it holds and never throws', () => {
    const whole = commentPacket('opus', ['TITLE=Song', 'ARTIST=Band']);
    for (let n = 0; n <= whole.length; n++) parseCommentPacket(whole.subarray(0, n));
    const lying = Buffer.from(commentPacket('vorbis', ['TITLE=Song']));
    lying.writeUInt32LE(0xffffffff, 7 + 4 + 'relaycast-test'.length);
    assert.equal(parseCommentPacket(lying)?.get('TITLE'), 'Song');
  });

  test('a comment packet that spans pages is reassembled', () => {
    const packet = commentPacket('opus', ['TITLE=Long', `DESCRIPTION=${'x'.repeat(600)}`]);
    const cut = 510;
    const pages = [
      oggPage({ serial: 4, sequence: 0, flags: OGG_BOS, packets: [opusHeadPacket()] }),
      oggPage({ serial: 9, sequence: 0, flags: OGG_BOS, packets: [filler(30, 1)] }),
      oggPage({ serial: 4, sequence: 1, packets: [packet.subarray(0, cut)], lastContinues: true, granule: -1 }),
      oggPage({ serial: 4, sequence: 2, flags: OGG_CONTINUED, packets: [packet.subarray(cut)] }),
    ];
    assert.deepEqual(oggStreamPackets(pages, 4, 2)[1], packet);
    assert.equal(oggTitle(pages, [9, 4]), 'Long');
  });
});

describe('Ogg titles through the ring writer', () => {
  test('each new logical stream (a chain, a new source) reports its title once; a stream without one reports none', () => {
    const mount = new Mount('/o', 'application/ogg', { name: '' } as never, 1 << 20);
    assert.ok(mount.writer instanceof OggRingWriter);
    const titles: string[] = [];
    mount.writer.headers.onTitle = (title) => titles.push(title);
    mount.writer.write(concat(...vorbisHeaders(1, ['ARTIST=Band', 'TITLE=First']), ...audio(1, 2, 5)));
    assert.deepEqual(titles, ['Band - First']);
    mount.writer.write(concat(...vorbisHeaders(2, ['TITLE=Second']), ...audio(2, 2, 5)));
    mount.writer.write(concat(...vorbisHeaders(3, ['ENCODER=x']), ...audio(3, 2, 5)));
    mount.writer.end();
    mount.writer.write(concat(...vorbisHeaders(4, ['TITLE=After reconnect']), ...audio(4, 2, 5)));
    assert.deepEqual(titles, ['Band - First', 'Second', 'After reconnect']);
  });
});
