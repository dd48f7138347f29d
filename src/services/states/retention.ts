// Step Functions' retention: a Standard execution that closed more than 90 days ago (AWS keeps closed executions and
// their history for 90 days) is deleted with its history, timers and task tokens, in small batches once an hour.
import type { Clock } from '../../lib/clock.js';
import type { Journal } from '../../store/journal.js';
import type { Store } from '../../store/store.js';
import { every } from '../../lib/periodic.js';

export const EXECUTION_RETENTION_MS = 90 * 86_400_000;
const SWEEP_MS = 3_600_000;
const BATCH = 200;

/** Deletes the executions that closed before `now - retention`; returns how many. */
export async function pruneExecutions(store: Store, journal: Journal, now: number, retentionMs = EXECUTION_RETENTION_MS): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await store.all<{ arn: string }>("SELECT arn FROM states_executions WHERE status <> 'RUNNING' AND stop IS NOT NULL AND stop < ? LIMIT ?", [now - retentionMs, BATCH]);
    if (rows.length === 0) return total;
    const arns = rows.map((r) => r.arn);
    const marks = arns.map(() => '?').join(', ');
    // One group: an execution goes with its history or not at all. The RUNNING check again, inside the commit.
    await journal.write(
      [
        [`DELETE FROM states_events WHERE exec_arn IN (${marks})`, arns],
        [`DELETE FROM states_timers WHERE exec_arn IN (${marks})`, arns],
        [`DELETE FROM states_tokens WHERE exec_arn IN (${marks})`, arns],
        [`DELETE FROM states_executions WHERE arn IN (${marks}) AND status <> 'RUNNING'`, arns],
      ],
      true,
    );
    total += arns.length;
    if (rows.length < BATCH) return total;
  }
}

/** Sweeps once a minute after start, then every hour; returns the stop function. */
export function startExecutionRetention(store: Store, journal: Journal, clock: Clock, log: (m: string) => void): () => void {
  const why = (e: unknown): void => log(`selfless: states: retention sweep failed: ${e instanceof Error ? e.message : String(e)}`);
  return every(clock, 60_000, SWEEP_MS, () => pruneExecutions(store, journal, clock.now()), why);
}
