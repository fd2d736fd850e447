// Which Content-Types carry an Ogg stream, whose pages the relay aligns on
// and whose header pages it sends to each new listener first.

const OGG_TYPES = new Set([
  'application/ogg',
  'application/x-ogg',
  'audio/ogg',
  'audio/x-ogg',
  'audio/opus',
  'audio/x-opus',
  'audio/vorbis',
  'audio/x-vorbis',
  'audio/x-vorbis+ogg',
  'audio/speex',
  'audio/x-speex',
  'audio/flac+ogg',
  'video/ogg',
  'video/x-ogg',
]);

export function isOggType(contentType: string): boolean {
  return OGG_TYPES.has(contentType.split(';')[0].trim().toLowerCase());
}
