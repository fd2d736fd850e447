// Reads and checks the --tls-cert/--tls-key pairs, all or nothing: every
// certificate must parse, be within its validity dates and match its key,
// or the whole set is refused (so a reload never half-applies). The server
// names of a pair are its certificate's DNS subjectAltNames (else its CN).
// uWS loads certificates by file name, so each accepted set is copied into a
// private directory under a name of its own: uWS reads exactly the bytes we
// checked, even if certbot rewrites the originals while we load them.

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsPair {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: Buffer;
  readonly keyPem: Buffer;
  /** DNS names this certificate serves (SNI), lower case. */
  readonly names: readonly string[];
  readonly notAfterMs: number;
  readonly fingerprint256: string;
  /** The checked copies that uWS is given. */
  readonly snapshotCert: string;
  readonly snapshotKey: string;
}

export interface TlsSet {
  readonly generation: number;
  readonly pairs: readonly TlsPair[];
}

/** One private directory per process for the checked copies. */
let snapshotDir: string | undefined;

/** Reads every pair; throws an Error naming the file and what is wrong with it. */
export function loadTlsSet(certFiles: readonly string[], keyFiles: readonly string[], generation: number, nowMs = Date.now()): TlsSet {
  const pairs = certFiles.map((certFile, i) => loadPair(certFile, keyFiles[i], generation, i, nowMs));
  return { generation, pairs };
}

function loadPair(certFile: string, keyFile: string, generation: number, index: number, nowMs: number): TlsPair {
  const certPem = readPem(certFile, 'certificate');
  const keyPem = readPem(keyFile, 'key');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new Error(`${certFile}: not a PEM certificate (${(err as Error).message})`);
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new Error(`${keyFile}: not a PEM private key (${(err as Error).message})`);
  }
  if (!cert.checkPrivateKey(key)) throw new Error(`${keyFile} is not the key of ${certFile}`);
  const notAfterMs = Date.parse(cert.validTo);
  if (Date.parse(cert.validFrom) > nowMs) throw new Error(`${certFile} is not valid before ${cert.validFrom}`);
  if (notAfterMs < nowMs) throw new Error(`${certFile} expired on ${cert.validTo}`);
  const names = namesOf(cert);
  if (names.length === 0) throw new Error(`${certFile} names no DNS name (subjectAltName or CN)`);
  snapshotDir ??= mkdtempSync(join(tmpdir(), 'relaycast-tls-'));
  const snapshotCert = join(snapshotDir, `g${generation}-${index}.crt`);
  const snapshotKey = join(snapshotDir, `g${generation}-${index}.key`);
  writeFileSync(snapshotCert, certPem, { mode: 0o600 });
  writeFileSync(snapshotKey, keyPem, { mode: 0o600 });
  return { certFile, keyFile, certPem, keyPem, names, notAfterMs, fingerprint256: cert.fingerprint256, snapshotCert, snapshotKey };
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function namesOf(cert: X509Certificate): string[] {
  const names = new Set<string>();
  for (const entry of (cert.subjectAltName ?? '').split(', ')) {
    if (entry.startsWith('DNS:')) names.add(entry.slice(4).toLowerCase());
  }
  if (names.size === 0) {
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
    if (cn) names.add(cn.toLowerCase());
  }
  return [...names];
}

/** uWS has read them into its SSL contexts; the copies can go. */
export function removeSnapshots(set: TlsSet): void {
  for (const pair of set.pairs) {
    rmSync(pair.snapshotCert, { force: true });
    rmSync(pair.snapshotKey, { force: true });
  }
}

/** Run at exit: the private directory and any copies left in it. */
export function removeSnapshotDir(): void {
  if (snapshotDir) rmSync(snapshotDir, { recursive: true, force: true });
  snapshotDir = undefined;
}
