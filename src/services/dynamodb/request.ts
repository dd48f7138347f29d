// Request decoding shared by the item operations: bodies, items and keys, expression inputs, return options and
// the ConsumedCapacity DynamoDB reports.
import { AwsError } from '../../lib/errors.js';
import { parseJsonObject, type JsonObject } from '../../lib/validate.js';
import type { ApiRequest } from '../../server/types.js';
import { validateValue, itemSize, type AttributeValue, type ExprInput, type Item } from './expr/index.js';
import * as E from './errors.js';
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
