// Items in the store: reads by key, atomic writes of an item with its secondary index rows (serialised per item),
// the ordered range reads that Query and Scan page through, and the TTL sweeper.
import type { Clock } from '../../lib/clock.js';
import type { Leases } from '../../store/leases.js';
import type { Queryable, SqlValue, Store } from '../../store/store.js';
import { itemSize, type Item } from './expr/index.js';
import { encodeKey, indexKey, keyOf, segmentHash, type EncodedKey, type KeySpec } from './keys.js';
import { recordChange } from './streams.js';
import type { IndexDef, TableDef } from './table-def.js';
import type { Tables } from './tables.js';

/** A change of one item inside a write transaction: what it was and what it becomes (undefined: absent). */
export interface Change { readonly def: TableDef; readonly key: Item; readonly old: Item | undefined; readonly next: Item | undefined; readonly service?: boolean }
/** A stored row read by Query or Scan, with the position a page may resume after. */
export interface Row { readonly item: Item; readonly size: number; readonly pos: readonly string[] }
export type RangeOp = '=' | '<' | '<=' | '>' | '>=' | 'BETWEEN' | 'begins_with';
export interface ReadPlan {
  readonly index?: IndexDef;
  /** Encoded hash key (Query), or absent (Scan). */
  readonly pk?: string;
  readonly range?: { readonly op: RangeOp; readonly values: readonly string[]; readonly binary: boolean };
  readonly forward: boolean;
  /** Resume strictly after this position (the `pos` of a Row). */
  readonly after?: readonly string[];
  readonly segment?: { readonly lo: number; readonly hi: number };
}

/** The attributes an index holds of an item: its keys and the table's, plus what the projection names. */
export function projectFor(def: TableDef, ix: IndexDef, item: Item): Item {
  if (ix.projection.ProjectionType === 'ALL') return item;
  const names = new Set([def.key.hash, def.key.range, ix.key.hash, ix.key.range, ...(ix.projection.NonKeyAttributes ?? [])].filter((x): x is string => !!x));
  const out: Item = {};
  for (const n of names) if (item[n]) out[n] = item[n]!;
  return out;
}

export class Items {
  constructor(private readonly store: Store, private readonly streams?: { clock: Clock; notify: (arns: Iterable<string>) => void }) {}

  async get(def: TableDef, key: Item, q: Queryable = this.store): Promise<Item | undefined> {
    const k = encodeKey(def.key, key);
    const r = await q.get<{ item: string }>('SELECT item FROM ddb_items WHERE tbl = ? AND pk = ? AND sk = ?', [def.id, k.pk, k.sk]);
    return r ? (JSON.parse(r.item) as Item) : undefined;
  }

  /**
   * Runs fn in one transaction holding the locks of the given items (so that concurrent conditional writes on
   * one item take turns, on any node), then writes the changes fn returns with their index rows.
   */
  async tx<T>(keys: { def: TableDef; key: Item }[], fn: (q: Queryable) => Promise<{ changes: Change[]; result: T }>): Promise<T> {
    return this.store.tx(async (q) => {
      if (this.store.kind === 'postgres') {
        const names = [...new Set(keys.map(({ def, key }) => { const k = encodeKey(def.key, key); return `ddb:${def.id}:${k.pk}:${k.sk}`; }))].sort();
        for (const n of names) await q.get('SELECT pg_advisory_xact_lock(hashtext(?)) AS l', [n]);
      }
      const { changes, result } = await fn(q);
      if (this.store.kind === 'postgres' && this.streams) {
        // Stream record ids come from a sequence, drawn before commit: without one writer at a time per stream, a lower
        // id could commit after a reader read past it, and that record would never be read. Taken after the item
        // locks and in sorted order, so no deadlock.
        const streams = [...new Set(changes.filter((c) => c.def.stream?.enabled && c.def.stream.arn).map((c) => c.def.stream!.arn!))].sort();
        for (const a of streams) await q.get('SELECT pg_advisory_xact_lock(hashtext(?)) AS l', [`ddb-stream:${a}`]);
      }
      const arns: string[] = [];
      for (const c of changes) {
        await this.write(q, c);
        const arn = this.streams ? await recordChange(q, this.streams.clock, c.def, c.old, c.next, c.service === true) : undefined;
        if (arn) arns.push(arn);
      }
      return { result, arns };
    }).then(({ result, arns }) => {
      if (arns.length) this.streams?.notify(arns);
      return result;
    });
  }

