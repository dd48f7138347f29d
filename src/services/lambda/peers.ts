// Cache invalidation between the nodes of a cluster: a notification carries its sender's id, so that a node skips
// its own (its cache already holds what it wrote, and a re-read racing its next write could put older rows back).
import { hex } from '../../lib/ids.js';
import type { Notifier } from '../../store/notifier.js';

/** This process (one node). */
const SELF = hex(8);

/** Tells the other nodes that rows behind `channel` changed (after the commit). */
export function announce(n: Notifier | undefined, channel: string, payload = ''): void {
  n?.notify(channel, `${SELF}|${payload}`);
}

/** Listens for other nodes' announcements; returns the function that stops listening. */
export function onPeers(n: Notifier | undefined, channel: string, fn: (payload: string) => void): (() => void) | undefined {
  return n?.listen(channel, (p) => {
    const bar = p.indexOf('|');
    if (bar < 0 || p.slice(0, bar) === SELF) return;
    fn(p.slice(bar + 1));
  });
}

/** Re-reads a whole (small) table whenever another node announces a change to it; a failed re-read is reported. */
export function reloadOnPeers(n: Notifier | undefined, channel: string, reload: () => Promise<void>, onError: (e: unknown) => void): (() => void) | undefined {
  return onPeers(n, channel, () => {
    reload().catch(onError);
  });
}
