// The multi-item operations: BatchGetItem, BatchWriteItem, TransactGetItems and TransactWriteItems (all-or-nothing
// with CancellationReasons in request order, ClientRequestToken idempotency for ten minutes).
import { createHash } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import { AwsError } from '../../lib/errors.js';
import type { JsonObject } from '../../lib/validate.js';
import type { Handler } from '../../server/types.js';
import { itemSize, type Item } from './expr/index.js';
import * as E from './errors.js';
import { projectionOf, type DdbParts } from './ops.js';
import { checkKey, encodeKey } from './keys.js';
import { applyOp, decodeOp, holds, type OpKind, type WriteOp } from './ops.js';
import { body, capacity, capacityMode, enumOf, itemOf, readUnits, writeUnits } from './request.js';
import type { TableDef } from './table-def.js';

const obj = (v: unknown): JsonObject | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined);
const TOKEN_MS = 10 * 60 * 1000;

function requestItems(b: JsonObject): JsonObject {
  const ri = obj(b['RequestItems']);
  if (!ri) throw E.nullMember('requestItems');
  if (!Object.keys(ri).length) throw E.constraint('{}', 'requestItems', 'Member must have length greater than or equal to 1');
  return ri;
}

/** A key's identity within one request, for the duplicate checks. */
const identity = (def: TableDef, key: Item): string => { const k = encodeKey(def.key, key); return `${def.id}\u0000${k.pk}\u0000${k.sk}`; };