  private async write(q: Queryable, c: Change): Promise<void> {
    const { def } = c;
    const k = encodeKey(def.key, c.key);
    if (c.old) await q.run('DELETE FROM ddb_index WHERE tbl = ? AND bpk = ? AND bsk = ?', [def.id, k.pk, k.sk]);
    if (!c.next) {
      await q.run('DELETE FROM ddb_items WHERE tbl = ? AND pk = ? AND sk = ?', [def.id, k.pk, k.sk]);
      return;
    }
    const item = c.next;
    const ttlAttr = def.ttl?.enabled ? item[def.ttl.attr] : undefined;
    const expires = ttlAttr && 'N' in ttlAttr ? Math.floor(Number(ttlAttr.N)) : null;
    await q.run(
      `INSERT INTO ddb_items (tbl, pk, sk, seg, size, expires, item) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tbl, pk, sk) DO UPDATE SET size = excluded.size, expires = excluded.expires, item = excluded.item`,
      [def.id, k.pk, k.sk, segmentHash(k.pk), itemSize(item), Number.isFinite(expires) ? expires : null, JSON.stringify(item)],
    );
    for (const ix of [...def.gsis, ...def.lsis]) {
      const ik = indexKey(ix.key, item, ix.name);
      if (!ik) continue;
      await q.run('INSERT INTO ddb_index (tbl, idx, pk, sk, bpk, bsk, seg, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        [def.id, ix.name, ik.pk, ik.sk, k.pk, k.sk, segmentHash(ik.pk), itemSize(projectFor(def, ix, item))]);
    }
  }

  /** Checks an item against every index's key types (before any write), as DynamoDB refuses such a write. */
  checkIndexes(def: TableDef, item: Item): void {
    for (const ix of [...def.gsis, ...def.lsis]) indexKey(ix.key, item, ix.name);
  }

  /** Rebuilds one index's rows from the table's items (a GSI created by UpdateTable). */
  async backfill(def: TableDef, ix: IndexDef): Promise<void> {
    await this.store.tx(async (q) => {
      const rows = await q.all<{ pk: string; sk: string; item: string }>('SELECT pk, sk, item FROM ddb_items WHERE tbl = ?', [def.id]);
      for (const r of rows) {
        const item = JSON.parse(r.item) as Item;
        let ik: EncodedKey | undefined;
        try {
          ik = indexKey(ix.key, item, ix.name);
        } catch {
          ik = undefined; // an item whose attribute has another type is left out of the index, as a backfill does
        }
        if (!ik) continue;
        await q.run('INSERT INTO ddb_index (tbl, idx, pk, sk, bpk, bsk, seg, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
          [def.id, ix.name, ik.pk, ik.sk, r.pk, r.sk, segmentHash(ik.pk), itemSize(projectFor(def, ix, item))]);
      }
    });
  }

  async dropIndex(def: TableDef, name: string): Promise<void> {
    await this.store.run('DELETE FROM ddb_index WHERE tbl = ? AND idx = ?', [def.id, name]);
  }

  /** Recomputes the TTL expiry column of every item of a table (TTL enabled or disabled). */
  async reindexTtl(def: TableDef): Promise<void> {
    await this.store.tx(async (q) => {
      const rows = await q.all<{ pk: string; sk: string; item: string }>('SELECT pk, sk, item FROM ddb_items WHERE tbl = ?', [def.id]);
      for (const r of rows) {
        const v = def.ttl?.enabled ? (JSON.parse(r.item) as Item)[def.ttl.attr] : undefined;
        const exp = v && 'N' in v ? Math.floor(Number(v.N)) : null;
        await q.run('UPDATE ddb_items SET expires = ? WHERE tbl = ? AND pk = ? AND sk = ?', [Number.isFinite(exp) ? exp : null, def.id, r.pk, r.sk]);
      }
    });
  }

  /** Keys of items whose TTL passed (seconds), oldest first. */
  async expired(def: TableDef, nowSeconds: number, limit: number): Promise<Item[]> {
    const rows = await this.store.all<{ item: string }>('SELECT item FROM ddb_items WHERE tbl = ? AND expires IS NOT NULL AND expires <= ? ORDER BY expires LIMIT ?', [def.id, nowSeconds, limit]);
    return rows.map((r) => keyOf(def.key, JSON.parse(r.item) as Item));
  }

  /** Up to `limit` rows of a table or index in key order from a plan's position. */
  async read(def: TableDef, plan: ReadPlan, limit: number): Promise<Row[]> {
    const ix = plan.index;
    const cols = ix ? ['x.pk', 'x.sk', 'x.bpk', 'x.bsk'] : ['i.pk', 'i.sk'];
    const where: string[] = ['i.tbl = ?'];
    const args: SqlValue[] = [def.id];
    if (ix) {
      where.push('x.idx = ?');
      args.push(ix.name);
    }
    const pk = cols[0]!;
    const sk = cols[1]!;
    if (plan.pk !== undefined) {
      where.push(`${pk} = ?`);
      args.push(plan.pk);
    }
    const r = plan.range;
    if (r) {
      const [a, b] = r.values as [string, string?];
      if (r.op === 'BETWEEN') {
        where.push(`${sk} >= ? AND ${sk} <= ?`);
        args.push(a, b!);
      } else if (r.op === 'begins_with') {
        where.push(`substr(${sk}, 1, ?) = ?`);
        args.push([...a].length, a);
      } else {
        where.push(`${sk} ${r.op} ?`);
        args.push(a);
      }
    }
    if (plan.segment) {
      where.push(`${ix ? 'x' : 'i'}.seg >= ? AND ${ix ? 'x' : 'i'}.seg < ?`);
      args.push(plan.segment.lo, plan.segment.hi);
    }
    // Within one hash key (Query) the position is compared without the hash column.
    const posCols = plan.pk !== undefined ? cols.slice(1) : cols;
    if (plan.after) {
      const after = plan.pk !== undefined ? plan.after.slice(1) : plan.after;
      where.push(`(${posCols.join(', ')}) ${plan.forward ? '>' : '<'} (${posCols.map(() => '?').join(', ')})`);
      args.push(...after);
    }
    const dir = plan.forward ? '' : ' DESC';
    const from = ix ? 'ddb_index x JOIN ddb_items i ON i.tbl = x.tbl AND i.pk = x.bpk AND i.sk = x.bsk' : 'ddb_items i';
    const sql = `SELECT ${cols.map((c, n) => `${c} AS c${n}`).join(', ')}, i.item AS item, i.size AS size FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${posCols.map((c) => c + dir).join(', ')} LIMIT ?`;
    args.push(limit);
    const rows = await this.store.all<Record<string, unknown>>(sql, args);
    return rows.map((row) => ({ item: JSON.parse(row['item'] as string) as Item, size: Number(row['size']), pos: cols.map((_, n) => row[`c${n}`] as string) }));
  }

  /** The store position of an item in a table or index (for ExclusiveStartKey). */
  static position(def: TableDef, ix: IndexDef | undefined, item: Item): string[] {
    const k = encodeKey(def.key, item);
    if (!ix) return [k.pk, k.sk];
    const ik = indexKey(ix.key, item, ix.name) ?? { pk: '', sk: '' };
    return [ik.pk, ik.sk, k.pk, k.sk];
  }

  /** The key DynamoDB hands back as LastEvaluatedKey: the table's key, plus the index's key on an index. */
  static lastKey(def: TableDef, ix: IndexDef | undefined, item: Item): Item {
    const specs: KeySpec[] = ix ? [def.key, ix.key] : [def.key];
    const out: Item = {};
    for (const s of specs) Object.assign(out, keyOf(s, item));
    return out;
  }
}

const LEASE = 'dynamodb:ttl-sweeper';

/** Whether an item's TTL attribute (a Number of epoch seconds) has passed. */
export function isExpired(item: Item | undefined, attr: string, nowSeconds: number): boolean {
  const v = item?.[attr];
  return !!v && 'N' in v && Number.isFinite(Number(v.N)) && Number(v.N) <= nowSeconds;
}

export class TtlSweeper {
  private cancel: (() => void) | undefined;
  private running = false;
  private stopped = false;

