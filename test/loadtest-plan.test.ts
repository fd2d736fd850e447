// The load tool's plan and slow-reader pace: pure arithmetic every worker
// must agree on.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkOptions, parseTarget, type LoadtestOptions } from '../loadtest/options.js';
import { isSlowListener, listenersOfWorker, sourceAddressCount, sourceAddressOf, steadyWindow } from '../loadtest/plan.js';
import { ReadThrottle } from '../loadtest/read-throttle.js';

function options(overrides: Partial<LoadtestOptions> = {}): LoadtestOptions {
  return {
    targets: [parseTarget('http://127.0.0.1:18100/listen')],
    listeners: 3000,
    durationS: 40,
    rampPerS: 500,
    http10: false,
    slowFraction: 0,
    slowRateBytesPerS: 0,
    bitrateKbps: 128,
    workers: 2,
    addressBlock: 0,
    tls: { insecure: false, caFile: undefined },
    ...overrides,
  };
}

test('the slow fraction picks that share of listeners, spread over the ramp', () => {
  const slow = Array.from({ length: 1000 }, (_, i) => i).filter((i) => isSlowListener(i, 0.1));
  assert.equal(slow.length, 100);
  assert.deepEqual(slow.slice(0, 3), [9, 19, 29]);
  assert.equal(Array.from({ length: 50 }, (_, i) => i).filter((i) => isSlowListener(i, 0)).length, 0);
  assert.equal(Array.from({ length: 50 }, (_, i) => i).filter((i) => isSlowListener(i, 1)).length, 50);
});

test('workers split the listeners without overlap or gaps', () => {
  const all = [...listenersOfWorker(7, 0, 3), ...listenersOfWorker(7, 1, 3), ...listenersOfWorker(7, 2, 3)].sort((a, b) => a - b);
  assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6]);
});

test('15000 loopback listeners use 8 source addresses, round robin', () => {
  const o = options({ listeners: 15_000 });
  assert.equal(sourceAddressCount(o), 8);
  assert.equal(sourceAddressOf(0, 8, true), '127.0.0.1');
  assert.equal(sourceAddressOf(9, 8, true), '127.0.0.2');
  assert.equal(sourceAddressOf(9, 8, false), undefined);
});

test('the steady window starts 3 s after the last listener was opened', () => {
  assert.deepEqual(steadyWindow(options()), { fromMs: 5998 + 3000, toMs: 40_000 });
  assert.equal(steadyWindow(options({ durationS: 10 })), undefined);
});

test('a ramp too slow for the duration, or a slow fraction without a rate, is refused with advice', () => {
  assert.match(checkOptions(options({ rampPerS: 50 }), 20_000).join('\n'), /--ramp 50 takes 60\.0 s .* use --ramp 150 or more/);
  assert.match(checkOptions(options({ slowFraction: 0.1 }), 20_000).join('\n'), /needs --slow-rate/);
  assert.match(checkOptions(options({ listeners: 19_950 }), 20_000).join('\n'), /use --listeners 19900 or fewer/);
  assert.deepEqual(checkOptions(options(), 20_000), []);
});

test('localhost is taken as 127.0.0.1 and the path keeps its query', () => {
  assert.deepEqual(parseTarget('http://localhost:8000/live?x=1'), {
    host: '127.0.0.1',
    port: 8000,
    path: '/live?x=1',
    hostHeader: 'localhost:8000',
    loopback: true,
    tls: false,
    servername: 'localhost',
  });
});

test('a slow reader pauses for exactly the time its last read was ahead of its rate', () => {
  const throttle = new ReadThrottle(4000, 0);
  assert.equal(throttle.consume(0, 400), 100);
  // By 100 ms it has earned the 400 bytes back; 1000 ms later, 4000 more.
  assert.equal(throttle.consume(1100, 4000), 0);
  assert.equal(throttle.consume(1100, 2000), 500);
});

test('a slow reader that idled earns at most one second of credit', () => {
  const throttle = new ReadThrottle(4000, 0);
  assert.equal(throttle.consume(60_000, 4000), 0);
  assert.equal(throttle.consume(60_000, 4000), 1000);
});
