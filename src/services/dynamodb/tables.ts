// Tables in the store: their migrations, create, read, list, update and delete definitions, and DescribeTable's answer.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import type { Queryable, Store, Migration } from '../../store/store.js';
import * as E from './errors.js';
import type { IndexDef, TableDef } from './table-def.js';

export class Tables {
  constructor(private readonly o: { store: Store; clock: Clock; accountId: string }) {}

  init(): Promise<void> {
    return this.o.store.migrate('dynamodb', DDB_MIGRATIONS);
  }

  arn(region: string, name: string): string {
    return `arn:aws:dynamodb:${region}:${this.o.accountId}:table/${name}`;
  }

  async create(region: string, d: Omit<TableDef, 'id' | 'arn' | 'created'>): Promise<TableDef> {
    const now = this.o.clock.now();
    const arn = this.arn(region, d.name);
    const def: TableDef = { ...d, id: randomUUID(), arn, created: now / 1000 };
    if (def.stream?.enabled) def.stream = this.newStream(def, now);
    const r = await this.o.store.run('INSERT INTO ddb_tables (region, name, id, def) VALUES (?, ?, ?, ?) ON CONFLICT (region, name) DO NOTHING', [region, d.name, def.id, JSON.stringify(def)]);
    if (!r.changes) throw E.tableExists(d.name);
    return def;
  }

  newStream(def: TableDef, now: number): NonNullable<TableDef['stream']> {
    const label = new Date(now).toISOString().replace('Z', '');
    return { enabled: true, viewType: def.stream?.viewType ?? 'NEW_AND_OLD_IMAGES', label, arn: `${def.arn}/stream/${label}` };
  }

  /** The table or undefined. */
  async find(region: string, name: string, q: Queryable = this.o.store): Promise<TableDef | undefined> {
    const r = await q.get<{ def: string }>('SELECT def FROM ddb_tables WHERE region = ? AND name = ?', [region, name]);
    return r ? (JSON.parse(r.def) as TableDef) : undefined;
  }

  /** The table of an item operation ("Requested resource not found" when absent). */
  async forItems(region: string, name: string, q?: Queryable): Promise<TableDef> {
    const t = await this.find(region, name, q);
    if (!t) throw E.resourceNotFound();
    return t;
  }

  /** The table of a control-plane operation ("Requested resource not found: Table: x not found"). */
  async get(region: string, name: string): Promise<TableDef> {
    const t = await this.find(region, name);
    if (!t) throw E.tableNotFound(name);
    return t;
  }

  async byArn(arn: string): Promise<TableDef | undefined> {
    const m = /^arn:aws:dynamodb:([^:]+):[^:]*:table\/([^/]+)/.exec(arn);
    return m ? this.find(m[1]!, m[2]!) : undefined;
  }

  async list(region: string): Promise<string[]> {
    return (await this.o.store.all<{ name: string }>('SELECT name FROM ddb_tables WHERE region = ? ORDER BY name', [region])).map((r) => r.name);
  }

  async all(): Promise<{ region: string; def: TableDef }[]> {
    return (await this.o.store.all<{ region: string; def: string }>('SELECT region, def FROM ddb_tables ORDER BY region, name')).map((r) => ({ region: r.region, def: JSON.parse(r.def) as TableDef }));
  }

  /** Rewrites a table's definition (the same table: its id must still match). */
  async save(region: string, def: TableDef, q: Queryable = this.o.store): Promise<void> {
    const r = await q.run('UPDATE ddb_tables SET def = ? WHERE region = ? AND name = ? AND id = ?', [JSON.stringify(def), region, def.name, def.id]);
    if (!r.changes) throw E.tableNotFound(def.name);
  }

