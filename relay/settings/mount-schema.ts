// The JSON Schema of a config file's mount settings, which is also their
// documentation: `relaycast config schema` prints it, and each description
// is what an operator reads. Keys are kebab-case like the long flags.

/** http://host[:port]/path, with optional user:password@; nothing else is pulled yet. */
const RELAY_URL_PATTERN = '^http://[^\\s/?#]+(/[^\\s]*)?$';

const MOUNT_PROPERTIES = {
  'source-user': {
    type: 'string',
    minLength: 1,
    maxLength: 64,
    description: 'user name this mount\'s sources log in with (default "source")',
  },
  'source-password': {
    type: 'string',
    minLength: 1,
    maxLength: 256,
    description: "this mount's own source password (default: the server's source-password)",
  },
  'max-listeners': {
    type: 'integer',
    minimum: 0,
    maximum: 10_000_000,
    description: 'listener limit of this mount; 0 = only the server-wide limits',
  },
  'burst-bytes': {
    type: 'integer',
    minimum: 0,
    maximum: 16_777_216,
    description: 'how far behind live a new listener starts, sent at once',
  },
  'max-lag-bytes': {
    type: 'integer',
    minimum: 1,
    maximum: 1_073_741_824,
    description: 'a listener further behind live is slow (see slow-policy)',
  },
  'slow-policy': { enum: ['drop', 'live'], description: 'what happens to a slow listener: drop it, or move it to live' },
  'source-grace-ms': {
    type: 'integer',
    minimum: 0,
    maximum: 86_400_000,
    description: 'how long listeners wait for a source that left before they are ended',
  },
  'stream-name': { type: 'string', maxLength: 256, description: "stream name sent as icy-name (overrides the source's)" },
  description: { type: 'string', maxLength: 1024, description: 'sent as icy-description' },
  genre: { type: 'string', maxLength: 256, description: 'sent as icy-genre' },
  url: { type: 'string', maxLength: 1024, description: 'sent as icy-url' },
  public: { type: 'boolean', description: 'sent as icy-pub (listed in directories)' },
  hidden: { type: 'boolean', description: 'left out of the status JSON, the status page and playlists; still playable' },
  'content-types': {
    type: 'array',
    minItems: 1,
    items: { type: 'string', pattern: '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$' },
    description: 'content types a source may send to this mount (default: any)',
  },
  'fallback-mount': {
    type: 'string',
    pattern: '^(/[A-Za-z0-9._~-]+)+$',
    description: "where this mount's listeners go when it has no source (its own fallback may follow, as a chain)",
  },
  'fallback-override': {
    enum: [true, false, 'all', 'own'],
    description:
      "bring listeners back when this mount's source returns: own = those who fell back from here; all or true = also the fallback's own (Icecast 2.4's 1)",
  },
  'fallback-mismatch': {
    enum: ['stay', 'end'],
    description: 'a move between streams of different codec, rate or channels is refused: stay where they are (default) or end cleanly',
  },
  'fallback-file': {
    type: 'string',
    minLength: 1,
    description: 'an MP3, AAC (ADTS) or Ogg file this mount plays, looped in real time, while no source is connected',
  },
  'intro-file': {
    type: 'string',
    minLength: 1,
    description: 'an MP3, AAC (ADTS) or Ogg file each new listener hears once before the stream',
  },
  'relay-url': {
    anyOf: [
      { type: 'string', pattern: RELAY_URL_PATTERN },
      { type: 'array', minItems: 1, maxItems: 16, items: { type: 'string', pattern: RELAY_URL_PATTERN } },
    ],
    description:
      'make this mount a pull relay: the upstream URL (http:// only; https:// is not supported yet), or a list tried in order for failover',
  },
  'on-demand': {
    type: 'boolean',
    description: 'a relay mount pulls only while it has listeners (default false: always)',
  },
  'on-demand-idle-ms': {
    type: 'integer',
    minimum: 0,
    maximum: 86_400_000,
    description: 'how long after the last listener of an on-demand relay leaves its pull stops (default 10000)',
  },
} as const;

export const MOUNT_KEYS: readonly string[] = Object.keys(MOUNT_PROPERTIES);

const MOUNT_SCHEMA = { type: 'object', additionalProperties: false, properties: MOUNT_PROPERTIES } as const;

// A relay's upstream belongs to one mount: every mount pulling the same URL is no default.
const { 'relay-url': _perMountOnly, ...DEFAULT_MOUNT_PROPERTIES } = MOUNT_PROPERTIES;
const DEFAULT_MOUNT_SCHEMA = { type: 'object', additionalProperties: false, properties: DEFAULT_MOUNT_PROPERTIES } as const;

/** The part of the file that is not a flag: mounts and how unlisted ones are treated. */
export const MOUNTS_SCHEMA = {
  type: 'object',
  properties: {
    mounts: {
      type: 'object',
      description: 'settings per mount, keyed by its path ("/live")',
      propertyNames: { pattern: '^(/[A-Za-z0-9._~-]+)+$', maxLength: 256 },
      additionalProperties: MOUNT_SCHEMA,
    },
    'default-mount': {
      ...DEFAULT_MOUNT_SCHEMA,
      description: 'settings for every mount not listed under mounts (and the base of those that are)',
    },
    'unlisted-mounts': {
      enum: ['accept', 'refuse'],
      description: 'refuse: sources may only use the mounts listed under mounts (default accept)',
    },
  },
} as const;
