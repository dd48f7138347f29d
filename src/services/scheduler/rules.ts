// EventBridge rules with schedules: durable rules and targets, one clock timer per enabled scheduled rule, and
// delivery of the "Scheduled Event" (or the target's Input/InputPath) to Lambda (async) and SQS targets.
//
// A schedule missed while selfless was down is not replayed (as on AWS): after a start, each rule fires at its
// next fire time after now.
//
// In a cluster every node arms every rule (the rules are cached per node and re-read on `scheduler:rule`, which a
// create/change/delete on any node announces), but a fire is delivered only by the node that records it first in
// scheduler_fires (rule, scheduled time): the others' inserts conflict and they stay quiet. Every node computes the
// same fire times from the rule's anchor, so a period fires once cluster-wide.
import type { Clock } from '../../lib/clock.js';
import { uuid } from '../../lib/ids.js';
import type { QueueBroker } from '../sqs/index.js';
import type { Notifier } from '../../store/notifier.js';
import type { Store } from '../../store/store.js';
import { nextFire, parseSchedule, type Schedule } from './cron.js';

export const SCHEDULER_MIGRATIONS = [
  { version: 1, up: 'CREATE TABLE scheduler_rules (region TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (region, name))' },
  { version: 2, up: 'CREATE TABLE scheduler_fires (rule TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (rule, at)); CREATE INDEX scheduler_fires_at ON scheduler_fires (at)' },
];

/** The channel on which a rule's create/change/delete is announced (payload: `region/name`). */
const RULES_CHANNEL = 'scheduler:rule';
/** Fire records older than this are pruned (a fire is only ever contended for around its time). */
const KEEP_FIRES_MS = 86_400_000;

export interface Target {
  Id: string;
  Arn: string;
  Input?: string;
  InputPath?: string;
}

export interface Rule {
  region: string;
  Name: string;
  ScheduleExpression?: string;
  EventPattern?: string;
  State: 'ENABLED' | 'DISABLED';
  Description?: string;
  RoleArn?: string;
  /** When the rule's schedule started counting (rate() periods are measured from it). */
  anchor: number;
  targets: Target[];
}

export interface RulesDeps {
  store: Store;
  clock: Clock;
  /** Announces rule changes to the other nodes (absent: this process is the only one that arms rules). */
  notifier?: Notifier;
  accountId: string;
  /**
   * Test-only: the length of a `rate()` minute in ms (`SELFLESS_TEST_RATE_MINUTE_MS`), so that a live test sees
   * several periods of `rate(1 minute)` in seconds. Never set in production: AWS's minute is 60,000 ms.
   */
  rateMinuteMs?: number;
  /** Accepts an async invocation durably (the Lambda service's queue). */
  invokeAsync(region: string, functionName: string, qualifier: string | undefined, payload: Buffer): Promise<void>;
  /** SQS targets' queues (without it, deliveries to SQS fail with a logged error). */
  queues?: QueueBroker;
  log(msg: string): void;
}

const key = (region: string, name: string) => `${region}/${name}`;
const MAX_TIMER_MS = 86_400_000;

export class Rules {
  private readonly rules = new Map<string, Rule>();
  private readonly timers = new Map<string, () => void>();
  private started = false;
  private unlisten?: () => void;
  private readonly inFlight = new Set<Promise<void>>();
  private prunedAt = 0;
  /** Fires delivered by this instance (for tests and diagnostics). */
  fired = 0;

  constructor(private readonly d: RulesDeps) {}

  async load(): Promise<void> {
    await this.d.store.migrate('scheduler', SCHEDULER_MIGRATIONS);
    for (const r of await this.d.store.all<{ body: string }>('SELECT body FROM scheduler_rules')) {
      const rule = JSON.parse(r.body) as Rule;
      this.rules.set(key(rule.region, rule.Name), rule);
    }
  }

  /** Re-reads one rule after a change on some node, and re-arms (or disarms) it here. */
  private async reload(k: string): Promise<void> {
    const [region, ...rest] = k.split('/');
    const name = rest.join('/');
    const row = await this.d.store.get<{ body: string }>('SELECT body FROM scheduler_rules WHERE region = ? AND name = ?', [region ?? '', name]);
    const old = this.rules.get(k);
    if (!row) {
      if (old) {
        this.rules.delete(k);
        this.disarm(old);
      }
      return;
    }
    if (old && JSON.stringify(old) === row.body) return;
    const rule = JSON.parse(row.body) as Rule;
    this.rules.set(k, rule);
    this.arm(rule);
  }

  start(): void {
    this.started = true;
    this.unlisten ??= this.d.notifier?.listen(RULES_CHANNEL, (k) => this.track(this.reload(k)));
    for (const r of this.rules.values()) this.arm(r);
  }

