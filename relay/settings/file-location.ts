// Where in a YAML file a setting is, so every error can name file, line,
// column and setting. Paths are the keys from the document's root.

import { isMap, isPair, isScalar, type LineCounter, type Document } from 'yaml';

export interface SettingError {
  file: string;
  line: number;
  column: number;
  /** The setting's path in the file, e.g. `mounts./live.max-listeners`. */
  setting: string;
  message: string;
}

/** Line and column (1-based) of the value at `path`, or of its nearest parent that exists; the key when `atKey`. */
export function locate(doc: Document, lines: LineCounter, path: readonly string[], atKey = false): { line: number; column: number } {
  let node: unknown = doc.contents;
  let offset = 0;
  for (const key of path) {
    if (!isMap(node)) break;
    const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === key);
    if (!pair) break;
    const keyNode = pair.key as { range?: [number, number, number] };
    const valueNode = pair.value as { range?: [number, number, number] } | null;
    offset = (atKey || !valueNode?.range ? keyNode.range?.[0] : valueNode.range[0]) ?? offset;
    node = pair.value;
  }
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

export function settingName(path: readonly string[]): string {
  return path.join('.');
}

export function formatSettingError(e: SettingError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.setting}: ${e.message}`;
}
