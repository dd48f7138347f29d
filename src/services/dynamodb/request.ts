// Request decoding shared by the item operations (bodies, items and keys, expression inputs, return options,
// ConsumedCapacity), and the legacy parameters rewritten into expressions.
import { AwsError } from '../../lib/errors.js';
import { parseJsonObject, type JsonObject } from '../../lib/validate.js';
import type { ApiRequest } from '../../server/types.js';
import * as E from './errors.js';
import { validateValue, itemSize, type AttributeValue, type ExprInput, type Item } from './expr/index.js';
import type { TableDef } from './table-def.js';

export type Body = JsonObject;
export const body = (r: ApiRequest): Body => parseJsonObject(r.body);
export const MAX_ITEM = 400 * 1024;

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** An Item or Key member: a map of valid attribute values. */
export function itemOf(v: unknown, member: string): Item {
  if (v === undefined || v === null) throw E.nullMember(member);
  if (!isObj(v)) throw new AwsError('SerializationException', 'Start of structure or map found where not expected.', { status: 400 });
  const out: Item = {};
  for (const [k, x] of Object.entries(v)) out[k] = validateValue(x, k);
  return out;
}

/** A map member that must be an object (Key, Item …), as the deserialiser demands. */
export function mapOf(b: Body, k: string, member: string): Item {
  const v = b[k];
  if (v === undefined || v === null) throw E.nullMember(member);
  if (!isObj(v)) throw E.validation(`1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must be a map`);
  return itemOf(v, member);
}

export function tableName(b: Body): string {
  const v = b['TableName'];
  if (typeof v !== 'string') throw E.nullMember('tableName');
  if (v.length < 1) throw E.constraint(v, 'tableName', 'Member must have length greater than or equal to 1');
  return v;
}

/** ExpressionAttributeNames and ExpressionAttributeValues, checked as DynamoDB checks them. */
export function exprInput(b: Body): ExprInput {
  const n = b['ExpressionAttributeNames'];
  const v = b['ExpressionAttributeValues'];
  const out: { names?: Record<string, string>; values?: Record<string, AttributeValue> } = {};
  if (n !== undefined) {
    if (!isObj(n)) throw E.validation('ExpressionAttributeNames must be a map');
    if (!Object.keys(n).length) throw E.validation('ExpressionAttributeNames must not be empty');
    out.names = {};
    for (const [k, x] of Object.entries(n)) {
      if (typeof x !== 'string') throw E.validation('ExpressionAttributeNames contains invalid value');
      out.names[k] = x;
    }
  }
  if (v !== undefined) {
    if (!isObj(v)) throw E.validation('ExpressionAttributeValues must be a map');
    if (!Object.keys(v).length) throw E.validation('ExpressionAttributeValues must not be empty');
    out.values = {};
    for (const [k, x] of Object.entries(v)) out.values[k] = validateValue(x, k);
  }
  return out;
}

/** Refuses names/values given without any expression that could use them. */
export function noExpressions(b: Body, present: string[]): void {
  if (present.some((p) => typeof b[p] === 'string')) return;
  if (b['ExpressionAttributeNames'] !== undefined) throw E.validation(`ExpressionAttributeNames can only be specified when using expressions`);
  if (b['ExpressionAttributeValues'] !== undefined) throw E.validation(`ExpressionAttributeValues can only be specified when using expressions`);
}

export function enumOf<T extends string>(b: Body, k: string, member: string, allowed: readonly T[], dflt: T): T {
  const v = b[k];
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !allowed.includes(v as T)) throw E.constraint(String(v), member, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
  return v as T;
}

export const RETURN_VALUES = ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'] as const;
export type ReturnValues = (typeof RETURN_VALUES)[number];
export const returnValues = (b: Body): ReturnValues => enumOf(b, 'ReturnValues', 'returnValues', RETURN_VALUES, 'NONE');
export const returnOnFailure = (b: Body): boolean => enumOf(b, 'ReturnValuesOnConditionCheckFailure', 'returnValuesOnConditionCheckFailure', ['ALL_OLD', 'NONE'] as const, 'NONE') === 'ALL_OLD';

export function checkSize(item: Item): void {
  if (itemSize(item) > MAX_ITEM) throw E.tooBig();
}

/** ConsumedCapacity for one table, as DynamoDB reports it for TOTAL and INDEXES. */
export type CapacityMode = 'NONE' | 'TOTAL' | 'INDEXES';
export const capacityMode = (b: Body): CapacityMode => enumOf(b, 'ReturnConsumedCapacity', 'returnConsumedCapacity', ['INDEXES', 'TOTAL', 'NONE'] as const, 'NONE');
export function capacity(mode: CapacityMode, def: TableDef | string, units: { read?: number; write?: number }): Record<string, unknown> | undefined {
  if (mode === 'NONE') return undefined;
  const cu = (units.read ?? 0) + (units.write ?? 0);
  const parts = { ...(units.read !== undefined ? { ReadCapacityUnits: units.read } : {}), ...(units.write !== undefined ? { WriteCapacityUnits: units.write } : {}) };
  return { TableName: typeof def === 'string' ? def : def.name, CapacityUnits: cu, ...parts, ...(mode === 'INDEXES' ? { Table: { CapacityUnits: cu, ...parts } } : {}) };
}
export const writeUnits = (size: number): number => Math.max(1, Math.ceil(size / 1024));
export const readUnits = (size: number, consistent: boolean): number => Math.max(1, Math.ceil(size / 4096)) * (consistent ? 1 : 0.5);

