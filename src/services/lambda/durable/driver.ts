// Drives durable executions: each running execution is one work item (queue `lambda-durable`), claimed by one node
// at a time; the claim runs an invocation from the last checkpoint, then hands the item back due when a timer (a
// wait, a retry, a callback timeout, the execution timeout) next fires, or ends the execution. No environment is held
// between invocations: a wait of an hour is a row in the store. A node that dies mid-invocation loses its claim and
// the execution is invoked again (by any node) from its last checkpoint.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../lib/clock.js';
import { AwsError } from '../../../lib/errors.js';
import type { Notifier } from '../../../store/notifier.js';
import type { WorkItem, WorkQueues } from '../../../store/work.js';
import type { LambdaInvoker } from '../invoker.js';
import { checkpointToken, eventOperation, transition, type ErrorObject, type ExecutionRecord, type ExecutionStatus, type StoredOperation } from './model.js';
import { fireTimers, nextDue, visibleOperations, type Change, type NewEvent } from './state.js';
import type { DurableStore } from './store.js';

export const QUEUE = 'lambda-durable';
/** The notifier channel an ended execution is announced on (its ARN as payload): synchronous invokes wait on it. */
export const ENDED = 'lambda-durable:ended';
/** Operations carried in the invocation event; the SDK pages through the rest with GetDurableExecutionState. */
export const EVENT_OPERATIONS = 1000;
/** Invocations that fail in a row (function error, timeout, crash) before the execution fails. */
const MAX_FAILURES = 3;
const SWEEP_MS = 5_000;
const MAX_IN_FLIGHT = 32;

/** The work item's payload: what the last invocation that ended normally saw; anything newer means invoke again. */
interface Mark {
  invocation: number;
  signal: number;
}

export interface DriverDeps {
  store: DurableStore;
  work: WorkQueues;
  clock: Clock;
  notifier: Notifier;
  invoker: LambdaInvoker;
  /** Another node may hold claims (PostgreSQL): sweep for lapsed ones instead of resetting them at start. */
  shared: boolean;
  log: (m: string) => void;
}

const mark = (m: Mark): Buffer => Buffer.from(JSON.stringify(m));
function readMark(b: Buffer): Mark {
  try {
    const v = JSON.parse(b.toString('utf8')) as Partial<Mark>;
    return { invocation: typeof v.invocation === 'number' ? v.invocation : -1, signal: typeof v.signal === 'number' ? v.signal : -1 };
  } catch {
    return { invocation: -1, signal: -1 };
  }
}

/** The error a function's failed invocation reported (its Unhandled payload), as an ErrorObject. */
function invocationError(payload: Buffer): ErrorObject {
  try {
    const v = JSON.parse(payload.toString('utf8')) as { errorType?: unknown; errorMessage?: unknown; stackTrace?: unknown };
    return {
      ErrorType: typeof v.errorType === 'string' ? v.errorType : 'Unhandled',
      ErrorMessage: typeof v.errorMessage === 'string' ? v.errorMessage : 'The function failed',
      ...(Array.isArray(v.stackTrace) ? { StackTrace: v.stackTrace.filter((x): x is string => typeof x === 'string') } : {}),
    };
  } catch {
    return { ErrorType: 'Unhandled', ErrorMessage: payload.toString('utf8').slice(0, 1024) };
  }
}

/** The durable handler's answer: `{ Status: SUCCEEDED, Result? } | { Status: FAILED, Error } | { Status: PENDING }`. */
type Output = { status: 'SUCCEEDED'; result?: string } | { status: 'FAILED'; error?: ErrorObject } | { status: 'PENDING' } | { status: 'INVALID'; why: string };
function readOutput(payload: Buffer): Output {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch {
    return { status: 'INVALID', why: 'The function returned a payload that is not JSON' };
  }
  const o = v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  if (o['Status'] === 'SUCCEEDED') return { status: 'SUCCEEDED', ...(typeof o['Result'] === 'string' ? { result: o['Result'] } : {}) };
  if (o['Status'] === 'FAILED') return { status: 'FAILED', ...(o['Error'] && typeof o['Error'] === 'object' ? { error: o['Error'] as ErrorObject } : {}) };
  if (o['Status'] === 'PENDING') return { status: 'PENDING' };
  return { status: 'INVALID', why: 'The function did not return a durable execution output (Status SUCCEEDED, FAILED or PENDING); is its handler wrapped with withDurableExecution?' };
}

