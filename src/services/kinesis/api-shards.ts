// Kinesis's shard operations on the wire: ListShards (tokens, ShardFilter, ExclusiveStartShardId) and resharding.
import type { JsonObject } from '../../lib/validate.js';
import type { ApiRequest } from '../../server/types.js';
import { int, ref, shardOut, str, token, untoken, type KinesisParts } from './api.js';
import * as E from './errors.js';
import type { ShardRow, StreamRow } from './schema.js';

type Body = JsonObject;

/** Which shards a ShardFilter keeps, from their creation and closing times. */
function filterShards(all: ShardRow[], s: StreamRow, f: Body | undefined, now: number): ShardRow[] {
  if (!f) return all;
  const type = f['Type'] as string;
  const id = typeof f['ShardId'] === 'string' ? (f['ShardId'] as string) : undefined;
  const ts = typeof f['Timestamp'] === 'number' ? (f['Timestamp'] as number) * 1000 : undefined;
  if ((type === 'AFTER_SHARD_ID') !== (id !== undefined)) {
    throw E.invalid(id === undefined ? 'ShardId must be specified for ShardFilter type AFTER_SHARD_ID.' : `ShardId cannot be specified for ShardFilter type ${type}.`);
  }
  const timed = type === 'AT_TIMESTAMP' || type === 'FROM_TIMESTAMP';
  if (timed !== (ts !== undefined)) {
    throw E.invalid(ts === undefined ? `Timestamp must be specified for ShardFilter type ${type}.` : `Timestamp cannot be specified for ShardFilter type ${type}.`);
  }
  const openAt = (x: ShardRow, t: number): boolean => Number(x.created_ms) <= t && (x.closed_ms === null || Number(x.closed_ms) > t);
  const horizon = now - s.retention_hours * 3_600_000;
  switch (type) {
    case 'AFTER_SHARD_ID':
      return all.filter((x) => x.shard_id > id!);
    case 'AT_LATEST':
      return all.filter((x) => x.ending === null);
    case 'AT_TRIM_HORIZON':
      return all.filter((x) => openAt(x, Math.max(horizon, Number(s.created_ms))));
    case 'AT_TIMESTAMP':
      return all.filter((x) => openAt(x, Math.max(ts!, Number(s.created_ms))));
    case 'FROM_TIMESTAMP':
      return all.filter((x) => x.closed_ms === null || Number(x.closed_ms) > ts!);
    default: // FROM_TRIM_HORIZON
      return all;
  }
}

export function shardOps({ streams }: KinesisParts): Record<string, (r: ApiRequest, b: Body) => Promise<Body>> {
  const now = (): number => streams.o.clock.now();
  return {
    ListShards: async (r, b) => {
      const tok = str(b, 'NextToken');
      let s: StreamRow;
      let after = str(b, 'ExclusiveStartShardId');
      let filter = b['ShardFilter'] as Body | undefined;
      if (tok !== undefined) {
        if (str(b, 'StreamName') !== undefined) throw E.invalid('NextToken and StreamName cannot be provided together.');
        if (after !== undefined) throw E.invalid('NextToken and ExclusiveStartShardId cannot be provided together.');
        if (filter !== undefined) throw E.invalid('NextToken and ShardFilter cannot be provided together.');
        const t = untoken(tok, now());
        s = await streams.find(r.region, { arn: t['a'] as string });
        after = t['l'] as string;
        filter = t['f'] as Body | undefined;
      } else s = await streams.find(r.region, ref(b));
      const all = filterShards(await streams.shards(s), s, filter, now());
      const from = after === undefined ? all : all.filter((x) => x.shard_id > after!);
      const lim = int(b, 'MaxResults') ?? 1000;
      const page = from.slice(0, lim);
      return {
        Shards: page.map(shardOut),
        ...(from.length > lim ? { NextToken: token({ a: s.arn, l: page[page.length - 1]!.shard_id, ...(filter ? { f: filter } : {}) }, now()) } : {}),
      };
    },
    SplitShard: async (r, b) => {
      await streams.split(r.region, ref(b), str(b, 'ShardToSplit')!, str(b, 'NewStartingHashKey')!);
      return {};
    },
    MergeShards: async (r, b) => {
      await streams.merge(r.region, ref(b), str(b, 'ShardToMerge')!, str(b, 'AdjacentShardToMerge')!);
      return {};
    },
    UpdateShardCount: async (r, b) => {
      const target = int(b, 'TargetShardCount')!;
      const res = await streams.updateShardCount(r.region, ref(b), target);
      return { StreamName: res.stream.name, StreamARN: res.stream.arn, CurrentShardCount: res.current, TargetShardCount: target };
    },
  };
}
