// EventBridge rules on every bus: durable rules and targets cached per node (re-read on `events:rule`), the index of
// enabled pattern rules per bus that PutEvents matches against, and one clock timer per enabled scheduled rule.
//
// A schedule missed while selfless was down is not replayed (as on AWS): after a start, each rule fires at its
// next fire time after now. In a cluster every node arms every rule, but a fire is handed to delivery only by the
// node that records it first in events_fires (rule, scheduled time): the others' inserts conflict and they stay
// quiet. Every node computes the same fire times from the rule's anchor, so a period fires once cluster-wide.
import type { Clock } from '../../lib/clock.js';
import { parsePattern } from '../../lib/event-pattern.js';
import { uuid } from '../../lib/ids.js';
import type { InputTransformer } from '../../lib/event-input.js';
import type { Notifier } from '../../store/notifier.js';
import type { Store } from '../../store/store.js';
import { nextFire, parseSchedule, type Schedule } from './cron.js';
import type { Tag } from './wire.js';

export const EVENTS_MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE events_rules (region TEXT NOT NULL, bus TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (region, bus, name));
         CREATE TABLE events_fires (rule TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (rule, at));
         CREATE INDEX events_fires_at ON events_fires (at);
         CREATE TABLE events_buses (region TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (region, name));
         CREATE TABLE events_archives (region TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (region, name));
         CREATE TABLE events_archived (archive TEXT NOT NULL, at INTEGER NOT NULL, id TEXT NOT NULL, event TEXT NOT NULL, PRIMARY KEY (archive, at, id));
         CREATE TABLE events_replays (region TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (region, name))`,
  },
];

/** The scheduler's tables of earlier versions (scheduled rules on the default bus): their rules move to events_rules. */
const LEGACY_MIGRATIONS = [
  { version: 1, up: 'CREATE TABLE scheduler_rules (region TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (region, name))' },
  { version: 2, up: 'CREATE TABLE scheduler_fires (rule TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (rule, at)); CREATE INDEX scheduler_fires_at ON scheduler_fires (at)' },
  { version: 3, up: "INSERT INTO events_rules (region, bus, name, body) SELECT region, 'default', name, body FROM scheduler_rules; DELETE FROM scheduler_rules; DELETE FROM scheduler_fires" },
];

/** The channel on which a rule's create/change/delete is announced (payload: JSON [region, bus, name]). */
const RULES_CHANNEL = 'events:rule';
/** Fire records older than this are pruned (a fire is only ever contended for around its time). */
const KEEP_FIRES_MS = 86_400_000;

export interface Target {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: InputTransformer;
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn?: string };
  SqsParameters?: { MessageGroupId?: string };
}

export interface Rule {
  region: string;
  /** Absent in rules stored by earlier versions: the default bus. */
  EventBusName?: string;
  Name: string;
  ScheduleExpression?: string;
  EventPattern?: string;
  State: 'ENABLED' | 'DISABLED';
  Description?: string;
  RoleArn?: string;
  /** When the rule's schedule started counting (rate() periods are measured from it). */
  anchor: number;
  targets: Target[];
  Tags?: Tag[];
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
  /** Hands a scheduled rule's event to its targets (durably, as work items). */
  fire(rule: Rule, event: Record<string, unknown>): Promise<void>;
  log(msg: string): void;
}

export const busOf = (r: Pick<Rule, 'EventBusName'>): string => r.EventBusName ?? 'default';
const key = (region: string, bus: string, name: string): string => JSON.stringify([region, bus, name]);
const busKey = (region: string, bus: string): string => `${region}/${bus}`;
const MAX_TIMER_MS = 86_400_000;

export class Rules {
  private readonly rules = new Map<string, Rule>();
  /** Enabled rules with a pattern, per bus, with the parsed pattern: what PutEvents matches against. */
  private byBus = new Map<string, { rule: Rule; pattern: ReturnType<typeof parsePattern> }[]>();
  private indexed = false;
  private readonly timers = new Map<string, () => void>();
  private started = false;
  private unlisten?: () => void;
  private readonly inFlight = new Set<Promise<void>>();
  private prunedAt = 0;
  /** Fires delivered by this instance (for tests and diagnostics). */
  fired = 0;

  constructor(private readonly d: RulesDeps) {}

  async load(): Promise<void> {
    await this.d.store.migrate('events', EVENTS_MIGRATIONS);
    await this.d.store.migrate('scheduler', LEGACY_MIGRATIONS);
    for (const r of await this.d.store.all<{ body: string }>('SELECT body FROM events_rules')) {
      const rule = JSON.parse(r.body) as Rule;
      this.rules.set(key(rule.region, busOf(rule), rule.Name), rule);
    }
    this.indexed = false;
  }

  /** Re-reads one rule after a change on some node, and re-arms (or disarms) it here. */
  private async reload(k: string): Promise<void> {
    let parts: unknown;
    try {
      parts = JSON.parse(k);
    } catch {
      return;
    }
    if (!Array.isArray(parts) || parts.length !== 3) return;
    const [region, bus, name] = parts as string[];
    const row = await this.d.store.get<{ body: string }>('SELECT body FROM events_rules WHERE region = ? AND bus = ? AND name = ?', [region!, bus!, name!]);
    const old = this.rules.get(k);
    if (!row) {
      if (old) {
        this.rules.delete(k);
        this.indexed = false;
        this.disarm(k);
      }
      return;
    }
    if (old && JSON.stringify(old) === row.body) return;
    const rule = JSON.parse(row.body) as Rule;
    this.rules.set(k, rule);
    this.indexed = false;
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
    const q = p.catch((e: unknown) => this.d.log(`selfless: events rules: ${e instanceof Error ? e.message : String(e)}`)).finally(() => this.inFlight.delete(q));
    this.inFlight.add(q);
  }

  /** A rule's ARN: `rule/<name>` on the default bus, `rule/<bus>/<name>` on a custom one (as AWS forms them). */
  arn(r: Pick<Rule, 'region' | 'Name' | 'EventBusName'>): string {
    const bus = busOf(r);
    return `arn:aws:events:${r.region}:${this.d.accountId}:rule/${bus === 'default' ? '' : `${bus}/`}${r.Name}`;
  }

  get(region: string, name: string, bus = 'default'): Rule | undefined {
    return this.rules.get(key(region, bus, name));
  }

  byArn(arn: string): Rule | undefined {
    const m = /^arn:aws[\w-]*:events:([a-z0-9-]+):\d{12}:rule\/(?:(.+)\/)?([^/]+)$/.exec(arn);
    return m ? this.get(m[1]!, m[3]!, m[2] ?? 'default') : undefined;
  }

  list(region: string, bus = 'default'): Rule[] {
    return [...this.rules.values()].filter((r) => r.region === region && busOf(r) === bus).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  }

  /**
   * On a shared store, re-reads a bus's pattern rules before PutEvents matches against them: a rule or target put on
   * another node must route the very next event here, and its notifier hint may still be on its way.
   */
  async refresh(region: string, bus: string): Promise<void> {
    if (this.d.store.kind !== 'postgres') return;
    const rows = await this.d.store.all<{ name: string; body: string }>('SELECT name, body FROM events_rules WHERE region = ? AND bus = ?', [region, bus]);
    const seen = new Set<string>();
    for (const r of rows) {
      const k = key(region, bus, r.name);
      seen.add(k);
      const rule = JSON.parse(r.body) as Rule;
      if (rule.EventPattern === undefined || JSON.stringify(this.rules.get(k)) === r.body) continue;
      this.rules.set(k, rule);
      this.indexed = false;
    }
    for (const [k, r] of this.rules) {
      if (r.region !== region || busOf(r) !== bus || r.EventPattern === undefined || seen.has(k)) continue;
      this.rules.delete(k);
      this.indexed = false;
    }
  }

  /** The enabled pattern rules of a bus (parsed once per change). */
  matching(region: string, bus: string): readonly { rule: Rule; pattern: ReturnType<typeof parsePattern> }[] {
    if (!this.indexed) {
      const m = new Map<string, { rule: Rule; pattern: ReturnType<typeof parsePattern> }[]>();
      for (const r of this.rules.values()) {
        if (r.State !== 'ENABLED' || r.EventPattern === undefined || r.targets.length === 0) continue;
        let pattern;
        try {
          pattern = parsePattern(r.EventPattern);
        } catch {
          continue;
        }
        const k = busKey(r.region, busOf(r));
        let l = m.get(k);
        if (!l) m.set(k, (l = []));
        l.push({ rule: r, pattern });
      }
      this.byBus = m;
      this.indexed = true;
    }
    return this.byBus.get(busKey(region, bus)) ?? [];
  }

  async save(r: Rule): Promise<void> {
    const bus = busOf(r);
    await this.d.store.run('INSERT INTO events_rules (region, bus, name, body) VALUES (?, ?, ?, ?) ON CONFLICT (region, bus, name) DO UPDATE SET body = excluded.body', [r.region, bus, r.Name, JSON.stringify(r)]);
    this.rules.set(key(r.region, bus, r.Name), r);
    this.indexed = false;
    this.arm(r);
    this.d.notifier?.notify(RULES_CHANNEL, key(r.region, bus, r.Name));
  }

  async delete(r: Rule): Promise<void> {
    const bus = busOf(r);
    await this.d.store.run('DELETE FROM events_rules WHERE region = ? AND bus = ? AND name = ?', [r.region, bus, r.Name]);
    const k = key(r.region, bus, r.Name);
    this.rules.delete(k);
    this.indexed = false;
    this.disarm(k);
    this.d.notifier?.notify(RULES_CHANNEL, k);
  }

  private disarm(k: string): void {
    this.timers.get(k)?.();
    this.timers.delete(k);
  }

  /** (Re)schedules the rule's next fire after now. */
  private arm(r: Rule): void {
    const k = key(r.region, busOf(r), r.Name);
    this.disarm(k);
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
    const stmts: [string, (string | number)[]][] = [['INSERT INTO events_fires (rule, at) VALUES (?, ?) ON CONFLICT (rule, at) DO NOTHING', [key(r.region, busOf(r), r.Name), at]]];
    const now = this.d.clock.now();
    if (now - this.prunedAt > KEEP_FIRES_MS / 24) {
      this.prunedAt = now;
      stmts.push(['DELETE FROM events_fires WHERE at < ?', [now - KEEP_FIRES_MS]]);
    }
    const [res] = await this.d.store.journal.write(stmts);
    if (res?.changes !== 1) return;
    this.fired++;
    if (r.targets.length > 0) await this.d.fire(r, this.scheduledEvent(r, at));
  }
}