export class DurableDriver {
  private running = false;
  private pumping = false;
  private again = false;
  private readonly inFlight = new Set<string>();
  private cancelDue: (() => void) | undefined;
  private cancelSweep: (() => void) | undefined;
  private unlisten: (() => void) | undefined;
  /** Counters for tests: invocations made, executions ended. */
  readonly stats = { invocations: 0, ended: 0 };

  constructor(private readonly d: DriverDeps) {}

  async init(): Promise<void> {
    // Alone on the store: claims of the previous run (killed mid-invocation) are this node's to take over now.
    if (!this.d.shared) await this.d.work.reset(QUEUE);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unlisten = this.d.work.onWake(QUEUE, () => this.pump());
    const arm = (): void => {
      this.cancelSweep = this.d.clock.setTimer(SWEEP_MS, () => {
        this.pump();
        void this.d.store.purge(this.d.clock.now()).catch((e: unknown) => this.d.log(`selfless: durable retention sweep failed: ${String(e)}`));
        if (this.running) arm();
      });
    };
    arm();
    this.pump();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unlisten?.();
    this.cancelDue?.();
    this.cancelSweep?.();
    this.cancelDue = this.cancelSweep = this.unlisten = undefined;
    // Invocations in flight finish on their own; what this node still holds is handed back by the node's releaseAll.
  }

