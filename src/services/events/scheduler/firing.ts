// Firing schedules: a clock timer per enabled schedule on every node; the first node to record a scheduled time in
// schedules_fires turns it into a durable work item (in the same transaction, which also deletes a completed
// one-time schedule with ActionAfterCompletion DELETE); any node claims the item and delivers it to the target,
// retrying per the target's RetryPolicy and then sending it to its dead-letter queue.
import type { Clock } from '../../../lib/clock.js';
import { uuid } from '../../../lib/ids.js';
import type { Notifier } from '../../../store/notifier.js';
import type { Store } from '../../../store/store.js';
import type { WorkItem, WorkQueues } from '../../../store/work.js';
import { flexOffset, nextTime } from './expression.js';
import { scheduleArn, timingOf, type ScheduleTables, type StoredSchedule, type Target } from './model.js';

export const SCHEDULES_CHANNEL = 'schedules:schedule';
const QUEUE = 'schedules:fires';
const MAX_TIMER_MS = 86_400_000;
const SWEEP_MS = 5_000;
const KEEP_FIRES_MS = 7 * 86_400_000;

/** One fire on its way to the target (the work item's payload). */
export interface Fire {
  region: string;
  scheduleArn: string;
  groupName: string;
  scheduledTime: number;
  executionId: string;
  target: Target;
}

/** Delivers one attempt to the target; throws when the target refuses it. */
export type Deliver = (fire: Fire, input: string, attempt: number) => Promise<void>;

export interface FiringDeps {
  store: Store;
  clock: Clock;
  notifier: Notifier;
  work: WorkQueues;
  tables: ScheduleTables;
  accountId: string;
  deliver: Deliver;
  /** Sends a fire that ran out of retries to its dead-letter queue (an SQS ARN). */
  deadLetter(fire: Fire, input: string, error: string, condition: string, attempts: number): Promise<void>;
  log(msg: string): void;
}

const keyOf = (s: Pick<StoredSchedule, 'region' | 'GroupName' | 'Name'>): string => `${s.region}/${s.GroupName}/${s.Name}`;

