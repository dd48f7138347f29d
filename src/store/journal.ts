// Group commit: writes from many requests are batched into one durable transaction (one fsync for many).
//
// A write resolves only after the transaction that carried it committed, so an acknowledged write is on disk, and
// other readers see it only from then on. Each `write` call is a group of statements that commit together (atomic);
// a group that fails is rolled back alone (a savepoint) and rejects only its own caller. With SQLite the commit runs
// on a writer thread (its own connection to the same WAL database) so the main thread keeps parsing requests during
// the fsync; otherwise (PostgreSQL, or if that thread fails) it goes through the Store's transactions.
import { Worker } from 'node:worker_threads';
import type { Queryable, SqlValue, Store } from './store.js';

export type Stmt = readonly [sql: string, params: readonly SqlValue[]];
/** One statement's outcome: rows changed, and the rows a SELECT or a RETURNING clause produced. */
export interface WriteResult {
  changes: number;
  rows: Record<string, unknown>[];
}
type GroupResult = { out: { changes: number; rows?: Record<string, unknown>[] }[] } | { error: string };

/** An exact-size copy of the bytes whose buffer can be transferred (its ArrayBuffer is added to `transfer`). */
function own(p: Uint8Array, transfer: ArrayBuffer[]): Uint8Array {
  const copy = new Uint8Array(p.byteLength);
  copy.set(p);
  transfer.push(copy.buffer);
  return copy;
}

/** Blobs come back from the thread as plain Uint8Arrays; callers expect Buffers, as the Store gives them. */
function buffersBack(r: GroupResult): GroupResult {
  if ('error' in r) return r;
  for (const o of r.out) {
    for (const row of o.rows ?? []) {
      for (const k of Object.keys(row)) {
        const v = row[k];
        if (v instanceof Uint8Array && !Buffer.isBuffer(v)) row[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      }
    }
  }
  return r;
}

class WriterThread {
  private readonly worker: Worker;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (r: GroupResult[]) => void; reject: (e: unknown) => void }>();
  broken = false;

  constructor(dbPath: string) {
    this.worker = new Worker(new URL('./journal-worker.js', import.meta.url), { workerData: { path: dbPath } });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; error?: string; results?: GroupResult[] }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      // Idle, the thread must not keep the process alive; with a commit outstanding it must.
      if (this.pending.size === 0) this.worker.unref();
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve((m.results ?? []).map(buffersBack));
    });
    const fail = (e: unknown): void => {
      this.broken = true;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('the journal writer thread exited')));
  }

  write(groups: Stmt[][]): Promise<GroupResult[]> {
    const id = ++this.seq;
    // Posting a Buffer clones its whole backing ArrayBuffer, and a small Buffer shares Node's 8 KB pool (a request
    // body, a slice of a bigger read): each becomes an exact-size copy that is moved, not cloned, to the thread.
    const transfer: ArrayBuffer[] = [];
    const posted = groups.map((g) => g.map(([sql, params]): [string, unknown[]] => [sql, params.some((p) => p instanceof Uint8Array) ? params.map((p) => (p instanceof Uint8Array ? own(p, transfer) : p)) : [...params]]));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, groups: posted }, transfer);
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

/** Runs statement groups in one transaction of the Store, each group in a savepoint. */
async function writeThroughStore(store: Store, groups: Stmt[][]): Promise<GroupResult[]> {
  return store.tx(async (q: Queryable) => {
    const results: GroupResult[] = [];
    for (const g of groups) {
      const sp = groups.length > 1;
      if (sp) await q.run('SAVEPOINT g');
      try {
        const out: { changes: number; rows?: Record<string, unknown>[] }[] = [];
        for (const [sql, params] of g) {
          if (READS.test(sql)) {
            const rows = await q.all<Record<string, unknown>>(sql, params);
            out.push({ changes: rows.length, rows });
          } else out.push(await q.run(sql, params));
        }
        if (sp) await q.run('RELEASE SAVEPOINT g');
        results.push({ out });
      } catch (e) {
        if (!sp) throw e;
        await q.run('ROLLBACK TO SAVEPOINT g');
        await q.run('RELEASE SAVEPOINT g');
        results.push({ error: e instanceof Error ? e.message : String(e) });
      }
    }
    return results;
  });
}

/** Statements that produce rows: a SELECT, or a write with RETURNING. */
const READS = /^\s*(SELECT|WITH)\b|\bRETURNING\b/i;

/** How long a lazy statement may wait for a commit that something urgent triggers (ms). */
const LAZY_MS = 100;

interface Pending {
  group: Stmt[];
  resolve: (r: WriteResult[]) => void;
  reject: (e: unknown) => void;
}

export class Journal {
  /** Statements added with add(): one group per flush, their failure reported to onError and commit() waiters. */
  private loose: Stmt[] = [];
  private groups: Pending[] = [];
  /** Something added wants its commit now; lazy statements only ride along. */
  private urgent = false;
  private lazyTimer: NodeJS.Timeout | undefined;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** Settles when every flush started so far has finished. */
  private flushing: Promise<void> | undefined;
  private inFlight = 0;
  /** Flushes in flight at once: one on SQLite (one writer), several on PostgreSQL (a connection each). */
  private readonly maxInFlight: number;
  private scheduled = false;
  private closed = false;
  private writer: WriterThread | undefined;

