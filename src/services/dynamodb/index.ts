// The DynamoDB service module: tables and items on the store, Query/Scan, batches, transactions and the TTL sweeper.
import type { ServiceModule } from '../../server/service.js';
import { dynamodbRoutes } from './api.js';
import { Items } from './items.js';
import { Tables } from './tables.js';
import { TtlSweeper } from './ttl.js';

export type DynamodbDeps = Record<string, never>;
export type DynamodbApi = Record<string, never>;

export const dynamodbService: ServiceModule<DynamodbDeps, DynamodbApi> = {
  name: 'dynamodb',
  async create(ctx) {
    const tables = new Tables({ store: ctx.store, clock: ctx.clock, accountId: ctx.config.accountId });
    await tables.init();
    const items = new Items(ctx.store);
    const ttl = new TtlSweeper({ tables, items, clock: ctx.clock, leases: ctx.cluster.leases, log: ctx.log });
    return {
      routes: dynamodbRoutes({ tables, items }, ctx.clock),
      api: {},
      start: async () => ttl.start(),
      stop: async () => ttl.stop(),
    };
  },
};
