// deploy/systemd/ units: systemd itself reads them (`systemd-analyze verify`, which prints every
// unknown key or bad value and must print nothing), a small parser checks what a tree needs of
// them (reload by SIGHUP, an edge drained before it stops inside TimeoutStopSec, the hardening),
// and the origin's ExecStart runs for real: its shell reads the passwords from the credential
// files, execs the relay, and the relay takes those passwords and stops cleanly on SIGTERM.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireTool, runTool } from './support/clients.js';
import { CLI } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const UNITS = join(REPO, 'deploy/systemd');
const BIN = '/usr/local/bin/relaycast';
const SHUTDOWN_MS = 5000;

type Unit = Map<string, Map<string, string[]>>;

/** systemd's INI dialect, as far as these units use it: [Section], Key=value (repeatable), # comments. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1], section);
      continue;
    }
    const pair = /^([A-Za-z]+)=(.*)$/.exec(line);
    assert.ok(section && pair, `line ${i + 1} is neither a section nor Key=value: ${line}`);
    section.set(pair[1], [...(section.get(pair[1]) ?? []), pair[2]]);
  }
  return unit;
}

const read = (name: string) => parseUnit(readFileSync(join(UNITS, name), 'utf8'));
const one = (unit: Unit, key: string): string => {
  const values = unit.get('Service')?.get(key) ?? [];
  assert.equal(values.length, 1, `one ${key}= in [Service]`);
  return values[0];
};

/** The argument after `flag` in a command line (words split on spaces). */
const after = (command: string, flag: string): string | undefined => {
  const words = command.split(/\s+/);
  const i = words.indexOf(flag);
  return i < 0 ? undefined : words[i + 1];
};

