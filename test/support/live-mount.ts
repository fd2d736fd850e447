// The setup most integration tests share: a relay, a synthetic source on
// /listen that has sent some frames, and one listener that has received
// bytes. Everything is closed when the test ends.

import type { TestContext } from 'node:test';
import { RawListener, SyntheticSource } from './clients.js';
import { RelayProcess } from './relay-process.js';
import { waitFor } from './wait.js';

export interface LiveMountOptions {
  /** Frames sent before the listener joins. */
  frames?: number;
  /** Keep sending at this rate (frames per second); off by default. */
  framesPerSecond?: number;
}

export interface LiveMount {
  relay: RelayProcess;
  source: SyntheticSource;
  listener: RawListener;
}

export async function liveMount(t: TestContext, relayArgs: string[] = [], opts: LiveMountOptions = {}): Promise<LiveMount> {
  const relay = await RelayProcess.startFor(t, relayArgs);
  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  source.send(opts.frames ?? 50);
  if (opts.framesPerSecond) source.pace(opts.framesPerSecond);
  const listener = new RawListener(relay.port, '/listen');
  t.after(() => listener.destroy());
  await waitFor(() => listener.bodyBytes > 0, 5000, 'listener bytes');
  return { relay, source, listener };
}