  /** Claims due executions, up to the in-flight limit; then arms a timer for the next one due. */
  pump(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void (async () => {
      try {
        do {
          this.again = false;
          const room = MAX_IN_FLIGHT - this.inFlight.size;
          if (room <= 0) break;
          const items = await this.d.work.claim(QUEUE, room);
          for (const it of items) {
            if (this.inFlight.has(it.id)) continue;
            this.inFlight.add(it.id);
            void this.drive(it)
              .catch((e: unknown) => this.d.log(`selfless: durable execution ${it.id}: ${e instanceof Error ? e.message : String(e)}`))
              .finally(() => {
                this.inFlight.delete(it.id);
                this.pump();
              });
          }
          if (items.length === room) this.again = true;
        } while (this.again && this.running);
        await this.armDue();
      } catch (e) {
        this.d.log(`selfless: claiming durable executions failed: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        this.pumping = false;
      }
    })();
  }

  private async armDue(): Promise<void> {
    const at = await this.d.work.nextAt(QUEUE);
    this.cancelDue?.();
    this.cancelDue = undefined;
    if (at === undefined || !this.running) return;
    this.cancelDue = this.d.clock.setTimer(Math.max(10, at - this.d.clock.now()), () => this.pump());
  }

  /** One claim of one execution: fire its timers, invoke it if anything changed, hand it back or end it. */
  private async drive(item: WorkItem): Promise<void> {
    const arn = item.id;
    const seen = readMark(item.payload);
    const now = this.d.clock.now();
    const begun = await this.d.store.update(arn, (e, ops) => {
      if (e.status !== 'RUNNING') return { value: 'ended' as const };
      if (now >= e.deadline) return { value: 'timed-out' as const };
      const fired = fireTimers(ops.values(), now);
      // Nothing new since the last invocation ended normally (an early claim: a heartbeat moved a deadline): no call.
      if (fired.ops.length === 0 && seen.invocation === e.invocation && seen.signal === e.signal) return { value: 'idle' as const, change: fired };
      return { value: 'invoke' as const, change: fired, set: { invocation: e.invocation + 1, signal: e.signal + (fired.ops.length > 0 ? 1 : 0) } };
    });
    if (!begun || begun.value === 'ended') {
      await this.d.work.complete(QUEUE, arn);
      return;
    }
    if (begun.value === 'timed-out') {
      await this.end(arn, undefined, 'TIMED_OUT', { error: { ErrorType: 'Execution.Timeout', ErrorMessage: 'The durable execution timed out' } }, []);
      return;
    }
    if (begun.value === 'idle') {
      await this.handBack(arn, begun.execution, seen);
      return;
    }
    await this.invoke(begun.execution);
  }

  private async invoke(e: ExecutionRecord): Promise<void> {
    const arn = e.arn;
    const requestId = randomUUID();
    const ops = visibleOperations(await this.d.store.operations(arn));
    const startedAt = this.d.clock.now();
    const event = {
      DurableExecutionArn: arn,
      CheckpointToken: checkpointToken(arn, e.invocation),
      InitialExecutionState: {
        Operations: ops.slice(0, EVENT_OPERATIONS).map(eventOperation),
        ...(ops.length > EVENT_OPERATIONS ? { NextMarker: String(EVENT_OPERATIONS) } : {}),
      },
    };
    this.stats.invocations++;
    let payload: Buffer;
    let failed: ErrorObject | undefined;
    try {
      const r = await this.d.invoker.invoke({ region: e.region, functionName: e.functionName, qualifier: e.version, payload: Buffer.from(JSON.stringify(event)), requestId });
      payload = r.payload;
      if (r.functionError) failed = invocationError(r.payload);
    } catch (err) {
      // The node is stopping (its environments are being shut down): not the function's failure; the claim goes back
      // with the node's releaseAll and the next claimer invokes again from the last checkpoint.
      if (!this.running) return;
      if (err instanceof AwsError && err.code === 'TooManyRequestsException') {
        // Throttled: not the function's failure; try again in a second, from the same checkpoint.
        await this.d.work.release(QUEUE, arn, { availableAt: this.d.clock.now() + 1000, payload: mark({ invocation: -1, signal: -1 }) });
        return;
      }
      if (err instanceof AwsError && err.code === 'ResourceNotFoundException') {
        await this.end(arn, e.invocation, 'FAILED', { error: { ErrorType: err.code, ErrorMessage: err.message } }, [this.completed(startedAt, requestId)]);
        return;
      }
      throw err;
    }
    if (!this.running) return;
    const completed = this.completed(startedAt, requestId, failed);
    if (failed) {
      await this.failedInvocation(e, failed, completed);
      return;
    }
    const out = readOutput(payload);
    if (out.status === 'INVALID') {
      await this.end(arn, e.invocation, 'FAILED', { error: { ErrorType: 'InvalidDurableExecutionOutput', ErrorMessage: out.why } }, [completed]);
    } else if (out.status === 'SUCCEEDED') {
      await this.end(arn, e.invocation, 'SUCCEEDED', { result: out.result }, [completed]);
    } else if (out.status === 'FAILED') {
      await this.end(arn, e.invocation, 'FAILED', { error: out.error }, [completed]);
    } else {
      const after = await this.d.store.update(arn, (x) =>
        x.status === 'RUNNING' && x.invocation === e.invocation ? { value: true, change: { ops: [], events: [completed] }, set: { failures: 0 } } : { value: false },
      );
      // The mark is what this invocation started from: a callback that landed while it ran moved the signal past it.
      if (after?.value) await this.handBack(arn, after.execution, { invocation: e.invocation, signal: e.signal });
    }
  }

  /** An invocation that failed (function error, timeout, crash): retried from the checkpoint, then the execution fails. */
  private async failedInvocation(e: ExecutionRecord, error: ErrorObject, completed: NewEvent): Promise<void> {
    const after = await this.d.store.update(e.arn, (x) =>
      x.status === 'RUNNING' && x.invocation === e.invocation ? { value: x.failures + 1, change: { ops: [], events: [completed] }, set: { failures: x.failures + 1 } } : { value: 0 },
    );
    if (!after || after.value === 0) return;
    if (after.value >= MAX_FAILURES) {
      await this.end(e.arn, e.invocation, 'FAILED', { error }, []);
      return;
    }
    await this.d.work.release(QUEUE, e.arn, { availableAt: this.d.clock.now() + 1000 * 2 ** (after.value - 1), payload: mark({ invocation: -1, signal: -1 }) });
  }

  /** Hands the item back, due at the execution's next timer (or its timeout); re-checks for a change from outside. */
  private async handBack(arn: string, e: ExecutionRecord, seen: Mark): Promise<void> {
    const ops = await this.d.store.operations(arn);
    const at = Math.min(nextDue(ops) ?? Infinity, e.deadline);
    await this.d.work.release(QUEUE, arn, { availableAt: at, payload: mark(seen) });
    // A callback completed while the item was claimed moved the signal; its own advance may have come before our
    // release, so look again.
    const fresh = await this.d.store.get(arn);
    if (fresh && fresh.status === 'RUNNING' && fresh.signal !== seen.signal) await this.d.work.advance(QUEUE, arn);
  }

  private completed(startedAt: number, requestId: string, error?: ErrorObject): NewEvent {
    return {
      EventType: 'InvocationCompleted',
      EventTimestamp: this.d.clock.now(),
      details: { key: 'InvocationCompletedDetails', value: { StartTimestamp: startedAt / 1000, EndTimestamp: this.d.clock.now() / 1000, RequestId: requestId, ...(error ? { Error: { Payload: error } } : {}) } },
    };
  }

  /**
   * Ends the execution (when it is still running and, for an invocation's outcome, that invocation is still the
   * current one), completes its work item and tells the waiters. A result the function checkpointed on the EXECUTION
   * operation (too large to return) stands for the missing one.
   */
  async end(arn: string, invocation: number | undefined, status: Exclude<ExecutionStatus, 'RUNNING'>, outcome: { result?: string; error?: ErrorObject }, events: NewEvent[]): Promise<ExecutionRecord | undefined> {
    const now = this.d.clock.now();
    const done = await this.d.store.update(arn, (e, ops) => {
      if (e.status !== 'RUNNING' || (invocation !== undefined && e.invocation !== invocation)) return { value: false };
      const execOp = [...ops.values()].find((o) => o.Type === 'EXECUTION');
      const result = outcome.result ?? (status === 'SUCCEEDED' ? e.result : undefined);
      const error = outcome.error ?? (status !== 'SUCCEEDED' ? e.error : undefined);
      const changed: StoredOperation[] = execOp ? [{ ...execOp, Status: status, EndTimestamp: now }] : [];
      const type = { SUCCEEDED: 'ExecutionSucceeded', FAILED: 'ExecutionFailed', TIMED_OUT: 'ExecutionTimedOut', STOPPED: 'ExecutionStopped' }[status];
      const detail = status === 'SUCCEEDED' ? { Result: { Payload: result } } : { Error: { Payload: error } };
      const ended: NewEvent = { EventType: type, ...(execOp ? { Id: execOp.Id } : {}), EventTimestamp: now, details: { key: `${type}Details`, value: detail } };
      const change: Change = { ops: changed, events: [...events, ended] };
      return {
        value: true,
        change,
        set: {
          status: transition(arn, e.status, status),
          endedAt: now,
          ...(result !== undefined ? { result } : {}),
          ...(error !== undefined ? { error } : {}),
        },
      };
    });
    if (!done?.value) return undefined;
    await this.d.work.remove(QUEUE, arn);
    this.stats.ended++;
    this.d.notifier.notify(ENDED, arn);
    return done.execution;
  }
}