  stop(): void {
    this.started = false;
    this.unlisten?.();
    this.unlisten = undefined;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  /** Resolves once the fires and reloads under way have finished (tests on a fake clock wait on it). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private track(p: Promise<void>): void {
    const q = p.catch((e: unknown) => this.d.log(`selfless: scheduler: ${e instanceof Error ? e.message : String(e)}`)).finally(() => this.inFlight.delete(q));
    this.inFlight.add(q);
  }

  arn(r: Pick<Rule, 'region' | 'Name'>): string {
    return `arn:aws:events:${r.region}:${this.d.accountId}:rule/${r.Name}`;
  }

  get(region: string, name: string): Rule | undefined {
    return this.rules.get(key(region, name));
  }

  list(region: string): Rule[] {
    return [...this.rules.values()].filter((r) => r.region === region).sort((a, b) => a.Name.localeCompare(b.Name));
  }

  async save(r: Rule): Promise<void> {
    await this.d.store.run('INSERT INTO scheduler_rules (region, name, body) VALUES (?, ?, ?) ON CONFLICT (region, name) DO UPDATE SET body = excluded.body', [r.region, r.Name, JSON.stringify(r)]);
    this.rules.set(key(r.region, r.Name), r);
    this.arm(r);
    this.d.notifier?.notify(RULES_CHANNEL, key(r.region, r.Name));
  }

  async delete(r: Rule): Promise<void> {
    await this.d.store.run('DELETE FROM scheduler_rules WHERE region = ? AND name = ?', [r.region, r.Name]);
    this.rules.delete(key(r.region, r.Name));
    this.disarm(r);
    this.d.notifier?.notify(RULES_CHANNEL, key(r.region, r.Name));
  }

  private disarm(r: Rule): void {
    const k = key(r.region, r.Name);
    this.timers.get(k)?.();
    this.timers.delete(k);
  }

  /** (Re)schedules the rule's next fire after now. */
  private arm(r: Rule): void {
    this.disarm(r);
    if (!this.started || r.State !== 'ENABLED' || !r.ScheduleExpression) return;
    let schedule: Schedule;
    try {
      schedule = parseSchedule(r.ScheduleExpression);
      if (schedule.kind === 'rate' && this.d.rateMinuteMs) schedule = { kind: 'rate', periodMs: (schedule.periodMs / 60_000) * this.d.rateMinuteMs };
    } catch {
      return;
    }
    const now = this.d.clock.now();
    const at = nextFire(schedule, now, r.anchor);
    if (at === undefined) return;
    const k = key(r.region, r.Name);
    // Timers longer than a day are split (Node's timers overflow past ~24.8 days and would fire at once).
    const wait = Math.min(at - now, MAX_TIMER_MS);
    this.timers.set(
      k,
      this.d.clock.setTimer(wait, () => {
        this.timers.delete(k);
        const current = this.rules.get(k);
        if (current !== r) return;
        if (this.d.clock.now() < at) {
          this.arm(r);
          return;
        }
        this.track(this.fireOnce(r, at));
        this.arm(r);
      }),
    );
  }

  /** AWS's "Scheduled Event" for a fire at `at`. */
  scheduledEvent(r: Rule, at: number): Record<string, unknown> {
    return {
      version: '0',
      id: uuid(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.d.accountId,
      time: new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
      region: r.region,
      resources: [this.arn(r)],
      detail: {},
    };
  }

  /** Delivers the fire at `at` only if this node is the first to record it (every node's timer reaches here). */
  private async fireOnce(r: Rule, at: number): Promise<void> {
    const stmts: [string, (string | number)[]][] = [['INSERT INTO scheduler_fires (rule, at) VALUES (?, ?) ON CONFLICT (rule, at) DO NOTHING', [key(r.region, r.Name), at]]];
    const now = this.d.clock.now();
    if (now - this.prunedAt > KEEP_FIRES_MS / 24) {
      this.prunedAt = now;
      stmts.push(['DELETE FROM scheduler_fires WHERE at < ?', [now - KEEP_FIRES_MS]]);
    }
    const [res] = await this.d.store.journal.write(stmts);
    if (res?.changes !== 1) return;
    await this.fire(r, at);
  }

  private async fire(r: Rule, at: number): Promise<void> {
    this.fired++;
    const event = this.scheduledEvent(r, at);
    await Promise.all(
      r.targets.map(async (t) => {
        try {
          await this.deliver(t, targetInput(t, event));
        } catch (e) {
          this.d.log(`selfless: rule ${r.Name} fire at ${new Date(at).toISOString()} target ${t.Id} (${t.Arn}): ${e instanceof Error ? e.message : String(e)}`);
        }
      }),
    );
  }

  private async deliver(t: Target, payload: string): Promise<void> {
    const p = t.Arn.split(':');
    if (p[2] === 'lambda' && p[5] === 'function' && p[3] && p[6]) {
      await this.d.invokeAsync(p[3], p[6], p[7], Buffer.from(payload));
    } else if (p[2] === 'sqs') {
      const q = this.d.queues;
      if (!q) throw new Error('the SQS service is not available');
      await q.send(t.Arn, { body: payload });
    } else {
      throw new Error('unsupported target type');
    }
  }
}

/** The target's Input (verbatim), the InputPath's value of the event, or the whole event. */
export function targetInput(t: Target, event: Record<string, unknown>): string {
  if (t.Input !== undefined) return t.Input;
  if (t.InputPath !== undefined) {
    let v: unknown = event;
    for (const part of t.InputPath.replace(/^\$\.?/, '').split('.').filter(Boolean)) {
      v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
    }
    return v === undefined ? '' : JSON.stringify(v);
  }
  return JSON.stringify(event);
}
