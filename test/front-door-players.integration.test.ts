// The players that failed on the old uWS listener port (issue 15), now on
// the front door (--port): VLC playing a named MP3 stream (it reconnects
// with HTTP/1.0 and Icy-MetaData once it sees icy-name) and showing each
// title; mpg123 (HTTP/1.0); Icecast 2.4 relaying a relaycast mount (its
// <relay> speaks HTTP/1.0) with its own listeners decoding cleanly and the
// title passed on. VLC and Icecast refuse to run as root: under root they
// run as `nobody` through runuser.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, requireTool, runTool, unprivileged } from './support/clients.js';
import { setSong } from './support/icy-clients.js';
import { assertCleanDecode, decodeWithFfmpeg, decodeWithMpg123, ffmpegToneSource } from './support/interop.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const BURST_BYTES = 65536;

describe('VLC, mpg123 and Icecast on the front door', () => {
  let relay: RelayProcess;
  let encoder: ReturnType<typeof ffmpegToneSource> | undefined;

  before(async () => {
    relay = await RelayProcess.start();
    // ffmpegToneSource sends -ice_name: a named stream, as every common encoder sends.
    encoder = ffmpegToneSource(relay, '/named.mp3', {
      codec: ['-c:a', 'libmp3lame', '-b:a', '128k'],
      format: 'mp3',
      contentType: 'audio/mpeg',
    });
    await relay.waitForMetric('relaycast_source_received_bytes_total', { mount: '/named.mp3' }, (v) => v > BURST_BYTES, 20_000);
  });
  after(async () => {
    encoder?.kill('SIGKILL');
    await relay.stop();
  });

  test('VLC plays a named MP3 stream from --port, reconnecting with HTTP/1.0 and Icy-MetaData, and shows each new title', async (t) => {
    if (!requireTool(t, 'cvlc')) return;
    assert.equal((await setSong(relay.port, '/named.mp3', 'Artist - First')).status, 200);
    const [cmd, args] = unprivileged('cvlc', [
      '-vv',
      '--intf',
      'dummy',
      '--aout',
      'dummy',
      '--no-video',
      '--run-time',
      '8',
      '--play-and-exit',
      `${relay.listenUrl}/named.mp3`,
      'vlc://quit',
    ]);
    const vlc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    vlc.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
    vlc.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
    t.after(() => vlc.kill('SIGTERM'));
    const exited = once(vlc, 'exit');
    await waitFor(() => output.includes('New Icy-Title=Artist - First'), 15_000, `VLC to show the first title: ${output.slice(-2000)}`);
    assert.equal((await setSong(relay.port, '/named.mp3', 'Artist - Second')).status, 200);
    await waitFor(() => output.includes('New Icy-Title=Artist - Second'), 15_000, 'VLC to show the second title');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, output.slice(-2000));
    // It took VLC's ICY path, and the answer was the stream, not a 505.
    assert.match(output, /GET \/named\.mp3 HTTP\/1\.0\r?\n(?:[^\n]+\n)*?Icy-MetaData: 1\r?\n/);
    assert.match(output, /HTTP answer code 200/);
    assert.match(output, /using audio decoder module "mpg123"/);
    assert.match(output, /Stream buffering done/);
    assert.doesNotMatch(output, /decoder error|cannot decode|corrupt|HTTP answer code [^2]/i);
    // It played: its listener stayed for the run time and got the burst and at least 4 s more, live
    // (the last second may still be waiting for its flush when VLC leaves).
    // (Its first, HTTP/1.1 connection lasts only until it has read the head and switches to ICY.)
    const isVlc = (l: { msg: string; listener?: unknown }) =>
      l.msg === 'listener disconnected' && /^VLC\//.test(String(agentOf(relay, l.listener)));
    await waitFor(() => relay.countLogs(isVlc) >= 2, 5000, "VLC's two connections to end");
    const left = relay.logs.filter(isVlc).sort((a, b) => (b.seconds as number) - (a.seconds as number))[0];
    assert.ok((left.seconds as number) >= 6, `VLC listened ${String(left.seconds)} s`);
    assert.ok((left.sentBytes as number) > BURST_BYTES + 4 * 16_000, `VLC got ${String(left.sentBytes)} bytes`);
  });

  test('mpg123 (HTTP/1.0) decodes 300 frames from --port with no errors', async (t) => {
    if (!requireTool(t, 'mpg123')) return;
    const result = await decodeWithMpg123(`${relay.listenUrl}/named.mp3`, 300);
    assertCleanDecode('mpg123', result);
    const connected = relay.logs.filter((l) => l.msg === 'listener connected' && /^mpg123/.test(String(l.agent)));
    assert.ok(connected.length >= 1 && connected.every((l) => l.transport === 'socket'));
  });

  test('Icecast 2.4 relays a relaycast mount from --port; its listeners decode cleanly and get the title', async (t) => {
    if (!requireTool(t, 'icecast2') || !requireTool(t, 'ffmpeg')) return;
    const dir = mkdtempSync(join(tmpdir(), 'relaycast-icecast-edge-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    chmodSync(dir, 0o777); // Icecast runs as nobody and writes its logs here.
    const port = await freePort();
    const config = join(dir, 'icecast.xml');
    writeFileSync(config, icecastEdgeConfig(port, relay.port, dir), { mode: 0o644 });
    const [cmd, args] = unprivileged('icecast2', ['-c', config]);
    const icecast = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let icecastOutput = '';
    icecast.stderr.setEncoding('utf8').on('data', (s: string) => (icecastOutput += s));
    const icecastExited = once(icecast, 'exit');
    t.after(async () => {
      icecast.kill('SIGTERM'); // runuser passes it on
      await icecastExited;
    });
    assert.equal((await setSong(relay.port, '/named.mp3', 'Edge - Title')).status, 200);
    await waitFor(
      async () => {
        const status = await runTool('curl', ['-s', `http://127.0.0.1:${port}/status-json.xsl`], 5000);
        return /"listenurl":"[^"]*\/edge\.mp3"/.test(status.stdout) && /"title":"Edge - Title"/.test(status.stdout);
      },
      20_000,
      `Icecast to relay /named.mp3 as /edge.mp3 with its title (${icecastOutput})`,
    );
    const relayed = relay.logs.find((l) => l.msg === 'listener connected' && /^Icecast/.test(String(l.agent)));
    assert.ok(relayed, 'Icecast connected to the front door as a listener');
    assertCleanDecode('ffmpeg via Icecast', await decodeWithFfmpeg(`http://127.0.0.1:${port}/edge.mp3`, 6));
    if (requireTool(t, 'mpg123')) assertCleanDecode('mpg123 via Icecast', await decodeWithMpg123(`http://127.0.0.1:${port}/edge.mp3`, 200));
    const errors = readFileSync(join(dir, 'error.log'), 'utf8');
    assert.match(errors, /Starting relayed source at mountpoint "\/edge\.mp3"/);
    assert.doesNotMatch(errors, /Error from relay request|HTTP Version Not Supported/);
  });
});

function agentOf(relay: RelayProcess, listener: unknown): unknown {
  return relay.logs.find((l) => l.msg === 'listener connected' && l.listener === listener)?.agent;
}

/** Icecast 2.4 as an edge: one <relay> pulling relaycast's /named.mp3 from --port, with its ICY titles. */
function icecastEdgeConfig(port: number, upstreamPort: number, dir: string): string {
  return `<icecast>
  <limits><clients>20</clients><sources>2</sources><burst-size>65536</burst-size></limits>
  <authentication><source-password>edge-pw</source-password><relay-password>edge-pw</relay-password><admin-user>admin</admin-user><admin-password>edge-admin</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>${port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <relay><server>127.0.0.1</server><port>${upstreamPort}</port><mount>/named.mp3</mount><local-mount>/edge.mp3</local-mount><on-demand>0</on-demand><relay-shoutcast-metadata>1</relay-shoutcast-metadata></relay>
  <fileserve>0</fileserve>
  <paths><basedir>/usr/share/icecast2</basedir><logdir>${dir}</logdir><webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot></paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>3</loglevel></logging>
  <security><chroot>0</chroot></security>
</icecast>
`;
}
