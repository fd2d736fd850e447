// Issue 14, pull relays: relaycast relaying a real Icecast 2.4 mount fed by
// ffmpeg. The relay's listeners decode it cleanly, get its stream info, and
// titles set on the Icecast mount (its /admin/metadata) arrive in their ICY
// metadata. Icecast refuses to run as root: under root it runs as `nobody`.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RawListener, requireTool, runTool } from './support/clients.js';
import { relayConfigYaml } from './support/fake-upstream.js';
import { setSong } from './support/icy-clients.js';
import { splitIcyStream, streamTitleOf } from './support/icy-stream.js';
import { assertCleanDecode, decodeWithFfmpeg, ffmpegToneSource, MP3_128K } from './support/interop.js';
import { PASSWORD, RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const ICECAST_ADMIN = 'icecast-admin-pw';
const OUR_METAINT = 16000;

function unprivileged(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'nobody', '--', cmd, ...args]] : [cmd, args];
}

/** A port the kernel had free a moment ago (Icecast cannot be told to pick one). */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function icecastConfig(port: number, dir: string): string {
  return `<icecast>
  <limits><clients>20</clients><sources>2</sources><burst-size>65536</burst-size></limits>
  <authentication><source-password>${PASSWORD}</source-password><admin-user>admin</admin-user><admin-password>${ICECAST_ADMIN}</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>${port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <fileserve>0</fileserve>
  <paths><basedir>/usr/share/icecast2</basedir><logdir>${dir}</logdir><webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot></paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>3</loglevel></logging>
  <security><chroot>0</chroot></security>
</icecast>
`;
}

test("a relay mount pulling Icecast 2.4 decodes cleanly and passes on the Icecast mount's titles", async (t) => {
  if (!requireTool(t, 'icecast2') || !requireTool(t, 'ffmpeg')) return;
  const dir = mkdtempSync(join(tmpdir(), 'relaycast-pull-icecast-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o777); // Icecast runs as nobody and writes its logs here.
  const port = await freePort();
  writeFileSync(join(dir, 'icecast.xml'), icecastConfig(port, dir), { mode: 0o644 });
  const [cmd, args] = unprivileged('icecast2', ['-c', join(dir, 'icecast.xml')]);
  const icecast = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let icecastOutput = '';
  icecast.stderr.setEncoding('utf8').on('data', (s: string) => (icecastOutput += s));
  const icecastExited = once(icecast, 'exit');
  t.after(async () => {
    icecast.kill('SIGTERM'); // runuser passes it on
    await icecastExited;
  });
  await waitFor(
    async () =>
      (await runTool('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/status-json.xsl`], 5000)).stdout ===
      '200',
    10_000,
    `Icecast answering on ${port} (${icecastOutput})`,
  );
  // ffmpegToneSource pushes to a relay's ingest port with the test password: Icecast's, here.
  const encoder = ffmpegToneSource({ ingestPort: port } as RelayProcess, '/live.mp3', MP3_128K);
  const encoderExited = once(encoder, 'exit');
  t.after(async () => {
    encoder.kill('SIGKILL');
    await encoderExited;
  });
  await waitFor(
    async () =>
      /"listenurl":"[^"]*\/live\.mp3"/.test((await runTool('curl', ['-s', `http://127.0.0.1:${port}/status-json.xsl`], 5000)).stdout),
    15_000,
    'the ffmpeg source on Icecast',
  );
  const title = (song: string) => setSong(port, '/live.mp3', song, { credentials: `admin:${ICECAST_ADMIN}` });
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
