// The DynamoDB Streams API (JSON 1.0, `DynamoDBStreams_20120810.*`): ListStreams, DescribeStream, GetShardIterator, GetRecords.
import { AwsError } from '../../lib/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { ShardPosition } from '../../lib/shard-stream.js';
import type { Handler } from '../../server/types.js';
import * as E from './errors.js';
import { body } from './request.js';
import { seqOf, shardIdOf, type Streams } from './streams.js';
import type { Tables } from './tables.js';

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
