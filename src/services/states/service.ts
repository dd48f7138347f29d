// The Step Functions model: state machines, executions (live + persisted), recovery after restart, tokens, activities.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import { AwsError } from '../../lib/errors.js';
import type { LambdaInvoker } from '../lambda/index.js';
import type { QueueBroker } from '../sqs/index.js';
import type { Store } from '../../store/store.js';
import { StatesError, type Json } from './asl/paths.js';
import { formatDiagnostics, validateDefinition } from './asl/validate.js';
import { Execution, type Checkpoint, type ExecInfo } from './run/executor.js';
import { BatchWriter, type HistoryEvent } from './run/history.js';
import { ActivityQueues, TokenRegistry, type TaskDeps, type TokenLog, type TokenOutcome } from './run/tasks.js';
import { TimerWheel } from './run/timers.js';
import { migrateStates } from './store.js';

type Obj = Record<string, Json>;

export interface Machine {
  arn: string;
  region: string;
  name: string;
  type: 'STANDARD' | 'EXPRESS';
  definition: string;
  roleArn: string;
  created: number;
  updated?: number;
  revision: string;
  logging?: string;
  tracing?: string;
  description?: string;
  tags: Record<string, string>;
  parsed: Obj;
}

export interface ExecRow {
  arn: string;
  sm_arn: string;
  name: string;
  region: string;
  status: string;
  input: string;
  output: string | null;
  error: string | null;
  cause: string | null;
  start: number;
  stop: number | null;
  definition: string;
  role_arn: string;
  sm_type: string;
  checkpoint: string | null;
  seq: number;
}

interface TokenRow {
  token: string;
  exec_arn: string;
  activity_arn: string | null;
  input: string | null;
  started: number;
  result: string | null;
}

export const NAME_RE = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

export class StatesModel {
  readonly machines = new Map<string, Machine>();
  readonly live = new Map<string, Execution>();
  /** Express executions are kept in memory only (AWS keeps no history for them either). */
  readonly express = new Map<string, Execution>();
  readonly writer: BatchWriter;
  readonly wheel: TimerWheel;
  readonly tokens = new TokenRegistry();
  readonly activityQueues = new ActivityQueues();
  readonly activities = new Map<string, { arn: string; name: string; created: number; tags: Record<string, string> }>();
  private seq = 0;
  private readonly doneWaiters = new Map<string, (() => void)[]>();
  private closed = false;
  /** Standard executions that were running at the last stop, with their checkpoints: resume() drives them. */
  private resumable: [Execution, Checkpoint | undefined][] = [];

  constructor(
    readonly store: Store,
    readonly clock: Clock,
    readonly accountId: string,
    readonly lambda?: LambdaInvoker,
    readonly queues?: QueueBroker,
  ) {
    this.writer = new BatchWriter(store);
    this.wheel = new TimerWheel(clock);
  }

  async init(): Promise<void> {
    await migrateStates(this.store);
    for (const r of await this.store.all<Record<string, string | number | null>>('SELECT * FROM states_machines')) {
      const m: Machine = {
        arn: r['arn'] as string, region: r['region'] as string, name: r['name'] as string, type: r['type'] as 'STANDARD',
        definition: r['definition'] as string, roleArn: r['role_arn'] as string, created: r['created'] as number, updated: (r['updated'] as number | null) ?? undefined,
        revision: r['revision'] as string, logging: (r['logging'] as string | null) ?? undefined, tracing: (r['tracing'] as string | null) ?? undefined,
        description: (r['description'] as string | null) ?? undefined, tags: JSON.parse(r['tags'] as string) as Record<string, string>, parsed: JSON.parse(r['definition'] as string) as Obj,
      };
      this.machines.set(m.arn, m);
    }
    for (const r of await this.store.all<{ arn: string; name: string; created: number; tags: string }>('SELECT * FROM states_activities'))
      this.activities.set(r.arn, { arn: r.arn, name: r.name, created: r.created, tags: JSON.parse(r.tags) as Record<string, string> });
    const max = await this.store.get<{ m: number | null }>('SELECT MAX(seq) AS m FROM states_executions');
    this.seq = max?.m ?? 0;
    // Every Standard execution that was running when the process stopped resumes (in resume()).
    const running = await this.store.all<ExecRow>("SELECT * FROM states_executions WHERE status = 'RUNNING'");
    // Tokens of executions that ended are gone; outcomes sent for live ones wait for their execution to resume.
    await this.store.run("DELETE FROM states_tokens WHERE exec_arn NOT IN (SELECT arn FROM states_executions WHERE status = 'RUNNING')");
    const tokens = new Map((await this.store.all<TokenRow>('SELECT * FROM states_tokens')).map((t) => [t.token, t]));
    for (const t of tokens.values()) if (t.result !== null) this.tokens.settle(t.token, JSON.parse(t.result) as TokenOutcome);
    for (const r of running) {
      const events = (await this.store.all<{ body: string }>('SELECT body FROM states_events WHERE exec_arn = ? ORDER BY id', [r.arn])).map((e) => JSON.parse(e.body) as HistoryEvent);
      const cp = r.checkpoint ? (JSON.parse(r.checkpoint) as Checkpoint) : undefined;
      // An activity task resumes as picked up when a worker had it (no second hand-out), else it is queued again.
      const row = cp?.entered?.token ? tokens.get(cp.entered.token) : undefined;
      // Tokens of tasks that run again from their start (inside a Map or Parallel, or before their checkpoint) are void.
      await this.store.run('DELETE FROM states_tokens WHERE exec_arn = ? AND token <> ?', [r.arn, cp?.entered?.token ?? '']);
      if (cp?.entered?.token && row?.activity_arn) cp.entered.submitted = row.started === 1;
      const ex = this.makeExecution(this.infoFromRow(r), events);
      this.live.set(r.arn, ex);
      this.resumable.push([ex, cp]);
    }
  }

