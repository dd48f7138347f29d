// CloudWatch Logs' retention: the events of a log group with a retention policy (PutRetentionPolicy's retentionInDays)
// older than that are deleted, in batches, once an hour. A group without a policy keeps its events, as AWS's
// default ("never expire") does.
import type { Clock } from '../../lib/clock.js';
import type { Journal } from '../../store/journal.js';
import type { Store } from '../../store/store.js';
import { every } from '../../lib/periodic.js';

const SWEEP_MS = 3_600_000;
const BATCH = 5000;

/** Deletes the events past their group's retention; returns how many. */
export async function pruneLogEvents(store: Store, journal: Journal, now: number): Promise<number> {
  let total = 0;
  const groups = await store.all<{ region: string; grp: string; retention: number }>('SELECT region, grp, retention FROM logs_groups WHERE retention IS NOT NULL AND retention > 0');
  for (const g of groups) {
    const before = now - g.retention * 86_400_000;
    for (;;) {
      const [r] = await journal.write([['DELETE FROM logs_events WHERE id IN (SELECT id FROM logs_events WHERE region = ? AND grp = ? AND ts < ? LIMIT ?)', [g.region, g.grp, before, BATCH]]], true);
      const n = r?.changes ?? 0;
      total += n;
      if (n < BATCH) break;
    }
  }
  return total;
}

/** Sweeps a minute after start, then every hour; returns the stop function. */
export function startLogRetention(store: Store, journal: Journal, clock: Clock, log: (m: string) => void): () => void {
  const why = (e: unknown): void => log(`selfless: logs: retention sweep failed: ${e instanceof Error ? e.message : String(e)}`);
  return every(clock, 60_000, SWEEP_MS, () => pruneLogEvents(store, journal, clock.now()), why);
}
