// The single-item operations: PutItem, GetItem, UpdateItem, DeleteItem.
import type { Handler } from '../../server/types.js';
import { checkUnused, compileProjection, itemSize, type Item, type Projection } from './expr/index.js';
import * as E from './errors.js';
import type { Items } from './items.js';
import { checkKey } from './keys.js';
import { legacyToExpressions } from './legacy.js';
import { applyOp, decodeOp, holds, returned, type OpKind } from './ops.js';
import { body, capacity, capacityMode, mapOf, readUnits, returnOnFailure, returnValues, tableName, writeUnits, type Body } from './request.js';
import type { TableDef } from './table-def.js';
import type { Tables } from './tables.js';

export interface DdbParts { readonly tables: Tables; readonly items: Items }

/** ProjectionExpression (or legacy AttributesToGet) of a read, if any. */
export function projectionOf(b: Body, only = false): Projection | undefined {
  if (only && typeof b['ProjectionExpression'] !== 'string' && b['ExpressionAttributeNames'] !== undefined) {
    throw E.validation('ExpressionAttributeNames can only be specified when using expressions');
  }
  const input = { ...(b['ExpressionAttributeNames'] ? { names: b['ExpressionAttributeNames'] as Record<string, string> } : {}) };
  if (typeof b['ProjectionExpression'] === 'string') {
    if (b['AttributesToGet'] !== undefined) {
      throw E.validation('Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}');
    }
    const p = compileProjection(b['ProjectionExpression'], input.names);
    checkUnused(input, [p]);
    return p;
  }
  if (Array.isArray(b['AttributesToGet'])) {
    const names = new Set(b['AttributesToGet'] as string[]);
    return { names: new Set(), values: new Set(), project: (it: Item) => Object.fromEntries(Object.entries(it).filter(([k]) => names.has(k))) };
  }
  return undefined;
}

/** Writes one item under its lock: the condition is checked on the stored item inside the transaction. */
export async function writeOne(p: DdbParts, def: TableDef, kind: OpKind, b: Body): Promise<{ old: Item | undefined; next: Item | undefined; touched?: ReadonlySet<string>; cut?: (item: Item) => Item }> {
  const op = decodeOp(kind, def, b, returnOnFailure(b));
  return p.items.tx([{ def, key: op.key }], async (q) => {
    const old = await p.items.get(def, op.key, q);
    if (!holds(op, old)) throw E.conditionFailed(op.returnOnFailure && old ? old : undefined);
    const next = applyOp(op, old);
    if (next) p.items.checkIndexes(def, next);
    return { changes: [{ def, key: op.key, old, next }], result: { old, next, ...(op.update ? { touched: op.update.touched } : {}), ...(op.update?.updated ? { cut: op.update.updated.bind(op.update) } : {}) } };
  });
}

export function itemRoutes(p: DdbParts): Record<string, Handler> {
  const write = (kind: OpKind, allowed: readonly string[]): Handler => async (r) => {
    const b = legacyToExpressions(body(r));
    const name = tableName(b);
    const rv = returnValues(b);
    if (!allowed.includes(rv)) throw E.validation('ReturnValues can only be ALL_OLD or NONE');
    const mode = capacityMode(b);
    const def = await p.tables.forItems(r.region, name);
    const res = await writeOne(p, def, kind, b);
    const attrs = returned(rv, res.old, res.next, res.touched, res.cut);
    const size = Math.max(res.old ? itemSize(res.old) : 0, res.next ? itemSize(res.next) : 0);
    const cc = capacity(mode, def, { write: writeUnits(size) });
    return { body: { ...(attrs ? { Attributes: attrs } : {}), ...(cc ? { ConsumedCapacity: cc } : {}) } };
  };
  return {
    PutItem: write('Put', ['NONE', 'ALL_OLD']),
    DeleteItem: write('Delete', ['NONE', 'ALL_OLD']),
    UpdateItem: write('Update', ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW']),
    GetItem: async (r) => {
      const b = body(r);
      const name = tableName(b);
      const mode = capacityMode(b);
      const proj = projectionOf(b, true);
      const def = await p.tables.forItems(r.region, name);
      const key = checkKey(def.key, mapOf(b, 'Key', 'key'));
      const item = await p.items.get(def, key);
      const cc = capacity(mode, def, { read: readUnits(item ? itemSize(item) : 0, b['ConsistentRead'] === true) });
      return { body: { ...(item ? { Item: proj ? proj.project(item) : item } : {}), ...(cc ? { ConsumedCapacity: cc } : {}) } };
    },
  };
}
