// Kinesis streams and their shards: create, delete, find by name or ARN, list, resharding (split, merge, update count),
// retention, tags, encryption and enhanced monitoring settings. Records are in records.ts.
import type { Clock } from '../../lib/clock.js';
import type { Queryable, Store } from '../../store/store.js';
import type { Notifier } from '../../store/notifier.js';
import * as E from './errors.js';
import { evenRanges, parseArn, shardIdOf, shardIndexOf, streamArnOf } from './keys.js';
import { KINESIS_MIGRATIONS, type ShardRow, type StreamRow } from './schema.js';

/** Open shards an account may have in a region (AWS's default quota in us-east-1). */
export const SHARD_LIMIT = 500;
export const ON_DEMAND_SHARDS = 4;
export const METRICS = ['IncomingBytes', 'IncomingRecords', 'OutgoingBytes', 'OutgoingRecords', 'WriteProvisionedThroughputExceeded', 'ReadProvisionedThroughputExceeded', 'IteratorAgeMilliseconds'];

/** How a request names a stream: StreamName, StreamARN, or both (which must agree). */
export interface StreamRef { readonly name?: string; readonly arn?: string }

export class Streams {
  constructor(readonly o: { store: Store; clock: Clock; notifier: Notifier; accountId: string }) {}

  init(): Promise<void> {
    return this.o.store.migrate('kinesis', KINESIS_MIGRATIONS);
  }

  get account(): string {
    return this.o.accountId;
  }

  /** The stream a request names, or AWS's ResourceNotFoundException. */
  async find(region: string, ref: StreamRef): Promise<StreamRow> {
    let arn: string;
    let name: string;
    if (ref.arn !== undefined) {
      const p = parseArn(ref.arn);
      if (!p || p.consumer) throw E.invalid(`Invalid StreamARN ${ref.arn}.`);
      if (ref.name !== undefined && ref.name !== p.name) throw E.streamMismatch();
      if (p.account !== this.o.accountId) throw E.streamNotFound(p.name, p.account);
      arn = streamArnOf(p.region, p.account, p.name);
      name = p.name;
    } else if (ref.name !== undefined) {
      name = ref.name;
      arn = streamArnOf(region, this.o.accountId, name);
    } else throw E.noStream();
    const row = await this.o.store.get<StreamRow>('SELECT * FROM kinesis_streams WHERE arn = ?', [arn]);
    if (!row) throw E.streamNotFound(name, this.o.accountId);
    return row;
  }

  async byArn(arn: string): Promise<StreamRow | undefined> {
    return this.o.store.get<StreamRow>('SELECT * FROM kinesis_streams WHERE arn = ?', [arn]);
  }

