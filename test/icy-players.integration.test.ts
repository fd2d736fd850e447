// Real players read the titles: ffprobe shows a title set through
// /admin/metadata (UTF-8 intact), and ffmpeg and mpv, while playing with ICY
// on, report a new title as soon as it is set.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { requireTool, runTool, startTool, trackTool } from './support/clients.js';
import { setSong } from './support/icy-clients.js';
import { PASSWORD, RelayProcess, SAMPLE_MP3 } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const MOUNT = '/titles';
const UTF8_TITLE = 'Sigur Rós – Hoppípolla';

describe('players report ICY titles', () => {
  let relay: RelayProcess;
  let source: ChildProcess | undefined;

  before(async () => {
    relay = await RelayProcess.start();
  });
  after(async () => {
    source?.kill('SIGKILL');
    await relay.stop();
  });

  /** ffmpeg pushes the sample in real time; resolves once a burst's worth has arrived. */
  async function startSource(t: Parameters<typeof requireTool>[0]): Promise<boolean> {
    if (!requireTool(t, 'ffmpeg')) return false;
    if (!source) {
      const args = ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', SAMPLE_MP3, '-c', 'copy', '-f', 'mp3'];
      source = startTool('ffmpeg', [...args, `icecast://source:${PASSWORD}@127.0.0.1:${relay.ingestPort}${MOUNT}`]).child;
      await relay.waitForMetric('relaycast_source_received_bytes_total', { mount: MOUNT }, (v) => v > 70_000, 15_000);
    }
    return true;
  }

  test('ffprobe with -icy 1 shows the StreamTitle set through /admin/metadata, UTF-8 intact', async (t) => {
    if (!(await startSource(t)) || !requireTool(t, 'ffprobe')) return;
    assert.equal((await setSong(relay.port, MOUNT, UTF8_TITLE)).status, 200);
    const probe = await runTool('ffprobe', [
      '-v',
      'warning',
      '-icy',
      '1',
      '-show_entries',
      'format_tags',
      '-of',
      'json',
      `${relay.listenUrl}${MOUNT}`,
    ]);
    assert.equal(probe.code, 0, probe.stderr);
    assert.equal(probe.stderr, '', 'ffprobe warned about nothing');
    const tags = (JSON.parse(probe.stdout) as { format: { tags: Record<string, string> } }).format.tags;
    assert.equal(tags.StreamTitle, UTF8_TITLE);
  });

  test('ffmpeg playing with ICY on reports a new title while it plays', async (t) => {
    if (!(await startSource(t))) return;
    await setSong(relay.port, MOUNT, 'Before the change');
    const player = startTool('ffmpeg', [
      '-hide_banner',
      '-v',
      'verbose',
      '-icy',
      '1',
      '-i',
      `${relay.listenUrl}${MOUNT}`,
      '-t',
      '30',
      '-f',
      'null',
      '-',
    ]);
    t.after(() => player.child.kill('SIGKILL'));
    await waitFor(() => player.stderr().includes('Metadata update for StreamTitle: Before the change'), 10_000, 'the first title');
    await setSong(relay.port, MOUNT, `${UTF8_TITLE} (live)`);
    await waitFor(() => player.stderr().includes(`Metadata update for StreamTitle: ${UTF8_TITLE} (live)`), 10_000, 'the new title');
    assert.doesNotMatch(player.stderr(), /Invalid data|error while decoding|Header missing/i);
  });

  test('mpv shows the new icy-title while it plays', async (t) => {
    if (!(await startSource(t)) || !requireTool(t, 'mpv')) return;
    await setSong(relay.port, MOUNT, 'mpv first');
    const mpv = trackTool(
      spawn('mpv', ['--no-config', '--no-video', '--ao=null', '--length=30', `${relay.listenUrl}${MOUNT}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    t.after(() => mpv.kill('SIGKILL'));
    let out = '';
    mpv.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    await waitFor(() => out.includes('icy-title: mpv first'), 15_000, 'mpv reports the first title');
    await setSong(relay.port, MOUNT, `mpv ${UTF8_TITLE}`);
    await waitFor(() => out.includes(`icy-title: mpv ${UTF8_TITLE}`), 15_000, 'mpv reports the new title');
  });
});
