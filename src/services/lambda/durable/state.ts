// The deterministic core of durable executions: how checkpointed operation updates, timers and callbacks change an
// execution's operations, and which history events they write. Pure functions of (operations, input, now).
import { callbackId, type ErrorObject, type OperationStatus, type OperationType, type StoredOperation } from './model.js';
import { invalidUpdate } from './errors.js';

export interface OperationUpdate {
  Id: string;
  ParentId?: string;
  Name?: string;
  Type: OperationType;
  SubType?: string;
  Action: 'START' | 'SUCCEED' | 'FAIL' | 'RETRY' | 'CANCEL';
  Payload?: string;
  Error?: ErrorObject;
  ContextOptions?: { ReplayChildren?: boolean };
  StepOptions?: { NextAttemptDelaySeconds?: number };
  WaitOptions?: { WaitSeconds?: number };
  CallbackOptions?: { TimeoutSeconds?: number; HeartbeatTimeoutSeconds?: number };
  ChainedInvokeOptions?: { FunctionName: string; TenantId?: string };
}

/** A history event before it is numbered: the wire's Event with its time in epoch ms. */
export interface NewEvent {
  EventType: string;
  SubType?: string;
  Id?: string;
  Name?: string;
  ParentId?: string;
  EventTimestamp: number;
  details?: { key: string; value: Record<string, unknown> };
}

/** What one change did: the operations it wrote (new or changed) and the events it adds. */
export interface Change {
  ops: StoredOperation[];
  events: NewEvent[];
  /** The function checkpointed the EXECUTION operation itself (a result too large to return). */
  completion?: { status: 'SUCCEEDED' | 'FAILED'; result?: string; error?: ErrorObject };
}

const TERMINAL: readonly OperationStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'STOPPED'];
export const isTerminal = (s: OperationStatus): boolean => TERMINAL.includes(s);

const result = (payload: string | undefined): Record<string, unknown> => ({ Payload: payload });
const error = (e: ErrorObject | undefined): Record<string, unknown> => ({ Payload: e });

function event(op: StoredOperation, type: string, now: number, key?: string, value?: Record<string, unknown>): NewEvent {
  return {
    EventType: type,
    ...(op.SubType !== undefined ? { SubType: op.SubType } : {}),
    Id: op.Id,
    ...(op.Name !== undefined ? { Name: op.Name } : {}),
    ...(op.ParentId !== undefined ? { ParentId: op.ParentId } : {}),
    EventTimestamp: now,
    ...(key ? { details: { key, value: value ?? {} } } : {}),
  };
}

