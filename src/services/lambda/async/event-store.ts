// The durable half of the async invoke queue: events as rows, written through the group-commit journal (one
// transaction and one fsync per turn of the event loop, on the journal's writer thread).
//
// An Event invocation is acknowledged (202) only after the commit carrying its row is on disk. Progress (attempt
// counts) is only queued: it rides along with the next commit. Deletion after the outcome is delivered is lazy: it
// joins the next commit something else calls for, or one within 100 ms. Losing either to a crash only makes an event
// run again, which AWS's at-least-once contract allows.
import { Journal } from '../../../store/journal.js';
import type { Store } from '../../../store/store.js';

export const ASYNC_MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE async_events (
      id TEXT PRIMARY KEY,
      region TEXT NOT NULL,
      function_name TEXT NOT NULL,
      qualifier TEXT,
      payload BLOB NOT NULL,
      enqueued_at INTEGER NOT NULL,
      invoke_count INTEGER NOT NULL DEFAULT 0,
      retries_used INTEGER NOT NULL DEFAULT 0,
      next_at INTEGER NOT NULL,
      seq INTEGER NOT NULL
    )`,
  },
  {
    // Keyed by the arrival sequence: inserts append to one page and deletes (mostly in arrival order) follow them,
    // where a random request-id key touched a page of its index per event in every commit.
    version: 2,
    up: `CREATE TABLE async_events_by_seq (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL,
      region TEXT NOT NULL,
      function_name TEXT NOT NULL,
      qualifier TEXT,
      payload BLOB NOT NULL,
      enqueued_at INTEGER NOT NULL,
      invoke_count INTEGER NOT NULL DEFAULT 0,
      retries_used INTEGER NOT NULL DEFAULT 0,
      next_at INTEGER NOT NULL
    );
    INSERT INTO async_events_by_seq (seq, id, region, function_name, qualifier, payload, enqueued_at, invoke_count, retries_used, next_at)
      SELECT seq, id, region, function_name, qualifier, payload, enqueued_at, invoke_count, retries_used, next_at FROM async_events;
    DROP TABLE async_events;
    ALTER TABLE async_events_by_seq RENAME TO async_events;`,
  },
];

/** One queued event (the row, plus in-memory bookkeeping that need not survive a restart). */
export interface AsyncEvent {
  id: string;
  region: string;
  functionName: string;
  qualifier: string | undefined;
  payload: Buffer;
  enqueuedAt: number;
  /** Invocations that reached the function (the record's approximateInvokeCount). */
  invokeCount: number;
  /** Function-error retries already used (against MaximumRetryAttempts). */
  retriesUsed: number;
  nextAt: number;
  seq: number;
  /** Throttle/system-error backoffs so far (in memory; restarts reset the backoff). */
  throttles: number;
  /** Set when the function was deleted while the event was pending or running: it is not run or retried again. */
  dropped?: boolean;
}

export class AsyncEventStore {
  private readonly journal: Journal;
  private seq = 0;

  constructor(
    private readonly store: Store,
    onError: (e: unknown) => void,
    /** A shared journal (closed by its owner); without it the store has its own. */
    private readonly shared?: Journal,
  ) {
    this.journal = shared ?? new Journal(store, onError);
  }

  async init(): Promise<AsyncEvent[]> {
    await this.store.migrate('async', ASYNC_MIGRATIONS);
    const rows = await this.store.all<{
      id: string;
      region: string;
      function_name: string;
      qualifier: string | null;
      payload: Buffer;
      enqueued_at: number;
      invoke_count: number;
      retries_used: number;
      next_at: number;
      seq: number;
    }>('SELECT * FROM async_events ORDER BY seq');
    this.seq = rows.reduce((m, r) => Math.max(m, r.seq), 0);
    return rows.map((r) => ({
      id: r.id,
      region: r.region,
      functionName: r.function_name,
      qualifier: r.qualifier ?? undefined,
      payload: r.payload,
      enqueuedAt: r.enqueued_at,
      invokeCount: r.invoke_count,
      retriesUsed: r.retries_used,
      nextAt: r.next_at,
      seq: r.seq,
      throttles: 0,
    }));
  }

  nextSeq(): number {
    return ++this.seq;
  }

  /** Durable: resolves only once the event is on disk. */
  insert(e: AsyncEvent): Promise<void> {
    this.journal.add(
      'INSERT INTO async_events (seq, id, region, function_name, qualifier, payload, enqueued_at, invoke_count, retries_used, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [e.seq, e.id, e.region, e.functionName, e.qualifier ?? null, e.payload, e.enqueuedAt, e.invokeCount, e.retriesUsed, e.nextAt],
    );
    return this.journal.commit();
  }

  /** Queued, not awaited: commits with the next batch (a crash before then only repeats a retry). */
  progress(e: AsyncEvent): void {
    this.journal.add('UPDATE async_events SET invoke_count = ?, retries_used = ?, next_at = ? WHERE seq = ?', [e.invokeCount, e.retriesUsed, e.nextAt, e.seq]);
  }

  /** Lazy, not awaited: the event's outcome was delivered; a crash before the commit only runs it again. */
  remove(e: AsyncEvent): void {
    this.journal.add('DELETE FROM async_events WHERE seq = ?', [e.seq], true);
  }

  /** Commits what is queued (and closes the journal if it is this store's own). */
  async close(): Promise<void> {
    if (this.shared) await this.journal.commit();
    else await this.journal.close();
  }
}
