// The pure readers of an edge (issue 14): an origin's mount list from the
// documents Icecast 2.4.4 and relaycast really serve, the --origin URL, and
// the pull specs built from a list. The bodies below were captured from a
// real icecast2 2.4.4 (Debian) with ffmpeg sources on /one.mp3, /two.ogg
// and a <hidden>1</hidden> /hidden.mp3, and from relaycast with one ffmpeg
// source; test/origin-poller.integration.test.ts reads the same documents
// live.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { originSpecs, sameSpecs } from '../ingest/origin/origin-specs.js';
import { mountsOfStatusJson, mountsOfStreamList } from '../relay/formats/mount-list.js';
import { parseOriginUrl } from '../relay/formats/origin-url.js';
import { RelayError } from '../relay/errors.js';

const ICECAST_NO_SOURCE =
  '{"icestats":{"admin":"icemaster@localhost","host":"127.0.0.1","location":"Earth","server_id":"Icecast 2.4.4","server_start":"Tue, 01 Dec 2026 22:37:25 +0000","server_start_iso8601":"2026-12-01T22:37:25+0000","dummy":null}}';
const ICECAST_ONE_SOURCE =
  '{"icestats":{"admin":"icemaster@localhost","host":"127.0.0.1","location":"Earth","server_id":"Icecast 2.4.4","server_start":"Tue, 01 Dec 2026 22:37:25 +0000","server_start_iso8601":"2026-12-01T22:37:25+0000","source":{"genre":"Genre one","listener_peak":0,"listeners":0,"listenurl":"http://127.0.0.1:18766/one.mp3","server_description":"Unspecified description","server_name":"Name one","server_type":"audio/mpeg","stream_start":"Tue, 01 Dec 2026 22:37:36 +0000","stream_start_iso8601":"2026-12-01T22:37:36+0000","dummy":null}}}';
// Two public sources and the hidden /hidden.mp3, which Icecast leaves out.
const ICECAST_TWO_SOURCES =
  '{"icestats":{"admin":"icemaster@localhost","host":"127.0.0.1","location":"Earth","server_id":"Icecast 2.4.4","server_start":"Tue, 01 Dec 2026 22:37:25 +0000","server_start_iso8601":"2026-12-01T22:37:25+0000","source":[{"genre":"Genre one","listener_peak":0,"listeners":0,"listenurl":"http://127.0.0.1:18766/one.mp3","server_description":"Unspecified description","server_name":"Name one","server_type":"audio/mpeg","stream_start":"Tue, 01 Dec 2026 22:37:36 +0000","stream_start_iso8601":"2026-12-01T22:37:36+0000","dummy":null},{"audio_bitrate":96000,"audio_channels":1,"audio_samplerate":44100,"genre":"various","ice-bitrate":96,"listener_peak":0,"listeners":0,"listenurl":"http://127.0.0.1:18766/two.ogg","server_description":"Unspecified description","server_name":"Name two","server_type":"application/ogg","stream_start":"Tue, 01 Dec 2026 22:37:41 +0000","stream_start_iso8601":"2026-12-01T22:37:41+0000","subtype":"Vorbis","dummy":null}]}}';
// /admin/streamlist.txt with the relay user's credentials (Icecast 2.4.4 answers 401 to user admin there).
const ICECAST_STREAMLIST_ONE = '/one.mp3\r\n';
const ICECAST_STREAMLIST_TWO = '/one.mp3\r\n/two.ogg\r\n';
const RELAYCAST_XSL_ONE =
  '{"icestats":{"admin":"relaycast@localhost","host":"127.0.0.1","location":"Earth","server_id":"relaycast 0.1.0","server_start":"Tue, 01 Dec 2026 22:41:16 +0000","server_start_iso8601":"2026-12-01T22:41:16+0000","source":{"listener_peak":0,"listeners":0,"listenurl":"http://127.0.0.1:18777/one.mp3","server_description":"Unspecified description","server_name":"Name one","server_type":"audio/mpeg","stream_start":"Tue, 01 Dec 2026 22:41:18 +0000","stream_start_iso8601":"2026-12-01T22:41:18+0000","dummy":null}}}';
const RELAYCAST_STATUS_ONE =
  '{"server":{"name":"relaycast","version":"0.1.0","startedAt":"2026-12-01T22:41:16.535Z","uptimeSeconds":3,"listeners":0,"sources":1},"mounts":[{"mount":"/one.mp3","listenUrl":"http://127.0.0.1:18777/one.mp3","contentType":"audio/mpeg","listeners":0,"listenersOnFallback":0,"peakListeners":0,"title":"","titleUrl":"","bitrateKbps":null,"measuredBitrateKbps":0,"source":{"connected":true,"name":"Name one","description":"","genre":"","url":"","public":false,"audioInfo":""},"streamStart":"2026-12-01T22:41:18.051Z","streamSeconds":2,"receivedBytes":26376,"sentBytes":0,"settings":null}]}';

test("Icecast 2.4.4's status-json.xsl gives no mount without a source, one from an object, two from an array", () => {
  assert.deepEqual(mountsOfStatusJson(ICECAST_NO_SOURCE), { mounts: [], skipped: 0 });
  assert.deepEqual(mountsOfStatusJson(ICECAST_ONE_SOURCE), { mounts: ['/one.mp3'], skipped: 0 });
  assert.deepEqual(mountsOfStatusJson(ICECAST_TWO_SOURCES), { mounts: ['/one.mp3', '/two.ogg'], skipped: 0 });
});

