// Icecast 2.4's icecast.xml, read as it is (fast-xml-parser) and turned
// into the settings of a relaycast.yaml, so one path validates both. Every
// element is either read (and listed, with its relaycast setting) or
// ignored with the reason; passwords are listed as set, never shown.

import { XMLParser } from 'fast-xml-parser';
import { redactSecrets } from '../formats/redact.js';

export interface IcecastImport {
  /** Shaped like a relaycast.yaml: long flag names, `mounts`, `default-mount`. */
  settings: Record<string, unknown>;
  /** Each setting read: `<limits><clients> -> max-listeners: 100`. */
  read: string[];
  /** Each element not honoured, with why. */
  ignored: string[];
  /** YAML path (e.g. `max-listeners`, `mounts./live.hidden`) -> the element it came from, for error messages. */
  origins: Map<string, string>;
}

type Node = Record<string, unknown>;

const ARRAYS = new Set(['listen-socket', 'mount', 'relay', 'alias', 'header']);
const SECRET = /password/;
/** Icecast's loglevel numbers. */
const LOG_LEVELS: Record<string, string> = { '1': 'error', '2': 'warn', '3': 'info', '4': 'debug' };

/** Why an element that relaycast does not take is left out: what an operator should know instead. */
const IGNORED: Record<string, string> = {
  location: "shown on Icecast's own pages only",
  admin: "shown on Icecast's own pages only",
  hostname: 'relaycast builds URLs from the Host each client used',
  fileserve: 'relaycast serves no files besides its status page (and --acme-webroot)',
  paths: 'relaycast has no web or admin root; logs go to stdout (journald, Docker)',
  logging: 'relaycast logs one JSON line per event to stdout',
  security: 'run relaycast under systemd or a container instead of chroot/changeowner',
  directory: 'YP directory listings are not sent',
  'http-headers': 'relaycast sends its own CORS headers (Access-Control-Allow-Origin: *) on every port',
  'master-server': "list the master's mounts as <relay>s (relay-url), or run an edge with --origin",
  'master-server-port': "list the master's mounts as <relay>s (relay-url), or run an edge with --origin",
  'master-update-interval': 'an edge re-reads its origin every --origin-poll-ms',
  'master-username': 'put the credentials in each relay-url (http://user:password@host/mount)',
  'master-password': 'put the credentials in each relay-url (http://user:password@host/mount)',
  'relays-on-demand': 'set on-demand on each relayed mount',
  'server-id': 'relaycast names itself',
};

const LIMITS: Record<string, [setting: string, scale: number]> = {
  clients: ['max-listeners', 1],
  'queue-size': ['max-lag-bytes', 1],
  'burst-size': ['burst-bytes', 1],
  'source-timeout': ['source-timeout-ms', 1000],
  'header-timeout': ['header-timeout-ms', 1000],
  sources: ['max-mounts', 1],
};
const LIMITS_IGNORED: Record<string, string> = {
  'client-timeout': 'a listener that keeps reading is never timed out; one that falls behind is cut by max-lag-bytes',
  'burst-on-connect': 'every new listener gets burst-bytes (set burst-bytes: 0 for none)',
  threadpool: 'relaycast runs one event loop',
};

const MOUNT_FIELDS: Record<string, string> = {
  username: 'source-user',
  password: 'source-password',
  'max-listeners': 'max-listeners',
  'burst-size': 'burst-bytes',
  hidden: 'hidden',
  public: 'public',
  'stream-name': 'stream-name',
  'stream-description': 'description',
  'stream-url': 'url',
  genre: 'genre',
  'fallback-mount': 'fallback-mount',
  'fallback-override': 'fallback-override',
  intro: 'intro-file',
};
const MOUNT_BOOLEANS = new Set(['hidden', 'public']);
const MOUNT_NUMBERS = new Set(['max-listeners', 'burst-bytes']);
const MOUNT_IGNORED: Record<string, string> = {
  'fallback-when-full': 'a full mount refuses new listeners (503); it does not send them to its fallback',
  'dump-file': 'relaycast does not record streams',
  authentication: 'listener authentication is not supported',
  'http-headers': 'relaycast sends its own CORS headers',
  'on-connect': 'run hooks from your log pipeline on "source connected"',
  'on-disconnect': 'run hooks from your log pipeline on "source disconnected"',
  'max-listener-duration': 'use the server-wide max-listen-seconds',
  charset: 'titles are read as UTF-8, or converted with charset= on the update',
  type: "the source's Content-Type is used",
  subtype: "the source's Content-Type is used",
  'mp3-metadata-interval': 'ICY metadata comes every 16000 bytes',
  'no-yp': 'YP directory listings are not sent',
  'source-timeout': 'the server-wide source-timeout-ms applies',
  'queue-size': 'the server-wide max-lag-bytes applies (set max-lag-bytes per mount in relaycast.yaml)',
};

