// The Kinesis Data Streams API (JSON 1.1, `Kinesis_20131202.*`): each request checked against AWS's model, then
// streams, shards, records, consumers, tags and settings answered as AWS shapes them.
import { parseJsonObject, type JsonObject } from '../../lib/validate.js';
import { validateBody } from '../../server/validate.js';
import type { ApiRequest, Handler, ServiceRoutes } from '../../server/types.js';
import { Consumers } from './consumers.js';
import * as E from './errors.js';
import { parseArn, sequenceOf } from './keys.js';
import { Records, type PutEntry } from './records.js';
import type { ConsumerRow, ShardRow, StreamRow } from './schema.js';
import { kinesisShapes } from './shapes.js';
import type { StreamRef, Streams } from './streams.js';
import { shardOps } from './api-shards.js';

type Body = JsonObject;
export const str = (b: Body, k: string): string | undefined => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
export const int = (b: Body, k: string): number | undefined => (typeof b[k] === 'number' ? (b[k] as number) : undefined);
export const ref = (b: Body): StreamRef => ({ ...(str(b, 'StreamName') !== undefined ? { name: str(b, 'StreamName') } : {}), ...(str(b, 'StreamARN') !== undefined ? { arn: str(b, 'StreamARN') } : {}) });
const tagMap = (b: Body, k: string): Record<string, string> => (b[k] && typeof b[k] === 'object' ? (b[k] as Record<string, string>) : {});
const strings = (b: Body, k: string): string[] => (Array.isArray(b[k]) ? (b[k] as unknown[]).filter((x): x is string => typeof x === 'string') : []);
const secs = (ms: number): number => Number(ms) / 1000;
const MAX_RECORD = 1024 * 1024;
const MAX_BATCH = 5 * 1024 * 1024;

export function shardOut(x: ShardRow): Body {
  return {
    ShardId: x.shard_id,
    ...(x.parent ? { ParentShardId: x.parent } : {}),
    ...(x.adjacent ? { AdjacentParentShardId: x.adjacent } : {}),
    HashKeyRange: { StartingHashKey: x.start_hash, EndingHashKey: x.end_hash },
    SequenceNumberRange: { StartingSequenceNumber: sequenceOf(x.idx, 0), ...(x.ending !== null ? { EndingSequenceNumber: sequenceOf(x.idx, Number(x.ending)) } : {}) },
  };
}

const modeOut = (s: StreamRow): Body => ({ StreamMode: s.mode });
const encOut = (s: StreamRow): Body => ({ EncryptionType: s.encryption, ...(s.key_id ? { KeyId: s.key_id } : {}) });
const metricsOut = (s: StreamRow): Body[] => [{ ShardLevelMetrics: JSON.parse(s.metrics) as string[] }];
const consumerOut = (c: ConsumerRow, withStream: boolean): Body => ({
  ConsumerName: c.name, ConsumerARN: c.arn, ConsumerStatus: 'ACTIVE', ConsumerCreationTimestamp: secs(c.created_ms), ...(withStream ? { StreamARN: c.stream_arn } : {}),
});

/** Base64 data of a record: its bytes, or AWS's length error past 1 MiB. */
function data(v: unknown, member: string): Buffer {
  const buf = Buffer.from(typeof v === 'string' ? v : '', 'base64');
  if (buf.length > MAX_RECORD) throw E.validation(member, 'java.nio.HeapByteBuffer[pos=0 lim=' + buf.length + ' cap=' + buf.length + ']', `Member must have length less than or equal to ${MAX_RECORD}`);
  return buf;
}

/** An opaque paging token: what to start after, and when it was issued (AWS's tokens expire after 300 seconds). */
export function token(v: Record<string, unknown>, now: number): string {
  return Buffer.from(JSON.stringify({ ...v, t: now })).toString('base64');
}
export function untoken(tok: string, now: number): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(tok, 'base64').toString('utf8'));
  } catch {
    v = undefined;
  }
  if (!v || typeof v !== 'object' || typeof (v as Body)['t'] !== 'number') throw E.invalid(`Invalid NextToken.`);
  if (now - ((v as Body)['t'] as number) > 300_000) {
    throw E.expiredNextToken(tok);
  }
  return v as Record<string, unknown>;
}

export interface KinesisParts { readonly streams: Streams; readonly records: Records; readonly consumers: Consumers }