test("Icecast 2.4.4's streamlist.txt gives one mount per CRLF line, the hidden mount not among them", () => {
  assert.deepEqual(mountsOfStreamList(''), { mounts: [], skipped: 0 });
  assert.deepEqual(mountsOfStreamList(ICECAST_STREAMLIST_ONE), { mounts: ['/one.mp3'], skipped: 0 });
  assert.deepEqual(mountsOfStreamList(ICECAST_STREAMLIST_TWO), { mounts: ['/one.mp3', '/two.ogg'], skipped: 0 });
  assert.deepEqual(mountsOfStreamList('/b\n/a\n\n/a\n'), { mounts: ['/a', '/b'], skipped: 0 });
});

test("relaycast's status-json.xsl and status.json give the same mounts", () => {
  assert.deepEqual(mountsOfStatusJson(RELAYCAST_XSL_ONE), { mounts: ['/one.mp3'], skipped: 0 });
  assert.deepEqual(mountsOfStatusJson(RELAYCAST_STATUS_ONE), { mounts: ['/one.mp3'], skipped: 0 });
  assert.deepEqual(mountsOfStatusJson('{"server":{},"mounts":[]}'), { mounts: [], skipped: 0 });
});

test('a listenurl whose host is not this origin still gives the mount: only its path is used', () => {
  const body = JSON.stringify({ icestats: { source: { listenurl: 'http://radio.example.org:8000/jazz' } } });
  assert.deepEqual(mountsOfStatusJson(body), { mounts: ['/jazz'], skipped: 0 });
});

test('entries that name no valid mount are skipped and counted, and the rest are kept', () => {
  const body = JSON.stringify({
    icestats: {
      source: [{ listenurl: 'http://h/ok' }, { listenurl: 'not a url' }, { listenurl: 'http://h/admin/x' }, { title: 'no url' }, 7],
    },
  });
  assert.deepEqual(mountsOfStatusJson(body), { mounts: ['/ok'], skipped: 4 });
  assert.deepEqual(mountsOfStreamList('/ok\r\n/status.json\r\n/a b\r\n'), { mounts: ['/ok'], skipped: 2 });
});

test('a body that is not a mount list is an error, not an empty list', () => {
  assert.throws(() => mountsOfStatusJson('<html>Not found</html>'), /not JSON/);
  assert.throws(() => mountsOfStatusJson('{"hello":1}'), /neither icestats/);
  assert.throws(() => mountsOfStatusJson('[]'), /neither icestats/);
  assert.throws(() => mountsOfStreamList('<?xml version="1.0"?><iceresponse/>'), /markup/);
});

test('an --origin URL without a path reads status-json.xsl, and with credentials the stream list', () => {
  const plain = parseOriginUrl('http://10.0.0.1:8000');
  assert.deepEqual(plain, {
    base: 'http://10.0.0.1:8000',
    listUrl: 'http://10.0.0.1:8000/status-json.xsl',
    document: '/status-json.xsl',
    authorization: undefined,
    label: '10.0.0.1:8000',
  });
  assert.equal(parseOriginUrl('http://10.0.0.1:8000/').document, '/status-json.xsl');
  const creds = parseOriginUrl('http://relay:s%40cret@origin.example:8000');
  assert.equal(creds.document, '/admin/streamlist.txt');
  assert.equal(creds.listUrl, 'http://origin.example:8000/admin/streamlist.txt');
  assert.equal(creds.authorization, `Basic ${Buffer.from('relay:s@cret').toString('base64')}`);
  for (const field of [creds.base, creds.listUrl, creds.label]) assert.doesNotMatch(field, /relay|cret/);
  assert.equal(parseOriginUrl('http://o:8000/status.json').document, '/status.json');
  assert.equal(parseOriginUrl('http://admin:pw@o:8000/status-json.xsl').document, '/status-json.xsl');
});

test('an --origin URL that cannot be one is refused with what to write instead, and never echoes its password', () => {
  const refused = (raw: string, why: RegExp) =>
    assert.throws(
      () => parseOriginUrl(raw),
      (err: unknown) =>
        err instanceof RelayError && err.code === 'CONFIG_INVALID' && why.test(err.message) && !err.message.includes('hunter2'),
    );
  refused('origin.example:8000', /use an http:\/\/ URL/);
  refused('nonsense', /not a URL/);
  refused('https://origin.example', /https:\/\/ origins are not supported yet/);
  refused('http://o:8000/live', /path must be empty or one of/);
  refused('http://o:8000/status.json?x=1', /no query/);
  refused('ftp://u:hunter2@o/', /use an http:\/\/ URL/);
});

test('each origin mount becomes an on-demand pull from every origin in order, but the edge config mounts are left alone', () => {
  const specs = originSpecs(['/two.ogg', '/one.mp3', '/local'], {
    bases: ['http://a:8000', 'http://b:8000'],
    isLocal: (m) => m === '/local',
    idleMs: 10_000,
  });
  assert.deepEqual(specs, [
    { mount: '/one.mp3', urls: ['http://a:8000/one.mp3', 'http://b:8000/one.mp3'], onDemand: true, idleMs: 10_000 },
    { mount: '/two.ogg', urls: ['http://a:8000/two.ogg', 'http://b:8000/two.ogg'], onDemand: true, idleMs: 10_000 },
  ]);
  assert.ok(sameSpecs(specs, structuredClone(specs)));
  assert.ok(!sameSpecs(specs, specs.slice(1)));
  assert.ok(!sameSpecs(specs, [specs[0], { ...specs[1], idleMs: 5000 }]));
  assert.ok(!sameSpecs(specs, [specs[0], { ...specs[1], urls: ['http://a:8000/two.ogg'] }]));
});
