// The interpreter: runs one execution's states over its history, with Retry/Catch, variables, Map/Parallel and tasks.
import { randomUUID } from 'node:crypto';
import { evalRule, isTimestamp } from '../asl/choice.js';
import { evalJsonata, evalJsonataTemplate } from '../asl/jsonata.js';
import { applyPath, applyResultPath, evalExpr, evalTemplate, queryPath, StatesError, stringify, type Json, type PathScope } from '../asl/paths.js';
import { History, Thread, type HistoryEvent } from './history.js';
import { runTask, type TaskDeps } from './tasks.js';

type Obj = Record<string, Json>;

export interface ExecInfo {
  arn: string;
  name: string;
  smArn: string;
  smName: string;
  roleArn: string;
  input: Json;
  /** The caller's input text as given (ExecutionStarted and DescribeExecution show it unchanged, e.g. `0.0`). */
  inputText?: string;
  startTime: number;
  type: 'STANDARD' | 'EXPRESS';
  definition: Obj;
}

/** Where a Standard execution resumes after a restart: the top-level state it had reached. */
export interface Checkpoint {
  state: string;
  input: Json;
  vars: Record<string, Json>;
  /** How many history events there were when the state was reached (its Entered event comes next). */
  events?: number;
  /** The state's Entered event is already in the history (a Wait resumes its timer instead of re-entering). */
  entered?: { thread: number; at: number; until?: number; token?: string; submitted?: boolean };
}

export interface ExecHooks {
  onEvent?(e: HistoryEvent): void;
  checkpoint?(cp: Checkpoint): void;
  /** Resolves once every event and checkpoint recorded so far is durable. */
  persist?(): Promise<void>;
  /** Sleeps until `at` (durably for Standard); rejects when the execution is aborted. */
  sleep(at: number, signal: AbortSignal): Promise<void>;
}

export class Aborted extends Error {}

/** Errors that end a Map/Parallel state without a *StateFailed event. */
const NO_STATE_FAILED = new WeakSet<StatesError>();
/** Errors raised while processing a successful result: neither Retry nor Catch applies. */
const NO_CATCH = new WeakSet<StatesError>();
/** The execution's own TimeoutSeconds (TIMED_OUT), as opposed to a task's States.Timeout (FAILED unless caught). */
const EXECUTION_TIMEOUT = new WeakSet<StatesError>();

class Scope {
  readonly vars = new Map<string, Json>();
  constructor(readonly parent?: Scope) {}
  get(n: string): Json | undefined {
    return this.vars.has(n) ? this.vars.get(n) : this.parent?.get(n);
  }
  all(): Record<string, Json> {
    const o: Record<string, Json> = this.parent ? this.parent.all() : {};
    for (const [k, v] of this.vars) o[k] = v;
    return o;
  }
}

const ENTER: Record<string, string> = { Pass: 'Pass', Task: 'Task', Choice: 'Choice', Wait: 'Wait', Succeed: 'Succeed', Fail: 'Fail', Parallel: 'Parallel', Map: 'Map' };

export function errorMatches(list: Json[], error: string): boolean {
  // Recorded AWS behaviour: States.ALL catches a task's States.DataLimitExceeded but never States.Runtime.
  return list.some((e) => e === error || (e === 'States.ALL' && error !== 'States.Runtime') || (e === 'States.TaskFailed' && error !== 'States.Timeout' && error !== 'States.Runtime' && error !== 'States.DataLimitExceeded' && !error.startsWith('States.') ));
}

interface Frame {
  thread: Thread;
  scope: Scope;
  mapItem?: { Index: number; Value: Json };
  lang: 'JSONPath' | 'JSONata';
  top: boolean;
  /** Aborts when the execution, or the Map/Parallel branch this frame runs in, is stopped. */
  signal: AbortSignal;
  /** The state the frame is in, from its Entered event until it exits (a failed state stays open). */
  open: { type?: string };
}

export class Execution {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' = 'RUNNING';
  output?: Json;
  error?: string;
  cause?: string;
  stopTime?: number;
  readonly history: History;
  private readonly ac = new AbortController();
  private transitions = 0;

  constructor(
    readonly info: ExecInfo,
    private readonly deps: TaskDeps,
    private readonly hooks: ExecHooks,
    prior: HistoryEvent[] = [],
  ) {
    this.history = new History(() => deps.clock.now(), hooks.onEvent);
    this.history.events.push(...prior);
  }

  get signal(): AbortSignal {
    return this.ac.signal;
  }
  get transitionCount(): number {
    return this.transitions;
  }

  start(): void {
    this.history.push('ExecutionStarted', 0, 'executionStartedEventDetails', {
      input: this.info.inputText ?? stringify(this.info.input),
      inputDetails: { truncated: false },
      roleArn: this.info.roleArn,
    });
  }