export function kinesisRoutes(p: KinesisParts): ServiceRoutes {
  const { streams, records, consumers } = p;
  const now = (): number => streams.o.clock.now();

  const ops: Record<string, (r: ApiRequest, b: Body) => Promise<Body>> = {
    CreateStream: async (r, b) => {
      const mode = ((b['StreamModeDetails'] as Body | undefined)?.['StreamMode'] as string | undefined) ?? 'PROVISIONED';
      await streams.create(r.region, { name: str(b, 'StreamName')!, ...(int(b, 'ShardCount') !== undefined ? { shardCount: int(b, 'ShardCount') } : {}), mode, tags: tagMap(b, 'Tags') });
      return {};
    },
    DeleteStream: async (r, b) => {
      await streams.delete(r.region, ref(b), b['EnforceConsumerDeletion'] === true);
      return {};
    },
    DescribeStream: async (r, b) => {
      const s = await streams.find(r.region, ref(b));
      const all = await streams.shards(s);
      const after = str(b, 'ExclusiveStartShardId');
      const from = after === undefined ? all : all.filter((x) => x.shard_id > after);
      const lim = int(b, 'Limit') ?? 100;
      return {
        StreamDescription: {
          StreamName: s.name, StreamARN: s.arn, StreamStatus: s.status, StreamModeDetails: modeOut(s), Shards: from.slice(0, lim).map(shardOut),
          HasMoreShards: from.length > lim, RetentionPeriodHours: s.retention_hours, StreamCreationTimestamp: secs(s.created_ms), EnhancedMonitoring: metricsOut(s), ...encOut(s),
        },
      };
    },
    DescribeStreamSummary: async (r, b) => {
      const s = await streams.find(r.region, ref(b));
      const open = (await streams.shards(s)).filter((x) => x.ending === null).length;
      return {
        StreamDescriptionSummary: {
          StreamName: s.name, StreamARN: s.arn, StreamStatus: s.status, StreamModeDetails: modeOut(s), RetentionPeriodHours: s.retention_hours,
          StreamCreationTimestamp: secs(s.created_ms), EnhancedMonitoring: metricsOut(s), ...encOut(s), OpenShardCount: open, ConsumerCount: await consumers.count(s),
        },
      };
    },
    ListStreams: async (r, b) => {
      const all = await streams.list(r.region);
      const tok = str(b, 'NextToken');
      const after = tok !== undefined ? (untoken(tok, now())['a'] as string) : str(b, 'ExclusiveStartStreamName');
      const from = after === undefined ? all : all.filter((s) => s.name > after);
      const lim = int(b, 'Limit') ?? 100;
      const page = from.slice(0, lim);
      const more = from.length > lim;
      return {
        StreamNames: page.map((s) => s.name), HasMoreStreams: more,
        ...(more ? { NextToken: token({ a: page[page.length - 1]!.name }, now()) } : {}),
        StreamSummaries: page.map((s) => ({ StreamName: s.name, StreamARN: s.arn, StreamStatus: s.status, StreamModeDetails: modeOut(s), StreamCreationTimestamp: secs(s.created_ms) })),
      };
    },
    DescribeLimits: async (r) => {
      const l = await streams.limits(r.region);
      return { ShardLimit: l.shardLimit, OpenShardCount: l.openShards, OnDemandStreamCount: l.onDemandStreams, OnDemandStreamCountLimit: 50 };
    },
    ...shardOps(p),
    PutRecord: async (r, b) => {
      const s = await streams.find(r.region, ref(b));
      const entry: PutEntry = { data: data(b['Data'], 'data'), partitionKey: str(b, 'PartitionKey')!, ...(str(b, 'ExplicitHashKey') !== undefined ? { explicitHashKey: str(b, 'ExplicitHashKey') } : {}) };
      const [res] = await records.put(s, [entry]);
      if (!res || 'errorCode' in res) throw E.internal();
      return { ShardId: res.shardId, SequenceNumber: res.sequenceNumber, EncryptionType: s.encryption };
    },
    PutRecords: async (r, b) => {
      const s = await streams.find(r.region, ref(b));
      const list = Array.isArray(b['Records']) ? (b['Records'] as Body[]) : [];
      let total = 0;
      const entries = list.map((x, i): PutEntry => {
        const d = data(x['Data'], `records.${i + 1}.member.data`);
        total += d.length + (str(x, 'PartitionKey')?.length ?? 0);
        return { data: d, partitionKey: str(x, 'PartitionKey')!, ...(str(x, 'ExplicitHashKey') !== undefined ? { explicitHashKey: str(x, 'ExplicitHashKey') } : {}) };
      });
      if (total > MAX_BATCH) throw E.invalid(`Records size exceeds 5 MB limit`);
      const out = await records.put(s, entries);
      const failed = out.filter((x) => 'errorCode' in x).length;
      return {
        FailedRecordCount: failed, EncryptionType: s.encryption,
        Records: out.map((x) => ('errorCode' in x ? { ErrorCode: x.errorCode, ErrorMessage: x.errorMessage } : { ShardId: x.shardId, SequenceNumber: x.sequenceNumber })),
      };
    },
    GetShardIterator: async (r, b) => {
      const s = await streams.find(r.region, ref(b));
      const type = str(b, 'ShardIteratorType')!;
      const seq = str(b, 'StartingSequenceNumber');
      const ts = int(b, 'Timestamp');
      const needSeq = type === 'AT_SEQUENCE_NUMBER' || type === 'AFTER_SEQUENCE_NUMBER';
      if (needSeq && seq === undefined) throw E.invalid(`StartingSequenceNumber must be specified for ShardIteratorType ${type}`);
      if (!needSeq && seq !== undefined) throw E.invalid(`StartingSequenceNumber cannot be specified for ShardIteratorType ${type}`);
      if (type === 'AT_TIMESTAMP' && ts === undefined) throw E.invalid('Timestamp must be specified for ShardIteratorType AT_TIMESTAMP');
      if (type !== 'AT_TIMESTAMP' && ts !== undefined) throw E.invalid(`Timestamp cannot be specified for ShardIteratorType ${type}`);
      const pos =
        type === 'AT_TIMESTAMP' ? { type, timestampMs: ts! * 1000 } as const
        : needSeq ? { type, sequenceNumber: seq! } as const
        : { type: type as 'TRIM_HORIZON' | 'LATEST' };
      return { ShardIterator: await records.iterator(s, str(b, 'ShardId')!, pos) };
    },
    GetRecords: async (r, b) => {
      const res = await records.getRecords(r.region, str(b, 'ShardIterator')!, int(b, 'Limit') ?? 10000, str(b, 'StreamARN'));
      return {
        Records: res.records.map((x) => ({
          SequenceNumber: x.sequenceNumber, ApproximateArrivalTimestamp: secs(x.row.arrival_ms), Data: x.row.data.toString('base64'), PartitionKey: x.row.pkey,
        })),
        ...(res.nextIterator !== undefined ? { NextShardIterator: res.nextIterator } : {}),
        MillisBehindLatest: res.millisBehindLatest,
        ...(res.childShards ? { ChildShards: res.childShards.map((c) => ({ ShardId: c.shard_id, ParentShards: [c.parent, c.adjacent].filter((x): x is string => !!x), HashKeyRange: { StartingHashKey: c.start_hash, EndingHashKey: c.end_hash } })) } : {}),
      };
    },
    IncreaseStreamRetentionPeriod: async (r, b) => {
      await streams.setRetention(r.region, ref(b), int(b, 'RetentionPeriodHours')!, true);
      return {};
    },
    DecreaseStreamRetentionPeriod: async (r, b) => {
      await streams.setRetention(r.region, ref(b), int(b, 'RetentionPeriodHours')!, false);
      return {};
    },
    UpdateStreamMode: async (r, b) => {
      await streams.setMode(r.region, ref(b), (b['StreamModeDetails'] as Body)['StreamMode'] as string);
      return {};
    },
    StartStreamEncryption: async (r, b) => {
      await streams.setEncryption(r.region, ref(b), str(b, 'EncryptionType')!, str(b, 'KeyId')!);
      return {};
    },
    StopStreamEncryption: async (r, b) => {
      await streams.setEncryption(r.region, ref(b), 'NONE', null);
      return {};
    },
    EnableEnhancedMonitoring: async (r, b) => monitoring(r, b, true),
    DisableEnhancedMonitoring: async (r, b) => monitoring(r, b, false),
    AddTagsToStream: async (r, b) => {
      await streams.retag(await streams.find(r.region, ref(b)), tagMap(b, 'Tags'), []);
      return {};
    },
    RemoveTagsFromStream: async (r, b) => {
      await streams.retag(await streams.find(r.region, ref(b)), {}, strings(b, 'TagKeys'));
      return {};
    },
    ListTagsForStream: async (r, b) => {
      const s = await streams.find(r.region, ref(b));
      const all = Object.entries(JSON.parse(s.tags) as Record<string, string>).sort(([x], [y]) => (x < y ? -1 : 1));
      const after = str(b, 'ExclusiveStartTagKey');
      const from = after === undefined ? all : all.filter(([k]) => k > after);
      const lim = int(b, 'Limit') ?? 10;
      return { Tags: from.slice(0, lim).map(([Key, Value]) => ({ Key, Value })), HasMoreTags: from.length > lim };
    },
    TagResource: async (r, b) => {
      await retagResource(r, str(b, 'ResourceARN')!, tagMap(b, 'Tags'), []);
      return {};
    },
    UntagResource: async (r, b) => {
      await retagResource(r, str(b, 'ResourceARN')!, {}, strings(b, 'TagKeys'));
      return {};
    },
    ListTagsForResource: async (r, b) => {
      const arn = str(b, 'ResourceARN')!;
      const tags = Consumers.isConsumerArn(arn) ? (await consumers.find(r.region, { consumerArn: arn })).tags : (await streams.find(r.region, { arn: streamArnOnly(arn) })).tags;
      return { Tags: Object.entries(JSON.parse(tags) as Record<string, string>).map(([Key, Value]) => ({ Key, Value })) };
    },
    RegisterStreamConsumer: async (r, b) => {
      const c = await consumers.register(r.region, str(b, 'StreamARN')!, str(b, 'ConsumerName')!, tagMap(b, 'Tags'));
      // Registration completes at once; AWS reports CREATING for a few seconds first.
      return { Consumer: { ...consumerOut(c, false), ConsumerStatus: 'CREATING' } };
    },
    DescribeStreamConsumer: async (r, b) => {
      const c = await consumers.find(r.region, consumerRef(b));
      return { ConsumerDescription: consumerOut(c, true) };
    },
    ListStreamConsumers: async (r, b) => {
      const s = await streams.find(r.region, { arn: str(b, 'StreamARN')! });
      const all = await consumers.list(s);
      const tok = str(b, 'NextToken');
      const start = tok !== undefined ? Number(untoken(tok, now())['i']) || 0 : 0;
      const lim = int(b, 'MaxResults') ?? 100;
      const page = all.slice(start, start + lim);
      return { Consumers: page.map((c) => consumerOut(c, false)), ...(start + lim < all.length ? { NextToken: token({ i: start + lim }, now()) } : {}) };
    },
    DeregisterStreamConsumer: async (r, b) => {
      await consumers.deregister(r.region, consumerRef(b));
      return {};
    },
  };

  const consumerRef = (b: Body): { streamArn?: string; name?: string; consumerArn?: string } => ({
    ...(str(b, 'StreamARN') !== undefined ? { streamArn: str(b, 'StreamARN') } : {}),
    ...(str(b, 'ConsumerName') !== undefined ? { name: str(b, 'ConsumerName') } : {}),
    ...(str(b, 'ConsumerARN') !== undefined ? { consumerArn: str(b, 'ConsumerARN') } : {}),
  });
  const streamArnOnly = (arn: string): string => {
    const a = parseArn(arn);
    if (!a) throw E.invalid(`Invalid ResourceARN ${arn}.`);
    return arn;
  };
  const retagResource = async (r: ApiRequest, arn: string, add: Record<string, string>, remove: string[]): Promise<void> => {
    if (Consumers.isConsumerArn(arn)) await consumers.retag(await consumers.find(r.region, { consumerArn: arn }), add, remove);
    else await streams.retag(await streams.find(r.region, { arn: streamArnOnly(arn) }), add, remove);
  };
  const monitoring = async (r: ApiRequest, b: Body, enable: boolean): Promise<Body> => {
    const m = await streams.setMetrics(r.region, ref(b), strings(b, 'ShardLevelMetrics'), enable);
    return { StreamName: m.stream.name, StreamARN: m.stream.arn, CurrentShardLevelMetrics: m.before, DesiredShardLevelMetrics: m.after };
  };

  const handlers: Record<string, Handler> = {};
  for (const [name, fn] of Object.entries(ops)) {
    handlers[name] = async (req) => {
      // The edge check against AWS's model (ValidationException naming each member), then the body as an object.
      const body = validateBody(kinesisShapes, name, req.body, 'json') ?? req.body;
      return { body: await fn(req, parseJsonObject(body)) };
    };
  }
  return { json: [{ targetPrefix: 'Kinesis_20131202', ops: handlers, validation: false, maxBody: 12 * 1024 * 1024 }] };
}
