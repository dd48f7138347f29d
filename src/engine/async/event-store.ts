// The durable half of the async invoke queue: events as rows, written in group commits (one fsync per batch).
//
// An Event invocation is acknowledged (202) only after its row is committed with synchronous=FULL. Progress
// (attempt counts, deletion after the outcome is delivered) is written relaxed: losing it to a crash only makes
// an event run again, which AWS's at-least-once contract allows.
import type { Queryable, SqlValue, Store } from '../../store/store.js';

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
}

type Op = { sql: string; params: SqlValue[] };

/** Batches statements issued in the same turn of the event loop into one transaction. */
class GroupCommit {
  private pending: { ops: Op[]; done: () => void; fail: (e: unknown) => void }[] = [];
  private scheduled = false;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly durable: boolean,
  ) {}

  submit(ops: Op[]): Promise<void> {
    return new Promise((done, fail) => {
      this.pending.push({ ops, done, fail });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.running = this.running.then(() => this.flush());
        });
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      await this.store.tx(
        async (q: Queryable) => {
          for (const b of batch) for (const op of b.ops) await q.run(op.sql, op.params);
        },
        { durable: this.durable },
      );
      for (const b of batch) b.done();
    } catch (e) {
      for (const b of batch) b.fail(e);
    }
  }

  /** Resolves once everything submitted so far is committed. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.scheduled) {
      await new Promise((r) => setImmediate(r));
      await this.running;
    }
    await this.running;
  }
}

export class AsyncEventStore {
  private readonly durableWrites: GroupCommit;
  private readonly relaxedWrites: GroupCommit;
  private seq = 0;

  constructor(private readonly store: Store) {
    this.durableWrites = new GroupCommit(store, true);
    this.relaxedWrites = new GroupCommit(store, false);
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
    return this.durableWrites.submit([
      {
        sql: 'INSERT OR REPLACE INTO async_events (id, region, function_name, qualifier, payload, enqueued_at, invoke_count, retries_used, next_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        params: [e.id, e.region, e.functionName, e.qualifier ?? null, e.payload, e.enqueuedAt, e.invokeCount, e.retriesUsed, e.nextAt, e.seq],
      },
    ]);
  }

  progress(e: AsyncEvent): Promise<void> {
    return this.relaxedWrites.submit([
      { sql: 'UPDATE async_events SET invoke_count = ?, retries_used = ?, next_at = ? WHERE id = ?', params: [e.invokeCount, e.retriesUsed, e.nextAt, e.id] },
    ]);
  }

  remove(id: string): Promise<void> {
    return this.relaxedWrites.submit([{ sql: 'DELETE FROM async_events WHERE id = ?', params: [id] }]);
  }

  async drain(): Promise<void> {
    await this.durableWrites.drain();
    await this.relaxedWrites.drain();
  }
}