  /** Open shards of the account in a region. */
  private async openShards(q: Queryable, region: string): Promise<number> {
    const r = await q.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM kinesis_shards s JOIN kinesis_streams t ON t.arn = s.stream_arn WHERE t.region = ? AND s.ending IS NULL',
      [region],
    );
    return Number(r?.n ?? 0);
  }

  async create(region: string, p: { name: string; shardCount?: number; mode: string; tags: Record<string, string> }): Promise<void> {
    const arn = streamArnOf(region, this.o.accountId, p.name);
    const onDemand = p.mode === 'ON_DEMAND';
    if (!onDemand && p.shardCount === undefined) throw E.invalid('ShardCount is required for a stream in PROVISIONED mode.');
    const n = onDemand ? ON_DEMAND_SHARDS : p.shardCount!;
    const now = this.o.clock.now();
    await this.o.store.tx(async (q) => {
      if (await q.get('SELECT arn FROM kinesis_streams WHERE arn = ?', [arn])) throw E.streamExists(p.name, this.o.accountId);
      const open = await this.openShards(q, region);
      if (open + n > SHARD_LIMIT) throw E.shardLimit(this.o.accountId, region, open, n, SHARD_LIMIT);
      // Created ACTIVE at once: AWS passes through CREATING for seconds, which the SDK's waiter handles either way.
      const ins = await q.run(
        `INSERT INTO kinesis_streams (arn, region, name, status, mode, retention_hours, created_ms, encryption, key_id, metrics, tags, next_shard)
         VALUES (?, ?, ?, 'ACTIVE', ?, 24, ?, 'NONE', NULL, '[]', ?, ?) ON CONFLICT (arn) DO NOTHING`,
        [arn, region, p.name, onDemand ? 'ON_DEMAND' : 'PROVISIONED', now, JSON.stringify(p.tags), n],
      );
      // Another node created it since the check above.
      if (!ins.changes) throw E.streamExists(p.name, this.o.accountId);
      for (const [i, r] of evenRanges(n).entries()) await this.insertShard(q, arn, i, r.start, r.end, null, null, now);
    });
  }

  private async insertShard(q: Queryable, arn: string, idx: number, start: bigint, end: bigint, parent: string | null, adjacent: string | null, now: number): Promise<void> {
    await q.run(
      'INSERT INTO kinesis_shards (stream_arn, shard_id, idx, start_hash, end_hash, parent, adjacent, counter, ending, created_ms, closed_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 0, NULL, ?, NULL)',
      [arn, shardIdOf(idx), idx, start.toString(), end.toString(), parent, adjacent, now],
    );
  }

  async delete(region: string, ref: StreamRef, enforceConsumerDeletion: boolean): Promise<void> {
    const s = await this.find(region, ref);
    await this.o.store.tx(async (q) => {
      // The stream row first, as resharding takes it, so that the two do not deadlock on PostgreSQL.
      if (!(await q.run("UPDATE kinesis_streams SET status = 'DELETING' WHERE arn = ?", [s.arn])).changes) throw E.streamNotFound(s.name, this.o.accountId);
      const consumers = await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM kinesis_consumers WHERE stream_arn = ?', [s.arn]);
      if (Number(consumers?.n ?? 0) > 0 && !enforceConsumerDeletion) {
        throw E.inUse(`${E.streamOf(s.name, this.o.accountId)} has registered consumers. Use EnforceConsumerDeletion to delete it.`);
      }
      for (const t of ['kinesis_records', 'kinesis_shards', 'kinesis_consumers']) await q.run(`DELETE FROM ${t} WHERE stream_arn = ?`, [s.arn]);
      await q.run('DELETE FROM kinesis_streams WHERE arn = ?', [s.arn]);
    });
    this.o.notifier.notify('kinesis:records', s.arn);
  }

  /** DescribeLimits: the account's shard quota and what it uses in a region. */
  async limits(region: string): Promise<{ shardLimit: number; openShards: number; onDemandStreams: number }> {
    const open = await this.openShards(this.o.store, region);
    const od = await this.o.store.get<{ n: number }>("SELECT COUNT(*) AS n FROM kinesis_streams WHERE region = ? AND mode = 'ON_DEMAND'", [region]);
    return { shardLimit: SHARD_LIMIT, openShards: open, onDemandStreams: Number(od?.n ?? 0) };
  }

  list(region: string): Promise<StreamRow[]> {
    return this.o.store.all<StreamRow>('SELECT * FROM kinesis_streams WHERE region = ? ORDER BY name', [region]);
  }

  /** Shards still holding records within retention (open, or closed less than the retention period ago), by index. */
  async shards(s: StreamRow): Promise<ShardRow[]> {
    const horizon = this.o.clock.now() - s.retention_hours * 3_600_000;
    return this.o.store.all<ShardRow>(
      'SELECT * FROM kinesis_shards WHERE stream_arn = ? AND (closed_ms IS NULL OR closed_ms > ?) ORDER BY idx',
      [s.arn, horizon],
    );
  }

  /** A shard by its id; like AWS, `1` and `000000000001` name `shardId-000000000001` too. */
  async shard(s: StreamRow, shardId: string): Promise<ShardRow> {
    const idx = shardIndexOf(shardId);
    const id = idx === undefined ? shardId : shardIdOf(idx);
    const r = await this.o.store.get<ShardRow>('SELECT * FROM kinesis_shards WHERE stream_arn = ? AND shard_id = ?', [s.arn, id]);
    if (!r) throw E.shardNotFound(shardId, s.name, this.o.accountId);
    return r;
  }

  private requireActive(s: StreamRow): void {
    if (s.status !== 'ACTIVE') throw E.streamNotActive(s.name, this.o.accountId, s.status);
  }

  /** Closes `parents` at their current counters and opens `children`; fails if a parent was closed meanwhile. */
  private async reshard(q: Queryable, s: StreamRow, parents: string[], children: { start: bigint; end: bigint; parent: string; adjacent: string | null }[]): Promise<void> {
    const now = this.o.clock.now();
    // Reserves the children's indexes on the stream row (which also orders concurrent reshards of one stream).
    const cur = await q.get<{ next_shard: number }>('UPDATE kinesis_streams SET next_shard = next_shard + ? WHERE arn = ? RETURNING next_shard', [children.length, s.arn]);
    if (!cur) throw E.streamNotFound(s.name, this.o.accountId);
    let next = Number(cur.next_shard) - children.length;
    for (const p of parents) {
      const r = await q.run('UPDATE kinesis_shards SET ending = counter, closed_ms = ? WHERE stream_arn = ? AND shard_id = ? AND ending IS NULL', [now, s.arn, p]);
      if (!r.changes) throw this.closed(s, p);
    }
    for (const c of children) await this.insertShard(q, s.arn, next++, c.start, c.end, c.parent, c.adjacent, now);
  }

  private closed(s: StreamRow, shardId: string): Error {
    return E.inUse(`Shard ${shardId} in stream ${s.name} under account ${this.o.accountId} has already been merged or split, and thus is not eligible for merging or splitting.`);
  }

  async split(region: string, ref: StreamRef, shardId: string, newStart: string): Promise<void> {
    const s = await this.find(region, ref);
    this.requireActive(s);
    const sh = await this.shard(s, shardId);
    shardId = sh.shard_id;
    if (sh.ending !== null) throw this.closed(s, shardId);
    const k = BigInt(newStart);
    const lo = BigInt(sh.start_hash);
    const hi = BigInt(sh.end_hash);
    if (k <= lo || k > hi) {
      throw E.invalid(
        `NewStartingHashKey ${newStart} used in SplitShard() on shard ${shardId} in stream ${s.name} under account ${this.o.accountId} ` +
          `is not both greater than one plus the shard's StartingHashKey ${sh.start_hash} and less than the shard's EndingHashKey ${sh.end_hash}.`,
      );
    }
    await this.o.store.tx(async (q) => {
      const open = await this.openShards(q, region);
      if (open + 1 > SHARD_LIMIT) throw E.shardLimit(this.o.accountId, region, open, 1, SHARD_LIMIT);
      await this.reshard(q, s, [shardId], [
        { start: lo, end: k - 1n, parent: shardId, adjacent: null },
        { start: k, end: hi, parent: shardId, adjacent: null },
      ]);
    });
  }

  async merge(region: string, ref: StreamRef, shardId: string, adjacentId: string): Promise<void> {
    const s = await this.find(region, ref);
    this.requireActive(s);
    const a = await this.shard(s, shardId);
    const b = await this.shard(s, adjacentId);
    [shardId, adjacentId] = [a.shard_id, b.shard_id];
    if (shardId === adjacentId) throw E.invalid(`Shards ${shardId} and ${adjacentId} in stream ${s.name} under account ${this.o.accountId} are not an adjacent pair of shards eligible for merging`);
    if (a.ending !== null) throw this.closed(s, shardId);
    if (b.ending !== null) throw this.closed(s, adjacentId);
    const [lo, hi] = BigInt(a.start_hash) < BigInt(b.start_hash) ? [a, b] : [b, a];
    if (BigInt(lo.end_hash) + 1n !== BigInt(hi.start_hash)) {
      throw E.invalid(`Shards ${shardId} and ${adjacentId} in stream ${s.name} under account ${this.o.accountId} are not an adjacent pair of shards eligible for merging`);
    }
    await this.o.store.tx((q) => this.reshard(q, s, [shardId, adjacentId], [{ start: BigInt(lo.start_hash), end: BigInt(hi.end_hash), parent: shardId, adjacent: adjacentId }]));
  }

  /**
   * UNIFORM_SCALING to `target` open shards: every open shard closes and `target` even shards open, each a child of
   * the one or two old shards overlapping it most (AWS gets there through a series of splits and merges).
   */
  async updateShardCount(region: string, ref: StreamRef, target: number): Promise<{ current: number; stream: StreamRow }> {
    const s = await this.find(region, ref);
    this.requireActive(s);
    const open = (await this.shards(s)).filter((x) => x.ending === null).sort((x, y) => (BigInt(x.start_hash) < BigInt(y.start_hash) ? -1 : 1));
    const current = open.length;
    const msg = (why: string): Error => E.invalid(`UpdateShardCount failed for stream ${s.name} under account ${this.o.accountId}: ${why}`);
    if (target > current * 2) throw msg(`Cannot scale to more than double the current open shard count of ${current}.`);
    if (target * 2 < current) throw msg(`Cannot scale to less than half the current open shard count of ${current}.`);
    if (target === current) return { current, stream: s };
    await this.o.store.tx(async (q) => {
      const total = await this.openShards(q, region);
      if (total - current + target > SHARD_LIMIT) throw E.shardLimit(this.o.accountId, region, total, target - current, SHARD_LIMIT);
      const children = evenRanges(target).map((r) => {
        const overlaps = open
          .map((o) => {
            const lo = BigInt(o.start_hash) > r.start ? BigInt(o.start_hash) : r.start;
            const hi = BigInt(o.end_hash) < r.end ? BigInt(o.end_hash) : r.end;
            return { id: o.shard_id, size: hi - lo };
          })
          .filter((x) => x.size >= 0n)
          .sort((x, y) => (x.size > y.size ? -1 : x.size < y.size ? 1 : 0));
        return { ...r, parent: overlaps[0]!.id, adjacent: overlaps[1]?.id ?? null };
      });
      await this.reshard(q, s, open.map((o) => o.shard_id), children);
    });
    return { current, stream: s };
  }

  async setRetention(region: string, ref: StreamRef, hours: number, increase: boolean): Promise<void> {
    const s = await this.find(region, ref);
    if (hours < 24) throw E.invalid(`Minimum allowed retention period is 24 hours. Requested retention period (${hours} hours) is too short.`);
    if (hours > 8760) throw E.invalid(`Maximum allowed retention period is 8760 hours. Requested retention period (${hours} hours) is too long.`);
    if (increase && hours < s.retention_hours) {
      throw E.invalid(`Requested retention period (${hours} hours) for stream ${s.name} can not be shorter than existing retention period (${s.retention_hours} hours). Use DecreaseRetentionPeriod API.`);
    }
    if (!increase && hours > s.retention_hours) {
      throw E.invalid(`Requested retention period (${hours} hours) for stream ${s.name} can not be longer than existing retention period (${s.retention_hours} hours). Use IncreaseRetentionPeriod API.`);
    }
    await this.o.store.run('UPDATE kinesis_streams SET retention_hours = ? WHERE arn = ?', [hours, s.arn]);
  }

  async setMode(region: string, ref: StreamRef, mode: string): Promise<void> {
    const s = await this.find(region, ref);
    this.requireActive(s);
    await this.o.store.run('UPDATE kinesis_streams SET mode = ? WHERE arn = ?', [mode, s.arn]);
  }

  async setEncryption(region: string, ref: StreamRef, type: string, keyId: string | null): Promise<void> {
    const s = await this.find(region, ref);
    this.requireActive(s);
    await this.o.store.run('UPDATE kinesis_streams SET encryption = ?, key_id = ? WHERE arn = ?', [type, keyId, s.arn]);
  }

  /** Enables or disables shard-level metrics; returns the stream and the metrics before and after. */
  async setMetrics(region: string, ref: StreamRef, metrics: readonly string[], enable: boolean): Promise<{ stream: StreamRow; before: string[]; after: string[] }> {
    const s = await this.find(region, ref);
    const want = metrics.includes('ALL') ? METRICS : metrics;
    const before = JSON.parse(s.metrics) as string[];
    const after = enable ? METRICS.filter((m) => before.includes(m) || want.includes(m)) : before.filter((m) => !want.includes(m));
    await this.o.store.run('UPDATE kinesis_streams SET metrics = ? WHERE arn = ?', [JSON.stringify(after), s.arn]);
    return { stream: s, before, after };
  }

  /** Tag changes: `add` merged in, `remove` keys dropped; at most 50 tags on a stream. */
  async retag(s: StreamRow, add: Record<string, string>, remove: readonly string[]): Promise<void> {
    await this.o.store.tx(async (q) => {
      const row = await q.get<{ tags: string }>('SELECT tags FROM kinesis_streams WHERE arn = ?', [s.arn]);
      const tags = { ...(JSON.parse(row?.tags ?? '{}') as Record<string, string>), ...add };
      for (const k of remove) delete tags[k];
      if (Object.keys(tags).length > 50) throw E.invalid(`Failed to add tags to stream ${s.name} under account ${this.o.accountId} because a given stream cannot have more than 50 tags associated with it.`);
      await q.run('UPDATE kinesis_streams SET tags = ? WHERE arn = ?', [JSON.stringify(tags), s.arn]);
    });
  }
}

