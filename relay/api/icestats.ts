// /status-json.xsl in Icecast 2.4's shape, for the exporters, station
// websites and "now playing" widgets written against Icecast. Quirks kept
// on purpose because readers depend on them: `icestats.source` is absent
// with no mount, an object with one and an array with several; every source
// object ends in "dummy": null (an artefact of Icecast's XSL); dates come
// twice, RFC 822 style and ISO 8601 with a +hhmm offset; listeners,
// listener_peak and bitrate are numbers; fields the source never gave
// (genre, title, ...) are left out, as Icecast leaves them out. Four
// fields of our own sit beside Icecast's at the top (listeners,
// max_listeners, redirect_over, draining): what a peer or an edge reads.

import type { MountStatus, StatusReport } from './status-report.js';
import { PROCESS_STARTED_AT_MS } from './status-report.js';

export interface IcecastSource {
  [field: string]: string | number | null;
}

export interface IcecastStats {
  icestats: {
    admin: string;
    host: string;
    location: string;
    server_id: string;
    server_start: string;
    server_start_iso8601: string;
    /** Not Icecast's: relaycast's room for peers (status.json's server fields), ignored by Icecast readers. */
    listeners: number;
    max_listeners: number;
    redirect_over: number;
    draining: boolean;
    source?: IcecastSource | IcecastSource[];
  };
}

/** `host` is the host name the client used, without the port. */
export function icecastStats(report: StatusReport, host: string): IcecastStats {
  const sources = report.mounts.map(icecastSource);
  const icestats: IcecastStats['icestats'] = {
    admin: 'relaycast@localhost',
    host,
    location: 'Earth',
    server_id: `relaycast ${report.server.version}`,
    server_start: rfc822(PROCESS_STARTED_AT_MS),
    server_start_iso8601: iso8601(PROCESS_STARTED_AT_MS),
    listeners: report.server.listeners,
    max_listeners: report.server.maxListeners,
    redirect_over: report.server.redirectOver,
    draining: report.server.draining,
  };
  if (sources.length === 1) icestats.source = sources[0];
  else if (sources.length > 1) icestats.source = sources;
  return { icestats };
}

function icecastSource(m: MountStatus): IcecastSource {
  const s: IcecastSource = {};
  if (m.source.audioInfo) s.audio_info = m.source.audioInfo;
  const bitrate = m.bitrateKbps ?? (m.measuredBitrateKbps > 0 ? Math.round(m.measuredBitrateKbps) : null);
  if (bitrate !== null) s.bitrate = bitrate;
  if (m.source.genre) s.genre = m.source.genre;
  s.listener_peak = m.peakListeners;
  s.listeners = m.listeners;
  s.listenurl = m.listenUrl;
  s.server_description = m.source.description || 'Unspecified description';
  s.server_name = m.source.name || 'Unspecified name';
  s.server_type = m.contentType;
  if (m.source.url) s.server_url = m.source.url;
  if (m.streamStart !== null) {
    const startedMs = Date.parse(m.streamStart);
    s.stream_start = rfc822(startedMs);
    s.stream_start_iso8601 = iso8601(startedMs);
  }
  if (m.title) s.title = m.title;
  s.dummy = null;
  return s;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** "Fri, 09 Apr 2021 19:49:50 +0000", as Icecast's strftime("%a, %d %b %Y %H:%M:%S %z") (in UTC). */
export function rfc822(ms: number): string {
  const d = new Date(ms);
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${time} +0000`;
}

/** "2021-04-09T19:49:50+0000", as Icecast's strftime("%Y-%m-%dT%H:%M:%S%z") (in UTC). */
export function iso8601(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}+0000`;
}
