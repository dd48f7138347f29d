// Task resources: Lambda (optimized integration and legacy ARNs), callbacks with task tokens, activities, nested executions.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../lib/clock.js';
import { AwsError } from '../../../lib/errors.js';
import type { LambdaInvoker } from '../../lambda/index.js';
import type { QueueBroker } from '../../sqs/index.js';
import { StatesError, stringify, type Json } from '../asl/paths.js';
import type { Thread } from './history.js';
import { sqsSendMessage } from './sqs-task.js';
import type { TimerWheel } from './timers.js';

type Obj = Record<string, Json>;

interface Waiter {
  execArn: string;
  resolve(v: Json): void;
  reject(e: StatesError): void;
  heartbeat(): void;
}

/** A SendTaskSuccess/Failure outcome: the output, or the error and cause. */
export type TokenOutcome = { output: Json } | { error: string; cause: string };

/** Outstanding task tokens (callbacks and activities): SendTask* complete them. */
export class TokenRegistry {
  private readonly waiters = new Map<string, Waiter>();
  /** Outcomes that arrived (or were recovered from the store) before their execution waits on the token again. */
  private readonly early = new Map<string, TokenOutcome>();
  /** Called when a task starts waiting on a token (a cluster node looks for an outcome another node stored). */
  onWait?: (token: string) => void;
  add(token: string, w: Waiter): () => void {
    const o = this.early.get(token);
    if (o) {
      this.early.delete(token);
      queueMicrotask(() => ('output' in o ? w.resolve(o.output) : w.reject(new StatesError(o.error, o.cause))));
    } else {
      this.waiters.set(token, w);
      this.onWait?.(token);
    }
    return () => this.waiters.delete(token);
  }
  get(token: string): Waiter | undefined {
    return this.waiters.get(token);
  }
  /** Completes a waiting token now, or keeps the outcome for when its execution resumes waiting on it. */
  settle(token: string, o: TokenOutcome): void {
    const w = this.waiters.get(token);
    if (!w) this.early.set(token, o);
    else if ('output' in o) w.resolve(o.output);
    else w.reject(new StatesError(o.error, o.cause));
  }
}

/** Durable record of issued task tokens, so that a token outlives a restart (implemented over the states store). */
export interface TokenLog {
  /** Queues the token's row; `activity` for activity tasks (their input, to queue them again after a restart). */
  issue(token: string, execArn: string, activity?: { arn: string; input: string }): void;
  /** The activity task was handed to a worker (GetActivityTask). */
  started(token: string): void;
}

export interface ActivityTask {
  token: string;
  arn: string;
  input: string;
  /** Records ActivityStarted in the execution when a worker picks the task up. */
  started(workerName: string | undefined): void;
}

export interface ActivitySink {
  push(arn: string, t: ActivityTask): void;
}

/** Queued activity work per activity ARN, with long-polling workers, in memory (the interpreter's tests). */
export class ActivityQueues implements ActivitySink {
  private readonly tasks = new Map<string, ActivityTask[]>();
  private readonly pollers = new Map<string, ((t: ActivityTask) => void)[]>();
  push(arn: string, t: ActivityTask): void {
    const p = this.pollers.get(arn)?.shift();
    if (p) return p(t);
    const q = this.tasks.get(arn) ?? [];
    q.push(t);
    this.tasks.set(arn, q);
  }
  poll(arn: string, timeoutMs: number, wheel: TimerWheel, clock: Clock, signal?: AbortSignal): Promise<ActivityTask | undefined> {
    const t = this.tasks.get(arn)?.shift();
    if (t) return Promise.resolve(t);
    return new Promise((res) => {
      const list = this.pollers.get(arn) ?? [];
      const cb = (x: ActivityTask): void => {
        cancel();
        res(x);
      };
      list.push(cb);
      this.pollers.set(arn, list);
      const drop = (): void => {
        const l = this.pollers.get(arn);
        if (l) this.pollers.set(arn, l.filter((x) => x !== cb));
        res(undefined);
      };
      const cancel = wheel.at(clock.now() + timeoutMs, drop);
      signal?.addEventListener('abort', () => {
        cancel();
        drop();
      });
    });
  }
}

