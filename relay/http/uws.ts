// The one place uWebSockets.js is loaded, so that the official build
// (uNetworking/uWebSockets.js#v20.x) can be swapped in for the pinned
// `uwebsockets@3.0.6` package without touching anything else.

import { createRequire } from 'node:module';
import type * as UwsTypes from 'uwebsockets';

const require = createRequire(import.meta.url);
export const uws = require('uwebsockets') as typeof UwsTypes;
export type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uwebsockets';

/** Exclusive bind: a second process on the port fails instead of sharing it through SO_REUSEPORT. */
export const LISTEN_EXCLUSIVE_PORT = 1;

type ListenWithOptions = (host: string, port: number, options: number, cb: (socket: UwsTypes.us_listen_socket | false) => void) => void;

/** listen(host, port, options, cb): the binary accepts it, the bundled .d.ts lacks the overload. */
export function listenExclusive(
  app: UwsTypes.TemplatedApp,
  host: string,
  port: number,
  cb: (socket: UwsTypes.us_listen_socket | false) => void,
): void {
  (app.listen as unknown as ListenWithOptions).call(app, host, port, LISTEN_EXCLUSIVE_PORT, cb);
}
