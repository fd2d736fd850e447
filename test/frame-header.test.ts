// MP3 and ADTS frame headers: lengths and durations worked out by hand from
// the MPEG and ADTS tables, rejections of every reserved or unusable field,
// content types, and ID3v2 tag lengths.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  HEADER_BYTES,
  PARSERS,
  frameFormatOf,
  id3v2Length,
  parseAdtsHeader,
  parseMp3Header,
  type ByteAt,
} from '../relay/formats/frame-header.js';

function at(...header: number[]): ByteAt {
  return (i) => header[i] ?? 0;
}

function mp3(...header: number[]) {
  return parseMp3Header(at(...header));
}

interface AdtsFields {
  lengthBytes: number;
  rateIndex?: number;
  blocks?: number;
  channels?: number;
  profile?: number;
  protectionAbsent?: boolean;
  mpeg2?: boolean;
  layer?: number;
}

/** An ADTS fixed + variable header, bit by bit. */
function adtsHeader(f: AdtsFields): number[] {
  const rate = f.rateIndex ?? 4;
  const channels = f.channels ?? 2;
  const profile = f.profile ?? 1;
  const len = f.lengthBytes;
  return [
    0xff,
    0xf0 | ((f.mpeg2 ? 1 : 0) << 3) | ((f.layer ?? 0) << 1) | (f.protectionAbsent === false ? 0 : 1),
    (profile << 6) | (rate << 2) | (channels >> 2),
    ((channels & 3) << 6) | ((len >> 11) & 3),
    (len >> 3) & 0xff,
    ((len & 7) << 5) | 0x1f,
    0xfc | ((f.blocks ?? 1) - 1),
  ];
}

function adts(f: AdtsFields) {
  return parseAdtsHeader(at(...adtsHeader(f)));
}