export interface TaskDeps {
  clock: Clock;
  wheel: TimerWheel;
  lambda?: LambdaInvoker;
  region: string;
  accountId: string;
  tokens: TokenRegistry;
  /** Where activity tasks go for workers to pick up (the model's store-backed queue, or ActivityQueues in memory). */
  activities: ActivitySink;
  tokenLog?: TokenLog;
  /** The SQS service's queues (sqs:sendMessage). */
  queues?: QueueBroker;
  /** Starts a nested execution and resolves with its DescribeExecution-shaped result when it ends. */
  startNested?(params: Obj, parentArn: string): Promise<{ started: Obj; done: Promise<Obj> }>;
}

export interface TaskRun {
  name: string;
  state: Obj;
  thread: Thread;
  signal: AbortSignal;
  standard: boolean;
  params(token?: string): Json;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  execArn: string;
  /** Resuming after a restart: the task already holds this token (and its work was submitted, or not yet). */
  resume?: { token: string; submitted: boolean; startedAt: number };
  /** The task waits on `token` from now on: makes the token and the execution's place durable before going on. */
  waiting?(token: string, submitted: boolean): Promise<void>;
}

/** Step Functions' limit on a state's input or output (UTF-8 bytes). */
const MAX_PAYLOAD = 262_144;
const DATA_LIMIT = "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit.";
const LAMBDA_ARN = /^arn:aws[\w-]*:lambda:([^:]+):(\d{12}):function:([^:]+)(?::([^:]+))?$/;
const ACTIVITY_ARN = /^arn:aws[\w-]*:states:([^:]+):(\d{12}):activity:(.+)$/;

function lambdaCause(e: AwsError, requestId: string, qualifier: string | undefined): string {
  // Step Functions names the version it asked for: an unqualified function is `…:function:name:$LATEST`.
  const m = /^(Function not found: arn:[^\s]+:function:[^:\s]+)$/.exec(e.message);
  const message = m ? `${m[1]}:${qualifier ?? '$LATEST'}` : e.message;
  return `${message} (Service: AWSLambda; Status Code: ${e.status}; Error Code: ${e.code}; Request ID: ${requestId}; Proxy: null)`;
}

/** The bytes the optimized integration sends: a string Payload as it is, no Payload (or null) as an empty object. */
function payloadBytes(payload: Json | undefined): Buffer {
  if (payload === undefined || payload === null) return Buffer.from('{}');
  return Buffer.from(typeof payload === 'string' ? payload : stringify(payload));
}

function parsePayload(b: Buffer): Json {
  const s = b.toString('utf8');
  try {
    return JSON.parse(s) as Json;
  } catch {
    return s;
  }
}

export async function runTask(d: TaskDeps, t: TaskRun): Promise<Json> {
  const resource = t.state['Resource'] as string;
  const legacy = LAMBDA_ARN.exec(resource);
  const activity = ACTIVITY_ARN.exec(resource);
  let m: RegExpExecArray | null;
  if (legacy) return legacyLambda(d, t, resource);
  if (activity) return runActivity(d, t, resource);
  if ((m = /^arn:aws[\w-]*:states:::lambda:invoke(\.waitForTaskToken)?$/.exec(resource))) return optimizedLambda(d, t, !!m[1]);
  if ((m = /^arn:aws[\w-]*:states:::sqs:sendMessage(\.waitForTaskToken)?$/.exec(resource))) return sqsSendMessage(d, t, !!m[1]);
  if ((m = /^arn:aws[\w-]*:states:::states:startExecution(\.sync(:2)?|\.waitForTaskToken)?$/.exec(resource))) return nested(d, t, m[1] ?? '');
  throw new StatesError('States.Runtime', `An error occurred while executing the state '${t.name}'. The resource '${resource}' is not supported by this implementation (only Lambda, SQS sendMessage, activities and states:startExecution)`);
}

/**
 * Records a task's failure event the AWS way (`<Kind>Failed` or `<Kind>TimedOut`, with `<kind>…EventDetails` holding
 * `details`, the error and the cause) and returns the error for the caller to throw.
 */
export function failureRecorder(thread: Thread, kind: 'Task' | 'LambdaFunction' | 'Activity', details: Record<string, unknown> = {}) {
  return (err: StatesError, timedOut = false): StatesError => {
    const type = `${kind}${timedOut ? 'TimedOut' : 'Failed'}`;
    const e: Record<string, unknown> = { ...details, error: err.error };
    if (err.cause) e['cause'] = err.cause;
    thread.add(type, `${type[0]!.toLowerCase()}${type.slice(1)}EventDetails`, e);
    return err;
  };
}

