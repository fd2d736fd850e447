// Which request paths name a mount: the allowed characters, the query
// stripped, dot segments refused, and the paths the relay answers itself
// reserved so that no source can shadow them.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RelayError, type ErrorCode } from '../relay/errors.js';
import { isReservedPath, mountNameOf } from '../relay/formats/mount-name.js';

function refusedWith(code: ErrorCode, status: number) {
  return (err: unknown) => {
    assert.ok(err instanceof RelayError, `expected a RelayError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    return true;
  };
}

describe('mountNameOf', () => {
  test('a path of one or more segments of [A-Za-z0-9._~-] is its own mount name', () => {
    for (const path of ['/live', '/jazz/hi.mp3', '/a-b_c.d~e', '/Radio1/AAC/stream.aac', '/0', '/a..b', '/.hidden']) {
      assert.equal(mountNameOf(path), path);
    }
  });

  test('the query is stripped from the mount name', () => {
    assert.equal(mountNameOf('/live?type=.mp3'), '/live');
    assert.equal(mountNameOf('/live?'), '/live');
    assert.equal(mountNameOf('/jazz/hi.mp3?a=1?b=2'), '/jazz/hi.mp3');
  });

  test('mount names keep their case', () => {
    assert.equal(mountNameOf('/Live'), '/Live');
  });

  test('an empty path, a bare slash, a relative path, empty segments or a trailing slash are BAD_MOUNT (400)', () => {
    for (const target of ['', '?x=1', '/', 'live', '//live', '/live//hi', '/live/']) {
      assert.throws(() => mountNameOf(target), refusedWith('BAD_MOUNT', 400), JSON.stringify(target));
    }
  });

  test('characters outside [A-Za-z0-9._~-] are BAD_MOUNT, percent-escapes included', () => {
    for (const target of ['/a b', '/a%20b', '/caf\u00e9', '/live#x', '/a:b', '/a\\b', '/a+b']) {
      assert.throws(() => mountNameOf(target), refusedWith('BAD_MOUNT', 400), JSON.stringify(target));
    }
  });

  test('"." and ".." segments are BAD_MOUNT wherever they are', () => {
    for (const target of ['/..', '/.', '/../etc/passwd', '/a/../b', '/a/./b', '/a/..', '/a/.', '/../metrics']) {
      assert.throws(() => mountNameOf(target), refusedWith('BAD_MOUNT', 400), target);
    }
  });

  test('the refusal message names the path', () => {
    assert.throws(() => mountNameOf('/a b?q'), /\/a b/);
    assert.throws(() => mountNameOf('/metrics'), /\/metrics/);
  });

  test('/metrics, /admin, /admin.cgi, /favicon.ico and /healthz are MOUNT_RESERVED (403)', () => {
    for (const target of ['/metrics', '/admin', '/admin.cgi', '/favicon.ico', '/healthz']) {
      assert.throws(() => mountNameOf(target), refusedWith('MOUNT_RESERVED', 403), target);
    }
  });

  test('everything under /admin/ and /metrics/ is MOUNT_RESERVED', () => {
    for (const target of ['/admin/stats', '/admin/listclients', '/admin/metadata', '/metrics/x']) {
      assert.throws(() => mountNameOf(target), refusedWith('MOUNT_RESERVED', 403), target);
    }
  });

  test('/status, /status.xsl, /status-json.xsl and anything else starting /status are MOUNT_RESERVED', () => {
    for (const target of ['/status', '/status.xsl', '/status-json.xsl', '/status2.xsl', '/status/live']) {
      assert.throws(() => mountNameOf(target), refusedWith('MOUNT_RESERVED', 403), target);
    }
  });

  test('reserved paths are reserved in any case and with a query', () => {
    for (const target of ['/METRICS', '/Admin/stats', '/Status-JSON.xsl', '/metrics?name[]=x', '/healthz?probe=1']) {
      assert.throws(() => mountNameOf(target), refusedWith('MOUNT_RESERVED', 403), target);
    }
  });

  test('paths that only resemble reserved ones are mounts', () => {
    for (const path of ['/metricsfeed', '/administrator', '/live/status', '/live/metrics', '/stat', '/my/admin']) {
      assert.equal(mountNameOf(path), path);
    }
  });
});

describe('isReservedPath', () => {
  test('reserved paths and prefixes are recognised case-insensitively', () => {
    for (const path of [
      '/metrics',
      '/Metrics',
      '/admin',
      '/admin/',
      '/admin/x',
      '/status',
      '/status-json.xsl',
      '/metrics/',
      '/healthz',
      '/favicon.ico',
    ]) {
      assert.equal(isReservedPath(path), true, path);
    }
  });

  test('other paths are not reserved', () => {
    for (const path of ['/', '/live', '/metricsx', '/adminx', '/healthz2', '/live/status']) {
      assert.equal(isReservedPath(path), false, path);
    }
  });
});
