// One item write or check decoded from a request and applied to the item's current value (conditions, updates, key
// and size rules), and the single-item operations PutItem, GetItem, UpdateItem, DeleteItem.
import type { Handler } from '../../server/types.js';
import * as E from './errors.js';
import { checkUnused, compileCondition, compileUpdate, type Condition, type Item, type Update, type Uses, compileProjection, itemSize, type Projection } from './expr/index.js';
import type { Items } from './items.js';
import { checkItemKey, checkKey, keyOf } from './keys.js';
import { checkSize, exprInput, legacyToExpressions, mapOf, noExpressions, type Body, body, capacity, capacityMode, readUnits, returnOnFailure, returnValues, tableName, writeUnits } from './request.js';
import type { TableDef } from './table-def.js';
import type { Tables } from './tables.js';

export type OpKind = 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
export interface WriteOp {
  readonly kind: OpKind;
  readonly def: TableDef;
  readonly key: Item;
  readonly item?: Item;
  readonly update?: Update;
  readonly cond?: Condition;
  readonly returnOnFailure: boolean;
}

/** Decodes one write against its table (b holds Item or Key, the expressions and their names and values). */
export function decodeOp(kind: OpKind, def: TableDef, b: Body, returnOnFailure: boolean, prefix = ''): WriteOp {
  const input = exprInput(b);
  const used: Uses[] = [];
  noExpressions(b, ['ConditionExpression', 'UpdateExpression']);
  let cond: Condition | undefined;
  if (typeof b['ConditionExpression'] === 'string') used.push((cond = compileCondition(b['ConditionExpression'], input, 'ConditionExpression')));
  else if (kind === 'ConditionCheck') throw E.nullMember(`${prefix}conditionExpression`);
  let update: Update | undefined;
  if (kind === 'Update' && typeof b['UpdateExpression'] === 'string') used.push((update = compileUpdate(b['UpdateExpression'], input)));
  else if (kind === 'Update' && prefix && b['UpdateExpression'] === undefined) throw E.nullMember(`${prefix}updateExpression`);
  checkUnused(input, used);
  if (kind === 'Put') {
    const item = mapOf(b, 'Item', `${prefix}item`);
    checkItemKey(def.key, item);
    checkSize(item);
    return { kind, def, key: keyOf(def.key, item), item, ...(cond ? { cond } : {}), returnOnFailure };
  }
  const key = checkKey(def.key, mapOf(b, 'Key', `${prefix}key`));
  if (update) {
    for (const k of [def.key.hash, def.key.range]) {
      if (k && update.touched.has(k)) throw E.invalid(`Cannot update attribute ${k}. This attribute is part of the key`);
    }
  }
  return { kind, def, key, ...(update ? { update } : {}), ...(cond ? { cond } : {}), returnOnFailure };
}

/** Whether the op's condition holds on the current item. */
export const holds = (op: WriteOp, old: Item | undefined): boolean => !op.cond || op.cond.test(old);

/** The item after the op (undefined: deleted or absent). ConditionCheck leaves it as it is. */
export function applyOp(op: WriteOp, old: Item | undefined): Item | undefined {
  switch (op.kind) {
    case 'Put':
      return op.item;
    case 'Delete':
      return undefined;
    case 'ConditionCheck':
      return old;
    case 'Update': {
      const base = old ?? { ...op.key };
      const next = op.update ? op.update.apply(base) : base;
      checkSize(next);
      return next;
    }
  }
}

/** What ReturnValues asks for, from the item before and after. */
export function returned(rv: string, old: Item | undefined, next: Item | undefined, touched?: ReadonlySet<string>, cut?: (item: Item) => Item): Item | undefined {
  const pick = (it: Item | undefined): Item | undefined => {
    if (!it || !touched) return undefined;
    if (cut) {
      const c = cut(it);
      return Object.keys(c).length ? c : undefined;
    }
    const out: Item = {};
    for (const n of touched) if (it[n]) out[n] = it[n]!;
    return Object.keys(out).length ? out : undefined;
  };
  switch (rv) {
    case 'ALL_OLD': return old;
    case 'ALL_NEW': return next;
    case 'UPDATED_OLD': return pick(old);
    case 'UPDATED_NEW': return pick(next);
    default: return undefined;
  }
}

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
