// Titles that live inside Ogg (issue 12, item 6): ffmpeg's -metadata title
// and artist go into a Vorbis comment packet or OpusTags, and the relay reads
// them into the mount's title, as Icecast does: status.json and
// /status-json.xsl show "ARTIST - TITLE", the change is logged with its
// source and counted. A chained stream brings its own title, and so does
// each file ices2 plays from its playlist.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hasTool, rawPutSource, requireTool, runTool, startTool } from './support/clients.js';
import { ffmpegToneSource } from './support/interop.js';
import { PASSWORD, RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

interface StatusMount {
  mount: string;
  title: string;
}

async function statusTitle(relay: RelayProcess, mount: string): Promise<string | undefined> {
  const status = (await (await fetch(`${relay.listenUrl}/status.json`)).json()) as { mounts: StatusMount[] };
  return status.mounts.find((m) => m.mount === mount)?.title;
}

/** Icecast's own JSON: icestats.source is one object or an array of them. */
async function icestatsTitle(relay: RelayProcess, mount: string): Promise<string | undefined> {
  const json = (await (await fetch(`${relay.listenUrl}/status-json.xsl`)).json()) as {
    icestats: { source?: { listenurl: string; title?: string } | { listenurl: string; title?: string }[] };
  };
  const sources = [json.icestats.source ?? []].flat();
  return sources.find((s) => s.listenurl.endsWith(mount))?.title;
}

const CASES = [
  { codec: 'Vorbis', mount: '/titled.ogg', contentType: 'application/ogg', encoder: ['-c:a', 'libvorbis'], format: 'ogg' },
  { codec: 'Opus', mount: '/titled.opus', contentType: 'audio/ogg', encoder: ['-c:a', 'libopus', '-b:a', '64k'], format: 'opus' },
];

describe('Ogg titles from ffmpeg -metadata', () => {
  let relay: RelayProcess;
  const sources: ChildProcess[] = [];

  before(async () => {
    relay = await RelayProcess.start();
    if (!hasTool('ffmpeg')) return;
    for (const c of CASES) {
      sources.push(
        ffmpegToneSource(relay, c.mount, {
          codec: [...c.encoder, '-metadata', `title=Tone in ${c.codec}`, '-metadata', 'artist=The Sines'],
          format: c.format,
          contentType: c.contentType,
          sampleRateHz: 48000,
        }),
      );
    }
  });
  after(async () => {
    for (const s of sources) s.kill('SIGKILL');
    await relay.stop();
  });

  for (const c of CASES) {
    test(`an Ogg ${c.codec} source's ARTIST and TITLE become the mount's title in status.json and /status-json.xsl`, async (t) => {
      if (!requireTool(t, 'ffmpeg')) return;
      const want = `The Sines - Tone in ${c.codec}`;
      await waitFor(async () => (await statusTitle(relay, c.mount)) === want, 10_000, `the title of ${c.mount}`);
      assert.equal(await icestatsTitle(relay, c.mount), want);
      const logged = await relay.waitForLog((l) => l.msg === 'title changed' && l.mount === c.mount);
      assert.equal(logged.via, 'ogg-comments');
      assert.equal(logged.title, want);
      assert.ok((await relay.metric('relaycast_title_updates_total', { mount: c.mount })) >= 1, 'the update is counted');
    });
  }
});

describe('Ogg titles in a chained stream', () => {
  let relay: RelayProcess;
  let dir: string;

  before(async () => {
    relay = await RelayProcess.start();
    dir = mkdtempSync(join(tmpdir(), 'relaycast-ogg-titles-'));
  });
  after(async () => {
    await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function taggedFile(name: string, title: string, artist?: string): Promise<Buffer> {
    const path = join(dir, name);
    const tags = ['-metadata', `title=${title}`, ...(artist ? ['-metadata', `artist=${artist}`] : [])];
    const r = await runTool('ffmpeg', [
      '-hide_banner',
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=44100:duration=3',
      '-c:a',
      'libvorbis',
      ...tags,
      '-f',
      'ogg',
      path,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return readFileSync(path);
  }

  test('each chained logical stream brings its own title; a title with no artist is the title alone', async (t) => {
    if (!requireTool(t, 'ffmpeg')) return;
    const first = await taggedFile('first.ogg', 'Morning', 'Early Band');
    const second = await taggedFile('second.ogg', 'Noon');
    const source = await rawPutSource(relay.ingestPort, '/chain.ogg', 'application/ogg');
    t.after(() => source.destroy());
    source.write(first);
    await waitFor(async () => (await statusTitle(relay, '/chain.ogg')) === 'Early Band - Morning', 10_000, 'the first title');
    source.write(second);
    await waitFor(async () => (await statusTitle(relay, '/chain.ogg')) === 'Noon', 10_000, 'the chained title');
    assert.equal(await icestatsTitle(relay, '/chain.ogg'), 'Noon');
    const changes = relay.logs.filter((l) => l.msg === 'title changed' && l.mount === '/chain.ogg').map((l) => l.title);
    assert.deepEqual(changes, ['Early Band - Morning', 'Noon'], 'logged once each');
  });
});

describe('Ogg titles from ices2', () => {
  test('ices2 playing a playlist of tagged Vorbis files: the title follows each file as it starts', async (t) => {
    if (!requireTool(t, 'ices2') || !requireTool(t, 'ffmpeg')) return;
    const relay = await RelayProcess.start();
    t.after(() => relay.stop());
    const dir = mkdtempSync(join(tmpdir(), 'relaycast-ices2-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const files: string[] = [];
    for (const [name, tags] of [
      ['one.ogg', ['-metadata', 'title=Song One', '-metadata', 'artist=Artist A']],
      ['two.ogg', ['-metadata', 'title=Song Two']],
    ] as const) {
      const path = join(dir, name);
      const r = await runTool('ffmpeg', [
        '-hide_banner',
        '-v',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:sample_rate=44100:duration=3',
        '-ac',
        '2',
        '-c:a',
        'libvorbis',
        ...tags,
        path,
      ]);
      assert.equal(r.code, 0, r.stderr);
      files.push(path);
    }
    writeFileSync(join(dir, 'playlist.txt'), `${files.join('\n')}\n`);
    // ices2's playlist module sends each file's Ogg stream as it is (no <encode>): its comment header carries the title.
    writeFileSync(
      join(dir, 'ices.xml'),
      `<?xml version="1.0"?>
<ices>
  <background>0</background><logpath>${dir}</logpath><logfile>ices.log</logfile><loglevel>3</loglevel><consolelog>1</consolelog>
  <stream>
    <metadata><name>ices2 test</name></metadata>
    <input>
      <module>playlist</module>
      <param name="type">basic</param><param name="file">${join(dir, 'playlist.txt')}</param>
      <param name="random">0</param><param name="once">0</param>
    </input>
    <instance>
      <hostname>127.0.0.1</hostname><port>${relay.ingestPort}</port><password>${PASSWORD}</password><mount>/ices.ogg</mount>
      <reconnectdelay>1</reconnectdelay><reconnectattempts>2</reconnectattempts>
    </instance>
  </stream>
</ices>
`,
    );
    const ices = startTool('ices2', [join(dir, 'ices.xml')]);
    t.after(() => ices.child.kill('SIGKILL'));
    for (const want of ['Artist A - Song One', 'Song Two', 'Artist A - Song One']) {
      await waitFor(
        async () => (await statusTitle(relay, '/ices.ogg')) === want && (await icestatsTitle(relay, '/ices.ogg')) === want,
        15_000,
        `"${want}" in status.json and /status-json.xsl`,
      );
    }
    const changes = relay.logs.filter((l) => l.msg === 'title changed' && l.mount === '/ices.ogg');
    assert.ok(changes.length >= 3 && changes.every((l) => l.via === 'ogg-comments'));
  });
});