  /** Drives the executions that init() found running, from their checkpoints. */
  resume(): void {
    const resumable = this.resumable;
    this.resumable = [];
    for (const [ex, cp] of resumable) void this.drive(ex, cp);
  }

  private infoFromRow(r: ExecRow): ExecInfo {
    return {
      arn: r.arn, name: r.name, smArn: r.sm_arn, smName: r.sm_arn.split(':')[6]!, roleArn: r.role_arn, input: JSON.parse(r.input) as Json, inputText: r.input,
      startTime: r.start, type: r.sm_type as 'STANDARD', definition: JSON.parse(r.definition) as Obj,
    };
  }

  /** Token rows are written with the execution's events (group commit); `waiting` flushes them before the task goes on. */
  readonly tokenLog: TokenLog = {
    issue: (token, execArn, activity) => {
      // Only Standard executions are durable (Express ones and TestState runs live in memory).
      if (!this.live.has(execArn)) return;
      this.writer.add('INSERT OR REPLACE INTO states_tokens (token, exec_arn, activity_arn, input) VALUES (?, ?, ?, ?)', [token, execArn, activity?.arn ?? null, activity?.input ?? null]);
    },
    started: (token) => this.writer.add('UPDATE states_tokens SET started = 1 WHERE token = ?', [token]),
  };

  /**
   * SendTaskSuccess/SendTaskFailure: the outcome is durable before it is acknowledged, then completes the waiting task
   * (or waits for it, when its execution is still resuming after a restart). Unknown tokens are TaskDoesNotExist.
   */
  async sendTaskOutcome(token: string, o: TokenOutcome): Promise<void> {
    if (!this.tokens.get(token)) await this.requireStoredToken(token);
    this.writer.add('UPDATE states_tokens SET result = ? WHERE token = ?', [JSON.stringify(o), token]);
    await this.writer.flush();
    this.tokens.settle(token, o);
  }

  async heartbeat(token: string): Promise<void> {
    const w = this.tokens.get(token);
    if (w) w.heartbeat();
    else await this.requireStoredToken(token);
  }

  private async requireStoredToken(token: string): Promise<void> {
    await this.writer.flush();
    const row = await this.store.get<TokenRow>('SELECT * FROM states_tokens WHERE token = ?', [token]);
    if (!row || row.result !== null) throw new AwsError('TaskDoesNotExist', `Task Timed Out: '${token}'`);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wheel.close();
    await this.writer.flush().catch(() => undefined);
  }

  machineArn(region: string, name: string): string {
    return `arn:aws:states:${region}:${this.accountId}:stateMachine:${name}`;
  }

  requireMachine(arn: string): Machine {
    const m = this.machines.get(arn.replace(/:\d+$/, ''));
    if (!m) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return m;
  }

  validate(definition: string, type: 'STANDARD' | 'EXPRESS'): Obj {
    const r = validateDefinition(definition, { type });
    if (r.diagnostics.length || !r.def) throw new AwsError('InvalidDefinition', formatDiagnostics(r.diagnostics));
    return r.def as Obj;
  }

