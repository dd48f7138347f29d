// Archives and replays: CreateArchive … DeleteArchive, StartReplay … CancelReplay, and the replay worker that sends
// an archive's events of a time range back through the bus's rules (those of Destination.FilterArns, or all), each
// with `replay-name` in its envelope, moving the replay STARTING → RUNNING → COMPLETED (or CANCELLED).
import type { Clock } from '../../lib/clock.js';
import type { Handler } from '../../server/types.js';
import type { Stmt } from '../../store/journal.js';
import type { Store } from '../../store/store.js';
import type { WorkQueues } from '../../store/work.js';
import type { Catalog } from './catalog.js';
import { checkPattern } from './api-rules.js';
import { archiveExists, archiveNotFound, busNotFound, illegalStatus, invalid, replayExists, replayNotFound, validation } from './errors.js';
import type { Intake } from './intake.js';
import { archiveArn, parseBusArn, REPLAY_QUEUE, replayArn, workId, type Archive, type Replay } from './model.js';
import { body, limitOf, name, optInt, optStr, optTime, page, reqStr } from './wire.js';

const PAGE = 100;

export interface ArchiveDeps {
  store: Store;
  clock: Clock;
  accountId: string;
  archives: Catalog<Archive>;
  replays: Catalog<Replay>;
  intake: Intake;
  work: WorkQueues;
  busExists(region: string, name: string): boolean;
  log(msg: string): void;
}

export class Archives {
  private running = false;
  private unlisten?: () => void;
  private busy = false;
  private readonly runs = new Set<Promise<void>>();

  constructor(private readonly d: ArchiveDeps) {}

  start(): void {
    this.running = true;
    this.unlisten = this.d.work.onWake(REPLAY_QUEUE, () => this.pump());
    this.pump();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unlisten?.();
    await Promise.allSettled([...this.runs]);
  }

