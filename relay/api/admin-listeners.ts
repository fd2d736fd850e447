// Per-listener detail for operators, which metrics deliberately lack (no
// per-connection labels): /admin/listeners lists each listener of a mount
// (or of all mounts) as JSON; /admin/killclient ends one, counted as a
// disconnect with reason `admin`. Only user "admin" may call them: the
// caller checks the role before coming here.

import { RelayError } from '../errors.js';
import type { Listener } from '../core/listener.js';
import type { MountRegistry } from '../core/mounts.js';

export interface ListenerDetail {
  id: number;
  mount: string;
  address: string;
  userAgent: string;
  transport: 'uws' | 'socket';
  connectedSeconds: number;
  sentBytes: number;
  /** Bytes between this listener's cursor and live. */
  lagBytes: number;
  /** The socket refused bytes and the relay waits for it to drain. */
  waitingOnSocket: boolean;
}

export function listenerDetails(registry: MountRegistry, mountName: string | undefined, nowMs = performance.now()): ListenerDetail[] {
  const mounts = mountName === undefined ? [...registry.mounts.values()] : [registry.get(mountName)];
  if (mounts[0] === undefined && mountName !== undefined) throw new RelayError('MOUNT_NOT_FOUND', mountName);
  const out: ListenerDetail[] = [];
  for (const mount of mounts) {
    if (!mount) continue;
    for (const l of mount.listeners) out.push(detailOf(l, nowMs));
  }
  return out;
}

function detailOf(l: Listener, nowMs: number): ListenerDetail {
  return {
    id: l.id,
    mount: l.mount.name,
    address: l.meta.remoteAddress,
    userAgent: l.meta.userAgent,
    transport: l.meta.transport,
    connectedSeconds: Math.round(nowMs - l.meta.acceptedAtMs) / 1000,
    sentBytes: l.sentBytes,
    lagBytes: l.mount.ring.head - l.pos,
    waitingOnSocket: l.blocked,
  };
}

/** Ends listener `id` on `mountName` (reason `admin`); refuses when there is no such listener. */
export function killListener(registry: MountRegistry, mountName: string | undefined, idText: string | undefined): Listener {
  if (!mountName) throw new RelayError('MOUNT_NOT_FOUND', 'give ?mount=/name');
  const mount = registry.get(mountName);
  if (!mount) throw new RelayError('MOUNT_NOT_FOUND', mountName);
  // Listener ids are 1*DIGIT: Number() would also read 0x1, 1e0 or ' 1 ' as listener 1.
  if (idText === undefined || !/^\d{1,15}$/.test(idText)) {
    throw new RelayError('LISTENER_NOT_FOUND', `id ${JSON.stringify(String(idText ?? '').slice(0, 20))} is not a listener id`);
  }
  const id = Number(idText);
  for (const listener of mount.listeners) {
    if (listener.id === id) {
      listener.close('admin', true);
      return listener;
    }
  }
  throw new RelayError('LISTENER_NOT_FOUND', `id ${String(idText ?? '').slice(0, 20)} on ${mountName}`);
}