  taskDeps(region: string): TaskDeps {
    return {
      clock: this.clock, wheel: this.wheel, lambda: this.lambda, region, accountId: this.accountId, tokens: this.tokens, activities: this.activityQueues, tokenLog: this.tokenLog, queues: this.queues,
      startNested: async (params, parentArn) => {
        const smArn = params['StateMachineArn'];
        if (typeof smArn !== 'string') throw new AwsError('ValidationException', "The field 'StateMachineArn' is required");
        const input = params['Input'];
        const inputText = input === undefined ? '{}' : typeof input === 'string' ? input : JSON.stringify(input);
        const r = await this.startExecution(region, smArn, typeof params['Name'] === 'string' ? params['Name'] : undefined, inputText, parentArn);
        const ex = this.live.get(r.executionArn) ?? this.express.get(r.executionArn);
        const done = (async (): Promise<Obj> => {
          await this.waitDone(r.executionArn);
          return this.describeObj(ex!);
        })();
        return { started: { ExecutionArn: r.executionArn, StartDate: new Date(r.startDate).toISOString() }, done };
      },
    };
  }

  describeObj(ex: Execution): Obj {
    const o: Obj = {
      ExecutionArn: ex.info.arn, StateMachineArn: ex.info.smArn, Name: ex.info.name, Status: ex.status,
      StartDate: ex.info.startTime, Input: ex.info.inputText ?? JSON.stringify(ex.info.input), InputDetails: { Included: true },
    };
    if (ex.stopTime !== undefined) o['StopDate'] = ex.stopTime;
    if (ex.status === 'SUCCEEDED') {
      o['Output'] = JSON.stringify(ex.output ?? null);
      o['OutputDetails'] = { Included: true };
    }
    if (ex.error !== undefined) o['Error'] = ex.error;
    if (ex.cause !== undefined) o['Cause'] = ex.cause;
    return o;
  }

  waitDone(arn: string): Promise<void> {
    const ex = this.live.get(arn) ?? this.express.get(arn);
    if (!ex || ex.status !== 'RUNNING') return Promise.resolve();
    return new Promise((res) => {
      const l = this.doneWaiters.get(arn) ?? [];
      l.push(res);
      this.doneWaiters.set(arn, l);
    });
  }

  private makeExecution(info: ExecInfo, prior: HistoryEvent[] = []): Execution {
    const standard = info.type === 'STANDARD';
    const ex: Execution = new Execution(info, this.taskDeps(info.arn.split(':')[3]!), {
      onEvent: standard ? (e) => this.writer.add('INSERT OR REPLACE INTO states_events (exec_arn, id, body) VALUES (?, ?, ?)', [info.arn, e.id, JSON.stringify(e)]) : undefined,
      checkpoint: standard ? (cp) => this.writer.add('UPDATE states_executions SET checkpoint = ? WHERE arn = ?', [JSON.stringify(cp), info.arn]) : undefined,
      persist: standard ? () => this.writer.flush() : undefined,
      sleep: async (at, signal) => {
        if (standard) {
          this.writer.add('INSERT OR REPLACE INTO states_timers (exec_arn, fire_at) VALUES (?, ?)', [info.arn, at]);
          await this.writer.flush();
        }
        await new Promise<void>((res, rej) => {
          if (signal.aborted) return rej(new StatesError('States.Aborted', ''));
          const cancel = this.wheel.at(at, res);
          signal.addEventListener('abort', () => {
            cancel();
            rej(new StatesError('States.Aborted', ''));
          });
        });
        if (standard) this.writer.add('DELETE FROM states_timers WHERE exec_arn = ?', [info.arn]);
      },
    }, prior);
    return ex;
  }

  /** Runs an execution to its end and records the outcome. */
  private drive(ex: Execution, resume?: Checkpoint): Promise<void> {
    return ex.run(resume).then(() => this.settle(ex));
  }

  private settle(ex: Execution): void {
    if (ex.status === 'RUNNING' || this.closed) return;
    if (ex.info.type === 'STANDARD') {
      this.writer.add('UPDATE states_executions SET status = ?, output = ?, error = ?, cause = ?, stop = ?, checkpoint = NULL WHERE arn = ?', [
        ex.status, ex.status === 'SUCCEEDED' ? JSON.stringify(ex.output ?? null) : null, ex.error ?? null, ex.cause ?? null, ex.stopTime ?? this.clock.now(), ex.info.arn,
      ]);
      this.writer.add('DELETE FROM states_tokens WHERE exec_arn = ?', [ex.info.arn]);
      void this.writer.flush().then(
        () => {
          this.live.delete(ex.info.arn);
          this.wake(ex.info.arn);
        },
        () => this.wake(ex.info.arn),
      );
    } else this.wake(ex.info.arn);
  }