describe('deploy/systemd units', () => {
  test('systemd-analyze verify reads both units without a complaint', async (t) => {
    if (!requireTool(t, 'systemd-analyze')) return;
    // verify also checks that each command exists: point the units at a stand-in for the CLI.
    const dir = mkdtempSync(join(tmpdir(), 'relaycast-units-'));
    try {
      const stub = join(dir, 'relaycast');
      writeFileSync(stub, '#!/bin/sh\n');
      chmodSync(stub, 0o755);
      for (const name of ['relaycast-origin.service', 'relaycast-edge@.service']) {
        writeFileSync(join(dir, name), readFileSync(join(UNITS, name), 'utf8').replaceAll(BIN, stub));
      }
      const run = await runTool('systemd-analyze', [
        'verify',
        join(dir, 'relaycast-origin.service'),
        join(dir, 'relaycast-edge@8000.service'),
      ]);
      assert.equal(`${run.stdout}${run.stderr}`, '', 'systemd-analyze verify printed nothing');
      assert.equal(run.code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('both units run the relay hardened, restart on failure, reload with SIGHUP and raise the file limit', () => {
    for (const name of ['relaycast-origin.service', 'relaycast-edge@.service']) {
      const unit = read(name);
      assert.ok(unit.has('Unit') && unit.has('Install'), `${name}: [Unit] and [Install]`);
      assert.match(one(unit, 'ExecStart'), new RegExp(`exec ${BIN} relay --config /etc/relaycast/`), `${name}: runs the relay`);
      assert.equal(one(unit, 'ExecReload'), '/bin/kill -HUP $MAINPID', `${name}: reload is SIGHUP`);
      assert.equal(one(unit, 'Restart'), 'on-failure');
      assert.equal(one(unit, 'DynamicUser'), 'yes');
      assert.equal(one(unit, 'CapabilityBoundingSet'), '');
      assert.ok(Number(one(unit, 'LimitNOFILE')) > 15000 + 1000, `${name}: LimitNOFILE above --max-listeners' default (15000) plus spare`);
      // Every credential the commands read (%d/NAME) is loaded.
      const loaded = new Set((unit.get('Service')?.get('LoadCredential') ?? []).map((v) => v.split(':')[0]));
      const commands = [one(unit, 'ExecStart'), ...(unit.get('Service')?.get('ExecStop') ?? [])].join(' ');
      for (const [, credential] of commands.matchAll(/%d\/([a-z-]+)/g))
        assert.ok(loaded.has(credential), `${name}: LoadCredential=${credential}`);
    }
  });

  test('the edge drains first on stop (`relaycast drain --wait` on its own port), within TimeoutStopSec', () => {
    const unit = read('relaycast-edge@.service');
    const stop = one(unit, 'ExecStop');
    assert.match(stop, new RegExp(`^-${BIN} drain `), 'ExecStop runs the drain subcommand (and a stop goes on if it fails)');
    assert.ok(stop.split(/\s+/).includes('--wait'));
    assert.equal(after(stop, '--url'), 'http://127.0.0.1:%i', 'drains the instance on its own port');
    assert.equal(after(one(unit, 'ExecStart'), '--port'), '%i');
    const deadlineMs = Number(after(one(unit, 'ExecStart'), '--drain-deadline-ms'));
    const timeoutMs = Number(/^(\d+)s$/.exec(one(unit, 'TimeoutStopSec'))?.[1]) * 1000;
    assert.ok(timeoutMs > deadlineMs + SHUTDOWN_MS, `TimeoutStopSec (${timeoutMs} ms) > drain deadline (${deadlineMs} ms) + shutdown`);
  });

  test("the origin's ExecStart, run as systemd would, gives the relay the passwords from the credential files and execs it", async () => {
    const unit = read('relaycast-origin.service');
    const dir = mkdtempSync(join(tmpdir(), 'relaycast-unit-run-'));
    try {
      writeFileSync(join(dir, 'source-password'), 'unit-source-pw');
      writeFileSync(join(dir, 'admin-password'), 'unit-admin-pw');
      writeFileSync(join(dir, 'origin.yaml'), 'host: 127.0.0.1\nport: 0\n');
      // systemd's specifiers and $$, then the paths of this checkout.
      const line = one(unit, 'ExecStart')
        .replaceAll('%d', dir)
        .replaceAll('$$', '$')
        .replace(BIN, `${process.execPath} ${CLI}`)
        .replace('/etc/relaycast/origin.yaml', join(dir, 'origin.yaml'));
      const script = /^\/bin\/sh -c '(.*)'$/.exec(line)?.[1];
      assert.ok(script, "ExecStart is /bin/sh -c '...'");
      const child = spawn('/bin/sh', ['-c', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH, RELAYCAST_LOG_FORMAT: 'json' },
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
      let relayPid: number | undefined;
      try {
        const ready = await waitFor(
          () =>
            out
              .split('\n')
              .map((l) => (l.startsWith('{') ? JSON.parse(l) : {}))
              .find((l) => l.msg === 'relay ready'),
          10_000,
          'relay ready',
        );
        // exec: the shell's PID is the relay's, so systemd's SIGTERM (and its MAINPID) is the relay itself.
        // Otherwise the relay is the shell's child, found in /proc so it can be stopped too.
        const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
        relayPid = children === '' ? child.pid : Number(children.split(' ')[0]);
        assert.match(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8'), /relay\/cli\.js/, 'the shell execs the relay');
        const base = `http://127.0.0.1:${ready.port}`;
        const basic = (user: string, pw: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });
        assert.equal((await fetch(`${base}/admin/listeners`, { headers: basic('admin', 'unit-admin-pw') })).status, 200);
        assert.equal((await fetch(`${base}/admin/listeners`, { headers: basic('admin', 'unit-source-pw') })).status, 401);
        // A source with the source password is taken (the first line of the answer).
        const socket = connect(ready.port, '127.0.0.1');
        socket.write(
          `SOURCE /unit HTTP/1.0\r\n${'Authorization'}: ${basic('source', 'unit-source-pw').Authorization}\r\nContent-Type: audio/mpeg\r\n\r\n`,
        );
        const [answer] = (await once(socket.setEncoding('utf8'), 'data')) as [string];
        socket.destroy();
        assert.match(answer, /^HTTP\/1\.0 200/);
      } finally {
        child.kill('SIGTERM');
        // Were the relay a child of the shell, it would outlive it: stop it by its own PID.
        if (relayPid !== undefined && relayPid !== child.pid) process.kill(relayPid, 'SIGTERM');
        const [code] = await once(child, 'exit');
        assert.equal(code, 0);
      }
      assert.match(out, /shut down cleanly/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
