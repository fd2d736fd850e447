// What listeners and tools can read: /status.json (validated against the
// schema kept in relay/api/status.schema.json), /status-json.xsl read the way
// Icecast exporters read Icecast 2.4's, and the .m3u/.pls playlists, on both
// ports (the ingest port for HTTP/1.0 clients).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { RawListener, SyntheticSource, rawRequest } from './support/clients.js';
import { RelayProcess } from './support/relay-process.js';
import { waitFor } from './support/wait.js';
import { readIcecastStatus } from './support/icecast-exporter.js';

const SCHEMA_PATH = fileURLToPath(new URL('../../relay/api/status.schema.json', import.meta.url));
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function schemaValidator() {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
}

async function getJson(url: string): Promise<{ status: number; type: string; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.json() };
}

interface StatusJson {
  server: { listeners: number; sources: number; version: string };
  mounts: Array<{
    mount: string;
    listenUrl: string;
    contentType: string;
    listeners: number;
    peakListeners: number;
    source: { connected: boolean; name: string };
    streamStart: string | null;
    receivedBytes: number;
    sentBytes: number;
  }>;
}

test('/status.json matches its schema with no mount, one mount and two, and its numbers match what happened', async (t) => {
  const validate = schemaValidator();
  const relay = await RelayProcess.startFor(t);

  const empty = await getJson(`${relay.listenUrl}/status.json`);
  assert.equal(empty.status, 200);
  assert.match(empty.type, /^application\/json/);
  assert.ok(validate(empty.body), JSON.stringify(validate.errors));
  assert.deepEqual((empty.body as StatusJson).mounts, []);

  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  source.send(60);
  const listeners = [new RawListener(relay.port, '/listen'), new RawListener(relay.ingestPort, '/listen', { http10: true })];
  t.after(() => {
    for (const l of listeners) l.destroy();
  });
  // The whole 60 frames fit in one burst; wait until both players hold all of it.
  await waitFor(() => listeners.every((l) => l.bodyBytes === 60 * 417), 5000, 'two listeners holding every byte');

  const one = await getJson(`${relay.listenUrl}/status.json`);
  assert.ok(validate(one.body), JSON.stringify(validate.errors));
  const status = one.body as StatusJson;
  assert.equal(status.server.listeners, 2);
  assert.equal(status.server.sources, 1);
  assert.equal(status.mounts.length, 1);
  const m = status.mounts[0];
  assert.equal(m.mount, '/listen');
  assert.equal(m.listenUrl, `http://127.0.0.1:${relay.port}/listen`);
  assert.equal(m.contentType, 'audio/mpeg');
  assert.equal(m.listeners, 2);
  assert.equal(m.peakListeners, 2);
  assert.equal(m.source.connected, true);
  assert.equal(m.source.name, 'synthetic');
  assert.ok(m.streamStart !== null && Math.abs(Date.parse(m.streamStart) - Date.now()) < 60_000);
  assert.equal(m.receivedBytes, 60 * 417);
  assert.equal(m.sentBytes, listeners[0].bodyBytes + listeners[1].bodyBytes);

  const jazz = await SyntheticSource.connect(relay.ingestPort, { mount: '/jazz' });
  t.after(() => jazz.close());
  jazz.send(5);
  await waitFor(async () => ((await getJson(`${relay.listenUrl}/status.json`)).body as StatusJson).mounts.length === 2, 5000, 'two mounts');
  const two = await getJson(`${relay.listenUrl}/status.json`);
  assert.ok(validate(two.body), JSON.stringify(validate.errors));
  assert.deepEqual(
    (two.body as StatusJson).mounts.map((x) => x.mount),
    ['/jazz', '/listen'],
  );

  // An HTTP/1.0 client without Host on the ingest port gets the same document, with URLs of that port.
  const raw = await rawRequest(relay.ingestPort, 'GET /status.json HTTP/1.0\r\n\r\n');
  assert.equal(raw.status, 200);
  const viaIngest = JSON.parse(raw.body) as StatusJson;
  assert.ok(validate(viaIngest), JSON.stringify(validate.errors));
  assert.equal(viaIngest.mounts[1].listenUrl, `http://127.0.0.1:${relay.ingestPort}/listen`);
});

