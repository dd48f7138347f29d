// PutEvents intake: checks each entry as AWS does (per-entry errors), forms the event envelope, matches it against
// the bus's enabled rules and archives, and writes one work item per matching rule target (plus the archived copy)
// in ONE journal group, so that an acknowledged event is delivered at least once even after `kill -9`.
import type { Clock } from '../../lib/clock.js';
import { matches } from '../../lib/event-pattern.js';
import { isoSeconds } from '../../lib/event-input.js';
import { uuid } from '../../lib/ids.js';
import type { Stmt } from '../../store/journal.js';
import type { Store } from '../../store/store.js';
import type { WorkQueues } from '../../store/work.js';
import type { Catalog } from './catalog.js';
import { parsePattern } from '../../lib/event-pattern.js';
import { DELIVERY_QUEUE, parseBusArn, workId, type Archive, type Bus, type Delivery } from './model.js';
import type { Rule, Rules } from './rules.js';

export interface PutEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  EventBusName?: string;
  Time?: Date | number;
}

export type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** AWS's PutEvents limit: the entries' total size (its calculation: see entrySize). */
export const MAX_PUT_SIZE = 256 * 1024;

/** AWS's size of an entry: 14 bytes for a Time, the UTF-8 bytes of Source, DetailType, Detail and each resource. */
export function entrySize(e: PutEntry): number {
  let n = e.Time !== undefined ? 14 : 0;
  for (const s of [e.Source, e.DetailType, e.Detail]) if (s) n += Buffer.byteLength(s, 'utf8');
  for (const r of e.Resources ?? []) n += Buffer.byteLength(r, 'utf8');
  return n;
}

export interface IntakeDeps {
  store: Store;
  clock: Clock;
  accountId: string;
  rules: Rules;
  buses: Catalog<Bus>;
  archives: Catalog<Archive>;
  work: WorkQueues;
}

const fail = (ErrorCode: string, ErrorMessage: string): EntryResult => ({ ErrorCode, ErrorMessage });

export class Intake {
  /** Events accepted (for tests and benchmarks). */
  accepted = 0;
  private readonly archivePatterns = new WeakMap<Archive, ReturnType<typeof parsePattern> | null>();

  constructor(private readonly d: IntakeDeps) {}

  busExists(region: string, name: string): boolean {
    return name === 'default' || this.d.buses.get(region, name) !== undefined;
  }

  /** The bus name an entry's EventBusName (name or ARN) stands for. */
  private busOf(region: string, e: PutEntry): string {
    const v = e.EventBusName;
    if (v === undefined || v === '') return 'default';
    const a = parseBusArn(v);
    return a && a.region === region ? a.name : a ? `\u0000${v}` : v;
  }

  /**
   * PutEvents: per-entry results in order; durable before it resolves. `fromApi`: a caller of the API, who may not
   * use the `aws.` sources of AWS's own services.
   */
  async put(region: string, entries: readonly PutEntry[], fromApi: boolean): Promise<{ FailedEntryCount: number; Entries: EntryResult[] }> {
    const now = this.d.clock.now();
    const results: EntryResult[] = [];
    const stmts: Stmt[] = [];
    for (const bus of new Set(entries.map((e) => this.busOf(region, e)))) await this.d.rules.refresh(region, bus);
    for (const e of entries) {
      const r = this.check(region, e, fromApi);
      if (r) {
        results.push(r);
        continue;
      }
      const id = uuid();
      const time = e.Time === undefined ? now : e.Time instanceof Date ? e.Time.getTime() : e.Time;
      const event: Record<string, unknown> = {
        version: '0',
        id,
        'detail-type': e.DetailType,
        source: e.Source,
        account: this.d.accountId,
        time: isoSeconds(Number.isFinite(time) ? time : now),
        region,
        resources: e.Resources ?? [],
        detail: JSON.parse(e.Detail!) as unknown,
      };
      this.route(region, this.busOf(region, e), event, now, stmts, { archive: true });
      results.push({ EventId: id });
    }
    await this.commit(stmts);
    this.accepted += results.filter((r) => 'EventId' in r).length;
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  private check(region: string, e: PutEntry, fromApi: boolean): EntryResult | undefined {
    const bus = this.busOf(region, e);
    if (!e.Source) return fail('InvalidArgument', 'Parameter Source is not valid. Reason: Source is a required argument.');
    if (!e.DetailType) return fail('InvalidArgument', 'Parameter DetailType is not valid. Reason: DetailType is a required argument.');
    if (!e.Detail) return fail('InvalidArgument', 'Parameter Detail is not valid. Reason: Detail is a required argument.');
    let detail: unknown;
    try {
      detail = JSON.parse(e.Detail);
    } catch {
      return fail('MalformedDetail', 'Detail is malformed.');
    }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) return fail('MalformedDetail', 'Detail is malformed.');
    if (fromApi && /^aws\./.test(e.Source)) return fail('NotAuthorizedForSourceException', 'Not authorized for the source.');
    if (!this.busExists(region, bus)) return fail('ResourceNotFoundException', `Event bus ${bus.replace(/^\u0000/, '')} does not exist.`);
    return undefined;
  }

