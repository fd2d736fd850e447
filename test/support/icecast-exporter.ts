// Reads /status-json.xsl the way the exporters written for Icecast 2.4 do
// (icecast_exporter and its kin decode it into typed structs): `icestats`
// with its server fields, and `source` that may be absent, one object, or an
// array. A field of the wrong JSON type fails the decode, as it fails theirs.

export interface ExporterSource {
  listenurl: string;
  listeners: number;
  listener_peak: number;
  server_name: string;
  server_description: string;
  server_type: string;
  genre?: string;
  bitrate?: number;
  audio_info?: string;
  stream_start?: string;
  stream_start_iso8601?: string;
  title?: string;
}

export interface ExporterView {
  server: { admin: string; host: string; location: string; server_id: string; server_start: string; server_start_iso8601: string };
  sourceShape: 'absent' | 'object' | 'array';
  sources: ExporterSource[];
}

const STRING_FIELDS = ['listenurl', 'server_name', 'server_description', 'server_type'] as const;
const NUMBER_FIELDS = ['listeners', 'listener_peak'] as const;
const OPTIONAL_STRINGS = ['genre', 'audio_info', 'stream_start', 'stream_start_iso8601', 'title', 'server_url'] as const;

export function readIcecastStatus(text: string): ExporterView {
  const doc = JSON.parse(text) as { icestats?: Record<string, unknown> };
  const stats = doc.icestats;
  if (typeof stats !== 'object' || stats === null) throw new Error('no icestats object');
  const server = {} as ExporterView['server'];
  for (const key of ['admin', 'host', 'location', 'server_id', 'server_start', 'server_start_iso8601'] as const) {
    if (typeof stats[key] !== 'string') throw new Error(`icestats.${key} is not a string`);
    server[key] = stats[key] as string;
  }
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$/.test(server.server_start_iso8601)) {
    throw new Error(`server_start_iso8601 ${server.server_start_iso8601} is not Icecast's format`);
  }
  const raw = stats.source;
  const shape = raw === undefined ? 'absent' : Array.isArray(raw) ? 'array' : 'object';
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return { server, sourceShape: shape, sources: list.map(decodeSource) };
}

function decodeSource(value: unknown): ExporterSource {
  if (typeof value !== 'object' || value === null) throw new Error('source is not an object');
  const s = value as Record<string, unknown>;
  for (const key of STRING_FIELDS) if (typeof s[key] !== 'string') throw new Error(`source.${key} is not a string`);
  for (const key of NUMBER_FIELDS) if (!Number.isInteger(s[key])) throw new Error(`source.${key} is not an integer`);
  for (const key of OPTIONAL_STRINGS) if (key in s && typeof s[key] !== 'string') throw new Error(`source.${key} is not a string`);
  if ('bitrate' in s && typeof s.bitrate !== 'number') throw new Error('source.bitrate is not a number');
  if (!('dummy' in s) || s.dummy !== null) throw new Error('source lacks Icecast\'s trailing "dummy": null');
  return s as unknown as ExporterSource;
}
