// Kinesis's tables: streams, their shards (hash key ranges, lineage and each shard's sequence counter), records, consumers.
import type { Migration } from '../../store/store.js';

export const KINESIS_MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `
CREATE TABLE kinesis_streams (arn TEXT PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, mode TEXT NOT NULL,
  retention_hours INTEGER NOT NULL, created_ms INTEGER NOT NULL, encryption TEXT NOT NULL, key_id TEXT, metrics TEXT NOT NULL, tags TEXT NOT NULL,
  next_shard INTEGER NOT NULL);
CREATE UNIQUE INDEX kinesis_streams_name ON kinesis_streams (region, name);
CREATE TABLE kinesis_shards (stream_arn TEXT NOT NULL, shard_id TEXT NOT NULL, idx INTEGER NOT NULL, start_hash TEXT NOT NULL, end_hash TEXT NOT NULL,
  parent TEXT, adjacent TEXT, counter INTEGER NOT NULL, ending INTEGER, created_ms INTEGER NOT NULL, closed_ms INTEGER, PRIMARY KEY (stream_arn, shard_id));
CREATE TABLE kinesis_records (stream_arn TEXT NOT NULL, shard_id TEXT NOT NULL, seq INTEGER NOT NULL, arrival_ms INTEGER NOT NULL, pkey TEXT NOT NULL,
  data BLOB NOT NULL, PRIMARY KEY (stream_arn, shard_id, seq));
CREATE INDEX kinesis_records_arrival ON kinesis_records (stream_arn, shard_id, arrival_ms);
CREATE TABLE kinesis_consumers (stream_arn TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL, created_ms INTEGER NOT NULL, tags TEXT NOT NULL,
  PRIMARY KEY (stream_arn, name));
CREATE UNIQUE INDEX kinesis_consumers_arn ON kinesis_consumers (arn);
`,
  },
];

export interface StreamRow {
  arn: string; region: string; name: string; status: string; mode: string; retention_hours: number; created_ms: number;
  encryption: string; key_id: string | null; metrics: string; tags: string; next_shard: number;
}

export interface ShardRow {
  stream_arn: string; shard_id: string; idx: number; start_hash: string; end_hash: string; parent: string | null; adjacent: string | null;
  /** The counter of the last record written to the shard (0: none yet). */
  counter: number;
  /** The counter the shard ended at, once closed by a split or merge. */
  ending: number | null;
  created_ms: number; closed_ms: number | null;
}

export interface RecordRow { stream_arn: string; shard_id: string; seq: number; arrival_ms: number; pkey: string; data: Buffer }

export interface ConsumerRow { stream_arn: string; name: string; arn: string; created_ms: number; tags: string }
