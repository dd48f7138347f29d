// Execution history: AWS-shaped events with previousEventId threading, and a group-commit writer for Standard runs.
import type { SqlValue, Store } from '../../../store/store.js';

export interface HistoryEvent {
  timestamp: number;
  type: string;
  id: number;
  previousEventId: number;
  [details: string]: unknown;
}

/** A thread of events (the execution, a branch, an iteration): events chain through `previousEventId`. */
export class Thread {
  constructor(
    readonly hist: History,
    public last: number,
    /** Aborts when the thread's branch is stopped (its Map or Parallel failed): it records nothing more. */
    readonly stopped?: AbortSignal,
  ) {}
  add(type: string, detailsKey?: string, details?: Record<string, unknown>, advance = true): HistoryEvent {
    if (this.stopped?.aborted) return { timestamp: 0, type, id: this.last, previousEventId: this.last };
    const e = this.hist.push(type, this.last, detailsKey, details);
    if (advance) this.last = e.id;
    return e;
  }
  /** A branch of this thread; `stop` (with this thread's own) stops it. */
  fork(stop?: AbortSignal): Thread {
    const stopped = stop && this.stopped ? AbortSignal.any([this.stopped, stop]) : (stop ?? this.stopped);
    return new Thread(this.hist, this.last, stopped);
  }
}

export class History {
  readonly events: HistoryEvent[] = [];
  constructor(
    private readonly now: () => number,
    private readonly sink?: (e: HistoryEvent) => void,
  ) {}
  push(type: string, prev: number, detailsKey?: string, details?: Record<string, unknown>): HistoryEvent {
    const e: HistoryEvent = { timestamp: this.now(), type, id: this.events.length + 1, previousEventId: prev };
    if (detailsKey && details) e[detailsKey] = details;
    this.events.push(e);
    this.sink?.(e);
    return e;
  }
}

type Pending = { sql: string; params: SqlValue[]; fence?: string; key?: string };
type Fence = { owner: string; epoch: number };

/** Rows per multi-row event INSERT (5 parameters each stays far below either engine's parameter limit). */
const EVENT_ROWS = 500;

/**
 * Group commit: writes queued by all Standard executions in one tick go to the store's journal as one group (which
 * commits with other callers' groups, one fsync for many), so a transition costs no fsync of its own; `flush()`
 * resolves once everything queued so far is durable. An execution's events of one tick become one multi-row INSERT
 * (one round trip on PostgreSQL, not one per event), and a keyed statement (a checkpoint) replaces the earlier one of
 * its key in the same tick. Events and statements added with a `fence` (an execution ARN) land only while this node
 * still owns that execution at its epoch: when one changes nothing, `onFenced` hears of the ARN.
 */
export class BatchWriter {
  private queue: Pending[] = [];
  private keyed = new Map<string, Pending>();
  private events = new Map<string, { fence: Fence; rows: SqlValue[] }>();
  private waiters: (() => void)[] = [];
  private failers: ((e: unknown) => void)[] = [];
  private scheduled = false;
  private running: Promise<void> = Promise.resolve();
  constructor(
    private readonly store: Store,
    private readonly onFenced?: (arn: string) => void,
  ) {}

  add(sql: string, params: SqlValue[], fence?: string, key?: string): void {
    const prior = key === undefined ? undefined : this.keyed.get(key);
    if (prior) prior.params = params;
    else {
      const p = { sql, params, fence, key };
      this.queue.push(p);
      if (key !== undefined) this.keyed.set(key, p);
    }
    this.schedule();
  }

  /** Queues a history event of `arn`, fenced on its owner and epoch. */
  event(arn: string, id: number, body: string, fence: Fence): void {
    let e = this.events.get(arn);
    if (!e || e.fence.epoch !== fence.epoch) this.events.set(arn, (e = { fence, rows: [] }));
    e.rows.push(id, body);
    this.schedule();
  }

  private eventStatements(): Pending[] {
    // FOR SHARE holds the execution's row until this commit, so a takeover (which updates it) waits for the commit
    // and then reads every event of it; SQLite has one writer, so it needs no lock.
    const lock = this.store.kind === 'postgres' ? ' FOR SHARE OF e' : '';
    const out: Pending[] = [];
    for (const [arn, { fence, rows }] of this.events) {
      for (let i = 0; i < rows.length; i += EVENT_ROWS * 2) {
        const chunk = rows.slice(i, i + EVENT_ROWS * 2);
        const values = Array.from({ length: chunk.length / 2 }, () => '(?, ?)').join(', ');
        out.push({
          sql: `INSERT INTO states_events (exec_arn, id, body) SELECT e.arn, CAST(v.column1 AS BIGINT), v.column2 FROM (VALUES ${values}) AS v, states_executions e
            WHERE e.arn = ? AND e.owner = ? AND e.epoch = ?${lock} ON CONFLICT (exec_arn, id) DO UPDATE SET body = excluded.body`,
          params: [...chunk, arn, fence.owner, fence.epoch],
          fence: arn,
        });
      }
    }
    return out;
  }

  flush(): Promise<void> {
    if (this.queue.length === 0 && this.events.size === 0 && !this.scheduled) return this.running;
    return new Promise((res, rej) => {
      this.waiters.push(res);
      this.failers.push(rej);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      // One batch in flight at a time: what is queued meanwhile goes in the next one, so that a busy execution's
      // events and checkpoints of many ticks become one INSERT and one UPDATE (fewer round trips on PostgreSQL).
      this.running = this.running.then(() => this.commit());
    });
  }

  private async commit(): Promise<void> {
    this.scheduled = false;
    // Row inserts and updates first (a new execution's row), then the events fenced on it.
    const batch = [...this.queue, ...this.eventStatements()];
    const waiters = this.waiters;
    const failers = this.failers;
    this.queue = [];
    this.keyed = new Map();
    this.events = new Map();
    this.waiters = [];
    this.failers = [];
    try {
      if (batch.length) {
        const res = await this.store.journal.write(batch.map((p) => [p.sql, p.params] as const));
        const fenced = new Set<string>();
        batch.forEach((p, i) => {
          if (p.fence && res[i]?.changes === 0) fenced.add(p.fence);
        });
        for (const arn of fenced) this.onFenced?.(arn);
      }
      for (const w of waiters) w();
    } catch (e) {
      for (const f of failers) f(e);
    }
  }
}