  private pump(): void {
    if (!this.running || this.busy) return;
    this.busy = true;
    const p: Promise<void> = (async () => {
      try {
        for (;;) {
          const [it] = await this.d.work.claim(REPLAY_QUEUE, 1);
          if (!it || !this.running) return;
          const { region, name } = JSON.parse(it.payload.toString('utf8')) as { region: string; name: string };
          try {
            await this.replay(region, name);
          } catch (e) {
            this.d.log(`selfless: events: replay ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
            const r = await this.d.replays.fresh(region, name);
            if (r) await this.d.replays.put(region, { ...r, State: 'FAILED', StateReason: e instanceof Error ? e.message : String(e), ReplayEndTime: this.d.clock.now() });
          }
          await this.d.work.complete(REPLAY_QUEUE, it.id);
        }
      } catch (e) {
        this.d.log(`selfless: events: claiming replays failed: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        this.busy = false;
      }
    })();
    void p.finally(() => this.runs.delete(p));
    this.runs.add(p);
  }

  /** Sends the archived events of the replay's range back to the bus, a page at a time, durably. */
  private async replay(region: string, replayName: string): Promise<void> {
    let r = await this.d.replays.fresh(region, replayName);
    if (r?.State === 'CANCELLING') await this.d.replays.put(region, { ...r, State: 'CANCELLED', ReplayEndTime: this.d.clock.now() });
    if (!r || (r.State !== 'STARTING' && r.State !== 'RUNNING')) return;
    r = { ...r, State: 'RUNNING' };
    await this.d.replays.put(region, r);
    const archive = r.EventSourceArn.split(':archive/')[1] ?? '';
    const bus = parseBusArn(r.Destination.Arn)?.name ?? 'default';
    let after = { at: r.EventStartTime - 1, id: '\uffff' };
    for (;;) {
      const cur = await this.d.replays.fresh(region, replayName);
      if (!cur || cur.State === 'CANCELLING') {
        if (cur) await this.d.replays.put(region, { ...cur, State: 'CANCELLED', ReplayEndTime: this.d.clock.now() });
        return;
      }
      const rows = await this.d.store.all<{ at: number; id: string; event: string }>(
        'SELECT at, id, event FROM events_archived WHERE archive = ? AND (at > ? OR (at = ? AND id > ?)) AND at < ? ORDER BY at, id LIMIT ?',
        [`${region}/${archive}`, after.at, after.at, after.id, r.EventEndTime, PAGE],
      );
      const stmts: Stmt[] = [];
      const now = this.d.clock.now();
      for (const row of rows) {
        const event = { ...(JSON.parse(row.event) as Record<string, unknown>), 'replay-name': replayName };
        this.d.intake.route(region, bus, event, now, stmts, { filterArns: r.Destination.FilterArns });
      }
      await this.d.intake.commit(stmts);
      const last = rows[rows.length - 1];
      if (last) {
        after = { at: Number(last.at), id: last.id };
        await this.d.replays.put(region, { ...cur, State: 'RUNNING', EventLastReplayedTime: Number(last.at) });
      }
      if (rows.length < PAGE) break;
    }
    const done = await this.d.replays.fresh(region, replayName);
    if (done) await this.d.replays.put(region, { ...done, State: done.State === 'CANCELLING' ? 'CANCELLED' : 'COMPLETED', ReplayEndTime: this.d.clock.now() });
  }

  /** Drops archived events past their archive's RetentionDays (and those of deleted archives). */
  async prune(): Promise<void> {
    const now = this.d.clock.now();
    for (const { region, value: a } of this.d.archives.all()) {
      if (a.RetentionDays > 0) await this.d.store.run('DELETE FROM events_archived WHERE archive = ? AND at < ?', [`${region}/${a.Name}`, now - a.RetentionDays * 86_400_000]);
    }
  }

  routes(): Record<string, Handler> {
    const { archives, replays, clock, accountId } = this.d;
    const stats = async (region: string, a: Archive) => {
      const s = await this.d.store.get<{ n: number; size: number | null }>('SELECT COUNT(*) AS n, SUM(LENGTH(event)) AS size FROM events_archived WHERE archive = ?', [`${region}/${a.Name}`]);
      return { EventCount: Number(s?.n ?? 0), SizeBytes: Number(s?.size ?? 0) };
    };
    const showArchive = async (region: string, a: Archive, full: boolean) => ({
      ...(full ? { ArchiveArn: archiveArn(region, accountId, a.Name) } : {}),
      ArchiveName: a.Name,
      EventSourceArn: a.EventSourceArn,
      ...(full && a.Description !== undefined ? { Description: a.Description } : {}),
      ...(full && a.EventPattern !== undefined ? { EventPattern: a.EventPattern } : {}),
      State: a.State,
      RetentionDays: a.RetentionDays,
      ...(await stats(region, a)),
      CreationTime: a.CreationTime / 1000,
    });
    const showReplay = (region: string, r: Replay, full: boolean) => ({
      ReplayName: r.Name,
      ...(full ? { ReplayArn: replayArn(region, accountId, r.Name) } : {}),
      ...(full && r.Description !== undefined ? { Description: r.Description } : {}),
      State: r.State,
      ...(r.StateReason !== undefined ? { StateReason: r.StateReason } : {}),
      EventSourceArn: r.EventSourceArn,
      ...(full ? { Destination: r.Destination } : {}),
      EventStartTime: r.EventStartTime / 1000,
      EventEndTime: r.EventEndTime / 1000,
      ...(r.EventLastReplayedTime !== undefined ? { EventLastReplayedTime: r.EventLastReplayedTime / 1000 } : {}),
      ReplayStartTime: r.ReplayStartTime / 1000,
      ...(r.ReplayEndTime !== undefined ? { ReplayEndTime: r.ReplayEndTime / 1000 } : {}),
    });
    const requireArchive = async (region: string, n: string): Promise<Archive> => {
      const a = archives.get(region, n) ?? (await archives.fresh(region, n));
      if (!a) throw archiveNotFound(n);
      return a;
    };
    const sourceBus = (region: string, arn: string): string => {
      const b = parseBusArn(arn);
      if (!b || b.region !== region || !this.d.busExists(region, b.name)) throw busNotFound(b?.name ?? arn);
      return b.name;
    };
    return {
      CreateArchive: async (req) => {
        const b = body(req);
        const n = name(b, 'ArchiveName', 'archiveName', 48);
        const src = reqStr(b, 'EventSourceArn', 'eventSourceArn', 1600);
        sourceBus(req.region, src);
        const pattern = optStr(b, 'EventPattern', 'eventPattern', 4096);
        if (pattern !== undefined) checkPattern(pattern);
        const description = optStr(b, 'Description', 'description', 512);
        const a: Archive = { Name: n, EventSourceArn: src, ...(description !== undefined ? { Description: description } : {}), ...(pattern !== undefined ? { EventPattern: pattern } : {}), RetentionDays: optInt(b, 'RetentionDays', 'retentionDays', 0, 2147483647) ?? 0, State: 'ENABLED', CreationTime: clock.now() };
        if (!(await archives.create(req.region, a))) throw archiveExists(n);
        return { body: { ArchiveArn: archiveArn(req.region, accountId, n), State: a.State, CreationTime: a.CreationTime / 1000 } };
      },
      DescribeArchive: async (req) => {
        const b = body(req);
        return { body: await showArchive(req.region, await requireArchive(req.region, name(b, 'ArchiveName', 'archiveName', 48)), true) };
      },
      ListArchives: async (req) => {
        const b = body(req);
        const prefix = optStr(b, 'NamePrefix', 'namePrefix', 48, 1);
        const src = optStr(b, 'EventSourceArn', 'eventSourceArn', 1600, 1);
        const state = optStr(b, 'State', 'state', 32);
        if (prefix !== undefined && src !== undefined) throw validation('At most one filter is allowed for ListArchives. Use either : State, EventSourceArn, or NamePrefix.');
        const all = archives.list(req.region).filter((a) => (!prefix || a.Name.startsWith(prefix)) && (!src || a.EventSourceArn === src) && (!state || a.State === state));
        const p = page(all, b, limitOf(b));
        return { body: { Archives: await Promise.all(p.items.map((a) => showArchive(req.region, a, false))), ...(p.next ? { NextToken: p.next } : {}) } };
      },
      UpdateArchive: async (req) => {
        const b = body(req);
        const a = await requireArchive(req.region, name(b, 'ArchiveName', 'archiveName', 48));
        const pattern = optStr(b, 'EventPattern', 'eventPattern', 4096);
        if (pattern !== undefined) checkPattern(pattern);
        const description = optStr(b, 'Description', 'description', 512);
        const days = optInt(b, 'RetentionDays', 'retentionDays', 0, 2147483647);
        const next: Archive = { ...a, ...(pattern !== undefined ? { EventPattern: pattern } : {}), ...(description !== undefined ? { Description: description } : {}), ...(days !== undefined ? { RetentionDays: days } : {}) };
        await archives.put(req.region, next);
        return { body: { ArchiveArn: archiveArn(req.region, accountId, a.Name), State: next.State, CreationTime: next.CreationTime / 1000 } };
      },
      DeleteArchive: async (req) => {
        const b = body(req);
        const a = await requireArchive(req.region, name(b, 'ArchiveName', 'archiveName', 48));
        await archives.delete(req.region, a.Name);
        await this.d.store.run('DELETE FROM events_archived WHERE archive = ?', [`${req.region}/${a.Name}`]);
        return { body: {} };
      },
      StartReplay: async (req) => {
        const b = body(req);
        const n = name(b, 'ReplayName', 'replayName');
        const src = reqStr(b, 'EventSourceArn', 'eventSourceArn', 1600);
        const start = optTime(b, 'EventStartTime');
        const end = optTime(b, 'EventEndTime');
        if (start === undefined) throw invalid('eventStartTime', null, 'Member must not be null');
        if (end === undefined) throw invalid('eventEndTime', null, 'Member must not be null');
        const dest = b['Destination'];
        if (!dest || typeof dest !== 'object' || Array.isArray(dest)) throw invalid('destination', null, 'Member must not be null');
        const destArn = reqStr(dest as Record<string, unknown>, 'Arn', 'destination.arn', 1600);
        const filter = (dest as Record<string, unknown>)['FilterArns'];
        if (filter !== undefined && (!Array.isArray(filter) || !filter.every((x) => typeof x === 'string'))) throw invalid('destination.filterArns', 'list', 'Member must be a list of strings');
        const m = /^arn:aws[\w-]*:events:([a-z0-9-]+):\d{12}:archive\/(.+)$/.exec(src);
        if (!m || m[1] !== req.region) throw archiveNotFound(src);
        const a = await requireArchive(req.region, m[2]!);
        if (start >= end) throw validation('Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.');
        if (end > clock.now()) throw validation('Parameter EventEndTime is not valid. Reason: EventEndTime must be in the past.');
        if (parseBusArn(destArn)?.name !== parseBusArn(a.EventSourceArn)?.name) throw validation('Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.');
        const r: Replay = {
          Name: n,
          ...(optStr(b, 'Description', 'description', 512) !== undefined ? { Description: optStr(b, 'Description', 'description', 512)! } : {}),
          EventSourceArn: src,
          Destination: { Arn: destArn, ...(Array.isArray(filter) ? { FilterArns: filter as string[] } : {}) },
          EventStartTime: start,
          EventEndTime: end,
          State: 'STARTING',
          ReplayStartTime: clock.now(),
        };
        if (!(await replays.create(req.region, r))) throw replayExists(n);
        const now = clock.now();
        await this.d.store.journal.write([['INSERT INTO store_work (queue, id, payload, available_at) VALUES (?, ?, ?, ?)', [REPLAY_QUEUE, workId(now), Buffer.from(JSON.stringify({ region: req.region, name: n })), now]]]);
        this.d.work.wake(REPLAY_QUEUE);
        return { body: { ReplayArn: replayArn(req.region, accountId, n), State: r.State, ReplayStartTime: r.ReplayStartTime / 1000 } };
      },
      DescribeReplay: async (req) => {
        const b = body(req);
        const n = name(b, 'ReplayName', 'replayName');
        const r = await replays.fresh(req.region, n);
        if (!r) throw replayNotFound(n);
        return { body: showReplay(req.region, r, true) };
      },
      ListReplays: async (req) => {
        const b = body(req);
        const prefix = optStr(b, 'NamePrefix', 'namePrefix', 64, 1);
        const state = optStr(b, 'State', 'state', 32);
        const src = optStr(b, 'EventSourceArn', 'eventSourceArn', 1600, 1);
        const all = replays.list(req.region).filter((r) => (!prefix || r.Name.startsWith(prefix)) && (!state || r.State === state) && (!src || r.EventSourceArn === src));
        const p = page(all, b, limitOf(b));
        return { body: { Replays: p.items.map((r) => showReplay(req.region, r, false)), ...(p.next ? { NextToken: p.next } : {}) } };
      },
      CancelReplay: async (req) => {
        const b = body(req);
        const n = name(b, 'ReplayName', 'replayName');
        const r = await replays.fresh(req.region, n);
        if (!r) throw replayNotFound(n);
        if (r.State !== 'STARTING' && r.State !== 'RUNNING') throw illegalStatus(`Replay ${n} is not in a valid state for this operation.`);
        await replays.put(req.region, { ...r, State: 'CANCELLING' });
        return { body: { ReplayArn: replayArn(req.region, accountId, n), State: 'CANCELLING' } };
      },
    };
  }
}