/** Applies one CheckpointDurableExecution's updates, in order, to a copy of the operations. */
export function applyUpdates(arn: string, current: ReadonlyMap<string, StoredOperation>, updates: readonly OperationUpdate[], now: number): Change {
  const ops = new Map(current);
  const changed = new Map<string, StoredOperation>();
  const events: NewEvent[] = [];
  let completion: Change['completion'];
  for (const u of updates) {
    const prev = ops.get(u.Id);
    if (prev && prev.Type !== u.Type) throw invalidUpdate(`Operation ${u.Id} is a ${prev.Type}, not a ${u.Type}`);
    if (u.ParentId !== undefined && !ops.has(u.ParentId)) throw invalidUpdate(`Parent operation ${u.ParentId} does not exist`);
    const op: StoredOperation = prev
      ? structuredClone(prev)
      : { Id: u.Id, Type: u.Type, Status: 'STARTED', StartTimestamp: now, ...(u.ParentId ? { ParentId: u.ParentId } : {}), ...(u.Name ? { Name: u.Name } : {}), ...(u.SubType ? { SubType: u.SubType } : {}) };
    // A repeated update (a checkpoint the SDK retried after a lost answer) changes nothing: the first one stands.
    if (prev && isTerminal(prev.Status) && u.Type !== 'EXECUTION') continue;
    if (prev && u.Action === 'START' && (u.Type === 'WAIT' || u.Type === 'CALLBACK')) continue;
    const finish = (status: OperationStatus): void => {
      op.Status = status;
      op.EndTimestamp = now;
    };
    switch (u.Type) {
      case 'EXECUTION': {
        if (u.Action !== 'SUCCEED' && u.Action !== 'FAIL') throw invalidUpdate(`Invalid action ${u.Action} for an EXECUTION operation`);
        completion = u.Action === 'SUCCEED' ? { status: 'SUCCEEDED', result: u.Payload } : { status: 'FAILED', error: u.Error };
        break;
      }
      case 'STEP': {
        const attempt = op.StepDetails?.Attempt ?? 0;
        if (u.Action === 'START') {
          op.Status = 'STARTED';
          events.push(event(op, 'StepStarted', now, 'StepStartedDetails'));
        } else if (u.Action === 'SUCCEED') {
          finish('SUCCEEDED');
          op.StepDetails = { ...op.StepDetails, Attempt: attempt + 1, Result: u.Payload, NextAttemptTimestamp: undefined };
          events.push(event(op, 'StepSucceeded', now, 'StepSucceededDetails', { Result: result(u.Payload), RetryDetails: { CurrentAttempt: attempt + 1 } }));
        } else if (u.Action === 'FAIL') {
          finish('FAILED');
          op.StepDetails = { ...op.StepDetails, Attempt: attempt + 1, Error: u.Error, NextAttemptTimestamp: undefined };
          events.push(event(op, 'StepFailed', now, 'StepFailedDetails', { Error: error(u.Error), RetryDetails: { CurrentAttempt: attempt + 1 } }));
        } else if (u.Action === 'RETRY') {
          const delay = u.StepOptions?.NextAttemptDelaySeconds ?? 1;
          op.Status = 'PENDING';
          op.StepDetails = { ...op.StepDetails, Attempt: attempt + 1, Error: u.Error, NextAttemptTimestamp: now + delay * 1000 };
          events.push(event(op, 'StepFailed', now, 'StepFailedDetails', { Error: error(u.Error), RetryDetails: { CurrentAttempt: attempt + 1, NextAttemptDelaySeconds: delay } }));
        } else throw invalidUpdate(`Invalid action ${u.Action} for a STEP operation`);
        break;
      }
      case 'WAIT': {
        if (u.Action === 'START') {
          const seconds = u.WaitOptions?.WaitSeconds ?? 1;
          op.WaitDetails = { ScheduledEndTimestamp: now + seconds * 1000 };
          op.timers = { waitSeconds: seconds };
          events.push(event(op, 'WaitStarted', now, 'WaitStartedDetails', { Duration: seconds, ScheduledEndTimestamp: (now + seconds * 1000) / 1000 }));
        } else if (u.Action === 'CANCEL') {
          finish('CANCELLED');
          events.push(event(op, 'WaitCancelled', now, 'WaitCancelledDetails', { Error: error(u.Error) }));
        } else throw invalidUpdate(`Invalid action ${u.Action} for a WAIT operation`);
        break;
      }
      case 'CALLBACK': {
        if (u.Action !== 'START') throw invalidUpdate(`Invalid action ${u.Action} for a CALLBACK operation`);
        const timeout = u.CallbackOptions?.TimeoutSeconds;
        const heartbeat = u.CallbackOptions?.HeartbeatTimeoutSeconds;
        op.CallbackDetails = { CallbackId: callbackId(arn, u.Id) };
        op.timers = {
          ...(timeout ? { callbackTimeoutAt: now + timeout * 1000 } : {}),
          ...(heartbeat ? { heartbeatTimeoutAt: now + heartbeat * 1000, heartbeatSeconds: heartbeat } : {}),
        };
        events.push(
          event(op, 'CallbackStarted', now, 'CallbackStartedDetails', {
            CallbackId: op.CallbackDetails.CallbackId,
            ...(timeout ? { Timeout: timeout } : {}),
            ...(heartbeat ? { HeartbeatTimeout: heartbeat } : {}),
          }),
        );
        break;
      }
      case 'CONTEXT': {
        const replay = u.ContextOptions?.ReplayChildren ?? op.ContextDetails?.ReplayChildren;
        if (u.Action === 'START') {
          op.ContextDetails = { ...(replay !== undefined ? { ReplayChildren: replay } : {}) };
          events.push(event(op, 'ContextStarted', now, 'ContextStartedDetails'));
        } else if (u.Action === 'SUCCEED') {
          finish('SUCCEEDED');
          op.ContextDetails = { ...(replay !== undefined ? { ReplayChildren: replay } : {}), Result: u.Payload };
          events.push(event(op, 'ContextSucceeded', now, 'ContextSucceededDetails', { Result: result(u.Payload) }));
        } else if (u.Action === 'FAIL') {
          finish('FAILED');
          op.ContextDetails = { ...(replay !== undefined ? { ReplayChildren: replay } : {}), Error: u.Error };
          events.push(event(op, 'ContextFailed', now, 'ContextFailedDetails', { Error: error(u.Error) }));
        } else throw invalidUpdate(`Invalid action ${u.Action} for a CONTEXT operation`);
        break;
      }
      case 'CHAINED_INVOKE': {
        if (u.Action !== 'START') throw invalidUpdate(`Invalid action ${u.Action} for a CHAINED_INVOKE operation`);
        // Chained invokes are not carried out by selfless yet: the operation fails at once, so the function's
        // context.invoke() throws instead of waiting forever.
        events.push(event(op, 'ChainedInvokeStarted', now, 'ChainedInvokeStartedDetails', { FunctionName: u.ChainedInvokeOptions?.FunctionName }));
        finish('FAILED');
        const e: ErrorObject = { ErrorType: 'ChainedInvokeNotSupported', ErrorMessage: 'selfless does not carry out chained invokes of durable functions yet' };
        op.ChainedInvokeDetails = { Error: e };
        events.push(event(op, 'ChainedInvokeFailed', now, 'ChainedInvokeFailedDetails', { Error: error(e) }));
        break;
      }
    }
    if (u.Type !== 'EXECUTION') {
      ops.set(op.Id, op);
      changed.set(op.Id, op);
    }
  }
  return { ops: [...changed.values()], events, ...(completion ? { completion } : {}) };
}

