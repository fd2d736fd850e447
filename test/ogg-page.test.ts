// Ogg page headers: where a page ends, what its flags say, whether its CRC
// holds (checked against pages ffmpeg wrote), and how many header packets a
// stream's first packet announces.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OGG_BOS, oggHeaderPackets, oggPageCrcOk, parseOggPage, type OggPage } from '../relay/formats/ogg-page.js';
import { filler, oggPage, opusHeadPacket, vorbisIdPacket } from './support/ogg-pages.js';

/** The first (BOS) page of a Vorbis file and of an Opus file written by ffmpeg 5.1 (libvorbis, libopus). */
const FFMPEG_VORBIS_BOS =
  '4f676753000200000000000000000e894a2d000000007f300406011e01766f72626973000000000144ac0000000000008038010000000000b801';
const FFMPEG_OPUS_BOS = '4f67675300020000000000000000c557d85a00000000ebeceba601134f707573486561640101380180bb0000000000';

function parse(bytes: Uint8Array): OggPage {
  const page = parseOggPage((i) => bytes[i], bytes.length);
  assert.ok(page && page !== 'short', 'a page');
  return page;
}

describe('parseOggPage', () => {
  test('reads the BOS page of a real Vorbis stream and its CRC holds', () => {
    const bytes = Buffer.from(FFMPEG_VORBIS_BOS, 'hex');
    const page = parse(bytes);
    assert.equal(page.lengthBytes, 58);
    assert.equal(page.headerBytes, 28);
    assert.equal(page.flags, OGG_BOS);
    assert.equal(page.sequence, 0);
    assert.equal(page.packetsEnded, 1);
    assert.equal(page.serial, 0x2d4a890e);
    assert.ok(oggPageCrcOk((i) => bytes[i], page));
  });

  test('the CRC of a real Opus BOS page holds, and fails when one byte changes', () => {
    const bytes = Buffer.from(FFMPEG_OPUS_BOS, 'hex');
    const page = parse(bytes);
    assert.equal(page.lengthBytes, 47);
    assert.ok(oggPageCrcOk((i) => bytes[i], page));
    bytes[40] ^= 0x10;
    assert.equal(
      oggPageCrcOk((i) => bytes[i], page),
      false,
    );
  });

  test('needs the whole segment table before it knows the length', () => {
    const page = oggPage({ serial: 1, sequence: 3, packets: [filler(600, 1), filler(10, 2)] });
    assert.equal(
      parseOggPage((i) => page[i], 3),
      'short',
    );
    assert.equal(
      parseOggPage((i) => page[i], 27),
      'short',
    );
    const whole = parse(page);
    assert.equal(whole.lengthBytes, page.length);
    assert.equal(whole.packetsEnded, 2);
  });

  test('a page whose last packet goes on ends fewer packets', () => {
    const page = oggPage({ serial: 1, sequence: 3, packets: [filler(20, 1), filler(510, 2)], lastContinues: true });
    assert.equal(parse(page).packetsEnded, 1);
  });

  test('rejects anything that is not a version-0 capture pattern', () => {
    const page = oggPage({ serial: 1, sequence: 0, packets: [filler(5, 1)] });
    const notOgg = Uint8Array.from(page);
    notOgg[3] = 0x54;
    assert.equal(
      parseOggPage((i) => notOgg[i], notOgg.length),
      undefined,
    );
    const version1 = Uint8Array.from(page);
    version1[4] = 1;
    assert.equal(
      parseOggPage((i) => version1[i], version1.length),
      undefined,
    );
    assert.equal(
      parseOggPage((i) => [0x4f, 0x67, 0x67][i], 3),
      'short',
    );
    assert.equal(
      parseOggPage((i) => [0x4f, 0x68][i], 2),
      undefined,
    );
  });
});

describe('oggHeaderPackets', () => {
  test('Vorbis has 3 header packets, Opus 2, an unknown codec is unknown', () => {
    assert.equal(oggHeaderPackets(vorbisIdPacket()), 3);
    assert.equal(oggHeaderPackets(opusHeadPacket()), 2);
    assert.equal(oggHeaderPackets(filler(30, 4)), undefined);
  });

  test('FLAC announces its metadata packets; Speex its extra headers', () => {
    const flac = Uint8Array.from([0x7f, ...Buffer.from('FLAC'), 1, 0, 0, 2]);
    assert.equal(oggHeaderPackets(flac), 3);
    const speex = filler(80, 5);
    speex.set(Buffer.from('Speex   '));
    speex.set([1, 0, 0, 0], 68);
    assert.equal(oggHeaderPackets(speex), 3);
  });
});
