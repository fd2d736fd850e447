// The simulated player: 2 s of 128 kbit/s is 32000 bytes; it starts when that
// much has arrived, plays 16 bytes per ms, and underruns when it runs dry.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlayerBuffer } from '../loadtest/player-buffer.js';

const BITRATE_KBPS = 128;
const BYTES_PER_MS = 16;

test('a player waits for two seconds of audio before it starts', () => {
  const player = new PlayerBuffer(BITRATE_KBPS, 2);
  assert.equal(player.prebufferBytes, 32_000);
  player.receive(0, 16_000);
  assert.equal(player.playing, false);
  assert.equal(player.fullAtMs, undefined);
  player.receive(1000, 15_999);
  assert.equal(player.playing, false);
  player.receive(1500, 1);
  assert.equal(player.playing, true);
  assert.equal(player.fullAtMs, 1500);
});

test('a burst fills the buffer at the moment it arrives', () => {
  const player = new PlayerBuffer(BITRATE_KBPS, 2);
  player.receive(12.5, 65_536);
  assert.equal(player.fullAtMs, 12.5);
  assert.equal(player.underruns, 0);
});

test('bytes arriving exactly at the bitrate never underrun', () => {
  const player = new PlayerBuffer(BITRATE_KBPS, 2);
  player.receive(0, 32_000);
  for (let t = 100; t <= 60_000; t += 100) player.receive(t, 100 * BYTES_PER_MS);
  player.advance(60_000);
  assert.equal(player.underruns, 0);
  assert.equal(player.bufferedBytes, 32_000);
  assert.equal(player.stalledMsUntil(60_000), 0);
});

test('a gap longer than the buffer is one underrun, stalled from when it ran dry', () => {
  const player = new PlayerBuffer(BITRATE_KBPS, 2);
  player.receive(0, 32_000);
  // Nothing for 3 s: the 2 s buffer ran dry at 2000 ms.
  player.advance(3000);
  assert.equal(player.underruns, 1);
  assert.equal(player.playing, false);
  assert.equal(player.bufferedBytes, 0);
  assert.equal(player.stalledMsUntil(3000), 1000);
  // It plays again only with a full buffer: 1 s stalled more.
  player.receive(3500, 16_000);
  assert.equal(player.playing, false);
  player.receive(4000, 16_000);
  assert.equal(player.playing, true);
  assert.equal(player.fullAtMs, 0);
  assert.equal(player.stalledMsUntil(4000), 2000);
});

test('an underrun is found even when the next bytes arrive long after it', () => {
  const player = new PlayerBuffer(BITRATE_KBPS, 2);
  player.receive(0, 40_000);
  player.receive(10_000, 40_000);
  assert.equal(player.underruns, 1);
  // Dry at 2500 ms (40000 bytes at 16 per ms), full again at 10000 ms.
  assert.equal(player.stalledMsUntil(10_000), 7500);
});

test('a gap shorter than the buffer is heard as nothing', () => {
  const player = new PlayerBuffer(BITRATE_KBPS, 2);
  player.receive(0, 32_000);
  player.receive(1999, 32_000);
  assert.equal(player.underruns, 0);
  assert.equal(player.bufferedBytes, 32_000 + 16);
});

test('a player that never filled its buffer has no underruns and no stall', () => {
  const player = new PlayerBuffer(BITRATE_KBPS, 2);
  player.receive(0, 1000);
  player.advance(60_000);
  assert.equal(player.underruns, 0);
  assert.equal(player.stalledMsUntil(60_000), 0);
});

test('time going backwards changes nothing', () => {
  const player = new PlayerBuffer(BITRATE_KBPS, 2);
  player.receive(1000, 32_000);
  player.advance(1500);
  const buffered = player.bufferedBytes;
  player.advance(1200);
  assert.equal(player.bufferedBytes, buffered);
  assert.equal(buffered, 32_000 - 500 * BYTES_PER_MS);
});