describe('MP3 frame headers', () => {
  test('MPEG-1 Layer III 128 kbps 44.1 kHz is 417 bytes of 1152 samples without padding', () => {
    const h = mp3(0xff, 0xfb, 0x90, 0x44);
    assert.ok(h);
    assert.equal(h.lengthBytes, 417);
    assert.equal(h.samples, 1152);
    assert.equal(h.sampleRateHz, 44100);
  });

  test('MPEG-1 Layer III 128 kbps 44.1 kHz is 418 bytes with the padding bit set', () => {
    assert.equal(mp3(0xff, 0xfb, 0x92, 0x44)?.lengthBytes, 418);
  });

  test('MPEG-1 Layer III at 48 kHz and 32 kHz use their own sample rates', () => {
    const h48 = mp3(0xff, 0xfb, 0x94, 0x00);
    assert.equal(h48?.lengthBytes, 384); // 144 * 128000 / 48000
    assert.equal(h48?.samples, 1152);
    assert.equal(h48?.sampleRateHz, 48000);
    assert.equal(mp3(0xff, 0xfb, 0x98, 0x00)?.lengthBytes, 576); // 144 * 128000 / 32000
    assert.equal(mp3(0xff, 0xfb, 0x98, 0x00)?.sampleRateHz, 32000);
  });

  test('MPEG-1 Layer III at 320 kbps 44.1 kHz is 1044 bytes', () => {
    assert.equal(mp3(0xff, 0xfb, 0xe0, 0x00)?.lengthBytes, 1044); // floor(144 * 320000 / 44100)
  });

  test('MPEG-2 Layer III 64 kbps 22.05 kHz is 208 bytes of 576 samples', () => {
    const h = mp3(0xff, 0xf3, 0x80, 0x00);
    assert.equal(h?.lengthBytes, 208); // floor(72 * 64000 / 22050)
    assert.equal(h?.samples, 576);
    assert.equal(h?.sampleRateHz, 22050);
    assert.equal(mp3(0xff, 0xf3, 0x82, 0x00)?.lengthBytes, 209);
  });

  test('MPEG-2 Layer III 64 kbps 24 kHz is 192 bytes', () => {
    const h = mp3(0xff, 0xf3, 0x84, 0x00);
    assert.equal(h?.lengthBytes, 192);
    assert.equal(h?.sampleRateHz, 24000);
  });

  test('MPEG-2.5 Layer III 8 kbps 8 kHz is 72 bytes of 576 samples', () => {
    const h = mp3(0xff, 0xe3, 0x18, 0x00);
    assert.equal(h?.lengthBytes, 72);
    assert.equal(h?.samples, 576);
    assert.equal(h?.sampleRateHz, 8000);
  });

  test('MPEG-1 Layer II 192 kbps 48 kHz is 576 bytes of 1152 samples', () => {
    const h = mp3(0xff, 0xfd, 0xa4, 0x00);
    assert.equal(h?.lengthBytes, 576);
    assert.equal(h?.samples, 1152);
    assert.equal(h?.sampleRateHz, 48000);
  });

  test('MPEG-2 Layer II keeps 1152 samples and the 144 slot factor: 160 kbps 22.05 kHz is 1044 bytes', () => {
    const h = mp3(0xff, 0xf5, 0xe0, 0x00);
    assert.equal(h?.lengthBytes, 1044);
    assert.equal(h?.samples, 1152);
    assert.equal(h?.sampleRateHz, 22050);
  });

  test('MPEG-1 Layer I counts 4-byte slots: 384 kbps 44.1 kHz is 416 bytes, 420 with padding, 384 samples', () => {
    const h = mp3(0xff, 0xff, 0xc0, 0x00);
    assert.equal(h?.lengthBytes, 416);
    assert.equal(h?.samples, 384);
    assert.equal(mp3(0xff, 0xff, 0xc2, 0x00)?.lengthBytes, 420);
    assert.equal(mp3(0xff, 0xff, 0xc4, 0x00)?.lengthBytes, 384); // 48 kHz: 12 * 384000 / 48000 * 4
  });

  test('MPEG-2 Layer I 256 kbps 24 kHz is 512 bytes', () => {
    assert.equal(mp3(0xff, 0xf7, 0xe4, 0x00)?.lengthBytes, 512); // 12 * 256000 / 24000 * 4
  });

  test('the protection bit and the bitrate do not change the stream key; the sample rate and version do', () => {
    const base = mp3(0xff, 0xfb, 0x90, 0x44)!.streamKey;
    assert.equal(mp3(0xff, 0xfa, 0x90, 0x44)!.streamKey, base);
    assert.equal(mp3(0xff, 0xfb, 0xa2, 0x00)!.streamKey, base);
    assert.notEqual(mp3(0xff, 0xfb, 0x94, 0x44)!.streamKey, base);
    assert.notEqual(mp3(0xff, 0xf3, 0x90, 0x44)!.streamKey, base);
    assert.notEqual(mp3(0xff, 0xfd, 0x90, 0x44)!.streamKey, base);
  });

  test('a header is read through ByteAt, so one that straddles a ring wrap parses', () => {
    const buf = [0x90, 0x44, 0x00, 0x00, 0x00, 0xff, 0xfb]; // header starts at index 5
    const h = parseMp3Header((i) => buf[(5 + i) % buf.length]);
    assert.equal(h?.lengthBytes, 417);
  });

  test('a header without the 11 sync bits is rejected', () => {
    assert.equal(mp3(0xfe, 0xfb, 0x90, 0x44), undefined);
    assert.equal(mp3(0xff, 0xdb, 0x90, 0x44), undefined);
    assert.equal(mp3(0x00, 0x00, 0x00, 0x00), undefined);
  });

  test('the reserved MPEG version (01) is rejected', () => {
    assert.equal(mp3(0xff, 0xeb, 0x90, 0x44), undefined);
  });

  test('the reserved layer (00) is rejected', () => {
    assert.equal(mp3(0xff, 0xf9, 0x90, 0x44), undefined);
  });

  test('bitrate index 0 (free format) and 15 (forbidden) are rejected', () => {
    assert.equal(mp3(0xff, 0xfb, 0x00, 0x44), undefined);
    assert.equal(mp3(0xff, 0xfb, 0xf0, 0x44), undefined);
  });

  test('sample rate index 3 (reserved) is rejected', () => {
    assert.equal(mp3(0xff, 0xfb, 0x9c, 0x44), undefined);
  });
});

