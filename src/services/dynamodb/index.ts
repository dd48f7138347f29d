// The DynamoDB service module: its wire routes (DynamoDB_20120810, DynamoDBStreams_20120810), tables and items on
// the store, streams and the TTL sweeper.
import type { Clock } from '../../lib/clock.js';
import type { ShardStreamSource } from '../../lib/shard-stream.js';
import type { ServiceModule } from '../../server/service.js';
import type { ServiceRoutes } from '../../server/types.js';
import { batchRoutes } from './api-batch.js';
import { queryRoutes } from './api-query.js';
import { tableRoutes } from './api-tables.js';
import { Items, TtlSweeper } from './items.js';
import { itemRoutes, type DdbParts } from './ops.js';
import { Streams, streamRoutes } from './streams.js';
import { Tables } from './tables.js';

export type DynamodbDeps = Record<string, never>;
export interface DynamodbApi {
  /** The tables' streams, for Lambda's event source mappings (`aws:dynamodb`). */
  readonly streams: ShardStreamSource;
}

export const dynamodbService: ServiceModule<DynamodbDeps, DynamodbApi> = {
  name: 'dynamodb',
  async create(ctx) {
    const tables = new Tables({ store: ctx.store, clock: ctx.clock, accountId: ctx.config.accountId });
    await tables.init();
    const streams = new Streams({ store: ctx.store, tables, clock: ctx.clock, notifier: ctx.notifier });
    const items = new Items(ctx.store, { clock: ctx.clock, notify: (arns) => streams.notify(arns) });
    const ttl = new TtlSweeper({ tables, items, clock: ctx.clock, leases: ctx.cluster.leases, log: ctx.log });
    return {
      routes: dynamodbRoutes({ tables, items }, streams, ctx.clock),
      api: { streams },
      start: async () => ttl.start(),
      stop: async () => ttl.stop(),
    };
  },
};

export function dynamodbRoutes(p: DdbParts, streams: Streams, clock: Clock): ServiceRoutes {
  const ops = { ...tableRoutes(p, clock), ...itemRoutes(p), ...queryRoutes(p), ...batchRoutes(p, clock) };
  return {
    json: [
      { targetPrefix: 'DynamoDB_20120810', errorNamespace: 'com.amazonaws.dynamodb.v20120810', ops, validation: false },
      { targetPrefix: 'DynamoDBStreams_20120810', errorNamespace: 'com.amazonaws.dynamodb.v20120810', ops: streamRoutes(streams, p.tables, clock), validation: false },
    ],
  };
}
