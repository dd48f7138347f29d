// Durable executions in the store: executions, their operations (the checkpointed state) and their history events.
// Every change of an execution is one transaction that compares and bumps the execution's revision, so writers on
// different nodes (the invocation's checkpoints, a callback from outside, the driver's timers) never lose each other's.
import type { Migration, Queryable, Store } from '../../../store/store.js';
import type { ErrorObject, ExecutionRecord, ExecutionStatus, StoredOperation } from './model.js';
import type { Change, NewEvent } from './state.js';
import { alreadyStarted } from './errors.js';

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE lambda_durable_executions (arn TEXT PRIMARY KEY, region TEXT NOT NULL, function_name TEXT NOT NULL, version TEXT NOT NULL,
           function_arn TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, input TEXT NOT NULL, result TEXT, error TEXT,
           started_at INTEGER NOT NULL, ended_at INTEGER, deadline INTEGER NOT NULL, retention_days INTEGER NOT NULL,
           invocation INTEGER NOT NULL DEFAULT 0, signal INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,
           rev INTEGER NOT NULL DEFAULT 0, trace_id TEXT, next_seq INTEGER NOT NULL DEFAULT 0, next_event INTEGER NOT NULL DEFAULT 1);
         CREATE UNIQUE INDEX lambda_durable_executions_name ON lambda_durable_executions (region, function_name, name);
         CREATE INDEX lambda_durable_executions_started ON lambda_durable_executions (region, function_name, started_at);
         CREATE TABLE lambda_durable_operations (arn TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (arn, id));
         CREATE INDEX lambda_durable_operations_seq ON lambda_durable_operations (arn, seq);
         CREATE TABLE lambda_durable_events (arn TEXT NOT NULL, event_id INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (arn, event_id))`,
  },
];

interface Row {
  arn: string;
  region: string;
  function_name: string;
  version: string;
  function_arn: string;
  name: string;
  status: string;
  input: string;
  result: string | null;
  error: string | null;
  started_at: number | string;
  ended_at: number | string | null;
  deadline: number | string;
  retention_days: number;
  invocation: number;
  signal: number;
  failures: number;
  rev: number;
  trace_id: string | null;
  next_seq: number;
  next_event: number;
}

const num = (v: number | string): number => (typeof v === 'string' ? Number(v) : v);

function record(r: Row): ExecutionRecord {
  return {
    arn: r.arn,
    region: r.region,
    functionName: r.function_name,
    version: r.version,
    functionArn: r.function_arn,
    name: r.name,
    status: r.status as ExecutionStatus,
    input: r.input,
    ...(r.result !== null ? { result: r.result } : {}),
    ...(r.error !== null ? { error: JSON.parse(r.error) as ErrorObject } : {}),
    startedAt: num(r.started_at),
    ...(r.ended_at !== null ? { endedAt: num(r.ended_at) } : {}),
    deadline: num(r.deadline),
    retentionDays: r.retention_days,
    invocation: num(r.invocation),
    signal: num(r.signal),
    failures: num(r.failures),
    rev: num(r.rev),
    ...(r.trace_id !== null ? { traceId: r.trace_id } : {}),
  };
}

/** A stored history event: the wire's Event with its number. */
export interface StoredEvent extends NewEvent {
  EventId: number;
}

/** Thrown inside an update when another writer changed the execution first; the update is retried. */
class RevConflict extends Error {}

export interface ListFilter {
  region: string;
  functionName: string;
  version?: string;
  name?: string;
  statuses?: readonly string[];
  startedAfter?: number;
  startedBefore?: number;
  reverse: boolean;
  offset: number;
  limit: number;
}

export class DurableStore {
  constructor(private readonly store: Store) {}

  async init(): Promise<void> {
    await this.store.migrate('lambda_durable', MIGRATIONS);
  }

  /** Creates an execution with its EXECUTION operation and ExecutionStarted event; a name already used is refused. */
  async create(e: ExecutionRecord, op: StoredOperation, started: NewEvent, also?: (q: Queryable) => Promise<void>): Promise<void> {
    await this.store.tx(async (q) => {
      const r = await q.run(
        `INSERT INTO lambda_durable_executions (arn, region, function_name, version, function_arn, name, status, input, started_at, deadline,
           retention_days, trace_id, next_seq, next_event) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 2)
         ON CONFLICT (region, function_name, name) DO NOTHING`,
        [e.arn, e.region, e.functionName, e.version, e.functionArn, e.name, e.status, e.input, e.startedAt, e.deadline, e.retentionDays, e.traceId ?? null],
      );
      if (r.changes !== 1) throw alreadyStarted(e.name);
      await q.run('INSERT INTO lambda_durable_operations (arn, id, seq, body) VALUES (?, ?, 0, ?)', [e.arn, op.Id, JSON.stringify(op)]);
      await q.run('INSERT INTO lambda_durable_events (arn, event_id, body) VALUES (?, 1, ?)', [e.arn, JSON.stringify({ ...started, EventId: 1 })]);
      await also?.(q);
    });
  }

  async get(arn: string): Promise<ExecutionRecord | undefined> {
    const r = await this.store.get<Row>('SELECT * FROM lambda_durable_executions WHERE arn = ?', [arn]);
    return r ? record(r) : undefined;
  }

  async byName(region: string, functionName: string, name: string): Promise<ExecutionRecord | undefined> {
    const r = await this.store.get<Row>('SELECT * FROM lambda_durable_executions WHERE region = ? AND function_name = ? AND name = ?', [region, functionName, name]);
    return r ? record(r) : undefined;
  }

  /** The execution's operations in the order they were first checkpointed. */
  async operations(arn: string, q: Queryable = this.store): Promise<StoredOperation[]> {
    const rows = await q.all<{ body: string }>('SELECT body FROM lambda_durable_operations WHERE arn = ? ORDER BY seq', [arn]);
    return rows.map((r) => JSON.parse(r.body) as StoredOperation);
  }

  /**
   * Changes one execution atomically: `fn` sees the execution and its operations as committed and answers the
   * change (operations, events, execution fields); a concurrent writer makes it run again on fresh state.
   */
  async update<T>(
    arn: string,
    fn: (e: ExecutionRecord, ops: Map<string, StoredOperation>) => { change?: Change; set?: Partial<ExecutionRecord>; value: T },
  ): Promise<{ value: T; execution: ExecutionRecord } | undefined> {
    for (;;) {
      try {
        return await this.store.tx(async (q) => {
          const row = await q.get<Row>('SELECT * FROM lambda_durable_executions WHERE arn = ?', [arn]);
          if (!row) return undefined;
          const e = record(row);
          const ops = new Map((await this.operations(arn, q)).map((o) => [o.Id, o]));
          // What is stored already decides insert or update (fn may change the map it is given).
          const existing = new Set(ops.keys());
          const out = fn(e, ops);
          const next: ExecutionRecord = { ...e, ...out.set, rev: e.rev + 1 };
          const ch = out.change;
          let seq = num(row.next_seq);
          let eventId = num(row.next_event);
          const written = await q.run(
            `UPDATE lambda_durable_executions SET status = ?, result = ?, error = ?, ended_at = ?, invocation = ?, signal = ?, failures = ?, rev = ?,
               next_seq = ?, next_event = ? WHERE arn = ? AND rev = ?`,
            [
              next.status, next.result ?? null, next.error ? JSON.stringify(next.error) : null, next.endedAt ?? null, next.invocation, next.signal,
              next.failures, next.rev, seq + (ch?.ops.filter((o) => !existing.has(o.Id)).length ?? 0), eventId + (ch?.events.length ?? 0), arn, e.rev,
            ],
          );
          if (written.changes !== 1) throw new RevConflict();
          for (const op of ch?.ops ?? []) {
            if (existing.has(op.Id)) await q.run('UPDATE lambda_durable_operations SET body = ? WHERE arn = ? AND id = ?', [JSON.stringify(op), arn, op.Id]);
            else await q.run('INSERT INTO lambda_durable_operations (arn, id, seq, body) VALUES (?, ?, ?, ?)', [arn, op.Id, seq++, JSON.stringify(op)]);
          }
          for (const ev of ch?.events ?? []) {
            const id = eventId++;
            await q.run('INSERT INTO lambda_durable_events (arn, event_id, body) VALUES (?, ?, ?)', [arn, id, JSON.stringify({ ...ev, EventId: id })]);
          }
          return { value: out.value, execution: next };
        });
      } catch (err) {
        if (!(err instanceof RevConflict)) throw err;
      }
    }
  }

  /** History events from `after` (exclusive), oldest first or newest first. */
  async events(arn: string, o: { offset: number; limit: number; reverse: boolean }): Promise<StoredEvent[]> {
    const rows = await this.store.all<{ body: string }>(
      `SELECT body FROM lambda_durable_events WHERE arn = ? ORDER BY event_id ${o.reverse ? 'DESC' : 'ASC'} LIMIT ? OFFSET ?`,
      [arn, o.limit, o.offset],
    );
    return rows.map((r) => JSON.parse(r.body) as StoredEvent);
  }

  async list(f: ListFilter): Promise<ExecutionRecord[]> {
    const where = ['region = ?', 'function_name = ?'];
    const params: (string | number)[] = [f.region, f.functionName];
    if (f.version !== undefined) (where.push('version = ?'), params.push(f.version));
    if (f.name !== undefined) (where.push('name = ?'), params.push(f.name));
    if (f.statuses?.length) (where.push(`status IN (${f.statuses.map(() => '?').join(', ')})`), params.push(...f.statuses));
    if (f.startedAfter !== undefined) (where.push('started_at > ?'), params.push(f.startedAfter));
    if (f.startedBefore !== undefined) (where.push('started_at < ?'), params.push(f.startedBefore));
    const order = f.reverse ? 'DESC' : 'ASC';
    const rows = await this.store.all<Row>(
      `SELECT * FROM lambda_durable_executions WHERE ${where.join(' AND ')} ORDER BY started_at ${order}, arn ${order} LIMIT ? OFFSET ?`,
      [...params, f.limit, f.offset],
    );
    return rows.map(record);
  }

  /** Removes ended executions whose retention passed; answers how many. */
  async purge(now: number): Promise<number> {
    const rows = await this.store.all<{ arn: string }>(
      'SELECT arn FROM lambda_durable_executions WHERE ended_at IS NOT NULL AND ended_at + retention_days * 86400000 < ?',
      [now],
    );
    for (const { arn } of rows) {
      await this.store.tx(async (q) => {
        await q.run('DELETE FROM lambda_durable_events WHERE arn = ?', [arn]);
        await q.run('DELETE FROM lambda_durable_operations WHERE arn = ?', [arn]);
        await q.run('DELETE FROM lambda_durable_executions WHERE arn = ?', [arn]);
      });
    }
    return rows.length;
  }
}