  async delete(region: string, def: TableDef): Promise<void> {
    await this.o.store.tx(async (q) => {
      const r = await q.run('DELETE FROM ddb_tables WHERE region = ? AND name = ? AND id = ?', [region, def.name, def.id]);
      if (!r.changes) throw E.tableNotFound(def.name);
      await q.run('DELETE FROM ddb_items WHERE tbl = ?', [def.id]);
      await q.run('DELETE FROM ddb_index WHERE tbl = ?', [def.id]);
    });
  }

  private async counts(def: TableDef): Promise<{ items: number; bytes: number; idx: Map<string, { items: number; bytes: number }> }> {
    const t = await this.o.store.get<{ n: number | string; b: number | string | null }>('SELECT COUNT(*) AS n, SUM(size) AS b FROM ddb_items WHERE tbl = ?', [def.id]);
    const rows = await this.o.store.all<{ idx: string; n: number | string; b: number | string | null }>('SELECT idx, COUNT(*) AS n, SUM(size) AS b FROM ddb_index WHERE tbl = ? GROUP BY idx', [def.id]);
    const idx = new Map(rows.map((r) => [r.idx, { items: Number(r.n), bytes: Number(r.b ?? 0) }]));
    return { items: Number(t?.n ?? 0), bytes: Number(t?.b ?? 0), idx };
  }

  async describe(def: TableDef, status = 'ACTIVE'): Promise<Record<string, unknown>> {
    const c = status === 'ACTIVE' ? await this.counts(def) : { items: 0, bytes: 0, idx: new Map<string, { items: number; bytes: number }>() };
    const tp = (t: { ReadCapacityUnits: number; WriteCapacityUnits: number } | undefined): Record<string, unknown> => ({
      NumberOfDecreasesToday: 0, ReadCapacityUnits: t?.ReadCapacityUnits ?? 0, WriteCapacityUnits: t?.WriteCapacityUnits ?? 0,
    });
    const ix = (i: IndexDef): Record<string, unknown> => ({
      IndexName: i.name, KeySchema: i.keySchema, Projection: i.projection, IndexSizeBytes: c.idx.get(i.name)?.bytes ?? 0, ItemCount: c.idx.get(i.name)?.items ?? 0,
      IndexArn: `${def.arn}/index/${i.name}`,
      ...(i.global ? { IndexStatus: 'ACTIVE', ProvisionedThroughput: tp(def.billing === 'PAY_PER_REQUEST' ? undefined : i.throughput) } : {}),
    });
    return {
      AttributeDefinitions: def.attrs, TableName: def.name, KeySchema: def.keySchema, TableStatus: status, CreationDateTime: def.created,
      ProvisionedThroughput: tp(def.throughput), TableSizeBytes: c.bytes, ItemCount: c.items, TableArn: def.arn, TableId: def.id,
      ...(def.billing === 'PAY_PER_REQUEST' || def.billingChanged ? { BillingModeSummary: { BillingMode: def.billing, LastUpdateToPayPerRequestDateTime: def.billingChanged ?? def.created } } : {}),
      ...(def.lsis.length ? { LocalSecondaryIndexes: def.lsis.map(ix) } : {}),
      ...(def.gsis.length ? { GlobalSecondaryIndexes: def.gsis.map(ix) } : {}),
      ...(def.stream ? { StreamSpecification: { StreamEnabled: def.stream.enabled, ...(def.stream.enabled ? { StreamViewType: def.stream.viewType } : {}) } } : {}),
      ...(def.stream?.label ? { LatestStreamLabel: def.stream.label, LatestStreamArn: def.stream.arn } : {}),
      ...(def.sse?.enabled ? { SSEDescription: { Status: 'ENABLED', SSEType: 'KMS', KMSMasterKeyArn: def.sse.kmsKey ?? `arn:aws:kms:${def.arn.split(':')[3]}:${this.o.accountId}:key/aws-dynamodb` } } : {}),
      ...(def.tableClass !== 'STANDARD' ? { TableClassSummary: { TableClass: def.tableClass } } : {}),
      DeletionProtectionEnabled: def.deletionProtection,
    };
  }
}

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
