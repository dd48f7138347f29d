// The Step Functions model: executions (live on this node + persisted), tokens, activities. Each Standard execution
// is run by one node, its owner (the row's owner/epoch, and in a cluster a lease); takeover, the sweep and the
// cross-node channels are in cluster.ts.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import { AwsError } from '../../lib/errors.js';
import type { LambdaInvoker } from '../lambda/index.js';
import type { QueueBroker } from '../sqs/index.js';
import type { Leases } from '../../store/leases.js';
import type { Notifier } from '../../store/notifier.js';
import type { Store } from '../../store/store.js';
import { StatesError, type Json } from './asl/paths.js';
import { formatDiagnostics, validateDefinition } from './asl/validate.js';
import { Catalog, type Machine } from './catalog.js';
import { Execution, type Checkpoint, type ExecInfo } from './run/executor.js';
import { BatchWriter, type HistoryEvent } from './run/history.js';
import { TokenRegistry, type ActivityTask, type TaskDeps, type TokenLog, type TokenOutcome } from './run/tasks.js';
import { TimerWheel } from './run/timers.js';
import { migrateStates } from './store.js';
import { describeRow, endedRow } from './ended.js';

export type { Machine } from './catalog.js';
export { describeRow } from './ended.js';
type Obj = Record<string, Json>;

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
  owner: string | null;
  epoch: number;
  stop_req: string | null;
}

export interface TokenRow {
  token: string;
  exec_arn: string;
  activity_arn: string | null;
  input: string | null;
  started: number;
  result: string | null;
  worker: string | null;
}

export interface StatesOptions {
  store: Store;
  clock: Clock;
  notifier: Notifier;
  accountId: string;
  /** This node's id: the owner written into the rows of the executions it runs. */
  nodeId: string;
  /** Leases of executions between nodes; absent on the embedded (single-node) store. */
  leases?: Leases;
  lambda?: LambdaInvoker;
  queues?: QueueBroker;
  log?: (msg: string) => void;
  /** Told when a Standard execution starts and when it ends (EventBridge's status change events). */
  statusChanged?: (s: ExecutionStatus) => void;
}

export interface ExecutionStatus {
  region: string;
  arn: string;
  stateMachineArn: string;
  name: string;
  status: string;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

export const NAME_RE = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;
/** The lease that makes a node the one running an execution. */
export const leaseName = (arn: string): string => `sfn:${arn}`;

export class StatesModel {
  readonly live = new Map<string, Execution>();
  /** Express executions are kept in memory only (AWS keeps no history for them either). */
  readonly express = new Map<string, Execution>();
  readonly writer: BatchWriter;
  readonly wheel: TimerWheel;
  readonly tokens = new TokenRegistry();
  readonly catalog: Catalog;
  /** The epoch this node owns each live Standard execution at: every history write is fenced on it. */
  readonly fences = new Map<string, number>();
  /** Activity tasks of executions on this node, by token, until a worker (on any node) picks them up. */
  readonly activityTasks = new Map<string, { task: ActivityTask; execArn: string }>();
  /** Tokens of this node's activity tasks that a worker claimed before the task was queued here (same commit). */
  readonly startedEarly = new Map<string, string | undefined>();
  /** Express executions that issued tokens (their rows are deleted when they end). */
  private readonly tokenExecs = new Set<string>();
  private seq = 0;
  private readonly doneWaiters = new Map<string, (() => void)[]>();
  closed = false;
  readonly store: Store;
  readonly clock: Clock;
  readonly notifier: Notifier;
  readonly accountId: string;
  readonly nodeId: string;
  readonly leases?: Leases;
  readonly lambda?: LambdaInvoker;
  readonly queues?: QueueBroker;
  readonly log: (msg: string) => void;
  private readonly statusChanged?: (s: ExecutionStatus) => void;

  constructor(o: StatesOptions) {
    this.statusChanged = o.statusChanged;
    this.store = o.store;
    this.clock = o.clock;
    this.notifier = o.notifier;
    this.accountId = o.accountId;
    this.nodeId = o.nodeId;
    this.leases = o.leases;
    this.lambda = o.lambda;
    this.queues = o.queues;
    this.log = o.log ?? (() => undefined);
    this.writer = new BatchWriter(o.store, (arn) => this.lost(arn));
    this.wheel = new TimerWheel(o.clock);
    this.catalog = new Catalog(o.store, o.notifier);
  }

