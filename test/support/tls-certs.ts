// Test certificates, made at test time with openssl into a temp dir (never
// committed): a throwaway CA and leaf certificates it signs for given DNS
// names, so clients can verify (curl --cacert) or skip verification.

import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSelfSignedCert, NEW_EC_KEY_ARGS, openssl } from '../../loadtest/bench/self-signed-cert.js';

export interface TestCa {
  readonly dir: string;
  readonly caCert: string;
  /** Issues a leaf for `names` (the first is the CN); writes `<file>.crt` and `<file>.key` in dir. */
  issue(file: string, names: string[], days?: number): { cert: string; key: string; fingerprint256: string };
  remove(): void;
}

export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'relaycast-test-tls-'));
  makeSelfSignedCert({ keyPath: join(dir, 'ca.key'), certPath: join(dir, 'ca.crt'), subject: '/CN=relaycast test CA' });
  let serial = 1;
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    issue(file, names, days = 2) {
      const key = join(dir, `${file}.key`);
      const cert = join(dir, `${file}.crt`);
      const ext = join(dir, `${file}.ext`);
      writeFileSync(ext, `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\nbasicConstraints=CA:FALSE\n`);
      openssl(['req', ...NEW_EC_KEY_ARGS, '-keyout', key, '-out', `${file}.csr`, '-subj', `/CN=${names[0]}`], dir);
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `${file}.csr`,
          '-CA',
          'ca.crt',
          '-CAkey',
          'ca.key',
          '-set_serial',
          String(serial++),
          '-days',
          String(days),
          '-extfile',
          ext,
          '-out',
          cert,
        ],
        dir,
      );
      return { cert, key, fingerprint256: new X509Certificate(readFileSync(cert)).fingerprint256 };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
