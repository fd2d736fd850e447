// One relay started as a child process for the soak and the scrape-cost
// run: its ports are read from the "relay ready" log line, after which its
// log is read and dropped (these runs watch its metrics, not its log).

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../relay/cli.js', import.meta.url));

export interface RelayChild {
  child: ChildProcess;
  port: number;
  ingestPort: number;
}

/** Starts `relaycast relay` on 127.0.0.1 with ports of its own choosing, plus `extraArgs`. */
export function startRelayChild(sourcePassword: string, extraArgs: readonly string[] = []): Promise<RelayChild> {
  const args = ['relay', '--host', '127.0.0.1', '--port', '0', '--ingest-port', '0', '--source-password', sourcePassword];
  const child = spawn(process.execPath, [CLI, ...args, '--log-format', 'json', ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let text: string | undefined = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (text === undefined) return;
      text += chunk;
      const ready = text.split('\n').find((line) => line.includes('"relay ready"'));
      if (ready) {
        text = undefined;
        const event = JSON.parse(ready) as { port: number; ingestPort: number };
        resolve({ child, port: event.port, ingestPort: event.ingestPort });
      }
    });
    child.on('exit', (code) => reject(new Error(`relay exited with ${code} before it was ready`)));
  });
}
