// Structured logs (pino), one event per line, to stdout. Children carry
// { mount, listener } so one listener's story can be grepped out.
// `json` writes pino's objects as they are (for journald, Docker, log
// shippers); `pretty` turns each one into a short line a person can read on
// a terminal. Nothing here logs per chunk: events are connects, leaves,
// refusals and the like, so formatting cost does not matter.
// Every line's message and string fields go through redactSecrets: no
// password, Authorization value or pass= value is ever written, whatever a
// caller passes in.

import { writeSync } from 'node:fs';
import { pino, type Logger, type LoggerOptions } from 'pino';
import type { LogFormat, LogLevel } from './config.js';
import { redactSecrets } from './formats/redact.js';

export function createLogger(level: LogLevel, format: LogFormat = 'json'): Logger {
  const options: LoggerOptions = {
    level,
    base: { app: 'relaycast' },
    formatters: { log: redactFields, bindings: redactFields },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? redactSecrets(arg) : arg)) as typeof args);
      },
    },
  };
  if (format === 'pretty') return pino(options, { write: (line: string) => writeSync(1, prettyLine(line)) });
  return pino(options, pino.destination({ fd: 1, sync: true }));
}

/** The same object with secrets taken out of its strings (and those of nested plain objects and errors). */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  return redactValue(fields, 0) as Record<string, unknown>;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  // An Error's message and stack are own properties but not enumerable.
  if (value instanceof Error) {
    out.type = value.name;
    out.message = redactSecrets(value.message);
    if (value.stack) out.stack = redactSecrets(value.stack);
  }
  for (const [key, item] of Object.entries(value)) out[key] = redactValue(item, depth + 1);
  return out;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
/** Fields every line has, shown in the prefix or not at all. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'app']);

/** `12:34:56.789 INFO  listener connected mount=/listen listener=3 remote=127.0.0.1` */
export function prettyLine(jsonLine: string): string {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine.endsWith('\n') ? jsonLine : `${jsonLine}\n`;
  }
  const time = typeof event.time === 'number' ? new Date(event.time).toISOString().slice(11, 23) : '';
  const level = LEVEL_NAMES[event.level as number] ?? String(event.level);
  const fields = Object.entries(event)
    .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return `${[time, level, String(event.msg ?? ''), ...fields].join(' ')}\n`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}
