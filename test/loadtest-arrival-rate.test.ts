import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ArrivalRate, STALL_MS } from '../loadtest/arrival-rate.js';

/** Feeds `bursts` writes of `burstBytes`, one every `everyMs`, starting `offsetMs` after the window opens. */
function periodic(rate: ArrivalRate, bursts: number, burstBytes: number, everyMs: number, offsetMs: number, readsPerBurst = 1): number {
  let total = 0;
  for (let i = 0; i < bursts; i++) {
    for (let r = 0; r < readsPerBurst; r++) {
      total += burstBytes / readsPerBurst;
      rate.receive(offsetMs + i * everyMs + r * 0.2, total);
    }
  }
  return total;
}

const kbps = (m: { bytes: number; ms: number } | undefined) => (m ? (m.bytes * 8) / m.ms : NaN);

describe('ArrivalRate', () => {
  test('a listener fed 16000 bytes once a second measures exactly 128 kbit/s, wherever the window edges fall', () => {
    for (const offsetMs of [1, 250, 500, 999]) {
      const rate = new ArrivalRate();
      rate.open(0, 0);
      const total = periodic(rate, 20, 16_000, 1000, offsetMs);
      assert.equal(kbps(rate.close(20_000, total)), 128);
    }
  });

  test('several reads of one write count as one arrival', () => {
    const rate = new ArrivalRate();
    rate.open(0, 0);
    const total = periodic(rate, 20, 16_000, 1000, 300, 3);
    assert.equal(kbps(rate.close(20_000, total)), 128);
  });

  test('small writes every 26 ms measure the same rate as one write a second', () => {
    const rate = new ArrivalRate();
    rate.open(0, 0);
    const total = periodic(rate, 700, 416, 26, 10);
    assert.ok(Math.abs(kbps(rate.close(20_000, total)) - 128) < 0.01);
  });

  test('a listener that stops receiving halfway is measured to the window end, so the stall shows', () => {
    const rate = new ArrivalRate();
    rate.open(0, 0);
    const total = periodic(rate, 10, 16_000, 1000, 100);
    const measured = rate.close(20_000, total);
    assert.ok(20_000 - 9100 > STALL_MS);
    assert.ok(kbps(measured) < 70, `measured ${kbps(measured)} kbit/s`);
  });

  test('a listener that receives nothing in the window measures zero', () => {
    const rate = new ArrivalRate();
    rate.open(0, 5000);
    assert.deepEqual(rate.close(20_000, 5000), { bytes: 0, ms: 20_000 });
  });

  test('a window that never opened gives no rate', () => {
    const rate = new ArrivalRate();
    rate.receive(10, 100);
    assert.equal(rate.close(20, 100), undefined);
  });
});