test('/status-json.xsl reads like Icecast 2.4 to an exporter: no source, one source as an object, several as an array', async (t) => {
  const relay = await RelayProcess.startFor(t);
  const read = async (port: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/status-json.xsl`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    return readIcecastStatus(await res.text());
  };

  const none = await read(relay.port);
  assert.equal(none.sourceShape, 'absent');
  assert.deepEqual(none.sources, []);
  assert.match(none.server.server_id, /^relaycast /);
  assert.equal(none.server.host, '127.0.0.1');
  assert.ok(Math.abs(Date.parse(none.server.server_start_iso8601.replace(/\+0000$/, 'Z')) - Date.now()) < 120_000);

  const source = await SyntheticSource.connect(relay.ingestPort);
  t.after(() => source.close());
  source.send(40);
  const listeners = [
    new RawListener(relay.port, '/listen'),
    new RawListener(relay.port, '/listen'),
    new RawListener(relay.port, '/listen'),
  ];
  t.after(() => {
    for (const l of listeners) l.destroy();
  });
  await waitFor(() => listeners.every((l) => l.bodyBytes > 0), 5000, 'three listeners receiving');
  listeners[2].destroy();
  await relay.waitForMetric('relaycast_listeners', { mount: '/listen' }, (v) => v === 2, 5000);

  for (const port of [relay.port, relay.ingestPort]) {
    const one = await read(port);
    assert.equal(one.sourceShape, 'object');
    assert.equal(one.sources.length, 1);
    const s = one.sources[0];
    assert.equal(s.listenurl, `http://127.0.0.1:${port}/listen`);
    assert.equal(s.listeners, 2);
    assert.equal(s.listener_peak, 3);
    assert.equal(s.server_name, 'synthetic');
    assert.equal(s.server_type, 'audio/mpeg');
    assert.equal(s.server_description, 'Unspecified description');
    assert.equal(s.title, undefined, 'no title until one is set, as Icecast');
    assert.ok(s.stream_start !== undefined && /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$/.test(s.stream_start));
    assert.ok(s.stream_start_iso8601 !== undefined);
  }

  const jazz = await SyntheticSource.connect(relay.ingestPort, { mount: '/jazz' });
  t.after(() => jazz.close());
  jazz.send(5);
  await waitFor(async () => (await read(relay.port)).sourceShape === 'array', 5000, 'an array of sources');
  const several = await read(relay.port);
  assert.deepEqual(
    several.sources.map((s) => new URL(s.listenurl).pathname),
    ['/jazz', '/listen'],
  );
});

test('/<mount>.m3u and .pls point players at the mount, on the port they were asked on', async (t) => {
  const relay = await RelayProcess.startFor(t);
  const source = await SyntheticSource.connect(relay.ingestPort, { mount: '/live.mp3' });
  t.after(() => source.close());
  source.send(5);
  await waitFor(
    async () => (await fetch(`${relay.listenUrl}/status.json`).then((r) => r.json() as Promise<StatusJson>)).mounts.length === 1,
    5000,
    'the mount',
  );

  const m3u = await fetch(`${relay.listenUrl}/live.mp3.m3u`);
  assert.equal(m3u.status, 200);
  assert.equal(m3u.headers.get('content-type'), 'audio/x-mpegurl');
  const m3uLines = (await m3u.text()).trim().split('\n');
  assert.equal(m3uLines[0], '#EXTM3U');
  assert.equal(m3uLines.at(-1), `http://127.0.0.1:${relay.port}/live.mp3`);

  const pls = await rawRequest(relay.ingestPort, `GET /live.mp3.pls HTTP/1.0\r\nHost: radio.example:${relay.ingestPort}\r\n\r\n`);
  assert.equal(pls.status, 200);
  assert.equal(pls.headers.get('content-type'), 'audio/x-scpls');
  assert.match(pls.body, /^\[playlist\]\nNumberOfEntries=1\nFile1=http:\/\/radio\.example:\d+\/live\.mp3\nTitle1=synthetic\n/);

  // The playlist's URL really plays.
  const player = new RawListener(relay.port, new URL(m3uLines.at(-1)!).pathname);
  t.after(() => player.destroy());
  await waitFor(() => player.bodyBytes > 0, 5000, 'audio from the playlist URL');
  assert.equal(player.status, 200);
});