  async init(): Promise<void> {
    await migrateStates(this.store);
    // Tokens of executions that ended are gone (a crash between the end and the clean-up leaves them).
    await this.store.run("DELETE FROM states_tokens WHERE exec_arn NOT IN (SELECT arn FROM states_executions WHERE status = 'RUNNING')");
  }

  /** A node that lost an execution (another took it over) stops running it here and writes nothing more for it. */
  lost(arn: string): void {
    const ex = this.live.get(arn);
    if (!this.fences.delete(arn) || !ex) return;
    this.live.delete(arn);
    this.log(`selfless: execution ${arn} was taken over by another node; it stops here`);
    ex.stop();
  }

  infoFromRow(r: ExecRow): ExecInfo {
    return {
      arn: r.arn, name: r.name, smArn: r.sm_arn, smName: r.sm_arn.split(':')[6]!, roleArn: r.role_arn, input: JSON.parse(r.input) as Json, inputText: r.input,
      startTime: r.start, type: r.sm_type as 'STANDARD', definition: JSON.parse(r.definition) as Obj,
    };
  }

  /** Token rows are written with the execution's events (group commit); `waiting` flushes them before the task goes on. */
  readonly tokenLog: TokenLog = {
    issue: (token, execArn, activity) => {
      // Express executions' tokens are stored too: a callback or an activity worker may reach any node.
      if (!this.live.has(execArn)) this.tokenExecs.add(execArn);
      this.writer.add(
        'INSERT INTO states_tokens (token, exec_arn, activity_arn, input, issued) VALUES (?, ?, ?, ?, ?) ON CONFLICT (token) DO UPDATE SET exec_arn = excluded.exec_arn, activity_arn = excluded.activity_arn, input = excluded.input',
        [token, execArn, activity?.arn ?? null, activity?.input ?? null, this.clock.now()],
      );
    },
    started: (token) => this.writer.add('UPDATE states_tokens SET started = 1 WHERE token = ?', [token]),
  };

  /**
   * SendTaskSuccess/SendTaskFailure: the outcome is durable before it is acknowledged, then completes the waiting task
   * (or waits for it, when its execution is still resuming after a restart). Unknown tokens are TaskDoesNotExist.
   */
  /**
   * SendTaskSuccess/SendTaskFailure: the outcome is durable before it is acknowledged, then completes the waiting task
   * here, or is announced on `states:token` for the node whose execution waits on it (which reads it from the store).
   * Unknown tokens, and tokens that already have an outcome, are TaskDoesNotExist.
   */
  async sendTaskOutcome(token: string, o: TokenOutcome): Promise<void> {
    await this.writer.flush();
    const [r] = await this.store.journal.write([['UPDATE states_tokens SET result = ? WHERE token = ? AND result IS NULL', [JSON.stringify(o), token]]]);
    if (!r?.changes) {
      // Tokens of executions on this node that are not stored (a TestState run) complete in memory.
      if (!this.tokens.get(token)) throw new AwsError('TaskDoesNotExist', `Task Timed Out: '${token}'`);
    }
    if (this.tokens.get(token) || !this.leases) this.tokens.settle(token, o);
    else this.notifier.notify('states:token', token);
  }

  async heartbeat(token: string): Promise<void> {
    const w = this.tokens.get(token);
    if (w) return w.heartbeat();
    await this.requireStoredToken(token);
    this.notifier.notify('states:hb', token);
  }

  private async requireStoredToken(token: string): Promise<void> {
    await this.writer.flush();
    const row = await this.store.get<TokenRow>('SELECT * FROM states_tokens WHERE token = ?', [token]);
    if (!row || row.result !== null) throw new AwsError('TaskDoesNotExist', `Task Timed Out: '${token}'`);
  }

  /** A task of this node waits on `token`: an outcome another node stored completes it. */
  async checkToken(token: string): Promise<void> {
    const row = await this.store.get<TokenRow>('SELECT result FROM states_tokens WHERE token = ?', [token]);
    if (row?.result && this.tokens.get(token)) this.tokens.settle(token, JSON.parse(row.result) as TokenOutcome);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wheel.close();
    this.catalog.close();
    await this.writer.flush().catch(() => undefined);
  }

