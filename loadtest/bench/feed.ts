// The stream both servers relay: the bundled 128 kbps MP3 looped by ffmpeg
// and pushed with its icecast:// protocol (a PUT with Expect: 100-continue,
// one 418-byte frame every 26 ms at real time), pinned to core 1 beside the
// load tool so it takes nothing from the server's core.
// Without -re ffmpeg pushes as fast as the server takes it: the
// unlimited-rate run.
// Invariant: the feed is "up" only once a listener on the mount gets a 200
// and audio, which is also how Icecast's readiness is known.

import { ManagedProcess } from './managed-process.js';
import { mountStreams, waitUntil } from './port-probe.js';
import { BENCH_PRIORITY, MOUNT_PATH, SOURCE_PASSWORD, type ServerUnderTest } from './server-process.js';

export const LOAD_CORE = 1;
export const FEED_FILE = 'samples/tone-128k.mp3';
const MOUNT_READY_TIMEOUT_MS = 20_000;

export type FeedRate = 'realtime' | 'unlimited';

export function feedArgv(feedPort: number, rate: FeedRate): string[] {
  return [
    ...BENCH_PRIORITY,
    'taskset',
    '-c',
    String(LOAD_CORE),
    'ffmpeg',
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    ...(rate === 'realtime' ? ['-re'] : []),
    '-stream_loop',
    '-1',
    '-i',
    FEED_FILE,
    '-c',
    'copy',
    '-f',
    'mp3',
    `icecast://source:${SOURCE_PASSWORD}@127.0.0.1:${feedPort}${MOUNT_PATH}`,
  ];
}

/** Starts the feed and waits until the mount streams; the caller stops the returned process. */
export async function startFeed(server: ServerUnderTest, rate: FeedRate, repoDir: string, outputBase: string): Promise<ManagedProcess> {
  const feed = ManagedProcess.start(feedArgv(server.feedPort, rate), { cwd: repoDir, outputBase: `${outputBase}.feed` });
  try {
    await waitUntil(
      async () => {
        if (!feed.running) throw new Error(`ffmpeg feed exited (${feed.status}); see ${outputBase}.feed.err`);
        if (!server.process.running) throw new Error(`${server.name} exited (${server.process.status})`);
        return mountStreams(server.listenPort, MOUNT_PATH);
      },
      MOUNT_READY_TIMEOUT_MS,
      `${MOUNT_PATH} on ${server.name} to stream`,
    );
  } catch (err) {
    await feed.stop();
    throw err;
  }
  return feed;
}