/** What the clock did to the operations by `now`: waits that ended, retries that became due, callbacks that timed out. */
export function fireTimers(ops: Iterable<StoredOperation>, now: number): Change {
  const out: StoredOperation[] = [];
  const events: NewEvent[] = [];
  for (const prev of ops) {
    if (isTerminal(prev.Status)) continue;
    const op = structuredClone(prev);
    if (op.Type === 'WAIT' && op.WaitDetails?.ScheduledEndTimestamp !== undefined && op.WaitDetails.ScheduledEndTimestamp <= now) {
      op.Status = 'SUCCEEDED';
      op.EndTimestamp = now;
      events.push(event(op, 'WaitSucceeded', now, 'WaitSucceededDetails', { Duration: op.timers?.waitSeconds }));
      out.push(op);
    } else if (op.Type === 'STEP' && op.Status === 'PENDING' && (op.StepDetails?.NextAttemptTimestamp ?? Infinity) <= now) {
      op.Status = 'READY';
      out.push(op);
    } else if (op.Type === 'CALLBACK') {
      const t = op.timers;
      const overall = t?.callbackTimeoutAt !== undefined && t.callbackTimeoutAt <= now;
      const heartbeat = t?.heartbeatTimeoutAt !== undefined && t.heartbeatTimeoutAt <= now;
      if (overall || heartbeat) {
        const e: ErrorObject = { ErrorType: 'Callback.Timeout', ErrorMessage: overall ? 'Callback timed out' : 'Callback timed out on heartbeat' };
        op.Status = 'TIMED_OUT';
        op.EndTimestamp = now;
        op.CallbackDetails = { ...op.CallbackDetails, Error: e };
        events.push(event(op, 'CallbackTimedOut', now, 'CallbackTimedOutDetails', { Error: error(e) }));
        out.push(op);
      }
    }
  }
  return { ops: out, events };
}

/** When the clock next changes an operation (undefined: only something from outside will). */
export function nextDue(ops: Iterable<StoredOperation>): number | undefined {
  let at: number | undefined;
  const take = (t: number | undefined): void => {
    if (t !== undefined && (at === undefined || t < at)) at = t;
  };
  for (const op of ops) {
    if (isTerminal(op.Status)) continue;
    if (op.Type === 'WAIT') take(op.WaitDetails?.ScheduledEndTimestamp);
    if (op.Type === 'STEP' && op.Status === 'PENDING') take(op.StepDetails?.NextAttemptTimestamp);
    if (op.Type === 'CALLBACK') {
      take(op.timers?.callbackTimeoutAt);
      take(op.timers?.heartbeatTimeoutAt);
    }
  }
  return at;
}

/** SendDurableExecutionCallbackSuccess/Failure: the callback completes with the caller's result or error. */
export function completeCallback(prev: StoredOperation, outcome: { result: string } | { error: ErrorObject | undefined }, now: number): Change {
  const op = structuredClone(prev);
  op.EndTimestamp = now;
  if ('result' in outcome) {
    op.Status = 'SUCCEEDED';
    op.CallbackDetails = { ...op.CallbackDetails, Result: outcome.result };
    return { ops: [op], events: [event(op, 'CallbackSucceeded', now, 'CallbackSucceededDetails', { Result: result(outcome.result) })] };
  }
  op.Status = 'FAILED';
  op.CallbackDetails = { ...op.CallbackDetails, Error: outcome.error };
  return { ops: [op], events: [event(op, 'CallbackFailed', now, 'CallbackFailedDetails', { Error: error(outcome.error) })] };
}

/** A heartbeat pushes the callback's heartbeat deadline out by its HeartbeatTimeout. */
export function heartbeat(prev: StoredOperation, now: number): StoredOperation {
  const op = structuredClone(prev);
  if (op.timers?.heartbeatSeconds) op.timers.heartbeatTimeoutAt = now + op.timers.heartbeatSeconds * 1000;
  return op;
}

/**
 * The operations an invocation replays: all of them, except the children of a completed CONTEXT that does not replay
 * its children (the context's result stands for them), transitively.
 */
export function visibleOperations(ordered: readonly StoredOperation[]): StoredOperation[] {
  const byId = new Map(ordered.map((o) => [o.Id, o]));
  const hidden = new Set<string>();
  const out: StoredOperation[] = [];
  for (const op of ordered) {
    const parent = op.ParentId !== undefined ? byId.get(op.ParentId) : undefined;
    if (
      parent &&
      parent.Type === 'CONTEXT' &&
      (parent.Status === 'SUCCEEDED' || parent.Status === 'FAILED') &&
      (!parent.ContextDetails?.ReplayChildren || hidden.has(parent.Id))
    ) {
      hidden.add(op.Id);
      continue;
    }
    out.push(op);
  }
  return out;
}