  private wake(arn: string): void {
    const l = this.doneWaiters.get(arn);
    this.doneWaiters.delete(arn);
    l?.forEach((f) => f());
  }

  parseInput(input: string | undefined): Json {
    if (input === undefined) return {};
    try {
      return JSON.parse(input) as Json;
    } catch (e) {
      throw new AwsError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(e as Error).message}'`);
    }
  }

  async startExecution(region: string, smArn: string, name: string | undefined, inputText: string | undefined, _parent?: string, sync = false): Promise<{ executionArn: string; startDate: number; ex: Execution }> {
    const m = this.requireMachine(smArn);
    if (sync && m.type !== 'EXPRESS') throw new AwsError('StateMachineTypeNotSupported', 'This operation is not supported by this type of state machine');
    const input = this.parseInput(inputText);
    if (name !== undefined && !NAME_RE.test(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
    const execName = name ?? randomUUID();
    const now = this.clock.now();
    if (m.type === 'EXPRESS') {
      const arn = `arn:aws:states:${m.region}:${this.accountId}:express:${m.name}:${execName}:${randomUUID()}`;
      const ex = this.makeExecution({ arn, name: execName, smArn: m.arn, smName: m.name, roleArn: m.roleArn, input, inputText: inputText ?? '{}', startTime: now, type: 'EXPRESS', definition: m.parsed });
      ex.start();
      this.express.set(arn, ex);
      if (this.express.size > 10000) this.express.delete(this.express.keys().next().value!);
      const run = this.drive(ex);
      if (sync) await run;
      return { executionArn: arn, startDate: now, ex };
    }
    const arn = `arn:aws:states:${m.region}:${this.accountId}:execution:${m.name}:${execName}`;
    const existing = this.live.get(arn);
    const row = existing ? undefined : await this.store.get<ExecRow>('SELECT * FROM states_executions WHERE arn = ?', [arn]);
    if (existing || row) {
      const sameInput = JSON.stringify(existing ? existing.info.input : JSON.parse(row!.input)) === JSON.stringify(input);
      const running = existing ? existing.status === 'RUNNING' : row!.status === 'RUNNING';
      if (sameInput && running) return { executionArn: arn, startDate: existing ? existing.info.startTime : row!.start, ex: existing! };
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const info: ExecInfo = { arn, name: execName, smArn: m.arn, smName: m.name, roleArn: m.roleArn, input, inputText: inputText ?? '{}', startTime: now, type: 'STANDARD', definition: m.parsed };
    this.writer.add(
      'INSERT INTO states_executions (arn, sm_arn, name, region, status, input, start, definition, role_arn, sm_type, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [arn, m.arn, execName, m.region, 'RUNNING', inputText ?? '{}', now, m.definition, m.roleArn, 'STANDARD', ++this.seq],
    );
    const ex = this.makeExecution(info);
    this.live.set(arn, ex);
    ex.start();
    await this.writer.flush();
    void this.drive(ex);
    return { executionArn: arn, startDate: now, ex };
  }

  async stopExecution(arn: string, error?: string, cause?: string): Promise<number> {
    if (arn.includes(':express:')) throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: express'`);
    const ex = this.live.get(arn);
    if (ex) {
      ex.stop(error, cause);
      this.settle(ex);
      await this.writer.flush();
      return ex.stopTime!;
    }
    const row = await this.store.get<ExecRow>('SELECT * FROM states_executions WHERE arn = ?', [arn]);
    if (!row) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return row.stop ?? this.clock.now();
  }

  async execRow(arn: string): Promise<ExecRow> {
    await this.writer.flush();
    const row = await this.store.get<ExecRow>('SELECT * FROM states_executions WHERE arn = ?', [arn]);
    if (!row) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return row;
  }

  async history(arn: string): Promise<HistoryEvent[]> {
    const ex = this.express.get(arn);
    if (ex) return ex.history.events;
    await this.execRow(arn);
    const live = this.live.get(arn);
    if (live) return live.history.events;
    return (await this.store.all<{ body: string }>('SELECT body FROM states_events WHERE exec_arn = ? ORDER BY id', [arn])).map((e) => JSON.parse(e.body) as HistoryEvent);
  }
}
