// The Icecast 2.4 configuration the bench runs: generated into a fresh
// temporary directory per run, with issue 4's limits (queue-size 524288,
// burst-size 65536, clients 20000) and the settings Icecast needs to start
// as root in the foreground:
// - it refuses to run as root unless <changeowner> names a user, so it drops
//   to Debian's icecast2:icecast;
// - after dropping, it must still write its logs, so the log directory
//   belongs to that user and every directory above it can be traversed.
// Icecast announces readiness only in its error log: callers poll the mount.
// A tree's relay (bench:tree) is the same config with a <relay> block: it
// pulls the master's mount at start (not on demand) and serves it under the
// same name, as Icecast's docs set up a master/relay pair.

import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ICECAST_USER = 'icecast2';
export const ICECAST_GROUP = 'icecast';

export interface IcecastConfigInput {
  port: number;
  sourcePassword: string;
  /** Where Icecast keeps its pid file and logs; must be writable by ICECAST_USER. */
  baseDir: string;
  logDir: string;
  clients: number;
  queueSizeBytes: number;
  burstSizeBytes: number;
  /** This Icecast relays `mount` from a master on 127.0.0.1:`port` (always on, not on demand). */
  relayOf?: { port: number; mount: string };
  /** A second listen socket with TLS on `port`; `pemPath` holds the certificate and its key (Icecast's <ssl-certificate>). */
  tls?: { port: number; pemPath: string };
}

export const ICECAST_LIMITS = { clients: 20000, queueSizeBytes: 524288, burstSizeBytes: 65536 } as const;

function xmlText(value: string | number): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function icecastConfigXml(c: IcecastConfigInput): string {
  const x = xmlText;
  // loglevel 3 (info) logs "has fallen too far behind, removing" for each slow
  // listener it cuts; the slow-reader run reads those lines.
  return `<icecast>
    <location>loopback</location>
    <admin>bench@localhost</admin>
    <hostname>127.0.0.1</hostname>
    <limits>
        <clients>${x(c.clients)}</clients>
        <sources>2</sources>
        <queue-size>${x(c.queueSizeBytes)}</queue-size>
        <client-timeout>30</client-timeout>
        <header-timeout>15</header-timeout>
        <source-timeout>10</source-timeout>
        <burst-on-connect>1</burst-on-connect>
        <burst-size>${x(c.burstSizeBytes)}</burst-size>
    </limits>
    <authentication>
        <source-password>${x(c.sourcePassword)}</source-password>
        <relay-password>${x(c.sourcePassword)}</relay-password>
        <admin-user>admin</admin-user>
        <admin-password>${x(c.sourcePassword)}-admin</admin-password>
    </authentication>
    <listen-socket>
        <port>${x(c.port)}</port>
        <bind-address>127.0.0.1</bind-address>
    </listen-socket>
${c.tls ? tlsSocketXml(c.tls.port) : ''}${c.relayOf ? relayXml(c.relayOf) : ''}    <fileserve>1</fileserve>
    <paths>
        <basedir>${x(c.baseDir)}</basedir>
        <logdir>${x(c.logDir)}</logdir>
        <webroot>/usr/share/icecast2/web</webroot>
        <adminroot>/usr/share/icecast2/admin</adminroot>
        <pidfile>${x(join(c.logDir, 'icecast.pid'))}</pidfile>
${
  c.tls
    ? `        <ssl-certificate>${x(c.tls.pemPath)}</ssl-certificate>
`
    : ''
}
    </paths>
    <logging>
        <accesslog>access.log</accesslog>
        <errorlog>error.log</errorlog>
        <loglevel>3</loglevel>
        <logsize>100000</logsize>
    </logging>
    <security>
        <chroot>0</chroot>
        <changeowner>
            <user>${ICECAST_USER}</user>
            <group>${ICECAST_GROUP}</group>
        </changeowner>
    </security>
</icecast>
`;
}

function tlsSocketXml(port: number): string {
  return `    <listen-socket>
        <port>${xmlText(port)}</port>
        <bind-address>127.0.0.1</bind-address>
        <ssl>1</ssl>
    </listen-socket>
`;
}

function relayXml(r: { port: number; mount: string }): string {
  const x = xmlText;
  return `    <relay>
        <server>127.0.0.1</server>
        <port>${x(r.port)}</port>
        <mount>${x(r.mount)}</mount>
        <local-mount>${x(r.mount)}</local-mount>
        <on-demand>0</on-demand>
        <relay-shoutcast-metadata>1</relay-shoutcast-metadata>
    </relay>
`;
}

export interface IcecastFiles {
  dir: string;
  configPath: string;
  logDir: string;
  errorLogPath: string;
  accessLogPath: string;
}

/** Numeric uid and gid of the user Icecast drops to, from the system's databases. */
function icecastOwner(): { uid: number; gid: number } {
  const id = (flag: string, name: string) => {
    try {
      return Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
    } catch {
      throw new Error(`no ${name} user: install Debian's icecast2 package (apt-get install icecast2)`);
    }
  };
  return { uid: id('-u', ICECAST_USER), gid: id('-g', ICECAST_USER) };
}

/** Writes the config into a new temp directory; the caller removes `dir` when done. */
export function writeIcecastConfig(
  port: number,
  sourcePassword: string,
  extra: Pick<IcecastConfigInput, 'relayOf' | 'tls'> = {},
): IcecastFiles {
  const dir = mkdtempSync(join(tmpdir(), 'relaycast-bench-icecast-'));
  // mkdtemp makes the directory 0700; the dropped user must reach its logs inside.
  chmodSync(dir, 0o755);
  const logDir = join(dir, 'log');
  mkdirSync(logDir);
  const { uid, gid } = icecastOwner();
  chownSync(logDir, uid, gid);
  const configPath = join(dir, 'icecast.xml');
  writeFileSync(configPath, icecastConfigXml({ port, sourcePassword, baseDir: dir, logDir, ...ICECAST_LIMITS, ...extra }));
  return { dir, configPath, logDir, errorLogPath: join(logDir, 'error.log'), accessLogPath: join(logDir, 'access.log') };
}
