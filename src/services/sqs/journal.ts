// Group commit for queue state: writes from many requests are batched into one durable transaction.
//
// The in-memory queue state is the working copy; every change is also appended here as SQL. A flush commits all
// pending statements in one transaction (one fsync), and only then resolves the promises of the requests whose
// changes it carried, so an acknowledged SendMessage is on disk while thousands of them share each fsync.
import type { SqlValue, Store } from '../../store/store.js';

type Stmt = readonly [sql: string, params: readonly SqlValue[]];

export class Journal {
  private pending: Stmt[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Queues a statement; it commits with the next flush. */
  add(sql: string, params: readonly SqlValue[]): void {
    this.pending.push([sql, params]);
    this.schedule();
  }

  /** Resolves once everything added so far is durable. */
  commit(): Promise<void> {
    if (this.pending.length === 0 && !this.flushing) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    // setImmediate lets every request parsed in this turn of the event loop join the same transaction.
    setImmediate(() => {
      this.scheduled = false;
      void this.loop();
    });
  }

  private async loop(): Promise<void> {
    if (this.flushing) return;
    while (this.pending.length > 0 || this.waiters.length > 0) {
      const batch = this.pending;
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      this.flushing = this.write(batch);
      try {
        await this.flushing;
        for (const w of waiters) w.resolve();
      } catch (e) {
        this.onError(e);
        for (const w of waiters) w.reject(e);
      } finally {
        this.flushing = undefined;
      }
    }
  }

  private async write(batch: Stmt[]): Promise<void> {
    if (batch.length === 0) return;
    await this.store.tx(async (q) => {
      for (const [sql, params] of batch) await q.run(sql, params);
    });
  }

  /** Flushes what is pending and refuses further scheduling. */
  async close(): Promise<void> {
    await this.commit();
    this.closed = true;
  }
}
