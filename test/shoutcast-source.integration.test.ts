// Sources that speak SHOUTcast: a v1 encoder on --shoutcast-port (accepted,
// refused for a wrong password or a busy mount), liquidsoap's
// output.shoutcast with its admin.cgi titles, and a source that interleaves
// ICY metadata into its body (stripped before listeners, turned into titles).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { frameSerials, RawListener, requireTool, startTool } from './support/clients.js';
import { assertDecodedLive, decodeWithFfmpeg } from './support/interop.js';
import { InlineIcySource, ShoutcastV1Source, startWithShoutcastPair } from './support/icy-clients.js';
import { splitIcyStream, streamTitleOf } from './support/icy-stream.js';
import { PASSWORD, RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

function assertContiguous(serials: number[]): void {
  for (let i = 1; i < serials.length; i++) assert.equal(serials[i], serials[i - 1] + 1, `frame ${i} follows frame ${i - 1}`);
}

describe('SHOUTcast v1 sources', () => {
  let relay: RelayProcess;
  before(async () => {
    relay = await RelayProcess.start(['--shoutcast-port', '0', '--shoutcast-mount', '/sc']);
    relay.expectWarnings('MOUNT_BUSY', 'AUTH_REQUIRED');
  });
  after(() => relay.stop());

  test('a v1 source with the password gets OK2 and is heard on --shoutcast-mount with its icy-* info', async (t) => {
    assert.ok(relay.shoutcastPort > 0);
    const source = new ShoutcastV1Source(relay.shoutcastPort, `${PASSWORD}\r\n`);
    t.after(() => source.close());
    assert.equal(await source.answered(), 'OK2\r\nicy-caps:11\r\n\r\n');
    const connected = await relay.waitForLog((l) => l.msg === 'source connected' && l.mount === '/sc');
    assert.equal(connected.method, 'SHOUTCAST');
    source.send(200);
    const listener = new RawListener(relay.port, '/sc');
    t.after(() => listener.destroy());
    await waitFor(() => listener.bodyBytes > 30_000, 5000, 'the burst');
    assert.equal(listener.headers.get('icy-name'), 'sc test');
    assert.equal(listener.headers.get('icy-genre'), 'tests');
    assert.equal(listener.headers.get('icy-br'), '128');
    assert.equal(listener.headers.get('content-type'), 'audio/mpeg');
    source.send(50);
    await waitFor(() => frameSerials(listener.body()).serials.at(-1) === source.nextSerial - 1, 5000, 'the last frame');
    assertContiguous(frameSerials(listener.body()).serials);
  });

  test('a second v1 source on the busy mount is refused before OK2', async (t) => {
    const connects = relay.countLogs((l) => l.msg === 'source connected' && l.mount === '/sc');
    const first = new ShoutcastV1Source(relay.shoutcastPort, `${PASSWORD}\r\n`);
    t.after(() => first.close());
    assert.match(await first.answered(), /^OK2/);
    await waitFor(() => relay.countLogs((l) => l.msg === 'source connected' && l.mount === '/sc') > connects, 5000, 'the first source');
    const second = new ShoutcastV1Source(relay.shoutcastPort, `${PASSWORD}:#1\n`);
    const answer = await second.answered();
    assert.match(answer, /^mount already has a source/);
    await waitFor(() => second.closed, 5000, 'the refused source is closed');
  });

  test('a wrong password gets "invalid password" and is counted', async () => {
    const before = await relay.metric('relaycast_refusals_total', { code: 'AUTH_REQUIRED', status: '401' });
    const source = new ShoutcastV1Source(relay.shoutcastPort, 'wrong\r\n');
    assert.equal(await source.answered(), 'invalid password\r\n');
    await waitFor(() => source.closed, 5000, 'the connection closes');
    assert.equal(await relay.metric('relaycast_refusals_total', { code: 'AUTH_REQUIRED', status: '401' }), before + 1);
  });

  test("DNAS v2's password:#sid form and headers sent before OK2 are accepted", async (t) => {
    const relay2 = await RelayProcess.startFor(t, ['--shoutcast-port', '0']);
    // An impatient encoder: password, headers and first audio in one write.
    const impatient = new ShoutcastV1Source(
      relay2.shoutcastPort,
      `${PASSWORD}:#1\r\nicy-name:eager\r\ncontent-type:audio/mpeg\r\n\r\n`,
      [],
    );
    t.after(() => impatient.close());
    assert.match(await impatient.answered(), /^OK2\r\n/);
    const connected = await relay2.waitForLog((l) => l.msg === 'source connected' && l.mount === '/listen');
    assert.equal(connected.method, 'SHOUTCAST');
  });

  test('liquidsoap output.shoutcast streams in and its titles arrive through admin.cgi', async (t) => {
    if (!requireTool(t, 'liquidsoap') || !requireTool(t, 'ffmpeg')) return;
    // libshout's SHOUTcast mode connects to port + 1 and sends titles to the port itself,
    // so the ingest port must sit just below the SHOUTcast port.
    const pair = await startWithShoutcastPair(['--shoutcast-mount', '/liq'], t);
    const script = join(tmpdir(), `relaycast-sc-${process.pid}.liq`);
    writeFileSync(
      script,
      [
        'settings.init.allow_root.set(true)',
        'settings.log.stdout.set(true)',
        's = insert_metadata(sine(440.))',
        `thread.run(delay=1., fun () -> s.insert_metadata([("artist", "Liq"), ("title", "Sigur Rós – Hoppípolla")]))`,
        `output.shoutcast(%mp3(bitrate=128), host="127.0.0.1", port=${pair.ingestPort}, password="${PASSWORD}", name="liq", mksafe(s))`,
      ].join('\n'),
    );
    const liq = startTool('liquidsoap', [script]);
    t.after(() => liq.child.kill('SIGKILL'));
    const connected = await pair.waitForLog((l) => l.msg === 'source connected' && l.mount === '/liq', 20_000);
    assert.equal(connected.method, 'SHOUTCAST');
    await pair.waitForLog((l) => l.msg === 'title changed' && l.via === 'admin.cgi' && l.title === 'Liq - Sigur Rós – Hoppípolla', 20_000);
    await pair.waitForMetric('relaycast_source_received_bytes_total', { mount: '/liq' }, (v) => v > 40_000, 15_000);
    // 128 kbps: at most 4.1 s in the burst, so 7 s decoded reach live audio.
    assertDecodedLive('ffmpeg', await decodeWithFfmpeg(`${pair.listenUrl}/liq`, 7), { seconds: 7, burstSeconds: 65536 / 16000 });
  });
});

describe('sources that send inline ICY metadata', () => {
  test('the metadata is stripped from the audio and its titles become the mount title', async (t) => {
    const relay = await RelayProcess.startFor(t);
    const source = await InlineIcySource.connect(relay.ingestPort, '/relayed', 4000);
    t.after(() => source.close());
    source.setTitle('Upstream title');
    source.send(200);
    await relay.waitForLog((l) => l.msg === 'title changed' && l.title === 'Upstream title' && l.via === 'inline-icy');
    const plain = new RawListener(relay.port, '/relayed');
    const icy = new RawListener(relay.ingestPort, '/relayed', { http10: true, headers: { 'Icy-MetaData': '1' } });
    t.after(() => plain.destroy());
    t.after(() => icy.destroy());
    await waitFor(() => plain.bodyBytes > 30_000 && icy.bodyBytes > 30_000, 5000, 'the bursts');
    source.setTitle('Sigur Rós – Hoppípolla');
    source.send(300);
    await relay.waitForLog((l) => l.msg === 'title changed' && l.title === 'Sigur Rós – Hoppípolla');
    const last = source.nextSerial - 1;
    await waitFor(() => frameSerials(plain.body()).serials.at(-1) === last, 5000, 'plain listener: last frame');
    await waitFor(() => frameSerials(splitIcyStream(icy.body(), 16000).audio).serials.at(-1) === last, 5000, 'ICY listener: last frame');
    // A metadata byte left in the audio would break a frame here.
    assertContiguous(frameSerials(plain.body()).serials);
    const { audio, blocks } = splitIcyStream(icy.body(), 16000);
    assertContiguous(frameSerials(audio).serials);
    const titles = blocks.filter((b) => b.units > 0).map((b) => streamTitleOf(b.payload));
    assert.deepEqual(titles, ['Upstream title', 'Sigur Rós – Hoppípolla']);
  });

  test('an invalid icy-metaint is refused with 400', async (t) => {
    const relay = await RelayProcess.startFor(t);
    relay.expectWarnings('BAD_HEADER');
    await assert.rejects(InlineIcySource.connect(relay.ingestPort, '/bad', 0), /400/);
  });
});
