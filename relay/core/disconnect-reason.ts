// Why a listener's session ended: the label of every disconnect log line and
// of relaycast_listener_disconnects_total. A leaf, so the metrics registry can
// list the reasons without importing the listener.

// `drain`: ended cleanly when a drain's deadline passed (relay/cluster/drain.ts).
export type DisconnectReason = 'client' | 'slow' | 'source_gone' | 'limit' | 'shutdown' | 'admin' | 'drain';
export const DISCONNECT_REASONS: readonly DisconnectReason[] = ['client', 'slow', 'source_gone', 'limit', 'shutdown', 'admin', 'drain'];
