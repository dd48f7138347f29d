// DynamoDB Streams: records written in the item's transaction, read back by GetRecords and by Lambda's event source
// mappings through the ShardStreamSource contract. One shard per stream; sequence numbers come from the row id.
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import type { ShardPosition, ShardRead, ShardStreamSource, StreamRecordRead, StreamShard } from '../../lib/shard-stream.js';
import type { Notifier } from '../../store/notifier.js';
import type { Queryable, Store } from '../../store/store.js';
import { itemSize, type Item } from './expr/index.js';
import { keyOf } from './keys.js';
import type { TableDef } from './table-def.js';
import type { Tables } from './tables.js';

const SEQ_BASE = 10n ** 20n;
export const seqOf = (id: number | string | bigint): string => (SEQ_BASE + BigInt(id)).toString();
export const idOf = (seq: string): number => (/^\d{21,}$/.test(seq) ? Number(BigInt(seq) - SEQ_BASE) : -1);
export const shardIdOf = (streamArn: string): string => `shardId-00000001000000000000-${createHash('sha256').update(streamArn).digest('hex').slice(0, 8)}`;
export const wakeChannelOf = (streamArn: string): string => `dynamodb:stream:${streamArn}`;

/** Writes one change's stream record inside the item's transaction (nothing when the table has no stream or nothing changed). */
export async function recordChange(q: Queryable, clock: Clock, def: TableDef, old: Item | undefined, next: Item | undefined, service: boolean): Promise<string | undefined> {
  const s = def.stream;
  if (!s?.enabled || !s.arn) return undefined;
  if (!old && !next) return undefined;
  if (old && next && JSON.stringify(old) === JSON.stringify(next)) return undefined;
  const vt = s.viewType ?? 'NEW_AND_OLD_IMAGES';
  const keys = keyOf(def.key, (next ?? old)!);
  const dynamodb = {
    Keys: keys,
    ...(next && (vt === 'NEW_IMAGE' || vt === 'NEW_AND_OLD_IMAGES') ? { NewImage: next } : {}),
    ...(old && (vt === 'OLD_IMAGE' || vt === 'NEW_AND_OLD_IMAGES') ? { OldImage: old } : {}),
  };
  const size = itemSize(keys) + (dynamodb.NewImage ? itemSize(next!) : 0) + (dynamodb.OldImage ? itemSize(old!) : 0);
  const record = {
    eventID: randomBytes(16).toString('hex'), eventName: !old ? 'INSERT' : !next ? 'REMOVE' : 'MODIFY', eventVersion: '1.1', eventSource: 'aws:dynamodb',
    awsRegion: def.arn.split(':')[3], dynamodb: { ...dynamodb, SizeBytes: size, StreamViewType: vt },
    ...(service ? { userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' } } : {}),
  };
  await q.run('INSERT INTO ddb_stream_records (stream, created, size, record) VALUES (?, ?, ?, ?)', [s.arn, clock.now(), size, JSON.stringify(record)]);
  return s.arn;
}

interface RecordRow { id: number | string; created: number | string; size: number | string; record: string }

export class Streams implements ShardStreamSource {
  readonly eventSource = 'aws:dynamodb' as const;
  constructor(private readonly o: { store: Store; tables: Tables; clock: Clock; notifier: Notifier }) {}

  owns(arn: string): boolean {
    return /^arn:aws:dynamodb:[^:]+:[^:]*:table\/[^/]+\/stream\/.+$/.test(arn);
  }

  /** The table whose current (or last) stream has this ARN. */
  async table(arn: string): Promise<TableDef | undefined> {
    const t = await this.o.tables.byArn(arn);
    return t?.stream?.arn === arn ? t : undefined;
  }

  async resolve(arn: string): Promise<string | undefined> {
    return (await this.table(arn)) ? arn : undefined;
  }

  async shards(streamArn: string): Promise<readonly StreamShard[]> {
    return (await this.table(streamArn)) ? [{ shardId: shardIdOf(streamArn) }] : [];
  }

  wakeChannel(streamArn: string): string {
    return wakeChannelOf(streamArn);
  }

  notify(streamArns: Iterable<string>): void {
    for (const a of new Set(streamArns)) this.o.notifier.notify(wakeChannelOf(a));
  }

  /** The row id a position reads after. */
  async after(streamArn: string, from: ShardPosition): Promise<number> {
    switch (from.type) {
      case 'TRIM_HORIZON': return 0;
      case 'LATEST': {
        const r = await this.o.store.get<{ m: number | string | null }>('SELECT MAX(id) AS m FROM ddb_stream_records WHERE stream = ?', [streamArn]);
        return Number(r?.m ?? 0);
      }
      case 'AT_TIMESTAMP': {
        const r = await this.o.store.get<{ m: number | string | null }>('SELECT MIN(id) AS m FROM ddb_stream_records WHERE stream = ? AND created >= ?', [streamArn, from.timestampMs]);
        return r?.m === null || r?.m === undefined ? await this.after(streamArn, { type: 'LATEST' }) : Number(r.m) - 1;
      }
      case 'AT_SEQUENCE_NUMBER': return idOf(from.sequenceNumber) - 1;
      case 'AFTER_SEQUENCE_NUMBER': return idOf(from.sequenceNumber);
    }
  }

  /** Records after a row id: `api` as GetRecords answers, `read.record` as a Lambda event's Records[] entry. */
  async records(streamArn: string, afterId: number, limit: number): Promise<{ id: number; api: unknown; read: StreamRecordRead }[]> {
    const rows = await this.o.store.all<RecordRow>('SELECT id, created, size, record FROM ddb_stream_records WHERE stream = ? AND id > ? ORDER BY id LIMIT ?', [streamArn, afterId, limit]);
    return rows.map((r) => {
      const rec = JSON.parse(r.record) as { dynamodb: Record<string, unknown> & { Keys: Item }; userIdentity?: { Type: string; PrincipalId: string } };
      const seq = seqOf(r.id);
      const created = Number(r.created);
      rec.dynamodb = { ApproximateCreationDateTime: Math.floor(created / 1000), ...rec.dynamodb, SequenceNumber: seq };
      const { userIdentity, ...rest } = rec;
      const lambda = { ...rest, ...(userIdentity ? { userIdentity: { type: userIdentity.Type, principalId: userIdentity.PrincipalId } } : {}) };
      return { id: Number(r.id), api: rec, read: { sequenceNumber: seq, approximateArrivalMs: created, partitionKey: JSON.stringify(rec.dynamodb.Keys), sizeBytes: Number(r.size), record: lambda } };
    });
  }

  async read(streamArn: string, shardId: string, from: ShardPosition, limit: number): Promise<ShardRead> {
    if (shardId !== shardIdOf(streamArn)) return { records: [], next: from, millisBehindLatest: 0, shardEnded: true };
    const after = await this.after(streamArn, from);
    const got = await this.records(streamArn, after, limit);
    const newest = await this.o.store.get<{ c: number | string | null }>('SELECT MAX(created) AS c FROM ddb_stream_records WHERE stream = ?', [streamArn]);
    const lastMs = got.length ? got[got.length - 1]!.read.approximateArrivalMs : this.o.clock.now();
    const next: ShardPosition = got.length ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: got[got.length - 1]!.read.sequenceNumber } : from.type === 'LATEST' || from.type === 'AT_TIMESTAMP' ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seqOf(after) } : from;
    return { records: got.map((g) => g.read), next, millisBehindLatest: Math.max(0, Number(newest?.c ?? lastMs) - lastMs), shardEnded: false };
  }
}
