// buildConfig: the defaults, the generated source password, and refusals
// that say what to do instead.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULTS, RING_HEADROOM_BYTES, buildConfig, defaultBufferBytes, defaultLogFormat, generatePassword } from '../relay/config.js';
import { MAX_HEAD_BYTES } from '../relay/formats/request-head.js';
import { RelayError } from '../relay/errors.js';

function configInvalid(message?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof RelayError, `expected a RelayError, got ${String(err)}`);
    assert.equal(err.code, 'CONFIG_INVALID');
    if (message) assert.match(err.message, message);
    return true;
  };
}

describe('buildConfig defaults', () => {
  test('an empty input gives the documented defaults', () => {
    const c = buildConfig({});
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.port, 8000);
    assert.equal(c.ingestHost, '0.0.0.0');
    assert.equal(c.ingestPort, undefined);
    assert.equal(c.uwsPort, undefined);
    assert.equal(c.tlsPort, undefined);
    assert.equal(c.burstBytes, 65536);
    assert.equal(c.maxLagBytes, 524288);
    assert.equal(c.bufferBytes, 65536 + 524288 + 256 * 1024);
    assert.equal(c.slowPolicy, 'drop');
    assert.equal(c.flushIntervalMs, 1000);
    assert.equal(c.flushBytes, 15_000);
    assert.equal(c.sourceTimeoutMs, 10_000);
    assert.equal(c.sourceGraceMs, 30_000);
    assert.equal(c.headerTimeoutMs, 10_000);
    assert.equal(c.maxListeners, 15_000);
    assert.equal(c.maxListenersPerMount, 0);
    assert.equal(c.maxListenSeconds, 0);
    assert.equal(c.shutdownTimeoutMs, 5_000);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.sourcePasswordGenerated, true);
  });

  test('the constants are 256 KiB of ring headroom and 8 KiB of request head', () => {
    assert.equal(RING_HEADROOM_BYTES, 262144);
    assert.equal(MAX_HEAD_BYTES, 8192);
    assert.equal(defaultBufferBytes(1000, 2000), 1000 + 2000 + 262144);
  });

  test('the default buffer grows with burst and lag', () => {
    const c = buildConfig({ burstBytes: 100_000, maxLagBytes: 1_000_000 });
    assert.equal(c.bufferBytes, 100_000 + 1_000_000 + 262144);
  });

  test('the ingest host follows --host unless given', () => {
    assert.equal(buildConfig({ host: '127.0.0.1' }).ingestHost, '127.0.0.1');
    assert.equal(buildConfig({ host: '127.0.0.1', ingestHost: '::1' }).ingestHost, '::1');
  });

  test('given values override the defaults', () => {
    const c = buildConfig({ port: 9000, ingestPort: 9001, slowPolicy: 'live', maxListeners: 3, logLevel: 'silent', sourceGraceMs: 0 });
    assert.deepEqual(
      [c.port, c.ingestPort, c.slowPolicy, c.maxListeners, c.logLevel, c.sourceGraceMs],
      [9000, 9001, 'live', 3, 'silent', 0],
    );
  });

  test('the input object is not modified', () => {
    const input = { port: 9000 };
    buildConfig(input);
    assert.deepEqual(input, { port: 9000 });
  });

  test('DEFAULTS match what buildConfig fills in', () => {
    const c = buildConfig({});
    for (const [key, value] of Object.entries(DEFAULTS)) {
      assert.equal(c[key as keyof typeof c], value, key);
    }
  });
});

describe('buildConfig source password', () => {
  test('a given password is used as is and not marked generated', () => {
    const c = buildConfig({ sourcePassword: 'hackme' });
    assert.equal(c.sourcePassword, 'hackme');
    assert.equal(c.sourcePasswordGenerated, false);
  });

  test('without a password one is generated: URL-safe, at least 20 characters, different each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const c = buildConfig({});
      assert.equal(c.sourcePasswordGenerated, true);
      assert.ok(c.sourcePassword.length >= 20, `length ${c.sourcePassword.length}`);
      assert.match(c.sourcePassword, /^[A-Za-z0-9_-]+$/);
      seen.add(c.sourcePassword);
    }
    assert.equal(seen.size, 20);
  });

  test('an empty password counts as none: one is generated', () => {
    const c = buildConfig({ sourcePassword: '' });
    assert.equal(c.sourcePasswordGenerated, true);
    assert.ok(c.sourcePassword.length >= 20);
  });

  test('generatePassword gives 24 characters (144 bits)', () => {
    assert.equal(generatePassword().length, 24);
    assert.notEqual(generatePassword(), generatePassword());
  });
});

