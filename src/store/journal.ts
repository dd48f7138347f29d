// Group commit: writes from many requests are batched into one durable transaction (SQS queue state, async events).
//
// The in-memory state is the working copy; every change is also appended here as SQL. A flush commits all
// pending statements in one transaction (one fsync), and only then resolves the promises of the requests whose
// changes it carried, so an acknowledged SendMessage is on disk while many of them share each fsync. With SQLite
// the commit runs on a writer thread (its own connection to the same WAL database) so the main thread keeps
// parsing requests during the fsync; otherwise (or if that thread fails) it goes through the Store.
import { Worker } from 'node:worker_threads';
import type { SqlValue, Store } from './store.js';

type Stmt = [sql: string, params: SqlValue[]];

/** An exact-size copy of the bytes whose buffer can be transferred (its ArrayBuffer is added to `transfer`). */
function own(p: Uint8Array, transfer: ArrayBuffer[]): Uint8Array {
  const copy = new Uint8Array(p.byteLength);
  copy.set(p);
  transfer.push(copy.buffer);
  return copy;
}

class WriterThread {
  private readonly worker: Worker;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  broken = false;

  constructor(dbPath: string, onExit: () => void) {
    this.worker = new Worker(new URL('./journal-worker.js', import.meta.url), { workerData: { path: dbPath } });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; error?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      // Idle, the thread must not keep the process alive; with a commit outstanding it must.
      if (this.pending.size === 0) this.worker.unref();
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve();
    });
    const fail = (e: unknown): void => {
      this.broken = true;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      onExit();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('the journal writer thread exited')));
  }

  write(batch: Stmt[]): Promise<void> {
    const id = ++this.seq;
    // Posting a Buffer clones its whole backing ArrayBuffer, and a small Buffer shares Node's 8 KB pool (a request
    // body, a slice of a bigger read): each becomes an exact-size copy that is moved, not cloned, to the thread.
    const transfer: ArrayBuffer[] = [];
    const posted = batch.map(([sql, params]): [string, unknown[]] => [sql, params.some((p) => p instanceof Uint8Array) ? params.map((p) => (p instanceof Uint8Array ? own(p, transfer) : p)) : params]);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, batch: posted }, transfer);
    });
  }

  async close(): Promise<void> {
    if (this.broken) return;
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    this.worker.ref();
    this.worker.postMessage('close');
    await exited;
  }
}

/** How long a lazy statement may wait for a commit that something urgent triggers (ms). */
const LAZY_MS = 100;

export class Journal {
  private pending: Stmt[] = [];
  /** Something added wants its commit now (a plain add, or a waiter); lazy statements only ride along. */
  private urgent = false;
  private lazyTimer: NodeJS.Timeout | undefined;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;
  private writer: WriterThread | undefined;

  constructor(
    private readonly store: Store,
    private readonly onError: (e: unknown) => void,
    /** The SQLite database file, for the writer thread; without it commits run on the main thread. */
    dbPath?: string,
  ) {
    if (dbPath && store.kind === 'sqlite') this.writer = new WriterThread(dbPath, () => undefined);
  }

  /**
   * Queues a statement; it commits with the next flush. A `lazy` one (bookkeeping whose loss to a crash only repeats
   * work, such as deleting a finished async event) does not call for a flush of its own: it joins the next commit,
   * or at the latest one LAZY_MS later, so that a stream of them costs a commit per LAZY_MS, not one each.
   */
  add(sql: string, params: SqlValue[], lazy = false): void {
    this.pending.push([sql, params]);
    if (!lazy) {
      this.urgent = true;
      this.schedule();
    } else if (!this.lazyTimer && !this.closed) {
      this.lazyTimer = setTimeout(() => {
        this.lazyTimer = undefined;
        this.urgent = true;
        this.schedule();
      }, LAZY_MS);
      this.lazyTimer.unref();
    }
  }

  /** Resolves once everything added so far is durable. */
  commit(): Promise<void> {
    if (this.pending.length === 0 && !this.flushing) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.urgent = true;
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
    while (this.urgent || this.waiters.length > 0) {
      const batch = this.pending;
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      this.urgent = false;
      if (this.lazyTimer) clearTimeout(this.lazyTimer);
      this.lazyTimer = undefined;
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
    if (this.writer && !this.writer.broken) {
      try {
        await this.writer.write(batch);
        return;
      } catch (e) {
        // A dead writer thread loses nothing: its batch is committed on the main thread instead.
        if (!this.writer.broken) throw e;
        this.onError(e);
      }
    }
    await this.store.tx(async (q) => {
      for (const [sql, params] of batch) await q.run(sql, params);
    });
  }

  /** Flushes what is pending, stops the writer thread and refuses further scheduling. */
  async close(): Promise<void> {
    await this.commit();
    this.closed = true;
    await this.writer?.close();
  }
}
