// Throwaway TLS material made with openssl at run time (never committed):
// an EC P-256 key, self-signed. The tree bench's HTTPS origin uses it as
// its certificate, the tests as their CA (test/support/tls-certs.ts).

import { execFileSync } from 'node:child_process';

/** `openssl req` arguments for a new unencrypted EC P-256 key. */
export const NEW_EC_KEY_ARGS: readonly string[] = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export function openssl(args: readonly string[], cwd?: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface SelfSignedOptions {
  keyPath: string;
  certPath: string;
  /** e.g. "/CN=localhost" */
  subject: string;
  /** e.g. "DNS:localhost"; none for a CA. */
  subjectAltName?: string;
  days?: number;
}

/** Writes a new key and a certificate signed by it. */
export function makeSelfSignedCert(o: SelfSignedOptions): void {
  openssl([
    'req',
    '-x509',
    ...NEW_EC_KEY_ARGS,
    '-keyout',
    o.keyPath,
    '-out',
    o.certPath,
    '-days',
    String(o.days ?? 2),
    '-subj',
    o.subject,
    ...(o.subjectAltName ? ['-addext', `subjectAltName=${o.subjectAltName}`] : []),
  ]);
}