export function importIcecastXml(text: string, knownFlags: ReadonlySet<string>): IcecastImport {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    isArray: (name) => ARRAYS.has(name),
  });
  const doc = parser.parse(text) as Node;
  const root = doc.icecast;
  if (typeof root !== 'object' || root === null) throw new Error('not an icecast.xml: no <icecast> element');
  const out: IcecastImport = { settings: {}, read: [], ignored: [], origins: new Map() };
  const set = (path: string[], value: unknown, from: string) => {
    let node = out.settings;
    for (const key of path.slice(0, -1)) {
      if (node[key] === undefined) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
    const name = path.join('.');
    out.origins.set(name, from);
    // A relay-url may hold user:password@: masked like every other secret.
    out.read.push(`${from} -> ${name}: ${SECRET.test(name) ? '(set)' : redactSecrets(JSON.stringify(value))}`);
  };
  const flag = (setting: string, value: unknown, from: string) => {
    if (knownFlags.has(setting)) set([setting], value, from);
    else out.ignored.push(`${from}: this relaycast has no ${setting} setting`);
  };

  for (const [name, value] of Object.entries(root as Node)) {
    switch (name) {
      case 'limits':
        readLimits(value as Node, flag, out);
        break;
      case 'authentication':
        readAuthentication(value as Node, flag, out);
        break;
      case 'listen-socket':
        readListenSockets(value as Node[], flag, out);
        break;
      case 'shoutcast-mount':
        flag('shoutcast-mount', String(value), '<shoutcast-mount>');
        break;
      case 'mount':
        for (const mount of value as Node[]) readMount(mount, set, out);
        break;
      case 'relay':
        for (const [i, relay] of (value as Node[]).entries()) readRelay(relay, i, set, out);
        break;
      case 'paths':
        readPaths(value as Node, flag, out);
        break;
      case 'logging': {
        const level = LOG_LEVELS[String((value as Node).loglevel ?? '')];
        if (level) flag('log-level', level, '<logging><loglevel>');
        out.ignored.push(`<logging>: ${IGNORED.logging}`);
        break;
      }
      default:
        if (name.startsWith('?') || name.startsWith('@')) break;
        out.ignored.push(`<${name}>: ${IGNORED[name] ?? 'not known to relaycast'}`);
    }
  }
  return out;
}

type Flag = (setting: string, value: unknown, from: string) => void;

function readLimits(limits: Node, flag: Flag, out: IcecastImport): void {
  for (const [name, raw] of Object.entries(limits)) {
    const mapped = LIMITS[name];
    if (mapped) flag(mapped[0], wholeNumber(raw) * mapped[1], `<limits><${name}>`);
    else out.ignored.push(`<limits><${name}>: ${LIMITS_IGNORED[name] ?? 'not known to relaycast'}`);
  }
}

function readAuthentication(auth: Node, flag: Flag, out: IcecastImport): void {
  for (const [name, raw] of Object.entries(auth)) {
    if (name === 'source-password') flag('source-password', String(raw), '<authentication><source-password>');
    else if (name === 'admin-password') flag('admin-password', String(raw), '<authentication><admin-password>');
    else if (name === 'admin-user' && String(raw) === 'admin') continue;
    else if (name === 'admin-user') out.ignored.push(`<authentication><admin-user>: the admin user is always "admin"`);
    else if (name === 'relay-user' || name === 'relay-password')
      out.ignored.push(`<authentication><${name}>: what Icecast's slaves log in with; relaycast's edges are listeners and need none`);
    else out.ignored.push(`<authentication><${name}>: not known to relaycast`);
  }
}

function readListenSockets(sockets: Node[], flag: Flag, out: IcecastImport): void {
  let plain = false;
  for (const [i, socket] of sockets.entries()) {
    const from = `<listen-socket> #${i + 1}`;
    const port = wholeNumber(socket.port);
    if (String(socket.ssl ?? '0') === '1') {
      flag('tls-port', port, `${from} <port> with <ssl>1`);
      continue;
    }
    if (plain) {
      out.ignored.push(`${from}: relaycast serves one plain port (the first <listen-socket>); put the others behind it or a proxy`);
      continue;
    }
    plain = true;
    flag('port', port, `${from} <port>`);
    if (socket['bind-address'] !== undefined) flag('host', String(socket['bind-address']), `${from} <bind-address>`);
    if (socket['shoutcast-mount'] !== undefined) {
      // Icecast takes SHOUTcast v1 sources on port+1 of such a socket.
      flag('shoutcast-port', port + 1, `${from} <shoutcast-mount> (port + 1)`);
      flag('shoutcast-mount', String(socket['shoutcast-mount']), `${from} <shoutcast-mount>`);
    }
  }
}

