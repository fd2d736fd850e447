// Certificate rotation under load (issue 15): 100 TLS listeners on the uWS
// TLS port and 10 on --tls-ingest-port keep receiving when the certificate
// is replaced and SIGHUP arrives; a new handshake shows the new certificate
// on both ports. A bad new certificate (a key that is not the certificate's)
// is refused with a log line and relaycast_tls_reload_success 0, the old one
// stays; the next good files are picked up on their own (fs.watch).

import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { test } from 'node:test';
import { SyntheticSource } from './support/clients.js';
import { RelayProcess } from './support/relay-process.js';
import { makeTestCa } from './support/tls-certs.js';
import { TlsListener, peerFingerprint } from './support/tls-clients.js';
import { waitFor } from './support/wait.js';

const UWS_LISTENERS = 100;
const INGEST_LISTENERS = 10;

test('a certificate swap under 110 TLS listeners drops none, and new handshakes get the new certificate', async (t) => {
  const ca = makeTestCa();
  t.after(() => ca.remove());
  const first = ca.issue('radio', ['radio.test']);
  const relay = await RelayProcess.startFor(t, [
    '--tls-port',
    '0',
    '--tls-ingest-port',
    '0',
    '--tls-cert',
    first.cert,
    '--tls-key',
    first.key,
  ]);
  assert.equal(await relay.metric('relaycast_tls_reload_success'), 1);
  const source = await SyntheticSource.connect(relay.port, { mount: '/rot.mp3' });
  t.after(() => source.close());
  source.send(50);
  source.pace(40);

  const listeners = [
    ...Array.from({ length: UWS_LISTENERS }, () => new TlsListener(relay.tlsPort, '/rot.mp3', { servername: 'radio.test' })),
    ...Array.from(
      { length: INGEST_LISTENERS },
      () => new TlsListener(relay.tlsIngestPort, '/rot.mp3', { servername: 'radio.test', http10: true }),
    ),
  ];
  t.after(() => {
    for (const l of listeners) l.destroy();
  });
  await waitFor(() => listeners.every((l) => l.bodyBytes > 0), 20_000, 'every TLS listener receiving');
  assert.ok(listeners.every((l) => l.fingerprint256 === first.fingerprint256));

  // certbot's way: new files at the same paths, then the signal.
  const second = ca.issue('radio', ['radio.test']);
  assert.notEqual(second.fingerprint256, first.fingerprint256);
  relay.child.kill('SIGHUP');
  const reloaded = await relay.waitForLog((l) => l.msg === 'TLS certificates reloaded' && l.generation === 2);
  assert.equal(reloaded.reason, 'SIGHUP');
  const atSwap = listeners.map((l) => l.bodyBytes);
  await waitFor(() => listeners.every((l, i) => l.bodyBytes > atSwap[i] + 2000), 15_000, 'every listener to keep receiving after the swap');
  assert.deepEqual(
    listeners.filter((l) => l.closed || l.error),
    [],
    'no listener was dropped',
  );
  assert.equal(await peerFingerprint(relay.tlsPort, 'radio.test'), second.fingerprint256, 'uWS: a new handshake gets the new certificate');
  assert.equal(await peerFingerprint(relay.tlsIngestPort, 'radio.test'), second.fingerprint256, 'node:tls: the same');
  assert.equal(await relay.metric('relaycast_tls_reloads_total', { result: 'applied' }), 1);
  // A client without SNI gets the new default too (uWS: a new SSLApp took over the port).
  assert.equal(await peerFingerprint(relay.tlsPort, undefined), second.fingerprint256, 'uWS: no SNI gets the new certificate');
  assert.equal(await peerFingerprint(relay.tlsIngestPort, undefined), second.fingerprint256, 'node:tls: the same');

  // A key that is not this certificate's: refused as a whole, the old pair stays.
  const stranger = ca.issue('stranger', ['radio.test']);
  relay.expectWarnings('TLS reload refused; the old certificates stay');
  copyFileSync(stranger.key, second.key);
  relay.child.kill('SIGHUP');
  const refused = await relay.waitForLog((l) => l.msg === 'TLS reload refused; the old certificates stay');
  assert.match(String(refused.err), /is not the key of/);
  assert.equal(await relay.metric('relaycast_tls_reload_success'), 0);
  // At least 1: the directory watch may refuse the same files again a second later.
  assert.ok((await relay.metric('relaycast_tls_reloads_total', { result: 'refused' })) >= 1);
  assert.equal(await peerFingerprint(relay.tlsPort, 'radio.test'), second.fingerprint256);
  assert.equal(await peerFingerprint(relay.tlsIngestPort, 'radio.test'), second.fingerprint256);

  // A good pair written with no signal: the directory watch reloads it.
  const third = ca.issue('radio', ['radio.test']);
  const watched = await relay.waitForLog((l) => l.msg === 'TLS certificates reloaded' && l.reason === 'file changed', 15_000);
  assert.ok((watched.generation as number) >= 3);
  await waitFor(async () => (await peerFingerprint(relay.tlsPort, 'radio.test')) === third.fingerprint256, 5000, 'the watched certificate');
  assert.equal(await peerFingerprint(relay.tlsIngestPort, 'radio.test'), third.fingerprint256);
  assert.equal(await relay.metric('relaycast_tls_reload_success'), 1);
  const atEnd = listeners.map((l) => l.bodyBytes);
  await waitFor(() => listeners.every((l, i) => l.bodyBytes > atEnd[i] + 2000), 15_000, 'every listener still receiving');
  assert.equal(relay.exitCode, null);
});
