// `relaycast drain --url http://127.0.0.1:8000 [--wait] [--admin-password-file F]`:
// what a Kubernetes preStop hook (or an operator) runs. It POSTs
// /admin/drain as user admin; with --wait it then reads /status.json until
// the relay has no listeners left (they left, or the relay ended them at its
// deadline) and exits 0. The password comes from the file (its first line)
// or RELAYCAST_ADMIN_PASSWORD, and is never printed.
// Exit codes: 0 drained (or draining, without --wait); 1 the relay refused
// or could not be reached; 2 a usage error.

import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from 'commander';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
/** How often --wait reads the status. */
const POLL_MS = 500;
/** A relay that stopped answering this many polls in a row has gone: its listeners with it. */
const GONE_AFTER_FAILURES = 3;
const REQUEST_TIMEOUT_MS = 5000;

interface DrainFlags {
  url: string;
  wait?: boolean;
  adminPasswordFile?: string;
  deadlineMs?: string;
}

export function registerDrainCommand(program: Command): void {
  program
    .command('drain')
    .description(
      "start a relay's drain (POST /admin/drain): new listeners go to its peers, connected ones stay until they leave or the deadline",
    )
    .addOption(
      new Option('--url <url>', "the relay's base URL, e.g. http://127.0.0.1:8000").env('RELAYCAST_DRAIN_URL').makeOptionMandatory(),
    )
    .addOption(new Option('--wait', 'return only once the relay has no listeners (they left, or its deadline ended them)'))
    .addOption(
      new Option('--admin-password-file <file>', 'a file whose first line is the admin password (else RELAYCAST_ADMIN_PASSWORD)').env(
        'RELAYCAST_ADMIN_PASSWORD_FILE',
      ),
    )
    .addOption(new Option('--deadline-ms <n>', "end the listeners left after this long instead of the relay's --drain-deadline-ms"))
    .action(runDrain);
}

async function runDrain(flags: DrainFlags): Promise<void> {
  process.exit(await drain(flags));
}

async function drain(flags: DrainFlags): Promise<number> {
  let base: string;
  try {
    const url = new URL(flags.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    base = `${url.protocol}//${url.host}`;
  } catch {
    return usage(`--url ${JSON.stringify(flags.url)} is not a relay's base URL; use http://127.0.0.1:8000`);
  }
  if (flags.deadlineMs !== undefined && !/^\d{1,8}$/.test(flags.deadlineMs))
    return usage('--deadline-ms takes a whole number of milliseconds');
  let password: string | undefined;
  try {
    password = flags.adminPasswordFile
      ? readFileSync(flags.adminPasswordFile, 'utf8').split(/\r?\n/, 1)[0]
      : process.env.RELAYCAST_ADMIN_PASSWORD;
  } catch (err) {
    return usage(`cannot read --admin-password-file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const headers: Record<string, string> = {};
  if (password) headers.authorization = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  const query = flags.deadlineMs === undefined ? '' : `?deadline-ms=${flags.deadlineMs}`;
  let answer: string;
  try {
    const res = await fetch(`${base}/admin/drain${query}`, { method: 'POST', headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    answer = (await res.text()).trim();
    if (res.status !== 200) {
      const hint = res.status === 401 && !password ? ' (give --admin-password-file or RELAYCAST_ADMIN_PASSWORD)' : '';
      process.stderr.write(`relaycast drain: ${base} answered ${res.status}: ${answer}${hint}\n`);
      return EXIT_FAILED;
    }
  } catch (err) {
    process.stderr.write(`relaycast drain: cannot reach ${base}: ${causeOf(err)}\n`);
    return EXIT_FAILED;
  }
  process.stdout.write(`${base}: ${answer}\n`);
  if (!flags.wait) return 0;
  return waitForNoListeners(base);
}

async function waitForNoListeners(base: string): Promise<number> {
  let failures = 0;
  let last = -1;
  for (;;) {
    try {
      const res = await fetch(`${base}/status.json`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const status = (await res.json()) as { server?: { listeners?: number } };
      const listeners = status.server?.listeners;
      if (typeof listeners !== 'number') throw new Error('no server.listeners in its status JSON');
      failures = 0;
      if (listeners === 0) {
        process.stdout.write(`${base}: no listeners remain\n`);
        return 0;
      }
      if (listeners !== last) process.stdout.write(`${base}: ${listeners} listeners remain\n`);
      last = listeners;
    } catch (err) {
      failures++;
      if (failures >= GONE_AFTER_FAILURES) {
        process.stdout.write(`${base}: stopped answering (${causeOf(err)}); its listeners are gone with it\n`);
        return 0;
      }
    }
    await sleep(POLL_MS);
  }
}

function usage(message: string): number {
  process.stderr.write(`relaycast drain: ${message}\n`);
  return EXIT_USAGE;
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code ?? (err as Error).message ?? String(err);
}