  machineArn(region: string, name: string): string {
    return `arn:aws:states:${region}:${this.accountId}:stateMachine:${name}`;
  }

  async requireMachine(arn: string): Promise<Machine> {
    const m = await this.catalog.machine(arn.replace(/:\d+$/, ''));
    if (!m) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return m;
  }

  validate(definition: string, type: 'STANDARD' | 'EXPRESS'): Obj {
    const r = validateDefinition(definition, { type });
    if (r.diagnostics.length || !r.def) throw new AwsError('InvalidDefinition', formatDiagnostics(r.diagnostics));
    return r.def as Obj;
  }

  /** Where activity tasks go: the token row is in the store; workers on any node claim it (see getActivityTask). */
  private readonly activitySink = {
    push: (arn: string, t: ActivityTask, execArn = ''): void => {
      if (this.startedEarly.has(t.token)) {
        const worker = this.startedEarly.get(t.token);
        this.startedEarly.delete(t.token);
        return t.started(worker);
      }
      this.activityTasks.set(t.token, { task: t, execArn });
      void this.writer.flush().then(
        () => this.notifier.notify('states:activity', arn),
        () => undefined,
      );
    },
  };

  taskDeps(region: string, execArn = ''): TaskDeps {
    return {
      clock: this.clock, wheel: this.wheel, lambda: this.lambda, region, accountId: this.accountId, tokens: this.tokens, tokenLog: this.tokenLog, queues: this.queues,
      activities: { push: (arn, t) => this.activitySink.push(arn, t, execArn) },
      startNested: async (params, parentArn) => {
        const smArn = params['StateMachineArn'];
        if (typeof smArn !== 'string') throw new AwsError('ValidationException', "The field 'StateMachineArn' is required");
        const input = params['Input'];
        const inputText = input === undefined ? '{}' : typeof input === 'string' ? input : JSON.stringify(input);
        const r = await this.startExecution(region, smArn, typeof params['Name'] === 'string' ? params['Name'] : undefined, inputText, parentArn);
        const ex = this.live.get(r.executionArn) ?? this.express.get(r.executionArn);
        const done = (async (): Promise<Obj> => {
          await this.waitDone(r.executionArn);
          // A child running on another node (this parent was taken over after a crash) is described from the store.
          return ex ? this.describeObj(ex) : describeRow(await this.execRow(r.executionArn));
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
    if (!ex) return this.waitEnded(arn, Infinity).then(() => undefined);
    if (ex.status !== 'RUNNING') return Promise.resolve();
    return new Promise((res) => {
      const l = this.doneWaiters.get(arn) ?? [];
      l.push(res);
      this.doneWaiters.set(arn, l);
    });
  }

  /** The execution's row once it is no longer RUNNING, or undefined after `timeoutMs` (see endedRow). */
  waitEnded(arn: string, timeoutMs: number, ping?: () => void): Promise<ExecRow | undefined> {
    return endedRow(this, arn, timeoutMs, ping);
  }

  makeExecution(info: ExecInfo, prior: HistoryEvent[] = []): Execution {
    const standard = info.type === 'STANDARD';
    const arn = info.arn;
    const ex: Execution = new Execution(info, this.taskDeps(arn.split(':')[3]!, arn), {
      onEvent: standard
        ? (e) => {
            const epoch = this.fences.get(arn);
            if (epoch !== undefined) this.writer.event(arn, e.id, JSON.stringify(e), { owner: this.nodeId, epoch });
          }
        : undefined,
      checkpoint: standard
        ? (cp) => {
            const epoch = this.fences.get(arn);
            // Only the last checkpoint of a tick is written (the key replaces an earlier one still queued).
            if (epoch !== undefined) this.writer.add('UPDATE states_executions SET checkpoint = ? WHERE arn = ? AND owner = ? AND epoch = ?', [JSON.stringify(cp), arn, this.nodeId, epoch], arn, `cp:${arn}`);
          }
        : undefined,
      // Express executions flush too: the token rows they issue must be stored before a callback can reach them.
      persist: () => this.writer.flush(),
      sleep: async (at, signal) => {
        // The checkpoint (with the time to wake) is durable before the wait: a takeover resumes the same wait.
        if (standard) await this.writer.flush();
        await new Promise<void>((res, rej) => {
          if (signal.aborted) return rej(new StatesError('States.Aborted', ''));
          const cancel = this.wheel.at(at, res);
          signal.addEventListener('abort', () => {
            cancel();
            rej(new StatesError('States.Aborted', ''));
          });
        });
      },
    }, prior);
    return ex;
  }

  /** Runs an execution to its end and records the outcome. */
  drive(ex: Execution, resume?: Checkpoint): Promise<void> {
    return ex.run(resume).then(() => this.settle(ex));
  }

  settle(ex: Execution): void {
    if (ex.status === 'RUNNING' || this.closed) return;
    const arn = ex.info.arn;
    this.dropActivityTasks(arn);
    if (ex.info.type === 'STANDARD') {
      const epoch = this.fences.get(arn);
      // Lost to another node: the new owner records the end.
      if (epoch === undefined) return;
      this.writer.add('UPDATE states_executions SET status = ?, output = ?, error = ?, cause = ?, stop = ?, checkpoint = NULL WHERE arn = ? AND owner = ? AND epoch = ?', [
        ex.status, ex.status === 'SUCCEEDED' ? JSON.stringify(ex.output ?? null) : null, ex.error ?? null, ex.cause ?? null, ex.stopTime ?? this.clock.now(), arn, this.nodeId, epoch,
      ], arn);
      // Only once the end is recorded (a fenced-off update leaves the tokens to the new owner).
      this.writer.add("DELETE FROM states_tokens WHERE exec_arn = ? AND EXISTS (SELECT 1 FROM states_executions WHERE arn = ? AND status <> 'RUNNING')", [arn, arn]);
      void this.writer.flush().then(
        () => {
          this.live.delete(arn);
          this.fences.delete(arn);
          this.statusChanged?.({
            region: arn.split(':')[3] ?? '', arn, stateMachineArn: ex.info.smArn, name: ex.info.name, status: ex.status, startDate: ex.info.startTime, stopDate: ex.stopTime ?? this.clock.now(), input: ex.info.inputText ?? JSON.stringify(ex.info.input),
            ...(ex.status === 'SUCCEEDED' ? { output: JSON.stringify(ex.output ?? null) } : {}), ...(ex.error !== undefined ? { error: ex.error } : {}), ...(ex.cause !== undefined ? { cause: ex.cause } : {}),
          });
          this.wake(arn);
          this.notifier.notify('states:ended', arn);
          this.leases?.release(leaseName(arn)).catch((e: unknown) => this.log(`selfless: releasing ${arn}: ${e instanceof Error ? e.message : String(e)}`));
        },
        () => this.wake(arn),
      );
    } else {
      if (this.tokenExecs.delete(arn)) this.writer.add('DELETE FROM states_tokens WHERE exec_arn = ?', [arn]);
      this.wake(arn);
    }
  }

  private dropActivityTasks(arn: string): void {
    if (this.activityTasks.size === 0) return;
    for (const [token, t] of this.activityTasks) if (t.execArn === arn) this.activityTasks.delete(token);
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

  async startExecution(region: string, smArn: string, name: string | undefined, inputText: string | undefined, _parent?: string, sync = false): Promise<{ executionArn: string; startDate: number; ex?: Execution }> {
    const m = await this.requireMachine(smArn);
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
    const found = async (): Promise<{ executionArn: string; startDate: number; ex?: Execution } | undefined> => {
      const row = existing ? undefined : await this.store.get<ExecRow>('SELECT * FROM states_executions WHERE arn = ?', [arn]);
      if (!existing && !row) return undefined;
      const sameInput = JSON.stringify(existing ? existing.info.input : JSON.parse(row!.input)) === JSON.stringify(input);
      const running = existing ? existing.status === 'RUNNING' : row!.status === 'RUNNING';
      if (sameInput && running) return { executionArn: arn, startDate: existing ? existing.info.startTime : row!.start, ex: existing };
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    };
    const prior = await found();
    if (prior) return prior;
    // The lease first: a node sweeping for executions to take over skips one whose lease is held.
    if (this.leases && !(await this.leases.acquire(leaseName(arn)))) {
      // Started at the same moment on another node.
      const other = await found();
      if (other) return other;
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const info: ExecInfo = { arn, name: execName, smArn: m.arn, smName: m.name, roleArn: m.roleArn, input, inputText: inputText ?? '{}', startTime: now, type: 'STANDARD', definition: m.parsed };
    // Ordered across nodes by start time (then by this node's counter); a per-node counter alone would collide.
    this.seq = Math.max(this.seq + 1, Math.floor(now) * 1000);
    this.writer.add(
      'INSERT INTO states_executions (arn, sm_arn, name, region, status, input, start, definition, role_arn, sm_type, seq, owner, epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)',
      [arn, m.arn, execName, m.region, 'RUNNING', inputText ?? '{}', now, m.definition, m.roleArn, 'STANDARD', this.seq, this.nodeId],
    );
    this.fences.set(arn, 1);
    const ex = this.makeExecution(info);
    this.live.set(arn, ex);
    ex.start();
    try {
      await this.writer.flush();
    } catch (e) {
      this.live.delete(arn);
      this.fences.delete(arn);
      await this.leases?.release(leaseName(arn)).catch(() => undefined);
      throw e;
    }
    this.statusChanged?.({ region: m.region, arn, stateMachineArn: m.arn, name: execName, status: 'RUNNING', startDate: now, input: inputText ?? '{}' });
    void this.drive(ex);
    return { executionArn: arn, startDate: now, ex };
  }

  /**
   * StopExecution: an execution of this node stops at once; one running on another node gets a stop request in its
   * row, announced on `states:stop`, and this call waits (a few seconds at most) for its owner to record the end.
   */
  async stopExecution(arn: string, error?: string, cause?: string): Promise<number> {
    if (arn.includes(':express:')) throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: express'`);
    const ex = this.live.get(arn);
    if (ex) {
      ex.stop(error, cause);
      this.settle(ex);
      await this.writer.flush();
      return ex.stopTime!;
    }
    const row = await this.execRow(arn);
    if (row.status !== 'RUNNING') return row.stop ?? this.clock.now();
    const at = this.clock.now();
    const req: { error?: string; cause?: string } = {};
    if (error !== undefined) req.error = error;
    if (cause !== undefined) req.cause = cause;
    await this.store.journal.write([["UPDATE states_executions SET stop_req = ? WHERE arn = ? AND status = 'RUNNING'", [JSON.stringify(req), arn]]]);
    const ended = await this.waitEnded(arn, STOP_WAIT_MS, () => this.notifier.notify('states:stop', arn));
    return ended?.stop ?? at;
  }

  /** The owner's side of a stop request: stops the execution as StopExecution on this node would. */
  async applyStopRequest(arn: string): Promise<void> {
    const ex = this.live.get(arn);
    if (!ex || ex.status !== 'RUNNING') return;
    const row = await this.store.get<{ stop_req: string | null }>('SELECT stop_req FROM states_executions WHERE arn = ?', [arn]);
    if (!row?.stop_req || !this.live.has(arn)) return;
    const s = JSON.parse(row.stop_req) as { error?: string; cause?: string };
    ex.stop(s.error, s.cause);
    this.settle(ex);
  }

  async execRow(arn: string): Promise<ExecRow> {
    await this.writer.flush();
    const row = await this.store.get<ExecRow>('SELECT * FROM states_executions WHERE arn = ?', [arn]);
    if (!row) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return row;
  }

  /** A Standard execution's history as committed (this node's pending events are flushed first). */
  async history(arn: string): Promise<HistoryEvent[]> {
    const ex = this.express.get(arn);
    if (ex) return ex.history.events;
    await this.execRow(arn);
    return (await this.store.all<{ body: string }>('SELECT body FROM states_events WHERE exec_arn = ? ORDER BY id', [arn])).map((e) => JSON.parse(e.body) as HistoryEvent);
  }
}

/** How long StopExecution of an execution owned by another node waits for that node to record the end. */
const STOP_WAIT_MS = 10_000;