  constructor(
    private readonly store: Store,
    private readonly onError: (e: unknown) => void,
    /** The SQLite database file, for the writer thread; without it commits run through the Store. */
    dbPath?: string,
    opts: { maxInFlight?: number; direct?: boolean } = {},
  ) {
    if (dbPath && store.kind === 'sqlite') this.writer = new WriterThread(dbPath);
    this.maxInFlight = opts.maxInFlight ?? 1;
    this.direct = opts.direct ?? false;
  }
  private readonly direct: boolean;
  private directInFlight = 0;
  private readonly directIdle: (() => void)[] = [];

  /**
   * Commits a group of statements atomically with the next group commit; resolves with each statement's result once
   * durable. A `lazy` write (bookkeeping whose loss to a crash only repeats work) waits up to LAZY_MS for a commit
   * that something else calls for.
   */
  write(group: readonly Stmt[], lazy = false): Promise<WriteResult[]> {
    if (this.closed) return Promise.reject(new Error('the journal is closed'));
    if (this.direct) return this.writeDirect(group);
    return new Promise((resolve, reject) => {
      this.groups.push({ group: [...group], resolve, reject });
      this.arm(lazy);
    });
  }

  /** Queues a statement; it commits with the next flush (see write() for `lazy`). */
  add(sql: string, params: SqlValue[], lazy = false): void {
    this.loose.push([sql, params]);
    this.arm(lazy);
  }

  private arm(lazy: boolean): void {
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
    if (this.loose.length === 0 && this.groups.length === 0 && !this.flushing) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.urgent = true;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate lets every request parsed in this turn of the event loop join the same transaction.
    setImmediate(() => {
      this.scheduled = false;
      void this.loop();
    });
  }

  private async loop(): Promise<void> {
    while ((this.urgent || this.waiters.length > 0) && this.inFlight < this.maxInFlight) {
      const loose = this.loose;
      const groups = this.groups;
      const waiters = this.waiters;
      this.loose = [];
      this.groups = [];
      this.waiters = [];
      this.urgent = false;
      if (this.lazyTimer) clearTimeout(this.lazyTimer);
      this.lazyTimer = undefined;
      const all = loose.length > 0 ? [loose, ...groups.map((g) => g.group)] : groups.map((g) => g.group);
      // commit() promises "everything added so far": with flushes in parallel (PostgreSQL), a flush's waiters are
      // resolved only once every earlier flush has finished too.
      const before = this.flushing ?? Promise.resolve();
      let done!: () => void;
      const mine = new Promise<void>((r) => (done = r));
      const settled = Promise.all([before, mine]).then(() => undefined);
      this.flushing = settled;
      this.inFlight++;
      void (async () => {
        let failure: { e: unknown } | undefined;
        try {
          const results = all.length > 0 ? await this.send(all) : [];
          const offset = loose.length > 0 ? 1 : 0;
          const looseResult = offset ? results[0] : undefined;
          // The loose statements failing (rolled back alone) fails commit() waiters; the groups that committed
          // beside them are still answered by their own results, never refused after being made durable.
          if (looseResult && 'error' in looseResult) {
            failure = { e: new Error(looseResult.error) };
            this.onError(failure.e);
          }
          groups.forEach((g, i) => {
            const r = results[i + offset];
            if (!r) g.reject(new Error('the journal lost a write'));
            else if ('error' in r) g.reject(new Error(r.error));
            else g.resolve(r.out.map((o) => ({ changes: o.changes, rows: o.rows ?? [] })));
          });
        } catch (e) {
          failure = { e };
          this.onError(e);
          for (const g of groups) g.reject(e);
        } finally {
          this.inFlight--;
          done();
        }
        await before;
        for (const w of waiters) {
          if (failure) w.reject(failure.e);
          else w.resolve();
        }
        if (this.flushing === settled) this.flushing = undefined;
        if (this.urgent || this.waiters.length > 0) this.schedule();
      })();
    }
  }

  /**
   * PostgreSQL: a group is its own transaction on a pooled connection (one statement: one round trip, autocommit),
   * so groups commit in parallel and the server groups their WAL flushes; batching them into one transaction would
   * cost a savepoint's two extra round trips per group.
   */
  private async writeDirect(group: readonly Stmt[]): Promise<WriteResult[]> {
    const one = async (q: Queryable, [sql, params]: Stmt): Promise<WriteResult> => {
      if (READS.test(sql)) {
        const rows = await q.all<Record<string, unknown>>(sql, params);
        return { changes: rows.length, rows };
      }
      return { changes: (await q.run(sql, params)).changes, rows: [] };
    };
    this.directInFlight++;
    try {
      if (group.length === 1) return [await one(this.store, group[0]!)];
      return await this.store.tx(async (q) => {
        const out: WriteResult[] = [];
        for (const st of group) out.push(await one(q, st));
        return out;
      });
    } finally {
      if (--this.directInFlight === 0) for (const w of this.directIdle.splice(0)) w();
    }
  }

  private async send(groups: Stmt[][]): Promise<GroupResult[]> {
    if (this.writer && !this.writer.broken) {
      try {
        return await this.writer.write(groups);
      } catch (e) {
        // A dead writer thread loses nothing: its batch is committed through the Store instead.
        if (!this.writer.broken) throw e;
        this.onError(e);
      }
    }
    return writeThroughStore(this.store, groups);
  }

  /** Flushes what is pending, stops the writer thread and refuses further writes. */
  async close(): Promise<void> {
    await this.commit();
    while (this.flushing) await this.flushing;
    if (this.directInFlight > 0) await new Promise<void>((r) => this.directIdle.push(r));
    this.closed = true;
    await this.writer?.close();
  }
}
