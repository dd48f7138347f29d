// The durable half of the async invoke queue: events as claimed work items (store/work.ts), one queue per function
// (`async:<region>/<name>`), so that any node of a cluster can take over the events of a node that died.
//
// The node that accepts an Event invocation adds it already claimed by itself (no claim round trip) and runs it;
// the 202 is sent once the commit carrying it is durable. Progress (attempt counts, the next retry time) is written
// to the item the node keeps claimed, so that a node taking over a lapsed claim resumes the retry schedule. Completion
// is lazy: a crash before it commits only runs the event again, which AWS's at-least-once contract allows.
import type { Store } from '../../../store/store.js';
import type { WorkItem, WorkQueues } from '../../../store/work.js';
import type { InvocationSource } from '../recursion.js';

/** The table of selfless before events became work items; its rows move to the work queues at start. */
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

export const QUEUE_PREFIX = 'async:';

/** One queued event (the item, plus in-memory bookkeeping that need not survive a restart). */
export interface AsyncEvent {
  /** The request id (the function sees it; retries keep it). */
  id: string;
  /** The work item's id in its queue (arrival order). */
  workId: string;
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
  /** Throttle/system-error backoffs so far. */
  throttles: number;
  /** Set when the function was deleted while the event was pending or running: it is not run or retried again. */
  dropped?: boolean;
  /** The X-Ray trace header of the request that queued it, and what that was (recursive loop detection). */
  trace?: EventTrace;
}

export interface EventTrace {
  header?: string;
  source: InvocationSource;
}

export const queueOf = (region: string, functionName: string): string => `${QUEUE_PREFIX}${region}/${functionName}`;

interface Header {
  id: string;
  r: string;
  f: string;
  q?: string;
  t: number;
  ic: number;
  ru: number;
  th: number;
  /** The trace header and its source (absent in events queued before recursive loop detection). */
  x?: string;
  s?: InvocationSource;
}

/** The item's payload: one JSON line of metadata, then the event's bytes as they came. */
function encode(e: AsyncEvent): Buffer {
  const h: Header = { id: e.id, r: e.region, f: e.functionName, t: e.enqueuedAt, ic: e.invokeCount, ru: e.retriesUsed, th: e.throttles, ...(e.qualifier !== undefined ? { q: e.qualifier } : {}), ...(e.trace?.header !== undefined ? { x: e.trace.header } : {}), ...(e.trace ? { s: e.trace.source } : {}) };
  return Buffer.concat([Buffer.from(`${JSON.stringify(h)}\n`), e.payload]);
}

function decode(it: WorkItem): AsyncEvent {
  const nl = it.payload.indexOf(10);
  const h = JSON.parse(it.payload.subarray(0, nl).toString('utf8')) as Header;
  return {
    id: h.id,
    workId: it.id,
    region: h.r,
    functionName: h.f,
    qualifier: h.q,
    payload: it.payload.subarray(nl + 1),
    enqueuedAt: h.t,
    invokeCount: h.ic,
    retriesUsed: h.ru,
    throttles: h.th,
    nextAt: it.availableAt,
    ...(h.s !== undefined ? { trace: { source: h.s, ...(h.x !== undefined ? { header: h.x } : {}) } } : {}),
  };
}

export class AsyncEventStore {
  private seq = 0;
  /** Lazy completions not yet committed (close() waits for them). */
  private readonly pendingWrites = new Set<Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly work: WorkQueues,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Moves events of the old table into the work queues (once, after an upgrade). */
  async init(): Promise<void> {
    await this.work.init();
    await this.store.migrate('async', ASYNC_MIGRATIONS);
    const rows = await this.store.all<{ id: string; region: string; function_name: string; qualifier: string | null; payload: Buffer; enqueued_at: number; invoke_count: number; retries_used: number; next_at: number; seq: number }>(
      'SELECT * FROM async_events ORDER BY seq',
    );
    if (rows.length === 0) return;
    await this.store.tx(async (q) => {
      for (const r of rows) {
        const e: AsyncEvent = {
          id: r.id, workId: '', region: r.region, functionName: r.function_name, qualifier: r.qualifier ?? undefined, payload: r.payload,
          enqueuedAt: r.enqueued_at, invokeCount: r.invoke_count, retriesUsed: r.retries_used, nextAt: r.next_at, throttles: 0,
        };
        await this.work.put(q, queueOf(e.region, e.functionName), [{ id: this.nextId(r.enqueued_at), payload: encode(e), availableAt: r.next_at }]);
      }
      await q.run('DELETE FROM async_events');
    });
  }

  /** An id that sorts in arrival order within a queue, unique across nodes (the owner's id ends it). */
  nextId(now: number): string {
    return `${now.toString(36).padStart(9, '0')}${(++this.seq % 0x10000000).toString(16).padStart(7, '0')}${this.work.owner}`;
  }

  /** Durable: resolves only once the event is committed (claimed by this node). */
  insert(e: AsyncEvent): Promise<void> {
    return this.work.addClaimed(queueOf(e.region, e.functionName), [{ id: e.workId, payload: encode(e), availableAt: e.nextAt }]);
  }

  /** Claims up to `limit` due events of a function's queue (free, or lapsed claims of a node that died). */
  async claim(queue: string, limit: number): Promise<AsyncEvent[]> {
    return (await this.work.claim(queue, limit)).map(decode);
  }

  /** When the next item of a queue falls due (a claimed one: when its claim lapses). */
  nextAt(queue: string): Promise<number | undefined> {
    return this.work.nextAt(queue);
  }

  queues(): Promise<string[]> {
    return this.work.queues(QUEUE_PREFIX);
  }

  /** Queued, not awaited: commits with the next batch (a crash before then only repeats a retry). */
  progress(e: AsyncEvent): void {
    this.track(this.work.update(queueOf(e.region, e.functionName), e.workId, { availableAt: e.nextAt, payload: encode(e) }, true));
  }

  /** Lazy, not awaited: the event's outcome was delivered; a crash before the commit only runs it again. */
  remove(e: AsyncEvent): void {
    this.track(this.work.complete(queueOf(e.region, e.functionName), e.workId, true));
  }

  /** The function was deleted: its events go, whoever holds them. */
  removeQueue(region: string, functionName: string): void {
    this.track(this.work.remove(queueOf(region, functionName)));
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch((e: unknown) => this.onError(e));
    this.pendingWrites.add(q);
    void q.finally(() => this.pendingWrites.delete(q));
  }

  /** Commits the queued writes now (lazy ones would otherwise wait for their timer). */
  async close(): Promise<void> {
    if (this.pendingWrites.size === 0) return;
    await this.store.journal.commit();
    await Promise.all([...this.pendingWrites]);
  }
}
