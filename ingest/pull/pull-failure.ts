// Why one upstream connection of a pull relay failed or ended: the `reason`
// label of relaycast_pull_failures_total, and the one-line detail logged
// with code UPSTREAM_FAILED. The set of reasons is fixed so every series
// exists at zero from the moment a relay is configured.

export const PULL_FAILURE_REASONS = [
  /** TCP connect refused, unreachable, or reset before an answer. */
  'connect',
  /** No complete response head within the connect timeout. */
  'timeout',
  /** A 4xx/5xx (or any non-200 that is not a redirect). */
  'status',
  /** Too many redirects, or one without a usable http:// Location. */
  'redirect',
  /** 200, but not audio (an HTML page, JSON). */
  'not_audio',
  /** Not HTTP or ICY, a broken chunked body, a bad icy-metaint. */
  'bad_response',
  /** Connected, then no byte for --source-timeout-ms. */
  'stall',
  /** Connected, then the upstream closed the stream. */
  'ended',
  /** The mount refused the relay's stream (a push source holds it; a content type it does not allow). */
  'busy',
] as const;

export type PullFailureReason = (typeof PULL_FAILURE_REASONS)[number];

export class PullFailure extends Error {
  readonly reason: PullFailureReason;

  constructor(reason: PullFailureReason, detail: string) {
    super(detail);
    this.name = 'PullFailure';
    this.reason = reason;
  }
}
