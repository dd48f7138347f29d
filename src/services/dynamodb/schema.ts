// DynamoDB's tables in the store: table definitions, items by encoded key, secondary index rows, transaction tokens.
import type { Migration } from '../../store/store.js';

// Key columns compare as bytes on both engines: SQLite's BINARY collation, PostgreSQL's COLLATE "C".
const tables = (c: string, big: string): string => `
CREATE TABLE ddb_tables (region TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL, def TEXT NOT NULL, PRIMARY KEY (region, name));
CREATE TABLE ddb_items (tbl TEXT NOT NULL, pk TEXT${c} NOT NULL, sk TEXT${c} NOT NULL, seg ${big} NOT NULL, size ${big} NOT NULL, expires ${big},
  item TEXT NOT NULL, PRIMARY KEY (tbl, pk, sk));
CREATE INDEX ddb_items_expires ON ddb_items (tbl, expires);
CREATE TABLE ddb_index (tbl TEXT NOT NULL, idx TEXT NOT NULL, pk TEXT${c} NOT NULL, sk TEXT${c} NOT NULL, bpk TEXT${c} NOT NULL, bsk TEXT${c} NOT NULL,
  seg ${big} NOT NULL, size ${big} NOT NULL, PRIMARY KEY (tbl, idx, pk, sk, bpk, bsk));
CREATE INDEX ddb_index_base ON ddb_index (tbl, bpk, bsk);
CREATE TABLE ddb_tokens (token TEXT PRIMARY KEY, digest TEXT NOT NULL, created ${big} NOT NULL)`;

// Stream records: one shard per stream; the row id orders a stream and gives its sequence numbers.
const streams = `CREATE TABLE ddb_stream_records (id INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, created INTEGER NOT NULL, size INTEGER NOT NULL,
  record TEXT NOT NULL);
CREATE INDEX ddb_stream_records_stream ON ddb_stream_records (stream, id)`;

export const DDB_MIGRATIONS: Migration[] = [
  { version: 1, up: { sqlite: tables('', 'INTEGER'), postgres: tables(' COLLATE "C"', 'BIGINT') } },
  { version: 2, up: streams },
];
