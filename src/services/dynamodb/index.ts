// The DynamoDB service module: tables and items on the store, Query/Scan, batches, transactions, streams and the TTL sweeper.
import type { ServiceModule } from '../../server/service.js';
import { dynamodbRoutes } from './api.js';
import type { ShardStreamSource } from '../../lib/shard-stream.js';
import { Items } from './items.js';
import { Streams } from './streams.js';
import { Tables } from './tables.js';
import { TtlSweeper } from './ttl.js';

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