describe('buildConfig validation', () => {
  test('a buffer smaller than burst + lag + headroom is CONFIG_INVALID and names the size to use', () => {
    assert.throws(() => buildConfig({ bufferBytes: 100_000 }), configInvalid(/use --buffer-bytes 851968 or more/));
    assert.throws(
      () => buildConfig({ bufferBytes: 265_143, burstBytes: 1000, maxLagBytes: 2000 }),
      configInvalid(/--buffer-bytes 265143 cannot hold --burst-bytes 1000 \+ --max-lag-bytes 2000.*use --buffer-bytes 265144/),
    );
  });

  test('a buffer of exactly burst + lag + headroom is accepted', () => {
    assert.equal(buildConfig({ bufferBytes: 265_144, burstBytes: 1000, maxLagBytes: 2000 }).bufferBytes, 265_144);
  });

  test('the config error has status 0 and the catalog reason before the detail', () => {
    try {
      buildConfig({ bufferBytes: 1 });
      assert.fail('buildConfig accepted a 1-byte buffer');
    } catch (err) {
      assert.ok(err instanceof RelayError);
      assert.equal(err.status, 0);
      assert.equal(err.name, 'RelayError');
      assert.match(err.message, /^invalid configuration: --buffer-bytes 1 /);
    }
  });

  test('the same port for listeners and ingest is CONFIG_INVALID, except port 0', () => {
    assert.throws(() => buildConfig({ port: 9000, ingestPort: 9000 }), configInvalid(/--ingest-port 9000 is already --port/));
    const c = buildConfig({ port: 0, ingestPort: 0 });
    assert.deepEqual([c.port, c.ingestPort], [0, 0]);
  });

  test('every extra port must differ from the others, and TLS needs its certificate and key', () => {
    assert.throws(
      () => buildConfig({ port: 9000, tlsPort: 9000, tlsCertFiles: ['c'], tlsKeyFiles: ['k'] }),
      configInvalid(/--tls-port 9000 is already --port/),
    );
    assert.throws(() => buildConfig({ port: 9000, shoutcastPort: 9000 }), configInvalid(/conventionally --port \+ 1/));
    assert.throws(
      () => buildConfig({ uwsPort: 9002, tlsIngestPort: 9002, tlsCertFiles: ['c'], tlsKeyFiles: ['k'] }),
      configInvalid(/--tls-ingest-port 9002 is already --uws-port/),
    );
    assert.throws(() => buildConfig({ tlsPort: 8443 }), configInvalid(/need --tls-cert FILE and --tls-key FILE/));
    assert.throws(
      () => buildConfig({ tlsPort: 8443, tlsCertFiles: ['a', 'b'], tlsKeyFiles: ['a'] }),
      configInvalid(/one --tls-key per --tls-cert/),
    );
    assert.throws(() => buildConfig({ tlsCertFiles: ['a'], tlsKeyFiles: ['a'] }), configInvalid(/no --tls-port/));
    const c = buildConfig({ tlsPort: 0, tlsIngestPort: 0, uwsPort: 0, tlsCertFiles: ['c'], tlsKeyFiles: ['k'] });
    assert.deepEqual([c.tlsPort, c.tlsIngestPort, c.uwsPort, c.tlsCertFiles], [0, 0, 0, ['c']]);
  });

  test('a --metrics-port equal to --port or --ingest-port is CONFIG_INVALID', () => {
    assert.throws(() => buildConfig({ port: 9000, metricsPort: 9000 }), configInvalid(/--metrics-port 9000 is already/));
    assert.throws(() => buildConfig({ ingestPort: 9001, metricsPort: 9001 }), configInvalid(/--metrics-port/));
    const c = buildConfig({ metricsPort: 9100 });
    assert.deepEqual([c.metricsHost, c.metricsPort], ['127.0.0.1', 9100]);
    assert.equal(buildConfig({}).metricsPort, undefined, '/metrics stays on the listener port by default');
  });

  test('logs are pretty on a terminal and JSON anywhere else, unless --log-format says', () => {
    assert.equal(defaultLogFormat(true), 'pretty');
    assert.equal(defaultLogFormat(false), 'json');
    assert.equal(buildConfig({}).logFormat, 'json');
    assert.equal(buildConfig({ logFormat: 'pretty' }).logFormat, 'pretty');
  });

  test('a flush interval outside 1 to 1000 ms is CONFIG_INVALID', () => {
    assert.throws(() => buildConfig({ flushIntervalMs: 0 }), configInvalid(/--flush-interval-ms must be 1 to 1000/));
    assert.throws(() => buildConfig({ flushIntervalMs: 1001 }), configInvalid(/--flush-interval-ms/));
    assert.equal(buildConfig({ flushIntervalMs: 1 }).flushIntervalMs, 1);
    assert.equal(buildConfig({ flushIntervalMs: 1000 }).flushIntervalMs, 1000);
  });

  test('flush bytes outside 1 to 128 KiB is CONFIG_INVALID, since the ring keeps only 256 KiB of headroom', () => {
    assert.throws(() => buildConfig({ flushBytes: 0 }), configInvalid(/--flush-bytes must be 1 to 131072/));
    assert.throws(() => buildConfig({ flushBytes: 131_073 }), configInvalid(/--flush-bytes/));
    assert.equal(buildConfig({ flushBytes: 131_072 }).flushBytes, 131_072);
  });
});

describe('buildConfig result', () => {
  test('the config is frozen: assigning to it throws', () => {
    const c = buildConfig({ sourcePassword: 'hackme' });
    assert.ok(Object.isFrozen(c));
    assert.throws(() => {
      (c as { port: number }).port = 1;
    }, TypeError);
    assert.equal(c.port, 8000);
  });
});
