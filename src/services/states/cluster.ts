// Step Functions across nodes: taking executions over (at start, and by a sweep every few seconds for executions
// whose lease is free or lapsed), and the notifier channels through which any node reaches an execution's owner.
//
// Channels (payload): `states:stop` (arn: a stop request is in the row), `states:ended` (arn: it ended),
// `states:token` (token: an outcome is stored), `states:hb` (token: a heartbeat), `states:activity` (activity arn: a
// task is claimable), `states:started` (token: a worker picked the task up), `states:sweep` (a node handed its
// executions back). A notification is a hint: the listener re-reads the store.
import type { Checkpoint } from './run/executor.js';
import type { HistoryEvent } from './run/history.js';
import type { TokenOutcome } from './run/tasks.js';
import { leaseName, type ExecRow, type StatesModel, type TokenRow } from './service.js';

/** How often a cluster node looks for executions to take over (a dead node's lapse after the lease TTL, 30 s). */
export const SWEEP_MS = 5000;
/** GetActivityTask's long poll, as on AWS. */
const POLL_MS = 60_000;
/** A waiting poller re-checks the store this often, in case a notification was missed. */
const RECHECK_MS = 5000;

export class StatesCluster {
  private readonly unlisten: (() => void)[] = [];
  private cancelSweep?: () => void;
  private sweeping = false;
  private readonly polls = new AbortController();

  constructor(private readonly m: StatesModel) {}

  private readonly report = (e: unknown): void => this.m.log(`selfless: states: ${e instanceof Error ? e.message : String(e)}`);

  /** Listens on the channels and takes over what is RUNNING without an owner (every such execution, on one node). */
  async start(): Promise<void> {
    const m = this.m;
    const n = m.notifier;
    this.unlisten.push(
      n.listen('states:stop', (arn) => void m.applyStopRequest(arn).catch(this.report)),
      n.listen('states:token', (t) => {
        if (m.tokens.get(t)) void m.checkToken(t).catch(this.report);
      }),
      n.listen('states:hb', (t) => m.tokens.get(t)?.heartbeat()),
      n.listen('states:started', (t) => void this.recordStarted(t).catch(this.report)),
      n.listen('states:sweep', () => void this.sweep()),
    );
    // An outcome stored by another node just before this task began to wait is found here.
    if (m.leases) m.tokens.onWait = (t) => void m.checkToken(t).catch(this.report);
    await this.sweep();
    if (m.leases) this.schedule();
  }

  private schedule(): void {
    this.cancelSweep = this.m.clock.setTimer(SWEEP_MS, () => {
      void this.sweep().finally(() => {
        if (!this.m.closed) this.schedule();
      });
    });
  }

  /** Takes over RUNNING executions that no node runs: all of them on one node; in a cluster, those whose lease is free or lapsed. */
  async sweep(): Promise<void> {
    const m = this.m;
    if (this.sweeping || m.closed) return;
    this.sweeping = true;
    try {
      const rows = (await m.store.all<{ arn: string }>("SELECT arn FROM states_executions WHERE status = 'RUNNING'")).filter((r) => !m.live.has(r.arn));
      if (rows.length === 0) return;
      if (!m.leases) {
        for (const r of rows) await this.takeOver(r.arn);
        return;
      }
      const held = new Map((await m.leases.list('sfn:')).map((l) => [l.name, l]));
      const now = m.clock.now();
      for (const r of rows) {
        const l = held.get(leaseName(r.arn));
        if (l && l.owner !== m.nodeId && l.expiresAt > now) continue;
        if (m.closed || !(await m.leases.acquire(leaseName(r.arn)))) continue;
        await this.takeOver(r.arn);
      }
    } catch (e) {
      this.report(e);
    } finally {
      this.sweeping = false;
    }
  }