/** Races work against the task's TimeoutSeconds/HeartbeatSeconds; records TaskTimedOut the AWS way. */
export function withTimeout<T>(d: TaskDeps, t: TaskRun, work: Promise<T>, onTimeout: (err: StatesError) => void, hb?: { reset?: () => void }): Promise<T> {
  const timeout = t.timeoutSeconds ?? (t.standard ? undefined : 300);
  const cancels: (() => void)[] = [];
  const p = new Promise<T>((res, rej) => {
    const fail = (err: StatesError): void => {
      onTimeout(err);
      rej(err);
    };
    // A task resumed after a restart keeps its deadline: TimeoutSeconds counts from when the state started.
    const from = t.resume?.startedAt ?? d.clock.now();
    if (timeout !== undefined) cancels.push(d.wheel.at(from + timeout * 1000, () => fail(new StatesError('States.Timeout', ''))));
    if (t.heartbeatSeconds !== undefined && hb) {
      let c = d.wheel.at(d.clock.now() + t.heartbeatSeconds * 1000, () => fail(new StatesError('States.HeartbeatTimeout', '')));
      cancels.push(() => c());
      hb.reset = () => {
        c();
        c = d.wheel.at(d.clock.now() + t.heartbeatSeconds! * 1000, () => fail(new StatesError('States.HeartbeatTimeout', '')));
      };
    }
    work.then(res, rej);
  });
  return p.finally(() => cancels.forEach((c) => c()));
}

/** Waits on a token; a failure outcome is recorded through `fail` (TaskFailed, ActivityFailed…). */
export function waitFor(d: TaskDeps, t: TaskRun, token: string, hb: { reset?: () => void }, fail: (e: StatesError) => StatesError): Promise<Json> {
  return waitToken(d, t, token, hb).catch((e: unknown) => {
    throw e instanceof StatesError ? fail(e) : e;
  });
}

function waitToken(d: TaskDeps, t: TaskRun, token: string, hb: { reset?: () => void }): Promise<Json> {
  return new Promise<Json>((resolve, reject) => {
    const drop = d.tokens.add(token, {
      execArn: t.execArn,
      resolve: (v) => {
        drop();
        resolve(v);
      },
      reject: (e) => {
        drop();
        reject(e);
      },
      heartbeat: () => hb.reset?.(),
    });
    t.signal.addEventListener('abort', () => drop());
  });
}

/** What a `.sync` integration's call gives: the job it started (recorded as TaskSubmitted) and how the job ends. */
export class Submitted {
  constructor(
    readonly output: Obj,
    readonly completion: () => Promise<Json>,
  ) {}
}

/**
 * The course every optimized service integration takes: TaskScheduled and TaskStarted (not again when resumed after a
 * restart), for a callback the token issued and persisted before the call, the call, then TaskSubmitted and the wait
 * for the token (or, when the call returns `Submitted`, for the job's completion); TaskSucceeded at the end. A
 * StatesError thrown by `call` or by a completion is recorded as TaskFailed.
 */
export async function serviceTask(
  d: TaskDeps,
  t: TaskRun,
  details: { resource: string; resourceType: string },
  callback: boolean,
  call: (params: Obj) => Promise<Obj | Submitted>,
): Promise<Json> {
  const token = callback ? (t.resume?.token ?? randomUUID()) : undefined;
  const params = t.params(token) as Obj;
  if (!t.resume) {
    const sched: Record<string, unknown> = { ...details, region: d.region, parameters: stringify(params) };
    if (t.timeoutSeconds !== undefined) sched['timeoutInSeconds'] = t.timeoutSeconds;
    if (t.heartbeatSeconds !== undefined) sched['heartbeatInSeconds'] = t.heartbeatSeconds;
    t.thread.add('TaskScheduled', 'taskScheduledEventDetails', sched);
    // AWS starts a scheduled task asynchronously: concurrent Map iterations schedule theirs before any starts.
    await null;
    t.thread.add('TaskStarted', 'taskStartedEventDetails', details);
  }
  const fail = failureRecorder(t.thread, 'Task', details);
  const hb: { reset?: () => void } = {};
  const work = (async (): Promise<Json> => {
    if (callback && t.resume?.submitted) return waitFor(d, t, token!, hb, fail);
    if (callback) {
      d.tokenLog?.issue(token!, t.execArn);
      await t.waiting?.(token!, false);
    }
    try {
      const result = await call(params);
      if (!callback && !(result instanceof Submitted)) return result;
      const submitted = result instanceof Submitted ? result.output : result;
      t.thread.add('TaskSubmitted', 'taskSubmittedEventDetails', { ...details, output: stringify(submitted), outputDetails: { truncated: false } });
      if (result instanceof Submitted) return await result.completion();
    } catch (e) {
      throw e instanceof StatesError ? fail(e) : e;
    }
    await t.waiting?.(token!, true);
    return waitFor(d, t, token!, hb, fail);
  })();
  const out = await withTimeout(d, t, work, (err) => fail(err, true), hb);
  t.thread.add('TaskSucceeded', 'taskSucceededEventDetails', { ...details, output: stringify(out), outputDetails: { truncated: false } });
  return out;
}