const obj = (v: unknown): JsonObject | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined);
const PAIRS: [legacy: string, expression: string][] = [
  ['Expected', 'ConditionExpression'], ['KeyConditions', 'KeyConditionExpression'], ['QueryFilter', 'FilterExpression'],
  ['ScanFilter', 'FilterExpression'], ['AttributeUpdates', 'UpdateExpression'],
];
const COMPARE: Record<string, string> = { EQ: '=', NE: '<>', LE: '<=', LT: '<', GE: '>=', GT: '>' };
const ARITY: Record<string, number> = { EQ: 1, NE: 1, LE: 1, LT: 1, GE: 1, GT: 1, NOT_NULL: 0, NULL: 0, CONTAINS: 1, NOT_CONTAINS: 1, BEGINS_WITH: 1, BETWEEN: 2 };

class Builder {
  names: Record<string, string> = {};
  values: Record<string, unknown> = {};
  private n = 0;
  name(a: string): string {
    const k = `#lg${this.n++}`;
    this.names[k] = a;
    return k;
  }
  value(v: unknown): string {
    const k = `:lg${this.n++}`;
    this.values[k] = v;
    return k;
  }
  /** One attribute's condition: ComparisonOperator with AttributeValueList, or Expected's Value/Exists. */
  condition(attr: string, c: JsonObject): string {
    const a = this.name(attr);
    const op = c['ComparisonOperator'];
    if (op === undefined) {
      if (c['Exists'] === false) {
        if (c['Value'] !== undefined) throw E.validation('One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: ' + attr);
        return `attribute_not_exists(${a})`;
      }
      if (c['Value'] === undefined) throw E.validation('One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: ' + attr);
      return `${a} = ${this.value(c['Value'])}`;
    }
    const list = Array.isArray(c['AttributeValueList']) ? c['AttributeValueList'] : c['Value'] !== undefined ? [c['Value']] : [];
    if (typeof op !== 'string' || (op !== 'IN' && ARITY[op] === undefined)) throw E.constraint(String(op), 'comparisonOperator', 'Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]');
    if (op !== 'IN' ? list.length !== ARITY[op] : list.length < 1) throw E.validation(`One or more parameter values were invalid: Invalid number of argument(s) for the ${op} ComparisonOperator`);
    const v = list.map((x) => this.value(x));
    if (COMPARE[op]) return `${a} ${COMPARE[op]} ${v[0]}`;
    switch (op) {
      case 'NOT_NULL': return `attribute_exists(${a})`;
      case 'NULL': return `attribute_not_exists(${a})`;
      case 'CONTAINS': return `contains(${a}, ${v[0]})`;
      case 'NOT_CONTAINS': return `NOT contains(${a}, ${v[0]})`;
      case 'BEGINS_WITH': return `begins_with(${a}, ${v[0]})`;
      case 'BETWEEN': return `${a} BETWEEN ${v[0]} AND ${v[1]}`;
      default: return `${a} IN (${v.join(', ')})`;
    }
  }
}

/** The request with its legacy parameters turned into expressions (unchanged when it has none). */
export function legacyToExpressions(b: JsonObject): JsonObject {
  const used = PAIRS.filter(([l]) => b[l] !== undefined);
  if (!used.length) return b;
  const exprs = ['ConditionExpression', 'KeyConditionExpression', 'FilterExpression', 'UpdateExpression', 'ProjectionExpression'].filter((k) => b[k] !== undefined);
  if (exprs.length) {
    throw E.validation(`Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {${used.map(([l]) => l).join(', ')}} Expression parameters: {${exprs.join(', ')}}`);
  }
  if (b['ExpressionAttributeNames'] !== undefined || b['ExpressionAttributeValues'] !== undefined) {
    throw E.validation('ExpressionAttributeNames and ExpressionAttributeValues can only be specified when using expressions');
  }
  const out: JsonObject = { ...b };
  const bld = new Builder();
  const joiner = b['ConditionalOperator'] === 'OR' ? ' OR ' : ' AND ';
  for (const [l, x] of used) {
    const m = obj(b[l]) ?? {};
    delete out[l];
    if (l === 'AttributeUpdates') {
      const set: string[] = [];
      const remove: string[] = [];
      const add: string[] = [];
      const del: string[] = [];
      for (const [attr, u] of Object.entries(m)) {
        const o = obj(u) ?? {};
        const action = o['Action'] ?? 'PUT';
        const a = bld.name(attr);
        if (action === 'PUT') set.push(`${a} = ${bld.value(o['Value'])}`);
        else if (action === 'ADD') add.push(`${a} ${bld.value(o['Value'])}`);
        else if (action === 'DELETE') (o['Value'] === undefined ? remove.push(a) : del.push(`${a} ${bld.value(o['Value'])}`));
        else throw E.constraint(String(action), 'attributeUpdates.action', 'Member must satisfy enum value set: [ADD, PUT, DELETE]');
      }
      const parts = [set.length ? `SET ${set.join(', ')}` : '', remove.length ? `REMOVE ${remove.join(', ')}` : '', add.length ? `ADD ${add.join(', ')}` : '', del.length ? `DELETE ${del.join(', ')}` : ''].filter(Boolean);
      if (parts.length) out[x] = parts.join(' ');
      continue;
    }
    const conds = Object.entries(m).map(([attr, c]) => bld.condition(attr, obj(c) ?? {}));
    if (conds.length) out[x] = conds.join(l === 'KeyConditions' ? ' AND ' : joiner);
  }
  if (Object.keys(bld.names).length) out['ExpressionAttributeNames'] = bld.names;
  if (Object.keys(bld.values).length) out['ExpressionAttributeValues'] = bld.values;
  delete out['ConditionalOperator'];
  return out;
}
