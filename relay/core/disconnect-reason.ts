// Why a listener's session ended: the label of every disconnect log line and
// of relaycast_listener_disconnects_total. A leaf, so the metrics registry can
// list the reasons without importing the listener.

export type DisconnectReason = 'client' | 'slow' | 'source_gone' | 'limit' | 'shutdown' | 'admin';
export const DISCONNECT_REASONS: readonly DisconnectReason[] = ['client', 'slow', 'source_gone', 'limit', 'shutdown', 'admin'];