function optimizedLambda(d: TaskDeps, t: TaskRun, callback: boolean): Promise<Json> {
  const details = { resource: callback ? 'invoke.waitForTaskToken' : 'invoke', resourceType: 'lambda' };
  return serviceTask(d, t, details, callback, async (params) => {
    const r = await invokeLambda(d, params['FunctionName'], payloadBytes(params['Payload']), params['Qualifier'], params['LogType'] === 'Tail');
    if (r.functionError) throw functionFailure(r.payload);
    if (r.size > MAX_PAYLOAD) throw new StatesError('States.DataLimitExceeded', DATA_LIMIT);
    const tail = r.logResult !== undefined ? { 'X-Amz-Log-Result': r.logResult } : {};
    const result: Obj = { ExecutedVersion: r.executedVersion };
    if (r.logResult !== undefined) result['LogResult'] = r.logResult;
    return Object.assign(result, {
      Payload: r.payload,
      SdkHttpMetadata: {
        AllHttpHeaders: { ...Object.fromEntries(Object.entries(tail).map(([k, v]) => [k, [v]])), 'X-Amz-Executed-Version': [r.executedVersion], 'Content-Length': [String(r.size)], 'Content-Type': ['application/json'], 'x-amzn-RequestId': [r.requestId] },
        HttpHeaders: { ...tail, 'Content-Length': String(r.size), 'Content-Type': 'application/json', 'X-Amz-Executed-Version': r.executedVersion, 'x-amzn-RequestId': r.requestId },
        HttpStatusCode: 200,
      },
      SdkResponseMetadata: { RequestId: r.requestId },
      StatusCode: 200,
    });
  });
}

function functionFailure(payload: Json): StatesError {
  const s = typeof payload === 'string' ? payload : stringify(payload);
  const type = payload && typeof payload === 'object' && !Array.isArray(payload) && typeof payload['errorType'] === 'string' ? payload['errorType'] : 'Exception';
  return new StatesError(type, s);
}

async function invokeLambda(d: TaskDeps, fn: Json | undefined, payload: Buffer, qualifier: Json | undefined, tail = false): Promise<{ payload: Json; functionError?: string; executedVersion: string; requestId: string; size: number; logResult?: string }> {
  const requestId = randomUUID();
  if (!d.lambda) throw new StatesError('Lambda.ServiceException', 'Lambda is not available in this server');
  if (typeof fn !== 'string') throw new StatesError('States.Runtime', `The field 'FunctionName' is required and must be a string`);
  try {
    const r = await d.lambda.invoke({
      region: d.region,
      functionName: fn,
      qualifier: typeof qualifier === 'string' ? qualifier : undefined,
      payload,
      requestId,
      tail,
    });
    return { payload: parsePayload(r.payload), functionError: r.functionError, executedVersion: r.executedVersion, requestId, size: r.payload.length, logResult: r.logResult };
  } catch (e) {
    if (e instanceof AwsError) throw new StatesError(`Lambda.${e.code}`, lambdaCause(e, requestId, typeof qualifier === 'string' ? qualifier : undefined));
    throw new StatesError('Lambda.ServiceException', e instanceof Error ? e.message : String(e));
  }
}

