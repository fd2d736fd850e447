// Reads one origin's mount list: one GET of its list document with a
// deadline and a size cap, its Basic credential (if the --origin URL had
// one) in the Authorization header, and the body parsed by the pure
// readers in relay/formats/mount-list.ts. Any failure (refused, timed out,
// not 200, too big, not a list) rejects with a short reason that holds no
// secret: the reason is logged.

import { type MountList, mountsOfStatusJson, mountsOfStreamList } from '../../relay/formats/mount-list.js';
import type { OriginUrl } from '../../relay/formats/origin-url.js';

/** A mount list far larger than any station's; more is not a list. */
export const MAX_LIST_BYTES = 1024 * 1024;

/**
 * `stop` aborts the request when the poller stops (shutdown). One controller per request, with
 * its own timer, rather than AbortSignal.any() over the poller's long-lived signal: nothing is
 * left registered on `stop` once the request is done, however many polls a long run makes.
 */
export async function fetchMountList(origin: OriginUrl, timeoutMs: number, stop: AbortSignal): Promise<MountList> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const timer = setTimeout(abort, timeoutMs);
  stop.addEventListener('abort', abort, { once: true });
  try {
    const headers: Record<string, string> = { 'User-Agent': 'relaycast-edge', Accept: '*/*' };
    if (origin.authorization) headers.Authorization = origin.authorization;
    let response: Response;
    try {
      // A redirect is not followed: the credential must go to this origin only.
      response = await fetch(origin.listUrl, { headers, redirect: 'manual', signal: controller.signal });
    } catch (err) {
      throw new Error(reasonOf(err, timeoutMs));
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`${origin.document} answered ${response.status}`);
    }
    const body = await boundedText(response, timeoutMs);
    return origin.document === '/admin/streamlist.txt' ? mountsOfStreamList(body) : mountsOfStatusJson(body);
  } finally {
    clearTimeout(timer);
    stop.removeEventListener('abort', abort);
  }
}

async function boundedText(response: Response, timeoutMs: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  const reader = response.body?.getReader();
  if (!reader) return '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > MAX_LIST_BYTES) {
        await reader.cancel();
        throw new Error(`the list is over ${MAX_LIST_BYTES} bytes`);
      }
      chunks.push(value);
    }
  } catch (err) {
    throw new Error(reasonOf(err, timeoutMs));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** "connect ECONNREFUSED", "no answer in 2000 ms": what went wrong, in a few words. */
function reasonOf(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer in ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return `${cause.code}`;
  return err instanceof Error ? err.message : String(err);
}