  /**
   * Adds to `stmts` the work items of one event on one bus: a delivery per target of every enabled rule it matches
   * (only the rules named by `filterArns`, for a replay), and its copy in every matching archive.
   */
  route(region: string, bus: string, event: Record<string, unknown>, now: number, stmts: Stmt[], o: { archive?: boolean; filterArns?: readonly string[] } = {}): number {
    let n = 0;
    for (const { rule, pattern } of this.d.rules.matching(region, bus)) {
      if (o.filterArns && !o.filterArns.includes(this.d.rules.arn(rule))) continue;
      if (!matches(pattern, event as never)) continue;
      n += this.deliveries(rule, event, now, stmts);
    }
    if (o.archive) {
      for (const { region: r, value: a } of this.d.archives.all()) {
        if (r !== region || a.State !== 'ENABLED') continue;
        const src = parseBusArn(a.EventSourceArn);
        if (!src || src.name !== bus) continue;
        if (!this.archiveMatches(a, event)) continue;
        stmts.push(['INSERT INTO events_archived (archive, at, id, event) VALUES (?, ?, ?, ?) ON CONFLICT (archive, at, id) DO NOTHING', [`${region}/${a.Name}`, Date.parse(event['time'] as string), String(event['id']), JSON.stringify(event)]]);
      }
    }
    return n;
  }

  private archiveMatches(a: Archive, event: Record<string, unknown>): boolean {
    if (a.EventPattern === undefined) return true;
    let p = this.archivePatterns.get(a);
    if (p === undefined) {
      try {
        p = parsePattern(a.EventPattern);
      } catch {
        p = null;
      }
      this.archivePatterns.set(a, p);
    }
    return p !== null && matches(p, event as never);
  }

  /** Adds one work item per target of the rule. */
  deliveries(rule: Rule, event: Record<string, unknown>, now: number, stmts: Stmt[]): number {
    const ruleArn = this.d.rules.arn(rule);
    for (const target of rule.targets) {
      const d: Delivery = { region: rule.region, ruleArn, ruleName: rule.Name, target, event, ingestion: now, retries: 0 };
      stmts.push(['INSERT INTO store_work (queue, id, payload, available_at) VALUES (?, ?, ?, ?)', [DELIVERY_QUEUE, workId(now), Buffer.from(JSON.stringify(d)), now]]);
    }
    return rule.targets.length;
  }

  /** Writes a group durably and wakes the delivery workers. */
  async commit(stmts: Stmt[]): Promise<void> {
    if (stmts.length === 0) return;
    await this.d.store.journal.write(stmts);
    this.d.work.wake(DELIVERY_QUEUE);
  }

  /** An event sent to another bus by a rule target: the same event, matched against that bus's rules. */
  async forward(region: string, bus: string, event: Record<string, unknown>): Promise<void> {
    if (!this.busExists(region, bus)) throw Object.assign(new Error(`Event bus ${bus} does not exist.`), { code: 'ResourceNotFoundException' });
    const stmts: Stmt[] = [];
    await this.d.rules.refresh(region, bus);
    this.route(region, bus, event, this.d.clock.now(), stmts, { archive: true });
    await this.commit(stmts);
  }

  /** A scheduled rule's fire: its event to each of its targets. */
  async fire(rule: Rule, event: Record<string, unknown>): Promise<void> {
    const stmts: Stmt[] = [];
    this.deliveries(rule, event, this.d.clock.now(), stmts);
    await this.commit(stmts);
  }
}