  /**
   * Runs an execution found RUNNING in the store (after a restart, or taken over from a node that died) from its
   * checkpoint: this node becomes its owner at a new epoch, which fences off any write of the previous owner.
   */
  async takeOver(arn: string): Promise<void> {
    const m = this.m;
    if (m.live.has(arn) || m.closed) return;
    if (m.live.has(arn) || m.closed) return;
    const [res] = await m.store.journal.write([["UPDATE states_executions SET owner = ?, epoch = epoch + 1 WHERE arn = ? AND status = 'RUNNING' RETURNING *", [m.nodeId, arn]]]);
    const r = res?.rows[0] as ExecRow | undefined;
    if (!r) {
      await m.leases?.release(leaseName(arn));
      return;
    }
    m.fences.set(arn, r.epoch);
    const events = (await m.store.all<{ body: string }>('SELECT body FROM states_events WHERE exec_arn = ? ORDER BY id', [arn])).map((e) => JSON.parse(e.body) as HistoryEvent);
    const cp = r.checkpoint ? (JSON.parse(r.checkpoint) as Checkpoint) : undefined;
    const tokens = await m.store.all<TokenRow>('SELECT * FROM states_tokens WHERE exec_arn = ?', [arn]);
    // Tokens of tasks that run again from their start (inside a Map or Parallel, or before their checkpoint) are void.
    const keep = cp?.entered?.token ?? '';
    if (tokens.some((t) => t.token !== keep)) await m.store.journal.write([['DELETE FROM states_tokens WHERE exec_arn = ? AND token <> ?', [arn, keep]]]);
    const row = tokens.find((t) => t.token === keep);
    // An activity task resumes as picked up when a worker had it (no second hand-out), else it is queued again.
    if (cp?.entered?.token && row?.activity_arn) {
      cp.entered.submitted = row.started === 1;
      // Picked up while no node ran the execution: ActivityStarted is recorded now (the task is not queued again).
      const scheduled = events.map((e) => e.type).lastIndexOf('ActivityScheduled');
      if (row.started === 1 && scheduled >= 0 && !events.slice(scheduled).some((e) => e.type === 'ActivityStarted')) {
        cp.entered.submitted = false;
        m.startedEarly.set(row.token, row.worker ?? undefined);
      }
    }
    const ex = m.makeExecution(m.infoFromRow(r), events);
    m.live.set(arn, ex);
    if (r.stop_req) {
      const s = JSON.parse(r.stop_req) as { error?: string; cause?: string };
      ex.stop(s.error, s.cause);
      m.settle(ex);
      return;
    }
    if (row?.result) m.tokens.settle(row.token, JSON.parse(row.result) as TokenOutcome);
    void m.drive(ex, cp);
  }


  /**
   * GetActivityTask on any node: claims the oldest claimable task of the activity from the store (SKIP LOCKED between
   * nodes, so a task is handed out once), long-polling through `states:activity` for up to 60 s.
   */
  async getActivityTask(arn: string, worker: string | undefined, signal?: AbortSignal): Promise<{ token: string; input: string } | undefined> {
    const m = this.m;
    const deadline = m.clock.now() + POLL_MS;
    let pinged = false;
    let wake: (() => void) | undefined;
    const unlisten = m.notifier.listen('states:activity', (a) => {
      if (a !== arn) return;
      pinged = true;
      wake?.();
    });
    try {
      for (;;) {
        pinged = false;
        const t = await this.claim(arn, worker);
        if (t) return t;
        const left = deadline - m.clock.now();
        if (signal?.aborted || this.polls.signal.aborted || m.closed || left <= 0) return undefined;
        if (pinged) continue;
        await new Promise<void>((res) => {
          const done = (): void => {
            cancel();
            signal?.removeEventListener('abort', done);
            this.polls.signal.removeEventListener('abort', done);
            res();
          };
          const cancel = m.clock.setTimer(Math.min(left, RECHECK_MS), done);
          wake = done;
          signal?.addEventListener('abort', done);
          this.polls.signal.addEventListener('abort', done);
        });
        wake = undefined;
      }
    } finally {
      unlisten();
    }
  }

  private async claim(arn: string, worker: string | undefined): Promise<{ token: string; input: string } | undefined> {
    const m = this.m;
    const [res] = await m.store.journal.write([
      [
        `UPDATE states_tokens SET started = 1, worker = ? WHERE token = (SELECT token FROM states_tokens WHERE activity_arn = ? AND started = 0 AND result IS NULL ORDER BY issued LIMIT 1${m.store.dialect.skipLocked}) AND started = 0 RETURNING token, input`,
        [worker ?? null, arn],
      ],
    ]);
    const row = res?.rows[0] as { token: string; input: string | null } | undefined;
    if (!row) return undefined;
    const local = m.activityTasks.get(row.token);
    if (local) {
      m.activityTasks.delete(row.token);
      local.task.started(worker);
      // ActivityStarted is durable before the worker hears of the task.
      await m.writer.flush();
    } else m.notifier.notify('states:started', row.token);
    return { token: row.token, input: row.input ?? '{}' };
  }

  /** A worker on another node picked up a task of an execution of this node: ActivityStarted goes in its history. */
  private async recordStarted(token: string): Promise<void> {
    const m = this.m;
    const row = await m.store.get<{ worker: string | null; exec_arn: string }>('SELECT worker, exec_arn FROM states_tokens WHERE token = ?', [token]);
    if (!row) return;
    const local = m.activityTasks.get(token);
    if (local && m.activityTasks.delete(token)) local.task.started(row.worker ?? undefined);
    // Claimed in the very commit that stored the token, before the task was queued here: recorded when it is.
    else if (!local && (m.live.has(row.exec_arn) || m.express.has(row.exec_arn))) m.startedEarly.set(token, row.worker ?? undefined);
  }

  /** Ends long polls (before the HTTP server drains). */
  endPolls(): void {
    this.polls.abort();
  }

  /** Stops listening; in a cluster hands this node's executions back at once (another node takes them over). */
  async close(): Promise<void> {
    const m = this.m;
    this.cancelSweep?.();
    this.polls.abort();
    for (const u of this.unlisten) u();
    if (!m.leases) return;
    const arns = [...m.live.keys()];
    for (const arn of arns) await m.leases.release(leaseName(arn)).catch(this.report);
    if (arns.length) m.notifier.notify('states:sweep');
  }
}
