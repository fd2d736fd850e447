// The drain's HTTP surface: GET /readyz (200 `ready`, or 503 `draining` from
// the first moment of a drain, so a load balancer or Kubernetes stops
// sending players here) and POST /admin/drain (admin only; starts the drain,
// idempotent; `?deadline-ms=N` may bring the deadline nearer). /healthz is
// not here: it answers 200 while the process runs, draining or not.

import { adminRoleOf, limitedRole } from './admin-auth.js';
import type { RelayContext } from './context.js';
import { RelayError } from '../errors.js';
import type { InfoAnswer } from './info-routes.js';

/** Longest deadline a request may ask for: a day, like every *-ms flag. */
const MAX_DEADLINE_MS = 86_400_000;

const TEXT: [string, string] = ['Content-Type', 'text/plain; charset=utf-8'];
const NO_STORE: [string, string] = ['Cache-Control', 'no-store'];

/** A readiness probe's answer: not a refusal (not counted or logged: probes ask every few seconds). */
export function readyAnswer(ctx: RelayContext): InfoAnswer {
  return ctx.cluster.drain.draining
    ? { status: 503, headers: [TEXT, NO_STORE], body: 'draining\n' }
    : { status: 200, headers: [TEXT, NO_STORE], body: 'ready\n' };
}

export interface DrainRequest {
  query: Buffer;
  authorization: string | undefined;
  remote: string;
}

/** POST /admin/drain: starts (or confirms) the drain and says, in one line, what remains. */
export function drainAnswer(ctx: RelayContext, req: DrainRequest): InfoAnswer {
  const role = limitedRole(
    ctx.authLimiter,
    req.remote,
    req.authorization !== undefined,
    () => adminRoleOf(req.authorization, ctx.registry.station),
    'admin',
  );
  if (!role) throw new RelayError('ADMIN_AUTH_REQUIRED');
  const deadlineMs = deadlineOf(new URLSearchParams(req.query.toString('latin1')).get('deadline-ms'));
  const state = ctx.cluster.drain.start({ by: 'admin', remote: req.remote }, deadlineMs);
  const body = `${state.already ? 'already draining' : 'draining'}: ${state.listeners} listeners connected, ended in ${state.deadlineInMs} ms unless they leave first\n`;
  return { status: 200, headers: [TEXT, NO_STORE], body };
}

function deadlineOf(text: string | null): number | undefined {
  if (text === null) return undefined;
  // Digits only: Number() would also read 0x10, 1e3 or ' 5 '.
  if (!/^\d{1,8}$/.test(text) || Number(text) > MAX_DEADLINE_MS) throw new RelayError('BAD_DEADLINE', JSON.stringify(text.slice(0, 20)));
  return Number(text);
}
