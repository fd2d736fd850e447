// Issue 14, pull relays: relaycast relaying a real Icecast 2.4 mount fed by
// ffmpeg. The relay's listeners decode it cleanly, get its stream info, and
// titles set on the Icecast mount (its /admin/metadata) arrive in their ICY
// metadata. Icecast refuses to run as root: under root it runs as `nobody`.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RawListener, requireTool } from './support/clients.js';
import { relayConfigYaml } from './support/fake-upstream.js';
import { ICECAST_ADMIN_PASSWORD, IcecastOrigin } from './support/icecast-origin.js';
import { setSong } from './support/icy-clients.js';
import { splitIcyStream, streamTitleOf } from './support/icy-stream.js';
import { assertCleanDecode, decodeWithFfmpeg, MP3_128K } from './support/interop.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const OUR_METAINT = 16000;

test("a relay mount pulling Icecast 2.4 decodes cleanly and passes on the Icecast mount's titles", async (t) => {
  if (!requireTool(t, 'icecast2') || !requireTool(t, 'ffmpeg')) return;
  const icecast = await IcecastOrigin.start();
  t.after(() => icecast.stop());
  await icecast.addSource('/live.mp3', MP3_128K);
  const port = icecast.port;
  const title = (song: string) => setSong(port, '/live.mp3', song, { credentials: `admin:${ICECAST_ADMIN_PASSWORD}` });
  assert.equal((await title('Icecast Artist - First')).status, 200);

  const cfgDir = mkdtempSync(join(tmpdir(), 'relaycast-pull-'));
  t.after(() => rmSync(cfgDir, { recursive: true, force: true }));
  writeFileSync(join(cfgDir, 'relaycast.yaml'), relayConfigYaml({ '/relay.mp3': { 'relay-url': `http://127.0.0.1:${port}/live.mp3` } }));
  const relay = await RelayProcess.startFor(t, ['--config', join(cfgDir, 'relaycast.yaml')]);
  const pulled = await relay.waitForLog((l) => l.msg === 'pull connected');
  assert.equal(pulled.icyMetaInt, 16000, 'Icecast interleaves metadata when asked (Icy-MetaData: 1)');
  assert.equal(pulled.contentType, 'audio/mpeg');
  await relay.waitForLog((l) => l.msg === 'title changed' && l.title === 'Icecast Artist - First' && l.via === 'relay');

  const listener = new RawListener(relay.port, '/relay.mp3', { headers: { 'Icy-MetaData': '1' } });
  t.after(() => listener.destroy());
  await waitFor(() => listener.status === 200, 10_000, 'the ICY listener answered');
  assert.equal(listener.headers.get('icy-name'), 'relaycast interop', "the Icecast source's ice-name, passed on");
  assert.equal((await title('Icecast Artist - Second')).status, 200);
  const seen = new Set<string>();
  await waitFor(
    () => {
      for (const b of splitIcyStream(listener.body(), OUR_METAINT).blocks) if (b.units > 0) seen.add(streamTitleOf(b.payload) ?? '');
      return seen.has('Icecast Artist - Second');
    },
    20_000,
    'the second Icecast title at our ICY listener',
  );
  assertCleanDecode('ffmpeg on the relay of Icecast', await decodeWithFfmpeg(`${relay.listenUrl}/relay.mp3`, 3));
  listener.destroy();
  await relay.stop();
});
