// The durable-execution domain: starting an execution from an Invoke, checkpoints from the function, callbacks and
// stops from outside, and the reads (state, execution, history, list), on the store and the driver.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../lib/clock.js';
import type { Notifier } from '../../../store/notifier.js';
import type { WorkQueues } from '../../../store/work.js';
import type { Resolved } from '../invoker.js';
import {
  callbackTimedOut,
  callbackCompleted,
  executionNotFound,
  invalidCallbackId,
  invalidCheckpointToken,
  notRunning,
} from './errors.js';
import { checkpointToken, executionArn, readCallbackId, readCheckpointToken, type ErrorObject, type ExecutionRecord, type StoredOperation } from './model.js';
import { applyUpdates, completeCallback, heartbeat, isTerminal, visibleOperations, type NewEvent, type OperationUpdate } from './state.js';
import { DurableStore, type ListFilter, type StoredEvent } from './store.js';
import { DurableDriver, ENDED, QUEUE } from './driver.js';
import type { DurableConfig } from './config.js';


/** What an execution runs with when its function's DurableConfig leaves a member out. */
export const DEFAULT_RETENTION_DAYS = 14;
export const DEFAULT_EXECUTION_TIMEOUT = 86_400;

export interface ExecutionsDeps {
  store: DurableStore;
  driver: DurableDriver;
  work: WorkQueues;
  clock: Clock;
  notifier: Notifier;
  accountId: string;
}

export class DurableExecutions {
  constructor(private readonly d: ExecutionsDeps) {}

  /** Starts an execution of the resolved version with the Invoke's payload; resolves once it is durable. */
  async start(r: Resolved, config: DurableConfig, input: string, name: string | undefined, traceId?: string): Promise<ExecutionRecord> {
    const now = this.d.clock.now();
    const execName = name ?? randomUUID();
    const arn = executionArn(r.region, this.d.accountId, r.fn.name, r.version, execName);
    const timeout = config.ExecutionTimeout ?? DEFAULT_EXECUTION_TIMEOUT;
    const e: ExecutionRecord = {
      arn,
      region: r.region,
      functionName: r.fn.name,
      version: r.version,
      functionArn: r.invokedArn,
      name: execName,
      status: 'RUNNING',
      input,
      startedAt: now,
      deadline: now + timeout * 1000,
      retentionDays: config.RetentionPeriodInDays ?? DEFAULT_RETENTION_DAYS,
      invocation: 0,
      signal: 0,
      failures: 0,
      rev: 0,
      ...(traceId ? { traceId } : {}),
    };
    const op: StoredOperation = { Id: randomUUID(), Type: 'EXECUTION', Status: 'STARTED', StartTimestamp: now, ExecutionDetails: { InputPayload: input } };
    const started: NewEvent = {
      EventType: 'ExecutionStarted',
      Id: op.Id,
      EventTimestamp: now,
      details: { key: 'ExecutionStartedDetails', value: { Input: { Payload: input }, ExecutionTimeout: timeout } },
    };
    await this.d.store.create(e, op, started, (q) => this.d.work.put(q, QUEUE, [{ id: arn, payload: Buffer.from('{"invocation":-1,"signal":-1}') }]));
    this.d.work.wake(QUEUE);
    return e;
  }

  /** Resolves with the execution once it ended, or undefined when `ms` passed first. */
  async waitEnded(arn: string, ms: number, signal?: AbortSignal): Promise<ExecutionRecord | undefined> {
    const deadline = this.d.clock.now() + ms;
    for (;;) {
      const e = await this.d.store.get(arn);
      if (!e || e.status !== 'RUNNING') return e;
      const left = deadline - this.d.clock.now();
      if (left <= 0 || signal?.aborted) return undefined;
      // The notifier is a hint; a slow re-check covers a missed one.
      await new Promise<void>((resolve) => {
        let stopTimer: () => void = () => undefined;
        const stop = this.d.notifier.listen(ENDED, (p) => {
          if (p === arn) done();
        });
        const done = (): void => {
          stop();
          stopTimer();
          signal?.removeEventListener('abort', done);
          resolve();
        };
        stopTimer = this.d.clock.setTimer(Math.min(left, 2000), done);
        signal?.addEventListener('abort', done);
      });
    }
  }

  /** The execution a checkpoint token was handed out for, while that invocation is the current one. */
  private async byToken(arnParam: string, token: string): Promise<ExecutionRecord> {
    const t = readCheckpointToken(token);
    if (!t || t.arn !== arnParam) throw invalidCheckpointToken();
    const e = await this.d.store.get(arnParam);
    if (!e || e.status !== 'RUNNING' || e.invocation !== t.invocation) throw invalidCheckpointToken();
    return e;
  }

