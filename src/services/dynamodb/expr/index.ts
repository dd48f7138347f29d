// DynamoDB's expression languages (condition/filter, key condition, update, projection) and attribute values:
// parsed once per request into typed trees, evaluated deterministically on items. The module API of expr/.
// CONTRACT between the expression helper (owns this folder) and the DynamoDB service: keep these signatures.
//
// A request's flow, in DynamoDB's order of checks: validateExprInput(names, values) → compile* each expression
// (syntax, reserved words, undefined placeholders, operand types) → checkUnused(input, [all compiled]) →
// checkKeyPaths / checkFilterKeys against the table's keys → evaluate (test / apply / project). Errors are
// AwsError('ValidationException') with DynamoDB's wording; the service wraps none of them.
import type { AwsError } from '../../../lib/errors.js';
import { parseCondition } from './condition.js';
import { evaluate } from './evaluate.js';
import { M, validation } from './messages.js';
import { validateValue } from './values.js';

/** One DynamoDB attribute value, exactly as on the wire (N and NS as decimal strings, B and BS as base64). */
export type AttributeValue =
  | { S: string } | { N: string } | { B: string } | { BOOL: boolean } | { NULL: true }
  | { M: Record<string, AttributeValue> } | { L: AttributeValue[] }
  | { SS: string[] } | { NS: string[] } | { BS: string[] };
export type Item = Record<string, AttributeValue>;

/** ExpressionAttributeNames / ExpressionAttributeValues of one request. */
export interface ExprInput {
  readonly names?: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, AttributeValue>>;
}

/** What a compiled expression used, so the request can report unused names/values as DynamoDB does. */
export interface Uses {
  readonly names: ReadonlySet<string>;
  readonly values: ReadonlySet<string>;
  /** (Addition) Top-level attribute names of the expression's document paths. */
  readonly heads?: ReadonlySet<string>;
  /** (Addition) Top-level attribute names that a path reaches into with '.' or '[n]'. */
  readonly nested?: ReadonlySet<string>;
}

export interface Condition extends Uses { test(item: Item | undefined): boolean }
export interface Projection extends Uses { project(item: Item): Item }
export interface Update extends Uses {
  /** Top-level attribute names the update sets or removes (to refuse key attributes and for UPDATED_* returns). */
  readonly touched: ReadonlySet<string>;
  /** The item after the update (a new object; the input is not mutated). Throws ValidationException as DynamoDB. */
  apply(item: Item): Item;
  /**
   * (Addition) The item cut down to the document paths the update targets, for ReturnValues UPDATED_OLD (on the
   * item before) and UPDATED_NEW (on the item after).
   */
  updated?(item: Item): Item;
}
export interface KeyCondition extends Uses {
  readonly hash: AttributeValue;
  readonly range?: { readonly op: '=' | '<' | '<=' | '>' | '>=' | 'BETWEEN' | 'begins_with'; readonly values: readonly AttributeValue[] };
}

export type ConditionKind = 'ConditionExpression' | 'FilterExpression';

// Each compile* throws an AwsError('ValidationException', <DynamoDB's message>, {status: 400}) for a bad expression.
export function compileCondition(text: string, input: ExprInput, kind: ConditionKind): Condition {
  const { tree, names, values, heads, nested } = parseCondition(text, input, kind);
  return { names, values, heads, nested, test: (item) => evaluate(tree, item ?? {}) };
}
export { compileUpdate } from './update.js';
export { compileProjection } from './parser.js';
export { compileKeyCondition, checkFilterKeys, checkKeyPaths } from './key-condition.js';

/** Throws DynamoDB's "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}" (and the names twin). */
export function checkUnused(input: ExprInput, used: readonly Uses[]): void {
  const names = Object.keys(input.names ?? {}).filter((k) => !used.some((u) => u.names.has(k)));
  if (names.length) throw validation(M.unusedNames(names));
  const values = Object.keys(input.values ?? {}).filter((k) => !used.some((u) => u.values.has(k)));
  if (values.length) throw validation(M.unusedValues(values));
}

const NAME_KEY = /^#[0-9A-Za-z_]+$/;
const VALUE_KEY = /^:[0-9A-Za-z_]+$/;

/**
 * Checks ExpressionAttributeNames and ExpressionAttributeValues as DynamoDB does before parsing any expression
 * (non-empty maps, well-formed keys, valid values) and returns the input with values normalised.
 */
export function validateExprInput(input: { names?: unknown; values?: unknown }): ExprInput {
  const out: { names?: Record<string, string>; values?: ExprInput['values'] } = {};
  if (input.names !== undefined && input.names !== null) {
    const names = input.names as Record<string, string>;
    const keys = Object.keys(names);
    if (keys.length === 0) throw validation('ExpressionAttributeNames must not be empty');
    for (const k of keys) if (!NAME_KEY.test(k)) throw validation(`ExpressionAttributeNames contains invalid key: Syntax error; key: "${k}"`);
    out.names = names;
  }
  if (input.values !== undefined && input.values !== null) {
    const values = input.values as Record<string, unknown>;
    const keys = Object.keys(values);
    if (keys.length === 0) throw validation('ExpressionAttributeValues must not be empty');
    for (const k of keys) if (!VALUE_KEY.test(k)) throw validation(`ExpressionAttributeValues contains invalid key: Syntax error; key: "${k}"`);
    out.values = Object.fromEntries(keys.map((k) => [k, validateValue(values[k], k)]));
  }
  return out;
}

/** Validates one wire attribute value (empty sets, bad numbers, several type keys …) with DynamoDB's message. */
export { validateValue } from './values.js';
/** DynamoDB's item size in bytes (names + values, as AWS counts it for the 400 KB limit and ConsumedCapacity). */
export { itemSize } from './values.js';
/** Equality as DynamoDB compares values (numbers numerically, sets unordered). */
export { valuesEqual } from './values.js';
/** Order of two scalar key values of one type (N numerically, S by UTF-8 bytes, B by bytes): <0, 0, >0. */
export { compareKeys } from './values.js';
// Additions beyond the contract.
export { typeOf, checkNumber } from './values.js';
export { resolvePath } from './evaluate.js';
export { addNumbers, compareNumbers } from './decimal.js';
export { isReserved } from './messages.js';
export type { AwsError };