  /** Runs to the end (or from a checkpoint). Never throws. */
  async run(resume?: Checkpoint): Promise<void> {
    const def = this.info.definition;
    // A state that was in progress when the process died runs again from its start (at-least-once), without a
    // second Entered event: its history then reads like a retry (a new TaskScheduled/TaskStarted) after the restart.
    if (resume && !resume.entered && resume.events !== undefined) {
      const e = this.history.events[resume.events];
      const d = e?.['stateEnteredEventDetails'] as { name?: string } | undefined;
      if (e && e.type.endsWith('StateEntered') && d?.name === resume.state) resume = { ...resume, entered: { thread: this.history.events.length, at: e.timestamp } };
    }
    const scope = new Scope();
    if (resume) for (const [k, v] of Object.entries(resume.vars)) scope.vars.set(k, v);
    // A resumed execution continues after its last recorded event.
    const thread = new Thread(this.history, this.history.events.length > 1 ? this.history.events.length : 0);
    const lang = def['QueryLanguage'] === 'JSONata' ? 'JSONata' : 'JSONPath';
    let timeoutCancel: (() => void) | undefined;
    try {
      const timeout = def['TimeoutSeconds'];
      const run = this.runProgram(def, resume?.input ?? this.info.input, { thread, scope, lang, top: true, signal: this.ac.signal, open: {} }, resume);
      let out: Json;
      if (typeof timeout === 'number') {
        const timedOut = new Promise<never>((_, rej) => {
          timeoutCancel = this.deps.wheel.at(this.info.startTime + timeout * 1000, () => {
            const e = new StatesError('States.Timeout', '');
            EXECUTION_TIMEOUT.add(e);
            rej(e);
          });
        });
        out = await Promise.race([run, timedOut]);
      } else out = await run;
      this.finish('SUCCEEDED', thread, { output: out });
    } catch (e) {
      if (this.status !== 'RUNNING') return;
      if (e instanceof StatesError && EXECUTION_TIMEOUT.has(e)) {
        this.ac.abort();
        this.finish('TIMED_OUT', thread, { error: 'States.Timeout', cause: e.cause || undefined });
      } else if (e instanceof StatesError) this.finish('FAILED', thread, { error: e.error, cause: e.cause });
      else if (e instanceof Aborted) return;
      else this.finish('FAILED', thread, { error: 'States.Runtime', cause: e instanceof Error ? e.message : String(e) });
    } finally {
      timeoutCancel?.();
    }
  }

  stop(error?: string, cause?: string): void {
    if (this.status !== 'RUNNING') return;
    this.status = 'ABORTED';
    this.error = error;
    this.cause = cause;
    this.stopTime = this.deps.clock.now();
    this.ac.abort();
    const d: Record<string, unknown> = {};
    if (error !== undefined) d['error'] = error;
    if (cause !== undefined) d['cause'] = cause;
    this.history.push('ExecutionAborted', this.history.events.length, 'executionAbortedEventDetails', d);
  }

  private finish(status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT', thread: Thread, r: { output?: Json; error?: string; cause?: string }): void {
    this.status = status;
    this.stopTime = this.deps.clock.now();
    if (status === 'SUCCEEDED') {
      this.output = r.output;
      thread.add('ExecutionSucceeded', 'executionSucceededEventDetails', { output: stringify(r.output), outputDetails: { truncated: false } });
    } else {
      // A Fail state without Error/Cause leaves them out of the event and the description, as AWS does.
      this.error = r.error || undefined;
      this.cause = r.cause || undefined;
      const d: Record<string, unknown> = {};
      if (this.error !== undefined) d['error'] = this.error;
      if (this.cause !== undefined) d['cause'] = this.cause;
      thread.add(status === 'FAILED' ? 'ExecutionFailed' : 'ExecutionTimedOut', status === 'FAILED' ? 'executionFailedEventDetails' : 'executionTimedOutEventDetails', d);
    }
  }

  private context(state: string, entered: number, retry: number, f: Frame, token?: string, retriable = true): Json {
    const st: Obj = { EnteredTime: new Date(entered).toISOString(), Name: state };
    // Only states that can retry (Task, Parallel, Map) carry a RetryCount; a Pass state's context has none.
    if (retriable) st['RetryCount'] = retry;
    const c: Obj = {
      Execution: { Id: this.info.arn, Input: this.info.input, StartTime: new Date(this.info.startTime).toISOString(), Name: this.info.name, RoleArn: this.info.roleArn, RedriveCount: 0 },
      State: st,
      StateMachine: { Id: this.info.smArn, Name: this.info.smName },
    };
    if (token) c['Task'] = { Token: token };
    if (f.mapItem) c['Map'] = { Item: f.mapItem };
    return c;
  }

  private enteredId(f: Frame, type: string): number {
    const evs = f.thread.hist.events;
    for (let i = evs.length - 1; i >= 0; i--) if (evs[i]!.type === type) return evs[i]!.id;
    return 0;
  }

  private check(signal: AbortSignal): void {
    if (signal.aborted) throw new Aborted();
    // AWS's hard limit on a Standard history; it also stops runaway loops from exhausting memory.
    if (this.history.events.length >= 25_000) throw new StatesError('States.Runtime', 'The execution reached the maximum number of history events (25000).');
  }