function readPaths(paths: Node, flag: Flag, out: IcecastImport): void {
  for (const [name, raw] of Object.entries(paths)) {
    if (name === 'ssl-certificate') {
      // Icecast's one PEM holds the certificate and its key.
      flag('tls-cert', String(raw), '<paths><ssl-certificate>');
      flag('tls-key', String(raw), '<paths><ssl-certificate>');
    } else out.ignored.push(`<paths><${name}>: ${IGNORED.paths}`);
  }
}

function readMount(mount: Node, set: (path: string[], value: unknown, from: string) => void, out: IcecastImport): void {
  const type = String(mount['@type'] ?? 'normal');
  const name = type === 'default' ? undefined : String(mount['mount-name'] ?? '');
  const base = type === 'default' ? ['default-mount'] : ['mounts', name ?? ''];
  const where = type === 'default' ? '<mount type="default">' : `<mount> ${name}`;
  if (type !== 'default' && !name) {
    out.ignored.push(`${where}: a <mount> without <mount-name>`);
    return;
  }
  // A listed mount with nothing relaycast takes still exists (and may refuse unlisted ones).
  let node = out.settings;
  for (const key of base) {
    if (node[key] === undefined) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  for (const [field, raw] of Object.entries(mount)) {
    if (field === '@type' || field === 'mount-name') continue;
    const setting = MOUNT_FIELDS[field];
    if (!setting) {
      out.ignored.push(`${where} <${field}>: ${MOUNT_IGNORED[field] ?? 'not known to relaycast'}`);
      continue;
    }
    const value =
      setting === 'fallback-override'
        ? overrideOf(String(raw))
        : MOUNT_BOOLEANS.has(setting)
          ? String(raw) === '1'
          : MOUNT_NUMBERS.has(setting)
            ? wholeNumber(raw)
            : String(raw);
    set([...base, setting], value, `${where} <${field}>`);
  }
}

/**
 * Icecast's <relay>: <server>, <port> (default 80), <mount> (default /) and
 * <local-mount> (default the same) become the local mount's relay-url;
 * <username>/<password> go into the URL; <on-demand>1 becomes on-demand.
 */
function readRelay(relay: Node, i: number, set: (path: string[], value: unknown, from: string) => void, out: IcecastImport): void {
  const where = `<relay> #${i + 1}`;
  const server = relay.server === undefined ? '' : String(relay.server).trim();
  if (!server) {
    out.ignored.push(`${where}: a <relay> without <server>`);
    return;
  }
  const port = relay.port === undefined ? 80 : wholeNumber(relay.port);
  const mount = relay.mount === undefined ? '/' : String(relay.mount);
  const local = relay['local-mount'] === undefined ? mount : String(relay['local-mount']);
  const user = relay.username === undefined ? '' : encodeURIComponent(String(relay.username));
  const password = relay.password === undefined ? '' : encodeURIComponent(String(relay.password));
  const credentials = user || password ? `${user}:${password}@` : '';
  const host = server.includes(':') ? `[${server}]` : server;
  set(['mounts', local, 'relay-url'], `http://${credentials}${host}:${port}${mount}`, `${where} <server><port><mount>`);
  if (relay['on-demand'] !== undefined) set(['mounts', local, 'on-demand'], String(relay['on-demand']) === '1', `${where} <on-demand>`);
  for (const field of Object.keys(relay)) {
    if (['server', 'port', 'mount', 'local-mount', 'username', 'password', 'on-demand'].includes(field)) continue;
    const why =
      field === 'relay-shoutcast-metadata'
        ? 'relaycast always asks for ICY metadata (Icy-MetaData: 1) and takes the titles'
        : 'not known to relaycast';
    out.ignored.push(`${where} <${field}>: ${why}`);
  }
}

/** A number as Icecast reads it; anything else is kept as text so validation names it. */
function wholeNumber(raw: unknown): number {
  const text = String(raw).trim();
  return /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
}

/** Icecast 2.4's 0/1 and 2.5's none/all/own. */
function overrideOf(raw: string): boolean | string {
  if (raw === '1' || raw === 'all') return 'all';
  if (raw === 'own') return 'own';
  if (raw === '0' || raw === 'none') return false;
  return raw;
}
