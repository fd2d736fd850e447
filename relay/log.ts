// Structured logs (pino), one JSON line per event, to stdout. Children carry
// { mount, listener } so one listener's story can be grepped out.

import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { app: 'relaycast' } }, pino.destination({ fd: 1, sync: true }));
}