  async runProgram(prog: Obj, input: Json, f: Frame, resume?: Checkpoint): Promise<Json> {
    const states = prog['States'] as Record<string, Obj>;
    let name = resume?.state ?? (prog['StartAt'] as string);
    let cur = input;
    let entered = resume?.entered;
    const lang = prog['QueryLanguage'] === 'JSONata' ? 'JSONata' : f.lang;
    for (;;) {
      this.check(f.signal);
      const st = states[name]!;
      // On resume the first checkpoint keeps where the state had got to, so a second crash resumes the same way.
      if (f.top) this.hooks.checkpoint?.({ state: name, input: cur, vars: f.scope.all(), events: this.history.events.length, entered });
      const r = await this.runState(name, st, cur, { ...f, lang: st['QueryLanguage'] === 'JSONata' ? 'JSONata' : st['QueryLanguage'] === 'JSONPath' ? 'JSONPath' : lang }, entered);
      entered = undefined;
      this.transitions++;
      if (r.next === undefined) return r.output;
      name = r.next;
      cur = r.output;
    }
  }

  private async runState(name: string, st: Obj, rawInput: Json, f: Frame, resumed?: Checkpoint['entered']): Promise<{ output: Json; next?: string }> {
    const type = st['Type'] as string;
    const enteredAt = resumed?.at ?? this.deps.clock.now();
    if (!resumed) f.thread.add(`${ENTER[type]}StateEntered`, 'stateEnteredEventDetails', { name, input: stringify(rawInput), inputDetails: { truncated: false } });
    f.open.type = type;
    const ctx = (retry = 0, token?: string): Json => this.context(name, enteredAt, retry, f, token, type === 'Task' || type === 'Parallel' || type === 'Map');
    const jsonata = f.lang === 'JSONata';
    // The context object is built only when a path actually reads `$$` (most states never do).
    const lazyScope = { get context(): Json { return ctx(); }, vars: (n: string) => f.scope.get(n) };
    const pscope = (input: Json, retry = 0): PathScope => ({ input, get context(): Json { return ctx(retry); }, vars: (n) => f.scope.get(n) });
    const bindings = (input: Json, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ ...f.scope.all(), states: { input, context: ctx(), ...extra } });
    let assigned: Record<string, string> | undefined;
    // Assigned values take effect when the state exits: its own Output/OutputPath still sees the old ones.
    let pending: [string, Json][] = [];
    const exit = (output: Json, next: string | undefined): { output: Json; next?: string } => {
      f.open.type = undefined;
      for (const [k, v] of pending) f.scope.vars.set(k, v);
      pending = [];
      const d: Record<string, unknown> = { name, output: stringify(output), outputDetails: { truncated: false } };
      if (assigned) {
        d['assignedVariables'] = assigned;
        d['assignedVariablesDetails'] = { truncated: false };
      }
      if (type !== 'Fail') f.thread.add(`${ENTER[type]}StateExited`, 'stateExitedEventDetails', d);
      return { output, next };
    };
    const nextOf = (): string | undefined => (st['End'] === true ? undefined : (st['Next'] as string));
    const assign = async (result: Json, input: Json, tpl: Json | undefined, extra: Record<string, unknown> = {}): Promise<void> => {
      if (!tpl) return;
      const vals = jsonata ? await evalJsonataTemplate(tpl, bindings(input, { result, ...extra }), 'Assign') : evalTemplate(tpl, pscope(result), 'Assign');
      if (Object.keys(vals as Obj).length === 0) return;
      assigned ??= {};
      for (const [k, v] of Object.entries(vals as Obj)) {
        pending.push([k, v]);
        assigned[k] = stringify(v);
      }
    };
    const fixCause = (e: StatesError): StatesError => {
      if (!e.cause.includes('{state}')) return e;
      const evs = f.thread.hist.events;
      let evId = 0;
      for (let i = evs.length - 1; i >= 0; i--) if (evs[i]!.type.endsWith('StateEntered') && (evs[i]!['stateEnteredEventDetails'] as { name: string }).name === name) { evId = evs[i]!.id; break; }
      return new StatesError(e.error, e.cause.replace('{state}', name).replace('{event}', String(evId)), e.location);
    };

