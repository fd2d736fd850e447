// Which Content-Types carry a WebM or Matroska stream, whose init segment the
// relay captures and whose Clusters are the only places a listener joins.

const WEBM_TYPES = new Set(['audio/webm', 'video/webm', 'audio/x-matroska', 'video/x-matroska', 'audio/matroska', 'video/matroska']);

export function isWebmType(contentType: string): boolean {
  return WEBM_TYPES.has(contentType.split(';')[0].trim().toLowerCase());
}
