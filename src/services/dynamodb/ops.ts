// One item write or check, decoded from a request (PutItem, UpdateItem, DeleteItem, or a TransactWriteItems entry)
// and applied to the item's current value: conditions, update expressions, key and size rules.
import { checkUnused, compileCondition, compileUpdate, type Condition, type Item, type Update, type Uses } from './expr/index.js';
import * as E from './errors.js';
import { checkItemKey, checkKey, keyOf } from './keys.js';
import { checkSize, exprInput, mapOf, noExpressions, type Body } from './request.js';
import type { TableDef } from './table-def.js';

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