describe('ADTS frame headers', () => {
  test('an ADTS header gives its 13-bit frame length, 1024 samples per block and its sample rate', () => {
    const h = adts({ lengthBytes: 371, rateIndex: 4 });
    assert.ok(h);
    assert.equal(h.lengthBytes, 371);
    assert.equal(h.samples, 1024);
    assert.equal(h.sampleRateHz, 44100);
  });

  test('the length field uses all 13 bits: 8191 is the largest frame', () => {
    assert.equal(adts({ lengthBytes: 8191 })?.lengthBytes, 8191);
    assert.equal(adts({ lengthBytes: 0x800 })?.lengthBytes, 0x800);
  });

  test('each raw data block adds 1024 samples', () => {
    assert.equal(adts({ lengthBytes: 700, blocks: 2 })?.samples, 2048);
    assert.equal(adts({ lengthBytes: 1400, blocks: 4 })?.samples, 4096);
  });

  test('sample rate indexes map to the ADTS table', () => {
    assert.equal(adts({ lengthBytes: 300, rateIndex: 0 })?.sampleRateHz, 96000);
    assert.equal(adts({ lengthBytes: 300, rateIndex: 3 })?.sampleRateHz, 48000);
    assert.equal(adts({ lengthBytes: 300, rateIndex: 8 })?.sampleRateHz, 16000);
    assert.equal(adts({ lengthBytes: 300, rateIndex: 12 })?.sampleRateHz, 7350);
  });

  test('MPEG-2 ADTS (ID bit set) parses like MPEG-4 ADTS', () => {
    assert.equal(adts({ lengthBytes: 371, mpeg2: true })?.lengthBytes, 371);
  });

  test('reserved sample rate indexes 13 to 15 are rejected', () => {
    for (const rateIndex of [13, 14, 15]) assert.equal(adts({ lengthBytes: 300, rateIndex }), undefined, `index ${rateIndex}`);
  });

  test('a non-zero layer or a broken sync word is rejected', () => {
    assert.equal(adts({ lengthBytes: 300, layer: 1 }), undefined);
    const bad = adtsHeader({ lengthBytes: 300 });
    bad[1] = 0xe1;
    assert.equal(parseAdtsHeader(at(...bad)), undefined);
    assert.equal(parseAdtsHeader(at(0xfe, ...bad.slice(1))), undefined);
  });

  test('an MP3 header is not an ADTS header', () => {
    assert.equal(parseAdtsHeader(at(0xff, 0xfb, 0x90, 0x44, 0, 0, 0)), undefined);
  });

  test('a length shorter than the header itself is rejected: 7 bytes without CRC, 9 with', () => {
    assert.equal(adts({ lengthBytes: 6 }), undefined);
    assert.equal(adts({ lengthBytes: 7 })?.lengthBytes, 7);
    assert.equal(adts({ lengthBytes: 8, protectionAbsent: false }), undefined);
    assert.equal(adts({ lengthBytes: 9, protectionAbsent: false })?.lengthBytes, 9);
  });

  test('frame length does not change the stream key; rate, profile and channels do', () => {
    const base = adts({ lengthBytes: 300 })!.streamKey;
    assert.equal(adts({ lengthBytes: 5000 })!.streamKey, base);
    assert.notEqual(adts({ lengthBytes: 300, rateIndex: 3 })!.streamKey, base);
    assert.notEqual(adts({ lengthBytes: 300, profile: 0 })!.streamKey, base);
    assert.notEqual(adts({ lengthBytes: 300, channels: 1 })!.streamKey, base);
  });

  test('HEADER_BYTES and PARSERS name the two formats', () => {
    assert.deepEqual(HEADER_BYTES, { mp3: 4, adts: 7 });
    assert.equal(PARSERS.mp3, parseMp3Header);
    assert.equal(PARSERS.adts, parseAdtsHeader);
  });
});

describe('frameFormatOf', () => {
  test('MP3 content types align on MP3 frames', () => {
    for (const type of ['audio/mpeg', 'audio/mp3', 'audio/mpeg3', 'AUDIO/MPEG', ' audio/mpeg ', 'audio/mpeg; charset=binary']) {
      assert.equal(frameFormatOf(type), 'mp3', type);
    }
  });

  test('AAC content types align on ADTS frames', () => {
    for (const type of ['audio/aac', 'audio/aacp', 'audio/x-aac', 'Audio/AACP;rate=44100']) {
      assert.equal(frameFormatOf(type), 'adts', type);
    }
  });

  test('other content types have no frame format', () => {
    for (const type of ['audio/ogg', 'application/ogg', 'audio/webm', 'application/octet-stream', 'audio/mpegurl', '']) {
      assert.equal(frameFormatOf(type), undefined, type);
    }
  });
});

describe('id3v2Length', () => {
  function tag(flags: number, size: [number, number, number, number]): ByteAt {
    return at(0x49, 0x44, 0x33, 0x04, 0x00, flags, ...size);
  }

  test('the length is the 10-byte header plus the syncsafe size', () => {
    assert.equal(id3v2Length(tag(0, [0, 0, 0x02, 0x01])), 10 + 257);
    assert.equal(id3v2Length(tag(0, [0, 0, 0, 0])), 10);
  });

  test('each size byte carries 7 bits', () => {
    assert.equal(id3v2Length(tag(0, [0x7f, 0x7f, 0x7f, 0x7f])), 10 + 0x0fffffff);
    assert.equal(id3v2Length(tag(0, [0x01, 0x00, 0x00, 0x00])), 10 + (1 << 21));
  });

  test('the footer flag adds 10 bytes', () => {
    assert.equal(id3v2Length(tag(0x10, [0, 0, 0x02, 0x01])), 10 + 257 + 10);
  });

  test('bytes that do not start with "ID3" are not a tag', () => {
    assert.equal(id3v2Length(at(0x49, 0x44, 0x34, 4, 0, 0, 0, 0, 1, 0)), 0);
    assert.equal(id3v2Length(at(0xff, 0xfb, 0x90, 0x44)), 0);
    assert.equal(id3v2Length(at(0x54, 0x41, 0x47)), 0); // an ID3v1 "TAG"
  });
});
