// ICY titles through real sockets: the raw byte stream an ICY listener gets
// on both ports (blocks exactly every 16000 audio bytes, the title once per
// change), listeners without the header, title updates on both ports with
// their refusals, and hostile titles that must not break anything.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { frameSerials, RawListener, SyntheticSource } from './support/clients.js';
import { setSong, titleUpdate } from './support/icy-clients.js';
import { splitIcyStream, streamTitleOf } from './support/icy-stream.js';
import { PASSWORD, RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const METAINT = 16000;
const OK_XML = '<?xml version="1.0"?>\n<iceresponse><message>Metadata update successful</message><return>1</return></iceresponse>\n';

/** Audio bytes an ICY listener has received so far. */
function audioOf(listener: RawListener): number {
  return splitIcyStream(listener.body(), METAINT).audio.length;
}

/** Checks the framing of an ICY body and returns its frames' serials and the titles of its non-empty blocks. */
function readIcyBody(body: Buffer) {
  const { audio, blocks } = splitIcyStream(body, METAINT);
  // Any block byte left in the audio, or audio taken for a block, breaks a frame here.
  const { serials, trailing } = frameSerials(audio);
  for (let i = 1; i < serials.length; i++) assert.equal(serials[i], serials[i - 1] + 1, `frame ${i} follows frame ${i - 1}`);
  for (const [i, b] of blocks.entries()) assert.equal(b.atAudioBytes, (i + 1) * METAINT);
  const titles = blocks.filter((b) => b.units > 0).map((b) => streamTitleOf(b.payload));
  assert.ok(
    titles.every((t) => t !== undefined),
    'every non-empty block is a StreamTitle',
  );
  return { serials, trailing, blocks, titles };
}

describe('ICY metadata on the listener streams', () => {
  let relay: RelayProcess;
  before(async () => {
    relay = await RelayProcess.start(['--uws-port', '0']);
  });
  after(() => relay.stop());

  for (const transport of ['uws', 'socket'] as const) {
    test(`an ICY listener (${transport}) gets a block after exactly every 16000 audio bytes and each new title once`, async (t) => {
      const mount = `/icy-${transport}`;
      const source = await SyntheticSource.connect(relay.ingestPort, { mount });
      t.after(() => source.close());
      source.send(200); // 83 KB: more than the 64 KB burst
      const first = await setSong(relay.port, mount, 'First');
      assert.equal(first.status, 200);
      assert.equal(first.body, OK_XML);
      const port = transport === 'uws' ? relay.uwsPort : relay.port;
      const listener = new RawListener(port, mount, { http10: transport === 'socket', headers: { 'Icy-MetaData': '1' } });
      t.after(() => listener.destroy());
      await waitFor(() => listener.bodyBytes > 60_000, 5000, 'the burst');
      assert.equal(listener.headers.get('icy-metaint'), '16000');
      // Stream on in steps; change the title once several blocks have gone out.
      for (let step = 0; step < 10; step++) {
        if (step === 4) assert.equal((await setSong(port, mount, 'Second', { http10: transport === 'socket' })).status, 200);
        const target = audioOf(listener) + 40 * 417;
        source.send(40);
        await waitFor(() => audioOf(listener) >= target, 5000, `step ${step} audio`);
      }
      const { serials, blocks, titles } = readIcyBody(listener.body());
      assert.equal(serials.at(-1), source.nextSerial - 1, 'the listener got every frame up to the last sent');
      assert.ok(blocks.length >= 12, `${blocks.length} blocks`);
      assert.deepEqual(titles, ['First', 'Second']);
      assert.equal(streamTitleOf(blocks[0].payload), 'First', 'the first boundary carries the current title');
    });
  }

  test('a listener without Icy-MetaData gets the plain stream while titles change', async (t) => {
    const mount = '/plain';
    const source = await SyntheticSource.connect(relay.ingestPort, { mount });
    t.after(() => source.close());
    source.send(100);
    await setSong(relay.port, mount, 'Ignored by this listener');
    const listener = new RawListener(relay.port, mount);
    t.after(() => listener.destroy());
    await waitFor(() => listener.bodyBytes > 30_000, 5000, 'the burst');
    assert.equal(listener.headers.get('icy-metaint'), undefined);
    await setSong(relay.port, mount, 'Another');
    source.send(100);
    await waitFor(() => frameSerials(listener.body()).serials.at(-1) === source.nextSerial - 1, 5000, 'the last frame');
    const { serials } = frameSerials(listener.body());
    for (let i = 1; i < serials.length; i++) assert.equal(serials[i], serials[i - 1] + 1);
  });

  // 5000 bytes: past the 4080-byte block limit, inside the front door's 8 KiB request head.
  test('hostile titles (quotes, CRLF, NUL, 5 KB) keep framing and headers intact', async (t) => {
    const mount = '/hostile';
    const source = await SyntheticSource.connect(relay.ingestPort, { mount });
    t.after(() => source.close());
    source.send(100);
    const listener = new RawListener(relay.port, mount, { headers: { 'Icy-MetaData': '1' } });
    t.after(() => listener.destroy());
    await waitFor(() => listener.bodyBytes > 30_000, 5000, 'the burst');
    const hostile = ["Quote ' in';StreamUrl='http://evil/';", 'CRLF\r\nX-Injected: 1\r\n\r\nbody', 'NUL\0in\0title', 'Z'.repeat(5000)];
    for (const song of hostile) {
      const res = await setSong(relay.port, mount, song);
      assert.equal(res.status, 200, song.slice(0, 20));
      const target = audioOf(listener) + 2 * METAINT;
      source.send(80);
      await waitFor(() => audioOf(listener) >= target, 5000, 'two more blocks');
    }
    const { blocks, titles } = readIcyBody(listener.body());
    assert.deepEqual(titles.slice(0, 3), ["Quote ' in\u2019;StreamUrl='http://evil/\u2019;", 'CRLF X-Injected: 1 body', 'NUL in title']);
    assert.ok(titles[3]!.startsWith('ZZZZ') && Buffer.byteLength(titles[3]!) <= 4080 - 15);
    for (const b of blocks) {
      const text = b.payload.toString('latin1').replace(/\0+$/, '');
      assert.doesNotMatch(text, /[\r\n\0]/, 'no control bytes before the padding');
      assert.ok(b.units <= 255);
    }
    // A new listener's response head is untouched by the title.
    const next = new RawListener(relay.port, mount, { headers: { 'Icy-MetaData': '1' } });
    t.after(() => next.destroy());
    await waitFor(() => next.status === 200, 5000, 'a new listener');
    assert.equal(next.headers.get('x-injected'), undefined);
    assert.equal(next.headers.get('icy-metaint'), '16000');
  });
});

describe('title updates and their refusals', () => {
  let relay: RelayProcess;
  const sources: SyntheticSource[] = [];
  before(async () => {
    relay = await RelayProcess.start(['--admin-password', 'admin-pw', '--shoutcast-mount', '/sc']);
    relay.expectWarnings('ADMIN_AUTH_REQUIRED', 'MOUNT_NOT_FOUND', 'BAD_METADATA');
    sources.push(await SyntheticSource.connect(relay.ingestPort, { mount: '/m' }));
    sources.push(await SyntheticSource.connect(relay.ingestPort, { mount: '/sc' }));
  });
  after(async () => {
    for (const source of sources) source.close();
    await relay.stop();
  });

  const lastTitle = () => relay.logs.filter((l) => l.msg === 'title changed').at(-1);

  test('/admin/metadata with the source or the admin credentials answers Icecast XML on both ports', async () => {
    for (const [port, http10, credentials] of [
      [relay.port, false, `source:${PASSWORD}`],
      [relay.port, false, 'admin:admin-pw'],
      [relay.ingestPort, true, `source:${PASSWORD}`],
      [relay.ingestPort, false, 'admin:admin-pw'],
    ] as const) {
      const song = `t-${port}-${http10}-${credentials.split(':')[0]}`;
      const res = await titleUpdate(port, `/admin/metadata?mount=/m&mode=updinfo&song=${song}&url=http%3A%2F%2Fexample.com%2F`, {
        credentials,
        http10,
      });
      assert.equal(res.status, 200, `${port} ${http10}`);
      assert.match(res.headers.get('content-type') ?? '', /^text\/xml/);
      assert.equal(res.body, OK_XML);
      await relay.waitForLog((l) => l.msg === 'title changed' && l.title === song && l.url === 'http://example.com/');
    }
  });

  test('artist and title make "artist - title"; charset=ISO-8859-1 is converted to UTF-8', async () => {
    await setSong(relay.port, '/m', 'reset');
    const both = await titleUpdate(relay.port, '/admin/metadata?mount=/m&mode=updinfo&artist=Sigur%20R%C3%B3s&title=Hopp%C3%ADpolla', {
      credentials: `source:${PASSWORD}`,
    });
    assert.equal(both.status, 200);
    await relay.waitForLog((l) => l.msg === 'title changed' && l.title === 'Sigur Rós - Hoppípolla');
    const latin1 = await titleUpdate(
      relay.ingestPort,
      '/admin/metadata?mount=/m&mode=updinfo&charset=ISO-8859-1&song=Bj%F6rk%20-%20J%F3ga',
      {
        credentials: `source:${PASSWORD}`,
        http10: true,
      },
    );
    assert.equal(latin1.status, 200);
    await relay.waitForLog((l) => l.msg === 'title changed' && l.title === 'Björk - Jóga');
  });

  test('SHOUTcast admin.cgi with pass= sets the --shoutcast-mount title on either port', async () => {
    const viaIngest = await titleUpdate(relay.ingestPort, `/admin.cgi?pass=${PASSWORD}&mode=updinfo&song=From%20admin.cgi`, {
      http10: true,
    });
    assert.equal(viaIngest.status, 200, viaIngest.body);
    await relay.waitForLog((l) => l.msg === 'title changed' && l.mount === '/sc' && l.title === 'From admin.cgi' && l.via === 'admin.cgi');
    const viaListener = await titleUpdate(relay.port, `/admin.cgi?pass=admin-pw&mode=updinfo&song=Second%20admin.cgi`);
    assert.equal(viaListener.status, 200);
    await relay.waitForLog((l) => l.msg === 'title changed' && l.mount === '/sc' && l.title === 'Second admin.cgi');
    const wrong = await titleUpdate(relay.ingestPort, '/admin.cgi?pass=nope&mode=updinfo&song=x', { http10: true });
    assert.equal(wrong.status, 401);
  });

  test('missing or wrong credentials, unknown mounts and missing songs are refused and counted', async () => {
    const before = lastTitle();
    const cases: Array<[number, string, string | undefined, number, string]> = [
      [relay.port, '/admin/metadata?mount=/m&mode=updinfo&song=x', undefined, 401, 'ADMIN_AUTH_REQUIRED'],
      [relay.ingestPort, '/admin/metadata?mount=/m&mode=updinfo&song=x', 'source:wrong', 401, 'ADMIN_AUTH_REQUIRED'],
      [relay.port, '/admin/metadata?mount=/nope&mode=updinfo&song=x', `source:${PASSWORD}`, 404, 'MOUNT_NOT_FOUND'],
      [relay.ingestPort, '/admin/metadata?mount=/m&mode=updinfo', `source:${PASSWORD}`, 400, 'BAD_METADATA'],
      [relay.port, '/admin/metadata?mount=/m&mode=stats&song=x', `source:${PASSWORD}`, 400, 'BAD_METADATA'],
      [relay.port, '/admin/metadata?mode=updinfo&song=x', `source:${PASSWORD}`, 400, 'BAD_METADATA'],
      [relay.port, '/admin/metadata?mount=/m&mode=updinfo&song=x&charset=klingon', `source:${PASSWORD}`, 400, 'BAD_METADATA'],
    ];
    // Repeats of one kind of refusal are logged once per 10 s (relay/api/refusals.ts): each one is
    // counted by the counter, and a log line with its code is there.
    for (const [port, path, credentials, status, code] of cases) {
      const counted = await relay.metric('relaycast_refusals_total', { code, status: String(status) });
      const res = await titleUpdate(port, path, { credentials });
      assert.equal(res.status, status, `${path} on ${port}`);
      if (status === 401) assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm=/);
      assert.match(res.body, /^[^\n]+\n$/, 'a one-line reason');
      await relay.waitForLog((l) => l.code === code && l.status === status, 5000);
      await relay.waitForMetric('relaycast_refusals_total', { code, status: String(status) }, (v) => v === counted + 1, 5000);
    }
    assert.equal(lastTitle(), before, 'no refused update changed a title');
    assert.equal((await relay.metric('relaycast_refusals_total', { code: 'ADMIN_AUTH_REQUIRED', status: '401' })) >= 2, true);
    assert.ok((await relay.metric('relaycast_title_updates_total', { mount: '/m' })) >= 4);
  });
});
