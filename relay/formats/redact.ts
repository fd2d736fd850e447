// The one place secrets are taken out of text before it is logged or sent:
// a `pass=`/`password=` query value, an Authorization value (Basic or any
// other scheme), and the password in a URL's user:password@. The logger
// (relay/log.ts) runs every string field of every line through it, and every
// RelayError detail (so every refusal body and its log line) goes through it
// too. Imports nothing, so the error catalog and the logger can both use it.

const MASK = '***';

// `pass=x`, `password=x`, `pwd=x` in a query or form, up to the next separator. No word
// boundary is asked for: `xpass=` is masked too, since over-masking costs nothing.
const QUERY_SECRET = /()((?:pass|password|passwd|pwd)=)[^&;\s"']*/gi;
// `Authorization: Basic abc` or `authorization=...`: the scheme and its credentials.
const AUTH_VALUE = /((?:proxy-)?authorization["']?\s*[:=]\s*["']?)[^\s"',}]+(?:\s+[^\s"',}]+)?/gi;
// Any `Basic <token>` left over (a value seen without its header name).
const BASIC_TOKEN = /\b(Basic\s+)[A-Za-z0-9+/=_-]{4,}/gi;
// scheme://user:password@host
const URL_PASSWORD = /(\/\/[^/\s:@]*:)[^/\s@]*@/g;

/** `text` with every secret it may hold replaced by ***. */
export function redactSecrets(text: string): string {
  if (!/pass|pwd|auth|basic|@/i.test(text)) return text;
  return text
    .replace(QUERY_SECRET, `$1$2${MASK}`)
    .replace(AUTH_VALUE, `$1${MASK}`)
    .replace(BASIC_TOKEN, `$1${MASK}`)
    .replace(URL_PASSWORD, `$1${MASK}@`);
}
