// icecast.xml read as it is: Debian's shipped file and a station's richer
// one (mounts, fallbacks, SHOUTcast and TLS sockets) become relaycast
// settings, with every element either read or listed as not honoured.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Option } from 'commander';
import { integer, oneOf } from '../relay/cli-values.js';
import { buildConfig } from '../relay/config.js';
import { ConfigFileError } from '../relay/settings/config-file.js';
import { convertIcecastXml } from '../relay/settings/icecast-config.js';
import { stationSettings } from '../relay/settings/station.js';

const n = integer(0, 2 ** 40);
const OPTIONS = [
  new Option('--host <addr>'),
  new Option('--port <n>').argParser(integer(0, 65535)),
  new Option('--max-listeners <n>').argParser(n),
  new Option('--max-lag-bytes <n>').argParser(n),
  new Option('--burst-bytes <n>').argParser(n),
  new Option('--source-timeout-ms <n>').argParser(n),
  new Option('--header-timeout-ms <n>').argParser(n),
  new Option('--source-password <pw>'),
  new Option('--admin-password <pw>'),
  new Option('--log-level <l>').argParser(oneOf('debug', 'info', 'warn', 'error')),
  new Option('--shoutcast-port <n>').argParser(integer(0, 65535)),
  new Option('--shoutcast-mount <m>'),
];

const DEBIAN_XML = '/etc/icecast2/icecast.xml';

const STATION_XML = `<icecast>
  <limits><clients>500</clients><sources>4</sources><queue-size>262144</queue-size><burst-size>32768</burst-size>
    <source-timeout>5</source-timeout><client-timeout>30</client-timeout></limits>
  <authentication><source-password>station-pw</source-password><admin-user>admin</admin-user><admin-password>admin-pw</admin-password></authentication>
  <listen-socket><port>8100</port><bind-address>127.0.0.1</bind-address><shoutcast-mount>/sc</shoutcast-mount></listen-socket>
  <listen-socket><port>8443</port><ssl>1</ssl></listen-socket>
  <mount type="default"><burst-size>16384</burst-size></mount>
  <mount type="normal"><mount-name>/live</mount-name><username>dj</username><password>live-pw</password>
    <max-listeners>50</max-listeners><hidden>0</hidden><public>1</public><stream-name>Live show</stream-name>
    <fallback-mount>/autodj</fallback-mount><fallback-override>1</fallback-override></mount>
  <mount type="normal"><mount-name>/autodj</mount-name><password>autodj-pw</password><hidden>1</hidden></mount>
  <paths><ssl-certificate>/etc/icecast2/bundle.pem</ssl-certificate><logdir>/var/log/icecast2</logdir></paths>
</icecast>`;