    try {
      // Input processing
      let input: Json;
      if (jsonata) input = rawInput;
      else input = applyPath(st['InputPath'] as string | null | undefined, rawInput, 'InputPath', lazyScope);

      switch (type) {
        case 'Pass': {
          let result: Json;
          if (jsonata) {
            result = st['Output'] !== undefined ? await evalJsonataTemplate(st['Output'], bindings(input), 'Output') : input;
            await assign(result, input, st['Assign']);
            return exit(result, nextOf());
          }
          const eff = st['Parameters'] !== undefined ? evalTemplate(st['Parameters'], pscope(input)) : input;
          result = st['Result'] !== undefined ? st['Result'] : eff;
          await assign(result, input, st['Assign']);
          const out = applyPath(st['OutputPath'] as string | null | undefined, applyResultPath(st['ResultPath'] as string | null | undefined, rawInput, result), 'OutputPath', lazyScope);
          return exit(out, nextOf());
        }
        case 'Succeed': {
          const out = jsonata ? (st['Output'] !== undefined ? await evalJsonataTemplate(st['Output'], bindings(input), 'Output') : input) : applyPath(st['OutputPath'] as string | null | undefined, input, 'OutputPath', lazyScope);
          return exit(out, undefined);
        }
        case 'Fail': {
          let error: Json | undefined = st['Error'];
          let cause: Json | undefined = st['Cause'];
          if (jsonata) {
            if (error !== undefined) error = await evalJsonataTemplate(error, bindings(input), 'Error');
            if (cause !== undefined) cause = await evalJsonataTemplate(cause, bindings(input), 'Cause');
          } else {
            if (st['ErrorPath'] !== undefined) error = evalExpr(st['ErrorPath'] as string, pscope(input), 'ErrorPath');
            if (st['CausePath'] !== undefined) cause = evalExpr(st['CausePath'] as string, pscope(input), 'CausePath');
          }
          throw new StatesError(error === undefined ? '' : String(error), cause === undefined ? '' : String(cause));
        }
        case 'Choice': {
          const choices = st['Choices'] as Obj[];
          for (const c of choices) {
            let ok: boolean;
            if (jsonata) {
              const cond = c['Condition'];
              const v = typeof cond === 'string' && cond.startsWith('{%') ? await evalJsonata(cond.slice(2, -2), bindings(input), 'Condition') : cond;
              if (typeof v !== 'boolean') throw new StatesError('States.QueryEvaluationError', `The Condition of a Choice rule must evaluate to a boolean but was ${stringify(v)}`);
              ok = v;
            } else ok = evalRule(c as Record<string, Json>, pscope(input));
            if (ok) {
              await assign(input, input, c['Assign']);
              const out = jsonata ? (c['Output'] !== undefined ? await evalJsonataTemplate(c['Output'], bindings(input), 'Output') : input) : applyPath(st['OutputPath'] as string | null | undefined, input, 'OutputPath', lazyScope);
              return exit(out, c['Next'] as string);
            }
          }
          if (typeof st['Default'] === 'string') {
            await assign(input, input, st['Assign']);
            const out = jsonata ? (st['Output'] !== undefined ? await evalJsonataTemplate(st['Output'], bindings(input), 'Output') : input) : applyPath(st['OutputPath'] as string | null | undefined, input, 'OutputPath', lazyScope);
            return exit(out, st['Default']);
          }
          throw new StatesError('States.NoChoiceMatched', `No Matches!`);
        }
        case 'Wait': {
          let until = resumed?.until;
          if (until === undefined) {
            let secs: Json | undefined = st['Seconds'];
            let ts: Json | undefined = st['Timestamp'];
            if (jsonata) {
              if (secs !== undefined) secs = await evalJsonataTemplate(secs, bindings(input), 'Seconds');
              if (ts !== undefined) ts = await evalJsonataTemplate(ts, bindings(input), 'Timestamp');
            }
            const pre = `An error occurred while executing the state '{state}' (entered at the event id #{event}).`;
            const sp = st['SecondsPath'] as string | undefined;
            const tp = st['TimestampPath'] as string | undefined;
            if (sp !== undefined) {
              secs = queryPath(sp, pscope(input));
              if (secs === undefined) throw new StatesError('States.Runtime', `${pre} The SecondsPath parameter does not reference an input value: ${sp}`);
            }
            if (tp !== undefined) {
              ts = queryPath(tp, pscope(input));
              if (ts === undefined) throw new StatesError('States.Runtime', `${pre} The TimestampPath parameter does not reference an input value: ${tp}`);
            }
            if (secs !== undefined) {
              const shown = `${sp ?? 'Seconds'} == ${typeof secs === 'string' ? secs : stringify(secs)}`;
              if (typeof secs !== 'number' || !Number.isInteger(secs)) throw new StatesError('States.Runtime', `${pre} The SecondsPath parameter cannot be parsed as a long value: ${shown}`);
              if (secs < 0) throw new StatesError('States.Runtime', `${pre} The SecondsPath parameter references a negative value: ${shown}`);
              until = enteredAt + secs * 1000;
            } else {
              if (!isTimestamp(ts)) throw new StatesError('States.Runtime', `${pre} The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: ${tp ?? 'Timestamp'} == ${typeof ts === 'string' ? ts : stringify(ts)}`);
              until = Date.parse(ts);
            }
          }
          if (f.top) this.hooks.checkpoint?.({ state: name, input: rawInput, vars: f.scope.all(), entered: { thread: f.thread.last, at: enteredAt, until } });
          if (until > this.deps.clock.now()) await this.hooks.sleep(until, f.signal);
          this.check(f.signal);
          await assign(input, input, st['Assign']);
          const out = jsonata ? (st['Output'] !== undefined ? await evalJsonataTemplate(st['Output'], bindings(input), 'Output') : input) : applyPath(st['OutputPath'] as string | null | undefined, input, 'OutputPath', lazyScope);
          return exit(out, nextOf());
        }
        case 'Task':
        case 'Parallel':
        case 'Map':
          return await this.runWithRetry(name, st, rawInput, input, f, enteredAt, { pscope, bindings, exit, nextOf, assign, ctx }, resumed);
      }
      throw new StatesError('States.Runtime', `Unknown state type ${type}`);
    } catch (e) {
      if (e instanceof StatesError) {
        const fe = fixCause(e);
        // A JSONata field of any state (or any failure of a Pass/Choice/Succeed) that fails evaluation is an EvaluationFailed.
        if ((type === 'Pass' || type === 'Choice' || type === 'Succeed' || fe.location !== undefined) && e.error === 'States.QueryEvaluationError') {
          // AWS chains EvaluationFailed to the event before the state's Entered event.
          const evs = f.thread.hist.events;
          for (let i = evs.length - 1; i >= 0; i--) if (evs[i]!.type.endsWith('StateEntered')) { f.thread.last = evs[i]!.previousEventId; break; }
          f.thread.add('EvaluationFailed', 'evaluationFailedEventDetails', { error: fe.error, cause: fe.cause, ...(fe.location ? { location: fe.location } : {}), state: name });
        }
        throw fe;
      }
      throw e;
    }
  }

  private async runWithRetry(
    name: string,
    st: Obj,
    rawInput: Json,
    input: Json,
    f: Frame,
    enteredAt: number,
    h: {
      pscope: (i: Json, retry?: number) => PathScope;
      bindings: (i: Json, extra?: Record<string, unknown>) => Record<string, unknown>;
      exit: (o: Json, n: string | undefined) => { output: Json; next?: string };
      nextOf: () => string | undefined;
      assign: (r: Json, i: Json, tpl: Json | undefined, extra?: Record<string, unknown>) => Promise<void>;
      ctx: (retry?: number, token?: string) => Json;
    },
    resumed?: Checkpoint['entered'],
  ): Promise<{ output: Json; next?: string }> {
    const type = st['Type'] as string;
    const vars = f.scope.all();
    const jsonata = f.lang === 'JSONata';
    const retriers = (st['Retry'] as Obj[] | undefined) ?? [];
    const attempts = retriers.map(() => 0);
    for (let retry = 0; ; retry++) {
      try {
        let params: Json;
        if (jsonata) params = st['Arguments'] !== undefined ? await evalJsonataTemplate(st['Arguments'], h.bindings(input), 'Arguments') : input;
        else if (type === 'Map') params = input;
        else if (type === 'Task') {
          params = st['Parameters'] !== undefined ? input : input; // Task parameters are evaluated with the token below
        } else params = st['Parameters'] !== undefined ? evalTemplate(st['Parameters'], h.pscope(input, retry)) : input;
        let result: Json;
        if (type === 'Task') {
          result = await runTask(this.deps, {
            name,
            state: st,
            thread: f.thread,
            signal: f.signal,
            standard: this.info.type === 'STANDARD',
            params: (token) => (jsonata ? params : st['Parameters'] !== undefined ? evalTemplate(st['Parameters'], { input, context: h.ctx(retry, token), vars: (n) => f.scope.get(n) }) : input),
            // JSONPath fields are read without yielding, so a task's Entered and Scheduled events stay together.
            timeoutSeconds: jsonata ? await this.numField(st, 'TimeoutSeconds', input, h, jsonata) : this.pathNumField(st, 'TimeoutSeconds', input, h),
            heartbeatSeconds: jsonata ? await this.numField(st, 'HeartbeatSeconds', input, h, jsonata) : this.pathNumField(st, 'HeartbeatSeconds', input, h),
            execArn: this.info.arn,
            resume: retry === 0 && resumed?.token ? { token: resumed.token, submitted: !!resumed.submitted, startedAt: resumed.at } : undefined,
            waiting: async (token, submitted) => {
              if (f.top) this.hooks.checkpoint?.({ state: name, input: rawInput, vars, entered: { thread: f.thread.last, at: enteredAt, token, submitted } });
              await this.hooks.persist?.();
            },
          });
        } else if (type === 'Parallel') result = await this.runParallel(st, params, f);
        else result = await this.runMap(name, st, input, f, h, jsonata);
        // Result processing: its failures (ResultSelector/ResultPath/OutputPath) are not retried or caught.
        try {
          return await this.processResult(st, rawInput, input, result, f, h, jsonata, retry);
        } catch (e) {
          if (e instanceof StatesError && e.error === 'States.Runtime') NO_CATCH.add(e);
          throw e;
        }
      } catch (e) {
        if (!(e instanceof StatesError)) throw e;
        if (NO_CATCH.has(e)) throw e;
        const failedEvent = (): void => {
          if (NO_STATE_FAILED.has(e)) return;
          if (type === 'Parallel') f.thread.add('ParallelStateFailed');
          if (type === 'Map') f.thread.add('MapStateFailed');
        };
        const ri = retriers.findIndex((r) => errorMatches(r['ErrorEquals'] as Json[], e.error));
        if (ri >= 0) {
          const r = retriers[ri]!;
          const max = typeof r['MaxAttempts'] === 'number' ? r['MaxAttempts'] : 3;
          if (attempts[ri]! < max) {
            const interval = typeof r['IntervalSeconds'] === 'number' ? r['IntervalSeconds'] : 1;
            const rate = typeof r['BackoffRate'] === 'number' ? r['BackoffRate'] : 2;
            let delay = interval * rate ** attempts[ri]!;
            if (typeof r['MaxDelaySeconds'] === 'number') delay = Math.min(delay, r['MaxDelaySeconds']);
            if (r['JitterStrategy'] === 'FULL') delay = Math.random() * delay;
            attempts[ri]!++;
            await this.hooks.sleep(this.deps.clock.now() + delay * 1000, f.signal);
            this.check(f.signal);
            continue;
          }
        }
        const catchers = (st['Catch'] as Obj[] | undefined) ?? [];
        const c = catchers.find((x) => errorMatches(x['ErrorEquals'] as Json[], e.error));
        failedEvent();
        if (!c) throw e;
        const errObj: Json = { Error: e.error, Cause: e.cause };
        let out: Json;
        if (jsonata) {
          await h.assign(null, input, c['Assign'], { errorOutput: errObj });
          out = c['Output'] !== undefined ? await evalJsonataTemplate(c['Output'], h.bindings(input, { errorOutput: errObj }), 'Output') : errObj;
        } else {
          await h.assign(errObj, input, c['Assign']);
          out = applyResultPath(c['ResultPath'] as string | null | undefined, rawInput, errObj);
        }
        return h.exit(out, c['Next'] as string);
      }
    }
  }

  private async processResult(
    st: Obj, rawInput: Json, input: Json, result: Json, f: Frame,
    h: { pscope: (i: Json, retry?: number) => PathScope; bindings: (i: Json, extra?: Record<string, unknown>) => Record<string, unknown>; exit: (o: Json, n: string | undefined) => { output: Json; next?: string }; nextOf: () => string | undefined; assign: (r: Json, i: Json, tpl: Json | undefined, extra?: Record<string, unknown>) => Promise<void>; ctx: (retry?: number, token?: string) => Json },
    jsonata: boolean, retry: number,
  ): Promise<{ output: Json; next?: string }> {
    let out: Json;
    if (jsonata) {
      await h.assign(result, input, st['Assign']);
      out = st['Output'] !== undefined ? await evalJsonataTemplate(st['Output'], h.bindings(input, { result }), 'Output') : result;
    } else {
      if (st['ResultSelector'] !== undefined) result = evalTemplate(st['ResultSelector'], h.pscope(result, retry), 'ResultSelector');
      await h.assign(result, input, st['Assign']);
      out = applyPath(st['OutputPath'] as string | null | undefined, applyResultPath(st['ResultPath'] as string | null | undefined, rawInput, result), 'OutputPath', { get context(): Json { return h.ctx(); }, vars: (n: string) => f.scope.get(n) });
    }
    return h.exit(out, h.nextOf());
  }

  private pathNumField(st: Obj, field: string, input: Json, h: { pscope: (i: Json) => PathScope }): number | undefined {
    let v: Json | undefined = st[field];
    if (st[`${field}Path`] !== undefined) v = queryPath(st[`${field}Path`] as string, h.pscope(input));
    return typeof v === 'number' ? v : undefined;
  }

  private async numField(st: Obj, field: string, input: Json, h: { pscope: (i: Json) => PathScope; bindings: (i: Json) => Record<string, unknown> }, jsonata: boolean): Promise<number | undefined> {
    let v: Json | undefined = st[field];
    if (jsonata && typeof v === 'string') v = await evalJsonataTemplate(v, h.bindings(input), field);
    if (st[`${field}Path`] !== undefined) v = queryPath(st[`${field}Path`] as string, h.pscope(input));
    return typeof v === 'number' ? v : undefined;
  }

  private async runParallel(st: Obj, input: Json, f: Frame): Promise<Json> {
    f.thread.add('ParallelStateStarted');
    const stop = new AbortController();
    const signal = AbortSignal.any([f.signal, stop.signal]);
    const branches = st['Branches'] as Obj[];
    const frames = branches.map((): Frame => ({ thread: f.thread.fork(stop.signal), scope: new Scope(f.scope), lang: f.lang, top: false, signal, open: {} }));
    const running = new Set(frames);
    const runBranch = async (b: Obj, i: number): Promise<Json> => {
      const fr = frames[i]!;
      try {
        return await abortable(this.runProgram(b, input, fr), signal);
      } catch (e) {
        // The first branch to fail stops the others: its open state and theirs are aborted, chained to its last event.
        if (e instanceof StatesError && !stop.signal.aborted) {
          f.thread.last = fr.thread.last;
          stateAborted(f.thread.hist, fr, fr.thread.last);
          for (const other of running) if (other !== fr) stateAborted(f.thread.hist, other, fr.thread.last);
          stop.abort();
        }
        throw e;
      } finally {
        running.delete(fr);
      }
    };
    const results = await Promise.all(branches.map(runBranch));
    f.thread.last = Math.max(f.thread.last, ...frames.map((x) => x.thread.last));
    // Like MapStateSucceeded, AWS chains ParallelStateSucceeded and ParallelStateExited to the branches' last event.
    f.thread.add('ParallelStateSucceeded', undefined, undefined, false);
    return results;
  }

  private async runMap(name: string, st: Obj, input: Json, f: Frame, h: { pscope: (i: Json) => PathScope; bindings: (i: Json) => Record<string, unknown>; ctx: () => Json }, jsonata: boolean): Promise<Json> {
    let items: Json;
    if (jsonata) items = st['Items'] !== undefined ? await evalJsonataTemplate(st['Items'], h.bindings(input), 'Items') : input;
    else items = applyPath(st['ItemsPath'] as string | undefined, input, 'ItemsPath', { context: h.ctx(), vars: (n) => f.scope.get(n) });
    if (!Array.isArray(items)) {
      const err = new StatesError(jsonata ? 'States.QueryEvaluationError' : 'States.Runtime', `An error occurred while executing the state '{state}' (entered at the event id #{event}). Map state input must be an array but was: ${stringify(items)}`);
      const evs = f.thread.hist.events;
      let evId = 0;
      let prev = f.thread.last;
      for (let i = evs.length - 1; i >= 0; i--) if (evs[i]!.type === 'MapStateEntered') { evId = evs[i]!.id; prev = evs[i]!.previousEventId; break; }
      const cause = err.cause.replace('{state}', name).replace('{event}', String(evId));
      f.thread.last = prev;
      f.thread.add('EvaluationFailed', 'evaluationFailedEventDetails', { error: err.error, cause, state: name });
      throw new StatesError(err.error, cause);
    }
    const pre = `An error occurred while executing the state '${name}' (entered at the event id #${this.enteredId(f, 'MapStateEntered')}).`;
    const shown = (v: Json | undefined): string => (typeof v === 'string' ? v : stringify(v));
    // Invalid *Path limits fail the execution outright (no MapStateFailed), as AWS records.
    const bare = (cause: string): StatesError => {
      const e = new StatesError('States.Runtime', `${pre} ${cause}`);
      NO_STATE_FAILED.add(e);
      return e;
    };
    if (st['MaxConcurrencyPath'] !== undefined) {
      let v = queryPath(st['MaxConcurrencyPath'] as string, h.pscope(input));
      // Recorded: AWS reads an integer given as a string ("1") too.
      if (typeof v === 'string' && /^\d+$/.test(v)) v = Number(v);
      if (typeof v !== 'number' || !Number.isInteger(v)) throw bare(`The MaxConcurrencyPath field refers to value "${shown(v)}" which is not a valid integer: ${st['MaxConcurrencyPath'] as string}`);
    }
    f.thread.add('MapStateStarted', 'mapStateStartedEventDetails', { length: items.length });
    if (st['ToleratedFailureCountPath'] !== undefined) {
      const v = queryPath(st['ToleratedFailureCountPath'] as string, h.pscope(input));
      if (typeof v !== 'number' || !Number.isInteger(v)) throw bare(`The ToleratedFailureCountPath field refers to value "${shown(v)}" which is not a valid integer: ${st['ToleratedFailureCountPath'] as string}`);
      if (v < 0) throw bare('ToleratedFailureCount cannot be negative.');
    }
    if (st['ToleratedFailurePercentagePath'] !== undefined) {
      const v = queryPath(st['ToleratedFailurePercentagePath'] as string, h.pscope(input));
      if (typeof v !== 'number') throw bare(`The ToleratedFailurePercentagePath field refers to value "${shown(v)}" which is not a valid float: ${st['ToleratedFailurePercentagePath'] as string}`);
      if (v < 0 || v > 100) throw bare('ToleratedFailurePercentage must be between 0 and 100.');
    }
    const proc = (st['ItemProcessor'] ?? st['Iterator']) as Obj;
    const selector = st['ItemSelector'] ?? st['Parameters'];
    let max = typeof st['MaxConcurrency'] === 'number' ? st['MaxConcurrency'] : 0;
    if (st['MaxConcurrencyPath'] !== undefined) max = Number(queryPath(st['MaxConcurrencyPath'] as string, h.pscope(input)) ?? 0);
    const tolCount = typeof st['ToleratedFailureCount'] === 'number' ? st['ToleratedFailureCount'] : st['ToleratedFailureCountPath'] ? Number(queryPath(st['ToleratedFailureCountPath'] as string, h.pscope(input))) : undefined;
    const tolPct = typeof st['ToleratedFailurePercentage'] === 'number' ? st['ToleratedFailurePercentage'] : st['ToleratedFailurePercentagePath'] ? Number(queryPath(st['ToleratedFailurePercentagePath'] as string, h.pscope(input))) : undefined;
    const tolerant = tolCount !== undefined || tolPct !== undefined;
    const results: Json[] = new Array(items.length).fill(null);
    let failures = 0;
    let lastIterEvent = 0;
    let firstErr: StatesError | undefined;
    let next = 0;
    const stop = new AbortController();
    const signal = AbortSignal.any([f.signal, stop.signal]);
    const running = new Map<number, Frame>();
    // The failure that fails the Map stops the iterations still running: its own open state is aborted, then each other
    // records MapIterationAborted and its open state's abort, all chained to the failed iteration's last event.
    const stopOthers = (failed: Frame, i: number): void => {
      const prev = failed.thread.last;
      stateAborted(f.thread.hist, failed, prev);
      for (const [j, fr] of running) {
        if (j === i) continue;
        f.thread.hist.push('MapIterationAborted', prev, 'mapIterationAbortedEventDetails', { index: j, name });
        stateAborted(f.thread.hist, fr, prev);
      }
      stop.abort();
    };
    // Processors that never wait (Pass/Choice/Succeed/Fail only) run one after another: same result, AWS's event order.
    const n = instant(proc) ? 1 : max > 0 ? Math.min(max, items.length) : items.length;
    const worker = async (): Promise<void> => {
      while (next < items.length && !firstErr) {
        const i = next++;
        const t = f.thread.fork(stop.signal);
        t.add('MapIterationStarted', 'mapIterationStartedEventDetails', { index: i, name });
        const frame: Frame = { thread: t, scope: new Scope(f.scope), lang: f.lang, top: false, signal, open: {}, mapItem: { Index: i, Value: items[i]! } };
        running.set(i, frame);
        // Concurrent iterations: let the other workers record their MapIterationStarted first, as AWS's history shows.
        if (n > 1) await null;
        try {
          let itemInput: Json = items[i]!;
          if (selector !== undefined) {
            if (jsonata) itemInput = await evalJsonataTemplate(selector, { ...f.scope.all(), states: { input, context: this.context(name, this.deps.clock.now(), 0, frame) } }, 'ItemSelector');
            else itemInput = evalTemplate(selector, { input, context: this.context(name, this.deps.clock.now(), 0, frame), vars: (n) => f.scope.get(n) }, 'ItemSelector');
          }
          frame.mapItem = undefined;
          results[i] = await abortable(this.runProgram(proc, itemInput, frame), signal);
          if (stop.signal.aborted) return;
          lastIterEvent = Math.max(lastIterEvent, t.add('MapIterationSucceeded', 'mapIterationSucceededEventDetails', { index: i, name }, false).id);
          f.thread.last = Math.max(f.thread.last, t.last);
        } catch (e) {
          if (stop.signal.aborted) return;
          if (!(e instanceof StatesError)) throw e;
          t.add('MapIterationFailed', 'mapIterationFailedEventDetails', { index: i, name }, false);
          f.thread.last = Math.max(f.thread.last, t.last);
          failures++;
          results[i] = { Error: e.error, Cause: e.cause };
          const over = tolerant && ((tolCount === undefined || failures > tolCount) && (tolPct === undefined || (failures * 100) / items.length > tolPct));
          if (!tolerant) firstErr ??= e;
          else if (over) firstErr ??= new StatesError('States.ExceedToleratedFailureThreshold', 'The specified tolerated failure threshold was exceeded');
          if (firstErr) stopOthers(frame, i);
        } finally {
          running.delete(i);
        }
      }
    };

    await Promise.all(Array.from({ length: Math.max(n, 1) }, () => worker()));
    if (firstErr) throw firstErr;
    // AWS chains MapStateSucceeded and MapStateExited to the last MapIterationSucceeded.
    if (lastIterEvent) f.thread.last = lastIterEvent;
    f.thread.add('MapStateSucceeded', undefined, undefined, false);
    return results;
  }
}

/** The states that wait, which have a `<Type>StateAborted` event. */
const WAITING = new Set(['Task', 'Wait', 'Map', 'Parallel']);

/** Records `<Type>StateAborted` for the state a stopped branch is in (if it is one that waits), chained to `prev`. */
function stateAborted(hist: History, fr: Frame, prev: number): void {
  if (fr.open.type !== undefined && WAITING.has(fr.open.type)) hist.push(`${fr.open.type}StateAborted`, prev);
}

/** Settles as `p` does, or rejects with Aborted once `signal` aborts (`p` then runs on, unobserved). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(new Aborted());
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    void p.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** True when no state of the program can wait on anything outside the interpreter. */
function instant(prog: Obj): boolean {
  if (prog['QueryLanguage'] === 'JSONata') return false;
  return Object.values(prog['States'] as Record<string, Obj>).every((s) => ['Pass', 'Choice', 'Succeed', 'Fail'].includes(s['Type'] as string) && s['QueryLanguage'] !== 'JSONata');
}

export const newExecName = (): string => randomUUID();
