// DynamoDB Streams: records written in the item's transaction, the ShardStreamSource Lambda reads, and the Streams
// API (ListStreams, DescribeStream, GetShardIterator, GetRecords). One shard per stream.
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import { AwsError } from '../../lib/errors.js';
import type { ShardPosition, ShardRead, ShardStreamSource, StreamRecordRead, StreamShard } from '../../lib/shard-stream.js';
import type { Handler } from '../../server/types.js';
import type { Notifier } from '../../store/notifier.js';
import type { Queryable, Store } from '../../store/store.js';
import * as E from './errors.js';
import { itemSize, type Item } from './expr/index.js';
import { keyOf } from './keys.js';
import { body } from './request.js';
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

const ITERATOR_MS = 15 * 60 * 1000;
const TYPES = ['TRIM_HORIZON', 'LATEST', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER'] as const;
const streamNotFound = (arn: string): AwsError => new AwsError('ResourceNotFoundException', `Requested resource not found: Stream: ${arn} not found`, { status: 400 });
interface Iter { a: string; s: string; i: number; t: number }

export function streamRoutes(streams: Streams, tables: Tables, clock: Clock): Record<string, Handler> {
  const arnOf = (b: Record<string, unknown>): string => {
    if (typeof b['StreamArn'] !== 'string') throw E.nullMember('streamArn');
    return b['StreamArn'];
  };
  const iterator = (it: Iter): string => Buffer.from(JSON.stringify(it)).toString('base64url');
  const parseIterator = (v: unknown): Iter => {
    if (typeof v !== 'string') throw E.nullMember('shardIterator');
    try {
      const it = JSON.parse(Buffer.from(v, 'base64url').toString('utf8')) as Iter;
      if (typeof it.a === 'string' && typeof it.i === 'number' && typeof it.t === 'number') return it;
    } catch { /* falls through */ }
    throw E.validation('Invalid ShardIterator');
  };
  return {
    ListStreams: async (r) => {
      const b = body(r);
      const limit = typeof b['Limit'] === 'number' ? b['Limit'] : 100;
      if (limit < 1) throw E.constraint(String(limit), 'limit', 'Member must have value greater than or equal to 1');
      const name = typeof b['TableName'] === 'string' ? b['TableName'] : undefined;
      const start = typeof b['ExclusiveStartStreamArn'] === 'string' ? b['ExclusiveStartStreamArn'] : undefined;
      const all = (await tables.all()).filter((t) => t.region === r.region && t.def.stream?.arn && (!name || t.def.name === name))
        .map((t) => ({ StreamArn: t.def.stream!.arn!, TableName: t.def.name, StreamLabel: t.def.stream!.label! }))
        .filter((s) => !start || s.StreamArn > start);
      const page = all.slice(0, limit);
      return { body: { Streams: page, ...(all.length > limit ? { LastEvaluatedStreamArn: page[page.length - 1]!.StreamArn } : {}) } };
    },
    DescribeStream: async (r) => {
      const arn = arnOf(body(r));
      const t = await streams.table(arn);
      if (!t) throw streamNotFound(arn);
      const first = await streams.records(arn, 0, 1);
      const last = t.stream!.enabled ? undefined : await streams.after(arn, { type: 'LATEST' });
      return {
        body: {
          StreamDescription: {
            StreamArn: arn, StreamLabel: t.stream!.label, StreamStatus: t.stream!.enabled ? 'ENABLED' : 'DISABLED', StreamViewType: t.stream!.viewType,
            CreationRequestDateTime: Date.parse(`${t.stream!.label}Z`) / 1000, TableName: t.name, KeySchema: t.keySchema,
            Shards: [{ ShardId: shardIdOf(arn), SequenceNumberRange: { StartingSequenceNumber: first[0]?.read.sequenceNumber ?? seqOf(1), ...(last !== undefined ? { EndingSequenceNumber: seqOf(last) } : {}) } }],
          },
        },
      };
    },
    GetShardIterator: async (r) => {
      const b = body(r);
      const arn = arnOf(b);
      if (typeof b['ShardId'] !== 'string') throw E.nullMember('shardId');
      const type = b['ShardIteratorType'];
      if (typeof type !== 'string') throw E.nullMember('shardIteratorType');
      if (!(TYPES as readonly string[]).includes(type)) throw E.constraint(type, 'shardIteratorType', `Member must satisfy enum value set: [${TYPES.join(', ')}]`);
      if (!(await streams.table(arn))) throw streamNotFound(arn);
      if (b['ShardId'] !== shardIdOf(arn)) throw new AwsError('ResourceNotFoundException', 'Requested resource not found: Shard does not exist', { status: 400 });
      const seq = typeof b['SequenceNumber'] === 'string' ? b['SequenceNumber'] : undefined;
      if ((type === 'AT_SEQUENCE_NUMBER' || type === 'AFTER_SEQUENCE_NUMBER') && !seq) throw E.validation(`Must specify a sequence number for iterator type ${type}`);
      if (seq !== undefined && !/^\d{21,40}$/.test(seq)) throw E.validation(`Invalid SequenceNumber: ${seq}`);
      const pos: ShardPosition = type === 'AT_SEQUENCE_NUMBER' || type === 'AFTER_SEQUENCE_NUMBER' ? { type, sequenceNumber: seq! } : { type: type as 'TRIM_HORIZON' | 'LATEST' };
      const after = await streams.after(arn, pos);
      return { body: { ShardIterator: iterator({ a: arn, s: b['ShardId'], i: after, t: clock.now() }) } };
    },
    GetRecords: async (r) => {
      const b = body(r);
      const it = parseIterator(b['ShardIterator']);
      const limit = typeof b['Limit'] === 'number' ? b['Limit'] : 1000;
      if (limit < 1) throw E.constraint(String(limit), 'limit', 'Member must have value greater than or equal to 1');
      if (limit > 1000) throw E.constraint(String(limit), 'limit', 'Member must have value less than or equal to 1000');
      const now = clock.now();
      if (now - it.t > ITERATOR_MS) {
        throw new AwsError('ExpiredIteratorException', `Iterator expired. The iterator was created at time ${new Date(it.t).toUTCString()} while right now it's ${new Date(now).toUTCString()} which is further in the future than the tolerated delay of 900000 milliseconds.`, { status: 400 });
      }
      const t = await streams.table(it.a);
      if (!t) throw streamNotFound(it.a);
      const got = await streams.records(it.a, it.i, limit);
      const nextId = got.length ? got[got.length - 1]!.id : it.i;
      const closed = !t.stream!.enabled && !got.length;
      return { body: { Records: got.map((g) => g.api), ...(closed ? {} : { NextShardIterator: iterator({ ...it, i: nextId, t: now }) }) } };
    },
  };
}