  async checkpoint(arn: string, token: string, updates: readonly OperationUpdate[]): Promise<{ CheckpointToken: string; NewExecutionState: { Operations: StoredOperation[] } }> {
    const e = await this.byToken(arn, token);
    const now = this.d.clock.now();
    const out = await this.d.store.update(arn, (x, ops) => {
      if (x.status !== 'RUNNING' || x.invocation !== e.invocation) throw invalidCheckpointToken();
      const change = applyUpdates(arn, ops, updates, now);
      const set: Partial<ExecutionRecord> = {};
      if (change.completion?.status === 'SUCCEEDED' && change.completion.result !== undefined) set.result = change.completion.result;
      if (change.completion?.status === 'FAILED' && change.completion.error !== undefined) set.error = change.completion.error;
      for (const op of change.ops) ops.set(op.Id, op);
      return { change, set, value: [...ops.values()] };
    });
    if (!out) throw invalidCheckpointToken();
    // A callback with its timers, a wait: the driver re-reads when the item comes due; nothing to wake now.
    return { CheckpointToken: checkpointToken(arn, e.invocation), NewExecutionState: { Operations: out.value } };
  }

  /** GetDurableExecutionState: the operations the current invocation replays, paged by offset. */
  async state(arn: string, token: string, offset: number, limit: number): Promise<{ Operations: StoredOperation[]; NextMarker?: string }> {
    await this.byToken(arn, token);
    const ops = visibleOperations(await this.d.store.operations(arn));
    const page = ops.slice(offset, offset + limit);
    return { Operations: page, ...(offset + limit < ops.length ? { NextMarker: String(offset + limit) } : {}) };
  }

  async get(arn: string): Promise<ExecutionRecord> {
    const e = await this.d.store.get(arn);
    if (!e) throw executionNotFound(arn);
    return e;
  }

  async history(arn: string, o: { offset: number; limit: number; reverse: boolean }): Promise<{ events: StoredEvent[]; more: boolean }> {
    await this.get(arn);
    const events = await this.d.store.events(arn, { ...o, limit: o.limit + 1 });
    return { events: events.slice(0, o.limit), more: events.length > o.limit };
  }

  async list(f: ListFilter): Promise<{ executions: ExecutionRecord[]; more: boolean }> {
    const rows = await this.d.store.list({ ...f, limit: f.limit + 1 });
    return { executions: rows.slice(0, f.limit), more: rows.length > f.limit };
  }

  async stop(arn: string, error: ErrorObject | undefined): Promise<number> {
    const e = await this.get(arn);
    if (e.status !== 'RUNNING') throw notRunning(arn);
    const ended = await this.d.driver.end(arn, undefined, 'STOPPED', { error: error ?? { ErrorType: 'Execution.Stopped', ErrorMessage: 'The durable execution was stopped' } }, []);
    if (!ended) throw notRunning(arn);
    return ended.endedAt ?? this.d.clock.now();
  }

  /** Completes a callback from outside and wakes the execution's driver. */
  async completeCallback(id: string, outcome: { result: string } | { error: ErrorObject | undefined }): Promise<void> {
    await this.onCallback(id, (op, now) => completeCallback(op, outcome, now), true);
  }

  async heartbeatCallback(id: string): Promise<void> {
    await this.onCallback(id, (op, now) => ({ ops: [heartbeat(op, now)], events: [] }), false);
  }

  private async onCallback(id: string, fn: (op: StoredOperation, now: number) => { ops: StoredOperation[]; events: NewEvent[] }, wake: boolean): Promise<void> {
    const ref = readCallbackId(id);
    if (!ref) throw invalidCallbackId();
    const now = this.d.clock.now();
    const out = await this.d.store.update(ref.arn, (e, ops) => {
      const op = ops.get(ref.opId);
      if (!op || op.Type !== 'CALLBACK' || op.CallbackDetails?.CallbackId !== id) throw invalidCallbackId();
      if (op.Status === 'TIMED_OUT') throw callbackTimedOut();
      if (isTerminal(op.Status) || e.status !== 'RUNNING') throw callbackCompleted();
      return { change: fn(op, now), set: wake ? { signal: e.signal + 1 } : {}, value: true };
    });
    if (!out) throw invalidCallbackId();
    if (wake) await this.d.work.advance(QUEUE, ref.arn);
    else {
      // A heartbeat moves a deadline later only; the item may come due early and find nothing to do (the driver idles).
    }
  }
}