  constructor(private readonly o: { tables: Tables; items: Items; clock: Clock; leases: Leases; intervalMs?: number; log: (m: string) => void }) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
    await this.o.leases.release(LEASE).catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.cancel = this.o.clock.setTimer(this.o.intervalMs ?? 5000, () => {
      void this.sweep().catch((e: unknown) => this.o.log(`dynamodb: TTL sweep failed: ${e instanceof Error ? e.message : String(e)}`)).finally(() => this.schedule());
    });
  }

  /** One pass over every table with TTL enabled; returns how many items it deleted. */
  async sweep(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      if (!(await this.o.leases.acquire(LEASE))) return 0;
      let n = 0;
      const now = Math.floor(this.o.clock.now() / 1000);
      for (const { def } of await this.o.tables.all()) {
        if (!def.ttl?.enabled) continue;
        const attr = def.ttl.attr;
        for (const key of await this.o.items.expired(def, now, 100)) {
          if (this.stopped) return n;
          await this.o.items.tx([{ def, key }], async (q) => {
            const old = await this.o.items.get(def, key, q);
            if (!isExpired(old, attr, now)) return { changes: [], result: undefined };
            n++;
            return { changes: [{ def, key, old, next: undefined, service: true }], result: undefined };
          });
        }
      }
      return n;
    } finally {
      this.running = false;
    }
  }
}