/** The target's Input with the context attributes replaced, as AWS does. */
export function renderInput(fire: Fire, attempt: number): string {
  const input = fire.target.Input ?? '{}';
  const time = new Date(Math.floor(fire.scheduledTime / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return input
    .split('<aws.scheduler.schedule-arn>').join(fire.scheduleArn)
    .split('<aws.scheduler.scheduled-time>').join(time)
    .split('<aws.scheduler.execution-id>').join(fire.executionId)
    .split('<aws.scheduler.attempt-number>').join(String(attempt));
}

export class Firing {
  private readonly armed = new Map<string, { body: string; cancel: () => void }>();
  private readonly inFlight = new Set<Promise<void>>();
  private started = false;
  private unlisten: (() => void)[] = [];
  private sweepCancel: (() => void) | undefined;
  private draining = false;
  private again = false;
  /** Fires delivered by this node (tests). */
  delivered = 0;

  constructor(private readonly d: FiringDeps) {}

  async start(): Promise<void> {
    this.started = true;
    this.unlisten.push(this.d.notifier.listen(SCHEDULES_CHANNEL, () => this.track(this.resync())));
    this.unlisten.push(this.d.work.onWake(QUEUE, () => this.track(this.drain())));
    await this.resync();
    this.sweep();
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const u of this.unlisten) u();
    this.unlisten = [];
    this.sweepCancel?.();
    for (const a of this.armed.values()) a.cancel();
    this.armed.clear();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Resolves once the fires, deliveries and re-reads under way have finished (tests on a fake clock wait on it). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Tells every node (this one included) that schedules changed. */
  changed(): void {
    this.d.notifier.notify(SCHEDULES_CHANNEL, '');
  }

  private track(p: Promise<void>): void {
    const q = p.catch((e: unknown) => this.d.log(`selfless: scheduler: ${e instanceof Error ? e.message : String(e)}`)).finally(() => this.inFlight.delete(q));
    this.inFlight.add(q);
  }

  /** Every few seconds: re-read the schedules (a missed notification) and claim fires whose retry time came. */
  private sweep(): void {
    if (!this.started) return;
    this.sweepCancel = this.d.clock.setTimer(SWEEP_MS, () => {
      this.track(this.resync().then(() => this.drain()));
      this.sweep();
    });
  }

  /** Arms what is enabled and stored, disarms what is gone or changed. */
  async resync(): Promise<void> {
    if (!this.started) return;
    const all = await this.d.tables.schedules();
    const seen = new Set<string>();
    for (const s of all) {
      const k = keyOf(s);
      seen.add(k);
      const body = JSON.stringify(s);
      if (this.armed.get(k)?.body === body) continue;
      this.armed.get(k)?.cancel();
      this.armed.delete(k);
      this.arm(s, body, this.d.clock.now(), true);
    }
    for (const [k, a] of this.armed) {
      if (seen.has(k)) continue;
      a.cancel();
      this.armed.delete(k);
    }
  }

  /** Arms the next fire after `after`; `initial`: also a one-time schedule whose time has passed unfired. */
  private arm(s: StoredSchedule, body: string, after: number, initial = false): void {
    if (!this.started || s.State !== 'ENABLED') return;
    const timing = timingOf(s);
    if (!timing) return;
    const k = keyOf(s);
    const arn = scheduleArn(this.d.accountId, s);
    // A one-time schedule whose time passed while no node ran (or that was created with a past time) fires now.
    let scheduled = nextTime(timing, after);
    if (scheduled === undefined && initial && timing.expression.kind === 'at') scheduled = nextTime(timing, -Infinity);
    if (scheduled === undefined) return;
    const window = s.FlexibleTimeWindow.Mode === 'FLEXIBLE' ? (s.FlexibleTimeWindow.MaximumWindowInMinutes ?? 0) : 0;
    const fireAt = scheduled + (window > 0 ? flexOffset(arn, scheduled, window) : 0);
    const at = scheduled;
    const wait = Math.min(Math.max(0, fireAt - this.d.clock.now()), MAX_TIMER_MS);
    const cancel = this.d.clock.setTimer(wait, () => {
      if (this.armed.get(k)?.body !== body) return;
      this.armed.delete(k);
      if (this.d.clock.now() < fireAt) {
        this.arm(s, body, after, initial);
        return;
      }
      this.track(this.fireOnce(s, arn, at));
      this.arm(s, body, at);
    });
    this.armed.set(k, { body, cancel });
  }

  /** Records the fire; only the first node to record a scheduled time turns it into a work item. */
  private async fireOnce(s: StoredSchedule, arn: string, at: number): Promise<void> {
    const now = this.d.clock.now();
    const fire: Fire = { region: s.region, scheduleArn: arn, groupName: s.GroupName, scheduledTime: at, executionId: uuid(), target: s.Target };
    const timing = timingOf(s);
    const completed = timing !== undefined && (timing.expression.kind === 'at' || nextTime(timing, at) === undefined);
    let deleted = false;
    const won = await this.d.store.tx(async (q) => {
      const r = await q.run('INSERT INTO schedules_fires (schedule, at) VALUES (?, ?) ON CONFLICT (schedule, at) DO NOTHING', [arn, at]);
      if (r.changes !== 1) return false;
      const current = await this.d.tables.schedule(s.region, s.GroupName, s.Name, q);
      if (!current || current.State !== 'ENABLED' || current.ScheduleExpression !== s.ScheduleExpression) return false;
      await this.d.work.put(q, QUEUE, [{ id: `${String(at).padStart(15, '0')}:${fire.executionId}`, payload: Buffer.from(JSON.stringify({ ...fire, target: current.Target })), availableAt: now }]);
      if (completed && current.ActionAfterCompletion === 'DELETE') deleted = await this.d.tables.deleteSchedule(s.region, s.GroupName, s.Name, q);
      await q.run('DELETE FROM schedules_fires WHERE at < ?', [now - KEEP_FIRES_MS]);
      return true;
    });
    if (!won) return;
    this.d.work.wake(QUEUE);
    if (deleted) this.changed();
  }

  /** Claims and delivers fires until none is due. */
  private async drain(): Promise<void> {
    if (!this.started) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.again = false;
        for (;;) {
          const items = await this.d.work.claim(QUEUE, 10);
          if (items.length === 0) break;
          await Promise.all(items.map((it) => this.attempt(it)));
        }
      } while (this.again && this.started);
    } finally {
      this.draining = false;
    }
  }

  private async attempt(item: WorkItem): Promise<void> {
    const fire = JSON.parse(item.payload.toString('utf8')) as Fire;
    const attempt = item.attempts;
    const input = renderInput(fire, attempt);
    try {
      await this.d.deliver(fire, input, attempt);
      this.delivered++;
      await this.d.work.complete(QUEUE, item.id);
      return;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const code = e instanceof Error && 'code' in e && typeof (e as { code: unknown }).code === 'string' ? (e as { code: string }).code : 'TargetInvocationFailed';
      const policy = fire.target.RetryPolicy;
      const now = this.d.clock.now();
      const retriesLeft = attempt <= policy.MaximumRetryAttempts;
      // Exponential backoff with a cap, as AWS retries: 1 s, 2 s, 4 s, … up to a minute.
      const next = now + Math.min(60_000, 1000 * 2 ** (attempt - 1));
      const young = next - fire.scheduledTime < policy.MaximumEventAgeInSeconds * 1000;
      if (retriesLeft && young) {
        await this.d.work.release(QUEUE, item.id, { availableAt: next });
        this.d.clock.setTimer(next - now, () => this.track(this.drain()));
        return;
      }
      const condition = retriesLeft ? 'MaximumEventAgeInSeconds' : 'MaximumRetryAttempts';
      this.d.log(`selfless: scheduler: ${fire.scheduleArn} at ${new Date(fire.scheduledTime).toISOString()} to ${fire.target.Arn} failed after ${attempt} attempt(s): ${message}`);
      if (fire.target.DeadLetterConfig?.Arn) {
        try {
          await this.d.deadLetter(fire, input, `${code}: ${message}`, condition, attempt - 1);
        } catch (dl) {
          this.d.log(`selfless: scheduler: dead-letter queue ${fire.target.DeadLetterConfig.Arn}: ${dl instanceof Error ? dl.message : String(dl)}`);
        }
      }
      await this.d.work.complete(QUEUE, item.id);
    }
  }
}
