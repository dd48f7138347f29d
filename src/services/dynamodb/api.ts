// DynamoDB's wire routes (JSON 1.0, `DynamoDB_20120810.*` and `DynamoDBStreams_20120810.*`): the control plane, items, Query/Scan, batches and transactions.
import type { Clock } from '../../lib/clock.js';
import type { ServiceRoutes } from '../../server/types.js';
import { batchRoutes } from './api-batch.js';
import { itemRoutes, type DdbParts } from './api-items.js';
import { queryRoutes } from './api-query.js';
import { streamRoutes } from './api-streams.js';
import { tableRoutes } from './api-tables.js';
import type { Streams } from './streams.js';

export function dynamodbRoutes(p: DdbParts, streams: Streams, clock: Clock): ServiceRoutes {
  const ops = { ...tableRoutes(p, clock), ...itemRoutes(p), ...queryRoutes(p), ...batchRoutes(p, clock) };
  return {
    json: [
      { targetPrefix: 'DynamoDB_20120810', errorNamespace: 'com.amazonaws.dynamodb.v20120810', ops, validation: false },
      { targetPrefix: 'DynamoDBStreams_20120810', errorNamespace: 'com.amazonaws.dynamodb.v20120810', ops: streamRoutes(streams, p.tables, clock), validation: false },
    ],
  };
}
