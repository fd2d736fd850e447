// The bench's /proc parsers, on fixture text copied from a real Linux 6.x machine.

import assert from 'node:assert/strict';
import test from 'node:test';
import {
  busiestProcesses,
  coreBusyPercent,
  coreStealPercent,
  parseCoreTicks,
  parseForks,
  parseProcessCpuTicks,
  parseProcessName,
  parseRssKb,
  parseTcpExt,
  parseTimeWait,
  tcpExtDelta,
} from '../loadtest/bench/proc-stats.js';
import { parseCpuModel } from '../loadtest/bench/machine-info.js';

// A command name with ") " inside it, which a naive split on spaces would misread.
const STAT = '4242 (node) worker) S 1 4242 4242 0 -1 4194560 9000 0 0 0 1234 567 0 0 20 0 11 0 777 1000000 15000 18446744073709551615';

test('process CPU ticks are utime + stime, even when the command name contains ") "', () => {
  assert.equal(parseProcessCpuTicks(STAT), 1234 + 567);
  assert.equal(parseProcessName(STAT), 'node) worker');
  assert.throws(() => parseProcessCpuTicks('garbage'), /no "\)"/);
});

const PROC_STAT = `cpu  100 0 50 1000 10 0 5 0 0 0
cpu0 60 1 30 400 4 0 5 0 7 0
cpu1 40 0 20 600 6 0 0 0 0 0
intr 12345
processes 98765
`;

test('a core is busy for everything but idle and iowait, guest ticks not counted twice', () => {
  const before = parseCoreTicks(PROC_STAT, 0);
  assert.deepEqual(before, { totalTicks: 60 + 1 + 30 + 400 + 4 + 0 + 5 + 0, idleTicks: 404, stealTicks: 0 });
  const after = { totalTicks: before.totalTicks + 200, idleTicks: before.idleTicks + 50, stealTicks: 10 };
  assert.equal(coreBusyPercent(before, after), 75);
  assert.equal(coreStealPercent(before, after), 5);
  assert.equal(coreStealPercent(before, before), null);
  assert.equal(coreBusyPercent(before, before), null);
  assert.throws(() => parseCoreTicks(PROC_STAT, 2), /cpu2/);
});

test('the count of processes started since boot is read from /proc/stat', () => {
  assert.equal(parseForks(PROC_STAT), 98765);
});

test('resident memory is read from the VmRSS line in KiB', () => {
  assert.equal(parseRssKb('Name:\tnode\nVmPeak:\t 999 kB\nVmRSS:\t   61452 kB\nThreads:\t11\n'), 61452);
  assert.throws(() => parseRssKb('Name:\tzombie\n'), /VmRSS/);
});

test('TcpExt counters are matched by name and their deltas cover the reported ones', () => {
  const before = parseTcpExt('TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 445 445\nIpExt: InNoRoutes\nIpExt: 0\n');
  assert.deepEqual(before, { SyncookiesSent: 0, ListenOverflows: 445, ListenDrops: 445 });
  const after = { ...before, ListenOverflows: 450, ListenDrops: 451 };
  assert.deepEqual(tcpExtDelta(before, after), {
    ListenOverflows: 5,
    ListenDrops: 6,
    TCPReqQFullDrop: 0,
    SyncookiesSent: 0,
    TCPSynRetrans: 0,
  });
  assert.throws(() => parseTcpExt('IpExt: a\nIpExt: 1\n'), /TcpExt/);
});

test('the TIME_WAIT count comes from the TCP line of sockstat', () => {
  assert.equal(parseTimeWait('sockets: used 31\nTCP: inuse 5 orphan 0 tw 7 alloc 5 mem 40\nUDP: inuse 0 mem 0\n'), 7);
});

test("the busiest processes are listed with their share of a core, the run's own marked", () => {
  const before = new Map([
    [1, { name: 'icecast2', ticks: 100 }],
    [2, { name: 'npm test', ticks: 0 }],
    [3, { name: 'idle', ticks: 5 }],
  ]);
  const after = new Map([
    [1, { name: 'icecast2', ticks: 120 }],
    [2, { name: 'npm test', ticks: 50 }],
    [3, { name: 'idle', ticks: 5 }],
    [4, { name: 'new', ticks: 90 }],
  ]);
  // PID 4 started inside the window, so all of its 90 ticks count.
  assert.deepEqual(busiestProcesses(before, after, 1, 2, new Set([1]), 100), ['new[4] 90', 'npm test[2] 50', 'icecast2[1]* 20']);
});

test('the CPU model is the first "model name" of /proc/cpuinfo', () => {
  assert.equal(
    parseCpuModel('processor\t: 0\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n'),
    'AMD EPYC 7B13',
  );
  assert.equal(parseCpuModel(''), 'unknown');
});