async function legacyLambda(d: TaskDeps, t: TaskRun, resource: string): Promise<Json> {
  const input = t.params();
  const sched: Record<string, unknown> = { resource, input: stringify(input), inputDetails: { truncated: false } };
  if (t.timeoutSeconds !== undefined) sched['timeoutInSeconds'] = t.timeoutSeconds;
  t.thread.add('LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails', sched);
  t.thread.add('LambdaFunctionStarted');
  const fail = failureRecorder(t.thread, 'LambdaFunction');
  const work = (async (): Promise<Json> => {
    let r;
    try {
      r = await invokeLambda(d, resource, Buffer.from(stringify(input)), undefined);
    } catch (e) {
      throw e instanceof StatesError ? fail(e) : e;
    }
    if (r.functionError) throw fail(functionFailure(r.payload));
    if (r.size > MAX_PAYLOAD) throw fail(new StatesError('States.DataLimitExceeded', DATA_LIMIT));
    return r.payload;
  })();
  const out = await withTimeout(d, t, work, (err) => fail(err, true));
  t.thread.add('LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails', { output: stringify(out), outputDetails: { truncated: false } });
  return out;
}

async function runActivity(d: TaskDeps, t: TaskRun, resource: string): Promise<Json> {
  const token = t.resume?.token ?? randomUUID();
  const input = t.params(token);
  if (!t.resume) {
    const sched: Record<string, unknown> = { resource, input: stringify(input), inputDetails: { truncated: false } };
    if (t.timeoutSeconds !== undefined) sched['timeoutInSeconds'] = t.timeoutSeconds;
    if (t.heartbeatSeconds !== undefined) sched['heartbeatInSeconds'] = t.heartbeatSeconds;
    t.thread.add('ActivityScheduled', 'activityScheduledEventDetails', sched);
  }
  const hb: { reset?: () => void } = {};
  const fail = failureRecorder(t.thread, 'Activity');
  const done = (async (): Promise<Json> => {
    if (!t.resume) {
      d.tokenLog?.issue(token, t.execArn, { arn: resource, input: stringify(input) });
      await t.waiting?.(token, false);
    }
    const waiting = waitFor(d, t, token, hb, fail);
    // A task no worker had picked up before a restart is queued again (with the same token); a picked-up one just waits.
    if (!t.resume?.submitted) d.activities.push(resource, { token, arn: resource, input: stringify(input), started: (w) => activityStarted(t.thread, w) });
    return waiting;
  })();
  const out = await withTimeout(d, t, done, (err) => fail(err, true), hb);
  t.thread.add('ActivitySucceeded', 'activitySucceededEventDetails', { output: stringify(out), outputDetails: { truncated: false } });
  return out;
}

/** Marks the activity as picked up by a worker (ActivityStarted), called from GetActivityTask. */
export function activityStarted(thread: Thread, workerName: string | undefined): void {
  thread.add('ActivityStarted', 'activityStartedEventDetails', workerName ? { workerName } : {});
}

/** `states:startExecution` (`.sync`, `.sync:2`, `.waitForTaskToken`): a child execution of this server. */
function nested(d: TaskDeps, t: TaskRun, mode: string): Promise<Json> {
  const startNested = d.startNested;
  if (!startNested) throw new StatesError('States.Runtime', 'Nested executions are not available');
  const details = { resource: `startExecution${mode}`, resourceType: 'states' };
  return serviceTask(d, t, details, mode === '.waitForTaskToken', async (params) => {
    let started: Obj;
    let done: Promise<Obj>;
    try {
      ({ started, done } = await startNested(params, t.execArn));
    } catch (e) {
      if (e instanceof AwsError) throw new StatesError(`StepFunctions.${e.code}Exception`.replace('ExceptionException', 'Exception'), `${e.message} (Service: AWSStepFunctions; Status Code: 400; Error Code: ${e.code}; Request ID: ${randomUUID()}; Proxy: null)`);
      throw e;
    }
    if (mode !== '.sync' && mode !== '.sync:2') return started;
    return new Submitted(started, async () => {
      // The child's DescribeExecution: a failed one fails the task with it as the cause (AWS's States.TaskFailed).
      const r = await done;
      if (r['Status'] !== 'SUCCEEDED') {
        const err = r['Status'] === 'TIMED_OUT' ? 'States.Timeout' : r['Status'] === 'ABORTED' ? 'States.Runtime' : 'States.TaskFailed';
        throw new StatesError(err, stringify(r));
      }
      // `.sync:2` gives the child's input and output as JSON, `.sync` as JSON text.
      return mode === '.sync:2' ? { ...r, Input: parseJson(r['Input']), Output: parseJson(r['Output']) } : r;
    });
  });
}

const parseJson = (v: Json | undefined): Json => (typeof v === 'string' ? (JSON.parse(v) as Json) : (v ?? null));