describe('icecast.xml', () => {
  test("Debian's shipped icecast.xml converts: its limits, passwords and port, and why the rest is left", (t) => {
    if (!existsSync(DEBIAN_XML)) {
      if (process.env.CI === 'true') assert.fail(`${DEBIAN_XML} missing: .ci/run installs icecast2`);
      t.skip('icecast2 not installed');
      return;
    }
    const { config, imported } = convertIcecastXml(readFileSync(DEBIAN_XML, 'utf8'), DEBIAN_XML, OPTIONS);
    assert.equal(config.flags.maxListeners, 100);
    assert.equal(config.flags.maxLagBytes, 524288);
    assert.equal(config.flags.burstBytes, 65535);
    assert.equal(config.flags.sourceTimeoutMs, 10_000);
    assert.equal(config.flags.headerTimeoutMs, 15_000);
    assert.equal(config.flags.port, 8000);
    assert.equal(config.flags.logLevel, 'info');
    assert.equal(typeof config.flags.sourcePassword, 'string');
    assert.ok(imported.ignored.some((line) => line.startsWith('<limits><client-timeout>:')));
    assert.ok(imported.ignored.some((line) => line.startsWith('<hostname>:')));
    // The listing never shows a password.
    for (const line of imported.read) assert.doesNotMatch(line, new RegExp(String(config.flags.sourcePassword)));
  });

  test("a station's icecast.xml: sockets, limits, a default and two normal mounts with their own passwords", () => {
    const { config, imported, yaml } = convertIcecastXml(STATION_XML, 'station.xml', OPTIONS);
    assert.deepEqual(config.flags, {
      maxListeners: 500,
      maxLagBytes: 262144,
      burstBytes: 32768,
      sourceTimeoutMs: 5000,
      sourcePassword: 'station-pw',
      adminPassword: 'admin-pw',
      port: 8100,
      host: '127.0.0.1',
      shoutcastPort: 8101,
      shoutcastMount: '/sc',
    });
    assert.deepEqual(config.defaultMount, { 'burst-bytes': 16384 });
    assert.deepEqual(config.mounts['/live'], {
      'source-user': 'dj',
      'source-password': 'live-pw',
      'max-listeners': 50,
      hidden: false,
      public: true,
      'stream-name': 'Live show',
      'fallback-mount': '/autodj',
      'fallback-override': 'all',
    });
    assert.deepEqual(config.mounts['/autodj'], { 'source-password': 'autodj-pw', hidden: true });
    // This build has no --max-mounts, --tls-port, --tls-cert: said so, not dropped silently.
    for (const want of [
      '<limits><sources>: this relaycast has no max-mounts',
      '<listen-socket> #2 <port> with <ssl>1: this relaycast has no tls-port',
      '<limits><client-timeout>:',
      '<paths><logdir>:',
    ]) {
      assert.ok(
        imported.ignored.some((line) => line.startsWith(want)),
        `${want} in ${imported.ignored.join('\n')}`,
      );
    }
    assert.match(yaml, /^# relaycast\.yaml converted from station\.xml/);

    const station = stationSettings(config, buildConfig({ sourcePassword: 'x', burstBytes: 32768, maxLagBytes: 262144 }));
    assert.equal(station.forMount('/live')?.sourcePassword, 'live-pw');
    assert.equal(station.forMount('/live')?.sourceUser, 'dj');
    assert.equal(station.forMount('/live')?.burstBytes, 16384, 'a listed mount inherits default-mount');
    assert.equal(station.forMount('/autodj')?.hidden, true);
    assert.equal(station.forMount('/other')?.sourcePassword, undefined, 'an unlisted mount uses the server password');
    assert.deepEqual(station.listedMounts, ['/live', '/autodj']);
    assert.equal(station.forMount('/live')?.fallbackMount, '/autodj');
    assert.equal(station.forMount('/live')?.fallbackOverride, 'all');
  });

  test('a bad value in icecast.xml is refused naming the element it came from', () => {
    const bad = STATION_XML.replace('<clients>500</clients>', '<clients>lots</clients>');
    assert.throws(
      () => convertIcecastXml(bad, 'station.xml', OPTIONS),
      (err: unknown) =>
        err instanceof ConfigFileError && err.errors.some((e) => e.setting === '<limits><clients>' && /whole number/.test(e.message)),
    );
  });

  test('a file that is not an icecast.xml is refused', () => {
    assert.throws(() => convertIcecastXml('<shoutcast/>', 'x.xml', OPTIONS), /no <icecast> element/);
  });
});

describe('station settings', () => {
  test('unlisted-mounts: refuse leaves only the listed mounts open to sources', () => {
    const config = buildConfig({ sourcePassword: 'x' });
    const station = stationSettings({ mounts: { '/live': { 'max-listeners': 3 } }, defaultMount: {}, unlistedMounts: 'refuse' }, config);
    assert.equal(station.forMount('/live')?.maxListeners, 3);
    assert.equal(station.forMount('/live')?.maxLagBytes, config.maxLagBytes, 'unset settings come from the flags');
    assert.equal(station.forMount('/elsewhere'), undefined);
  });
});

describe('icecast.xml <relay>', () => {
  const RELAY_XML = `<icecast>
  <relay><server>10.0.0.5</server><port>8000</port><mount>/live</mount><local-mount>/mirror</local-mount>
    <username>relay</username><password>relay-secret</password><on-demand>1</on-demand><relay-shoutcast-metadata>1</relay-shoutcast-metadata></relay>
  <relay><server>radio.example.org</server><mount>/;</mount><local-mount>/sc</local-mount></relay>
</icecast>`;

  test('each <relay> becomes its local mount relay-url (credentials in the URL) and on-demand; the password is not listed', () => {
    const { config, imported } = convertIcecastXml(RELAY_XML, 'relay.xml', OPTIONS);
    assert.deepEqual(config.mounts['/mirror'], { 'relay-url': 'http://relay:relay-secret@10.0.0.5:8000/live', 'on-demand': true });
    assert.deepEqual(config.mounts['/sc'], { 'relay-url': 'http://radio.example.org:80/;' });
    assert.ok(imported.ignored.some((line) => line.startsWith('<relay> #1 <relay-shoutcast-metadata>: relaycast always asks')));
    for (const line of imported.read) assert.doesNotMatch(line, /relay-secret/);
    const station = stationSettings(config, buildConfig({ sourcePassword: 'x' }));
    assert.deepEqual(station.forMount('/mirror')?.relayUrls, ['http://relay:relay-secret@10.0.0.5:8000/live']);
    assert.equal(station.forMount('/mirror')?.onDemand, true);
    assert.equal(station.forMount('/mirror')?.onDemandIdleMs, 10_000);
  });
});
