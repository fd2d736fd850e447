// The newcomer's passwords, kept: a first start without --source-password
// (or --admin-password) generates them and writes them to a file only its
// user can read, so after a restart encoders still work and the operator
// can look them up. Never logged; the start-up message names the file.

import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { generatePassword } from '../config.js';

export interface KeptCredentials {
  sourcePassword: string;
  adminPassword: string;
  /** Where they are kept. */
  path: string;
  /** True when this start made them (the first start, or after the file was removed). */
  created: boolean;
}

/** `--state-dir`, else $RELAYCAST_STATE_DIR, else $XDG_STATE_HOME/relaycast, else ~/.local/state/relaycast. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RELAYCAST_STATE_DIR) return env.RELAYCAST_STATE_DIR;
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'relaycast');
}

/** The kept credentials in `stateDir`, made (and written 0600) when there are none yet. */
export function keptCredentials(stateDir: string): KeptCredentials {
  const path = join(stateDir, 'credentials.json');
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<KeptCredentials>;
    if (
      typeof parsed.sourcePassword === 'string' &&
      parsed.sourcePassword &&
      typeof parsed.adminPassword === 'string' &&
      parsed.adminPassword
    ) {
      return { sourcePassword: parsed.sourcePassword, adminPassword: parsed.adminPassword, path, created: false };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
  }
  const made = { sourcePassword: generatePassword(), adminPassword: generatePassword() };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(made, null, 2)}\n`, { mode: 0o600 });
  // writeFileSync keeps the mode of a file that already existed (a broken one): set it.
  chmodSync(path, 0o600);
  return { ...made, path, created: true };
}
