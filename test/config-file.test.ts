// relaycast.yaml: values checked by the flags' own parsers, mounts by the
// schema, and every error naming file, line, column and setting.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Option } from 'commander';
import { integer, oneOf } from '../relay/cli-values.js';
import { ConfigFileError, parseConfigText } from '../relay/settings/config-file.js';

const OPTIONS = [
  new Option('--port <n>').argParser(integer(0, 65535)),
  new Option('--max-listeners <n>').argParser(integer(0, 10_000_000)),
  new Option('--source-password <pw>'),
  new Option('--slow-policy <p>').argParser(oneOf('drop', 'live')),
  new Option('--trust-proxy'),
  new Option('--config <file>'),
];

function errorsOf(text: string) {
  try {
    parseConfigText(text, 'station.yaml', OPTIONS);
  } catch (err) {
    assert.ok(err instanceof ConfigFileError, String(err));
    return err.errors.map((e) => `${e.line}:${e.column} ${e.setting}: ${e.message}`);
  }
  assert.fail('the file was accepted');
}

describe('config file', () => {
  test('flags take their long names and their parsers; mounts keep their settings', () => {
    const file = parseConfigText(
      [
        'port: 8000',
        'max-listeners: 200',
        'source-password: "s3cret"',
        'slow-policy: live',
        'trust-proxy: true',
        'unlisted-mounts: refuse',
        'default-mount:',
        '  burst-bytes: 32768',
        'mounts:',
        '  /live:',
        '    source-password: dj-one',
        '    max-listeners: 50',
        '    hidden: true',
        '    content-types: [audio/mpeg]',
        '  /autodj.ogg: {}',
      ].join('\n'),
      'station.yaml',
      OPTIONS,
    );
    assert.deepEqual(file.flags, { port: 8000, maxListeners: 200, sourcePassword: 's3cret', slowPolicy: 'live', trustProxy: true });
    assert.equal(file.unlistedMounts, 'refuse');
    assert.deepEqual(file.defaultMount, { 'burst-bytes': 32768 });
    assert.deepEqual(file.mounts['/live'], {
      'source-password': 'dj-one',
      'max-listeners': 50,
      hidden: true,
      'content-types': ['audio/mpeg'],
    });
    assert.deepEqual(file.mounts['/autodj.ogg'], {});
  });

  test('a flag that repeats takes a YAML list; one that does not refuses it', () => {
    const collect = (raw: string, previous: unknown) => [...((previous as string[] | undefined) ?? []), raw];
    const options = [...OPTIONS, new Option('--tls-cert <file>').argParser(collect)];
    const file = parseConfigText('tls-cert: [a.pem, b.pem]\n', 'station.yaml', options);
    assert.deepEqual(file.flags.tlsCert, ['a.pem', 'b.pem']);
    assert.deepEqual(parseConfigText('tls-cert: a.pem\n', 'station.yaml', options).flags.tlsCert, ['a.pem']);
    assert.deepEqual(errorsOf('port: [1, 2]\n'), ['1:7 port: --port takes one value']);
  });

  test('an empty file is an empty config', () => {
    const file = parseConfigText('', 'station.yaml', OPTIONS);
    assert.deepEqual(file.flags, {});
    assert.equal(file.unlistedMounts, 'accept');
  });

  test('a bad flag value names its line, column and setting, with what the flag accepts', () => {
    assert.deepEqual(errorsOf('port: 8000\nmax-listeners: lots\n'), ['2:16 max-listeners: use a whole number from 0 to 10000000']);
    assert.deepEqual(errorsOf('slow-policy: fast\n'), ['1:14 slow-policy: use one of: drop, live']);
    assert.deepEqual(errorsOf('trust-proxy: 1\n'), ['1:14 trust-proxy: use true or false']);
  });

  test('an unknown key is pointed at, with the near miss it probably meant', () => {
    assert.deepEqual(errorsOf('max-listener: 5\n'), ['1:1 max-listener: unknown setting; did you mean max-listeners?']);
    // --config names the file itself, so it cannot be a setting inside one.
    assert.match(errorsOf('config: other.yaml\n')[0], /^1:1 config: unknown setting/);
  });

  test('mount settings are checked against the schema, every error at once', () => {
    const errors = errorsOf(
      ['mounts:', '  /live:', '    max-listeners: -1', '    slow-policy: sometimes', '    passwd: x', '  live2:', '    hidden: true'].join(
        '\n',
      ),
    );
    assert.deepEqual(
      errors.sort(),
      [
        '3:20 mounts./live.max-listeners: must be >= 0',
        '4:18 mounts./live.slow-policy: use one of: drop, live',
        '5:5 mounts./live.passwd: unknown mount setting',
        '6:3 mounts.live2: not a mount path; use a path like /live (letters, digits and ._~- between slashes)',
      ].sort(),
    );
  });

  test('broken YAML and duplicate keys are refused with their position', () => {
    const [dup] = errorsOf('port: 1\nport: 2\n');
    assert.match(dup, /^2:1 \(yaml\): .*[Uu]nique/);
    const [bad] = errorsOf('mounts:\n  /live: [\n');
    assert.match(bad, /^\d+:\d+ \(yaml\): /);
  });
});
