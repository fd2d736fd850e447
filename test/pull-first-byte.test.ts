// Fan-out's rule for a listener that has received nothing yet (an on-demand
// relay's listener joins an empty ring before the upstream's first byte):
// the next commit is sent to it on the next turn of the event loop, not held
// to the flush size or interval that coalesce every other listener's writes.
// Run on the core itself, without the timer (fanOut.start() is never
// called), so only that rule can have sent the bytes.

import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import pino from 'pino';
import { buildConfig } from '../relay/config.js';
import { FanOut } from '../relay/core/fan-out.js';
import type { ListenerSink } from '../relay/core/listener.js';
import { MountRegistry } from '../relay/core/mounts.js';
import { Metrics } from '../relay/metrics/metrics.js';
import { stationSettings } from '../relay/settings/station.js';
import { mp3Frame } from './support/clients.js';

class RecordingSink implements ListenerSink {
  readonly writes: Buffer[] = [];
  write(bytes: Uint8Array): boolean {
    this.writes.push(Buffer.from(bytes));
    return true;
  }
  end(): void {}
  destroy(): void {}
}

test('a listener that joined an empty ring gets the first committed frame on the next turn, with no flush due', async () => {
  // Flushes would otherwise wait for 64 KB or a second: far more than two frames.
  const config = buildConfig({ sourcePassword: 'x', adminPassword: 'y', flushBytes: 65_536, flushIntervalMs: 1000 });
  const metrics = new Metrics();
  const registry = new MountRegistry(config, stationSettings(undefined, config), metrics, pino({ level: 'silent' }));
  const fanOut = new FanOut(registry, config, metrics, pino({ level: 'silent' }));
  registry.onCommitted = (mount, bytes) => fanOut.onIngest(mount, bytes);
  const input = registry.attachSource('/od.mp3', 'audio/mpeg', {}, 'test');
  const listener = registry.addListener('/od.mp3', {
    remoteAddress: '127.0.0.1',
    userAgent: 't',
    acceptedAtMs: performance.now(),
    transport: 'socket',
  });
  const sink = new RecordingSink();
  listener.sink = sink;
  fanOut.attach(listener);
  await nextTurn();
  assert.equal(sink.writes.length, 0, 'nothing to send yet: the ring is empty');
  // Two frames: the writer commits the first once the second's header confirms the sync.
  input.write(Buffer.concat([mp3Frame(0), mp3Frame(1).subarray(0, 4)]));
  await nextTurn();
  assert.ok(Buffer.concat(sink.writes).equals(mp3Frame(0)), 'the first frame went out on the next turn');
  // Once it has had its first bytes, the listener is coalesced like any other.
  input.write(Buffer.concat([mp3Frame(1).subarray(4), mp3Frame(2).subarray(0, 4)]));
  await nextTurn();
  assert.equal(sink.writes.length, 1, 'the second frame waits for a flush');
  fanOut.tick();
  input.end();
  registry.closeAll('shutdown');
});