export function batchRoutes(p: DdbParts, clock: Clock): Record<string, Handler> {
  const table = (region: string, name: string): Promise<TableDef> => p.tables.forItems(region, name);
  return {
    BatchGetItem: async (r) => {
      const b = body(r);
      const ri = requestItems(b);
      const mode = capacityMode(b);
      const total = Object.values(ri).reduce<number>((n, t) => n + (Array.isArray(obj(t)?.['Keys']) ? (obj(t)!['Keys'] as unknown[]).length : 0), 0);
      if (total > 100) throw E.validation('Too many items requested for the BatchGetItem call');
      const responses: Record<string, Item[]> = {};
      const cc: Record<string, unknown>[] = [];
      for (const [name, spec] of Object.entries(ri)) {
        const t = obj(spec) ?? {};
        const keysIn = t['Keys'];
        if (!Array.isArray(keysIn)) throw E.nullMember(`requestItems.${name}.member.keys`);
        if (!keysIn.length) throw E.constraint('[]', `requestItems.${name}.member.keys`, 'Member must have length greater than or equal to 1');
        const proj = projectionOf(t, true);
        const def = await table(r.region, name);
        const keys = keysIn.map((k) => checkKey(def.key, itemOf(k, 'key')));
        if (new Set(keys.map((k) => identity(def, k))).size !== keys.length) throw E.duplicates();
        const out: Item[] = [];
        let units = 0;
        for (const k of keys) {
          const it = await p.items.get(def, k);
          units += readUnits(it ? itemSize(it) : 0, t['ConsistentRead'] === true);
          if (it) out.push(proj ? proj.project(it) : it);
        }
        responses[name] = out;
        const c = capacity(mode, def, { read: units });
        if (c) cc.push(c);
      }
      return { body: { Responses: responses, UnprocessedKeys: {}, ...(mode !== 'NONE' ? { ConsumedCapacity: cc } : {}) } };
    },
    BatchWriteItem: async (r) => {
      const b = body(r);
      const ri = requestItems(b);
      const mode = capacityMode(b);
      const ops: WriteOp[] = [];
      for (const [name, list] of Object.entries(ri)) {
        if (!Array.isArray(list) || list.length < 1 || list.length > 25) {
          throw E.validation(`1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]`);
        }
        const def = await table(r.region, name);
        for (const w of list) {
          const o = obj(w) ?? {};
          const put = obj(o['PutRequest']);
          const del = obj(o['DeleteRequest']);
          if (!!put === !!del) throw E.validation('Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes');
          ops.push(put ? decodeOp('Put', def, { Item: put['Item'] }, false, '') : decodeOp('Delete', def, { Key: del!['Key'] }, false, ''));
        }
      }
      if (ops.length > 25) throw E.validation(`1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]`);
      if (new Set(ops.map((o) => identity(o.def, o.key))).size !== ops.length) throw E.duplicates();
      const units = new Map<TableDef, number>();
      await p.items.tx(ops.map((o) => ({ def: o.def, key: o.key })), async (q) => {
        const changes = [];
        for (const op of ops) {
          const old = await p.items.get(op.def, op.key, q);
          const next = applyOp(op, old);
          if (next) p.items.checkIndexes(op.def, next);
          units.set(op.def, (units.get(op.def) ?? 0) + writeUnits(Math.max(old ? itemSize(old) : 0, next ? itemSize(next) : 0)));
          changes.push({ def: op.def, key: op.key, old, next });
        }
        return { changes, result: undefined };
      });
      const cc = [...units].map(([d, u]) => capacity(mode, d, { write: u })).filter((x) => x);
      return { body: { UnprocessedItems: {}, ...(mode !== 'NONE' ? { ConsumedCapacity: cc } : {}) } };
    },
    TransactGetItems: async (r) => {
      const b = body(r);
      const list = b['TransactItems'];
      if (!Array.isArray(list)) throw E.nullMember('transactItems');
      if (list.length < 1 || list.length > 100) throw E.constraint(`[${list.length} items]`, 'transactItems', `Member must have length ${list.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 100'}`);
      const mode = capacityMode(b);
      const gets: { def: TableDef; key: Item; proj: ReturnType<typeof projectionOf> }[] = [];
      for (const [i, x] of list.entries()) {
        const g = obj(obj(x)?.['Get']);
        if (!g) throw E.nullMember(`transactItems.${i + 1}.member.get`);
        if (typeof g['TableName'] !== 'string') throw E.nullMember(`transactItems.${i + 1}.member.get.tableName`);
        const def = await table(r.region, g['TableName']);
        gets.push({ def, key: checkKey(def.key, itemOf(g['Key'], 'key')), proj: projectionOf(g, true) });
      }
      if (new Set(gets.map((g) => identity(g.def, g.key))).size !== gets.length) throw E.validation('Transaction request cannot include multiple operations on one item');
      const units = new Map<TableDef, number>();
      const responses = await p.items.tx(gets, async (q) => {
        const out = [];
        for (const g of gets) {
          const it = await p.items.get(g.def, g.key, q);
          units.set(g.def, (units.get(g.def) ?? 0) + 2 * readUnits(it ? itemSize(it) : 0, true));
          out.push(it ? { Item: g.proj ? g.proj.project(it) : it } : {});
        }
        return { changes: [], result: out };
      });
      const cc = [...units].map(([d, u]) => capacity(mode, d, { read: u })).filter((x) => x);
      return { body: { Responses: responses, ...(mode !== 'NONE' ? { ConsumedCapacity: cc } : {}) } };
    },
    TransactWriteItems: async (r) => {
      const b = body(r);
      const list = b['TransactItems'];
      if (!Array.isArray(list)) throw E.nullMember('transactItems');
      if (list.length < 1 || list.length > 100) throw E.constraint(`[${list.length} items]`, 'transactItems', `Member must have length ${list.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 100'}`);
      const mode = capacityMode(b);
      enumOf(b, 'ReturnItemCollectionMetrics', 'returnItemCollectionMetrics', ['SIZE', 'NONE'] as const, 'NONE');
      const token = typeof b['ClientRequestToken'] === 'string' ? b['ClientRequestToken'] : undefined;
      const ops: WriteOp[] = [];
      for (const [i, x] of list.entries()) {
        const o = obj(x) ?? {};
        const kinds = (['ConditionCheck', 'Put', 'Delete', 'Update'] as OpKind[]).filter((k) => o[k] !== undefined);
        if (kinds.length !== 1) throw E.validation('TransactItems can only contain one of Check, Put, Update or Delete');
        const kind = kinds[0]!;
        const spec = obj(o[kind]) ?? {};
        const prefix = `transactItems.${i + 1}.member.${kind[0]!.toLowerCase()}${kind.slice(1)}.`;
        if (typeof spec['TableName'] !== 'string') throw E.nullMember(`${prefix}tableName`);
        const def = await table(r.region, spec['TableName']);
        const rof = enumOf(spec, 'ReturnValuesOnConditionCheckFailure', `${prefix}returnValuesOnConditionCheckFailure`, ['ALL_OLD', 'NONE'] as const, 'NONE') === 'ALL_OLD';
        ops.push(decodeOp(kind, def, spec, rof, prefix));
      }
      if (new Set(ops.map((o) => identity(o.def, o.key))).size !== ops.length) throw E.validation('Transaction request cannot include multiple operations on one item');
      const digest = createHash('sha256').update(JSON.stringify({ ...b, ClientRequestToken: undefined })).digest('hex');
      const units = new Map<TableDef, number>();
      await p.items.tx(ops.map((o) => ({ def: o.def, key: o.key })), async (q) => {
        if (token) {
          const now = clock.now();
          await q.run('DELETE FROM ddb_tokens WHERE created < ?', [now - TOKEN_MS]);
          const prev = await q.get<{ digest: string }>('SELECT digest FROM ddb_tokens WHERE token = ?', [token]);
          if (prev) {
            if (prev.digest !== digest) throw E.idempotentMismatch();
            return { changes: [], result: undefined };
          }
          await q.run('INSERT INTO ddb_tokens (token, digest, created) VALUES (?, ?, ?)', [token, digest, now]);
        }
        const reasons: { Code: string; Message?: string; Item?: Item }[] = [];
        const changes = [];
        let failed = false;
        for (const op of ops) {
          const old = await p.items.get(op.def, op.key, q);
          if (!holds(op, old)) {
            failed = true;
            reasons.push({ Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(op.returnOnFailure && old ? { Item: old } : {}) });
            continue;
          }
          try {
            const next = applyOp(op, old);
            if (next) p.items.checkIndexes(op.def, next);
            units.set(op.def, (units.get(op.def) ?? 0) + 2 * writeUnits(Math.max(old ? itemSize(old) : 0, next ? itemSize(next) : 0)));
            if (op.kind !== 'ConditionCheck') changes.push({ def: op.def, key: op.key, old, next });
            reasons.push({ Code: 'None' });
          } catch (e) {
            if (!(e instanceof AwsError) || e.code !== 'ValidationException') throw e;
            failed = true;
            reasons.push({ Code: 'ValidationError', Message: e.message });
          }
        }
        if (failed) throw E.txCancelled(reasons);
        return { changes, result: undefined };
      });
      const cc = [...units].map(([d, u]) => capacity(mode, d, { write: u })).filter((x) => x);
      return { body: { ...(mode !== 'NONE' ? { ConsumedCapacity: cc } : {}) } };
    },
  };
}
