// /.well-known/acme-challenge/<token> from --acme-webroot, so `certbot
// certonly --webroot -w DIR` can prove the name while relaycast runs on the
// plain port. Only token-shaped names (RFC 8555: base64url, no dots or
// slashes) are looked up, so no request can leave DIR/.well-known/acme-challenge/;
// the final path component is opened without following symlinks, and only a
// small regular file is served.

import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiAnswer } from '../api/routes.js';
import { RelayError } from '../errors.js';

export const ACME_PREFIX = '/.well-known/acme-challenge/';
/** A key authorization is ~90 bytes; anything much larger is not one. */
const MAX_CHALLENGE_BYTES = 4096;
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

/** The challenge file's bytes as text/plain; ACME_TOKEN_NOT_FOUND for anything else. */
export async function acmeChallengeAnswer(webroot: string | undefined, path: string): Promise<ApiAnswer> {
  const token = path.slice(ACME_PREFIX.length);
  if (webroot === undefined) throw new RelayError('ACME_TOKEN_NOT_FOUND', 'no --acme-webroot');
  if (!TOKEN.test(token)) throw new RelayError('ACME_TOKEN_NOT_FOUND', 'not a token');
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(join(webroot, '.well-known', 'acme-challenge', token), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    throw new RelayError('ACME_TOKEN_NOT_FOUND', token);
  }
  try {
    const info = await file.stat();
    if (!info.isFile() || info.size > MAX_CHALLENGE_BYTES) throw new RelayError('ACME_TOKEN_NOT_FOUND', token);
    const body = (await file.readFile()).toString('utf8');
    return { status: 200, headers: [['Content-Type', 'text/plain']], body };
  } finally {
    await file.close();
  }
}
