// Which address a listener is shown and logged with. The socket's peer,
// unless --trust-proxy says a proxy of the operator's own sits in front:
// then the address the proxy passed on (PROXY protocol, or the last
// X-Forwarded-For entry, which is the one that proxy appended; entries
// before it are whatever the client claimed). Without --trust-proxy these
// headers are ignored, since any client can send them.

export interface AddressHints {
  /** The TCP peer. */
  socketAddress: string;
  /** The X-Forwarded-For header, if any. */
  forwardedFor?: string;
  /** The source address a PROXY protocol header carried, if any ('' when none). */
  proxied?: string;
}

export function clientAddress(hints: AddressHints, trustProxy: boolean): string {
  if (!trustProxy) return hints.socketAddress;
  if (hints.proxied) return hints.proxied;
  const last = hints.forwardedFor?.split(',').pop()?.trim();
  // Only something that looks like an address: the value is echoed in JSON and logs.
  if (last && /^[0-9A-Fa-f.:[\]]{2,64}$/.test(last)) return last;
  return hints.socketAddress;
}
