// Durable executions' model: the execution's lifecycle, operations as stored, their wire shapes, and the ids the
// service hands out (execution ARNs, checkpoint tokens, callback ids).
import { randomUUID } from 'node:crypto';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'STOPPED';
export const EXECUTION_STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'STOPPED'];

/** The execution's lifecycle: RUNNING until it ends, once; an ended execution never changes again. */
const TRANSITIONS: Readonly<Record<ExecutionStatus, readonly ExecutionStatus[]>> = {
  RUNNING: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'STOPPED'],
  SUCCEEDED: [],
  FAILED: [],
  TIMED_OUT: [],
  STOPPED: [],
};

export function transition(arn: string, from: ExecutionStatus, to: ExecutionStatus): ExecutionStatus {
  if (!TRANSITIONS[from].includes(to)) throw new Error(`durable execution ${arn}: illegal transition ${from} -> ${to}`);
  return to;
}

export type OperationType = 'EXECUTION' | 'CONTEXT' | 'STEP' | 'WAIT' | 'CALLBACK' | 'CHAINED_INVOKE';
export type OperationStatus = 'STARTED' | 'PENDING' | 'READY' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT' | 'STOPPED';

export interface ErrorObject {
  ErrorMessage?: string;
  ErrorType?: string;
  ErrorData?: string;
  StackTrace?: string[];
}

/** An operation as stored: the wire's Operation with times in epoch milliseconds, plus the timers it holds. */
export interface StoredOperation {
  Id: string;
  ParentId?: string;
  Name?: string;
  Type: OperationType;
  SubType?: string;
  StartTimestamp: number;
  EndTimestamp?: number;
  Status: OperationStatus;
  ExecutionDetails?: { InputPayload?: string };
  ContextDetails?: { ReplayChildren?: boolean; Result?: string; Error?: ErrorObject };
  StepDetails?: { Attempt?: number; NextAttemptTimestamp?: number; Result?: string; Error?: ErrorObject };
  WaitDetails?: { ScheduledEndTimestamp?: number };
  CallbackDetails?: { CallbackId?: string; Result?: string; Error?: ErrorObject };
  ChainedInvokeDetails?: { Result?: string; Error?: ErrorObject };
  /** Hidden: when a callback times out (overall, and without a heartbeat), in epoch ms. */
  timers?: { callbackTimeoutAt?: number; heartbeatTimeoutAt?: number; heartbeatSeconds?: number; waitSeconds?: number };
}

/** The wire's timestamps: rest-json answers carry epoch seconds; the invocation event carries ISO-8601 strings (the
 *  SDK converts both to Dates as they enter it). */
type TimeFormat = (ms: number) => number | string;
const seconds: TimeFormat = (ms) => ms / 1000;
const iso: TimeFormat = (ms) => new Date(ms).toISOString();

function render(op: StoredOperation, t: TimeFormat): Record<string, unknown> {
  const { timers: _hidden, StartTimestamp, EndTimestamp, StepDetails, WaitDetails, ...rest } = op;
  return {
    ...rest,
    StartTimestamp: t(StartTimestamp),
    ...(EndTimestamp !== undefined ? { EndTimestamp: t(EndTimestamp) } : {}),
    ...(StepDetails
      ? { StepDetails: { ...StepDetails, NextAttemptTimestamp: StepDetails.NextAttemptTimestamp === undefined ? undefined : t(StepDetails.NextAttemptTimestamp) } }
      : {}),
    ...(WaitDetails ? { WaitDetails: { ScheduledEndTimestamp: WaitDetails.ScheduledEndTimestamp === undefined ? undefined : t(WaitDetails.ScheduledEndTimestamp) } } : {}),
  };
}

/** An operation as GetDurableExecutionState and CheckpointDurableExecution answer with it. */
export const wireOperation = (op: StoredOperation): Record<string, unknown> => render(op, seconds);

/** An operation as the invocation event's InitialExecutionState carries it. */
export const eventOperation = (op: StoredOperation): Record<string, unknown> => render(op, iso);

export interface ExecutionRecord {
  arn: string;
  region: string;
  functionName: string;
  /** The version the execution runs on ($LATEST or a number): every invocation of it uses that version. */
  version: string;
  /** The ARN as invoked (alias or version), which the execution reports as its FunctionArn. */
  functionArn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  result?: string;
  error?: ErrorObject;
  startedAt: number;
  endedAt?: number;
  /** When the execution times out (DurableConfig.ExecutionTimeout after its start). */
  deadline: number;
  retentionDays: number;
  /** The current invocation's number: checkpoint tokens of earlier invocations are refused. */
  invocation: number;
  /** Bumped by every change from outside the function (a callback, a timer): the driver re-invokes when it moved. */
  signal: number;
  /** Consecutive failed invocations (function errors, timeouts, crashes), reset by a successful one. */
  failures: number;
  /** Optimistic lock: every write of the execution compares and bumps it. */
  rev: number;
  traceId?: string;
}

/** `arn:aws:lambda:<region>:<account>:function:<name>:<version>/durable-execution/<execution name>/<id>`. */
export function executionArn(region: string, accountId: string, fn: string, version: string, name: string, id = randomUUID()): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${fn}:${version}/durable-execution/${name}/${id}`;
}

const ARN_RE = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]+):(\$LATEST(?:\.PUBLISHED)?|[0-9]+)\/durable-execution\/([a-zA-Z0-9_-]+)\/([a-zA-Z0-9_-]+)$/;

export function parseExecutionArn(arn: string): { region: string; accountId: string; functionName: string; version: string; name: string } | undefined {
  const m = ARN_RE.exec(arn);
  return m ? { region: m[1]!, accountId: m[2]!, functionName: m[3]!, version: m[4]!, name: m[5]! } : undefined;
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64');
function unb64(s: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64').toString('utf8'));
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A checkpoint token names the execution and the invocation it was handed to (plus a nonce per checkpoint). */
export const checkpointToken = (arn: string, invocation: number): string => b64({ a: arn, i: invocation, n: randomUUID().slice(0, 8) });
export function readCheckpointToken(token: string): { arn: string; invocation: number } | undefined {
  const v = unb64(token);
  return v && typeof v['a'] === 'string' && typeof v['i'] === 'number' ? { arn: v['a'], invocation: v['i'] } : undefined;
}

/** A callback id names the execution and the CALLBACK operation. */
export const callbackId = (arn: string, opId: string): string => b64({ a: arn, o: opId });
export function readCallbackId(id: string): { arn: string; opId: string } | undefined {
  const v = unb64(id);
  return v && typeof v['a'] === 'string' && typeof v['o'] === 'string' ? { arn: v['a'], opId: v['o'] } : undefined;
}
