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

type Pending = { sql: string; params: SqlValue[]; fence?: string };

/**
 * Group commit: writes queued by all Standard executions in one tick go to the store's journal as one group (which
 * commits with other callers' groups, one fsync for many), so a transition costs no fsync of its own; `flush()`
 * resolves once everything queued so far is durable. A statement added with a `fence` (an execution ARN) is
 * conditional on this node still owning that execution: when it changes nothing, `onFenced` hears of the ARN.
 */
export class BatchWriter {
  private queue: Pending[] = [];
  private waiters: (() => void)[] = [];
  private failers: ((e: unknown) => void)[] = [];
  private scheduled = false;
  private running: Promise<void> = Promise.resolve();
  constructor(
    private readonly store: Store,
    private readonly onFenced?: (arn: string) => void,
  ) {}

  add(sql: string, params: SqlValue[], fence?: string): void {
    this.queue.push({ sql, params, fence });
    this.schedule();
  }

  flush(): Promise<void> {
    if (this.queue.length === 0 && !this.scheduled) return this.running;
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
      // The journal commits groups in the order they are written, so ticks may be in flight together.
      this.running = this.commit();
    });
  }

  private async commit(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue;
    const waiters = this.waiters;
    const failers = this.failers;
    this.queue = [];
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
