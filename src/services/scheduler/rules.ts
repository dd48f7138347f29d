// EventBridge rules with schedules: durable rules and targets, one clock timer per enabled scheduled rule, and
// delivery of the "Scheduled Event" (or the target's Input/InputPath) to Lambda (async) and SQS targets.
//
// A schedule missed while selfless was down is not replayed (as on AWS): after a start, each rule fires at its
// next fire time after now.
import type { Clock } from '../../lib/clock.js';
import { uuid } from '../../lib/ids.js';
import type { QueueBroker } from '../sqs/index.js';
import type { Store } from '../../store/store.js';
import { nextFire, parseSchedule, type Schedule } from './cron.js';

export const SCHEDULER_MIGRATIONS = [
  { version: 1, up: 'CREATE TABLE scheduler_rules (region TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (region, name))' },
];

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
  accountId: string;
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
  /** Fires delivered (for tests and diagnostics). */
  fired = 0;

  constructor(private readonly d: RulesDeps) {}

  async load(): Promise<void> {
    await this.d.store.migrate('scheduler', SCHEDULER_MIGRATIONS);
    for (const r of await this.d.store.all<{ body: string }>('SELECT body FROM scheduler_rules')) {
      const rule = JSON.parse(r.body) as Rule;
      this.rules.set(key(rule.region, rule.Name), rule);
    }
  }

  start(): void {
    this.started = true;
    for (const r of this.rules.values()) this.arm(r);
  }

  stop(): void {
    this.started = false;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
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
    await this.d.store.run('INSERT OR REPLACE INTO scheduler_rules (region, name, body) VALUES (?, ?, ?)', [r.region, r.Name, JSON.stringify(r)]);
    this.rules.set(key(r.region, r.Name), r);
    this.arm(r);
  }

  async delete(r: Rule): Promise<void> {
    await this.d.store.run('DELETE FROM scheduler_rules WHERE region = ? AND name = ?', [r.region, r.Name]);
    this.rules.delete(key(r.region, r.Name));
    this.disarm(r);
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
        this.fire(r, at).catch((e: unknown) => this.d.log(`selfless: rule ${r.Name}: ${e instanceof Error ? e.message : String(e)}`));
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

  private async fire(r: Rule, at: number): Promise<void> {
    this.fired++;
    const event = this.scheduledEvent(r, at);
    await Promise.all(
      r.targets.map(async (t) => {
        try {
          await this.deliver(t, targetInput(t, event));
        } catch (e) {
          this.d.log(`selfless: rule ${r.Name} target ${t.Id} (${t.Arn}): ${e instanceof Error ? e.message : String(e)}`);
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
