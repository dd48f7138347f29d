// DynamoDB's expression languages (condition/filter, key condition, update, projection) and attribute values:
// parsed once per request into typed trees, evaluated deterministically on items. The module API of expr/.
// CONTRACT between the expression helper (owns this folder) and the DynamoDB service: keep these signatures.
import type { AwsError } from '../../../lib/errors.js';

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
export interface Uses { readonly names: ReadonlySet<string>; readonly values: ReadonlySet<string> }

export interface Condition extends Uses { test(item: Item | undefined): boolean }
export interface Projection extends Uses { project(item: Item): Item }
export interface Update extends Uses {
  /** Top-level attribute names the update sets or removes (to refuse key attributes and for UPDATED_* returns). */
  readonly touched: ReadonlySet<string>;
  /** The item after the update (a new object; the input is not mutated). Throws ValidationException as DynamoDB. */
  apply(item: Item): Item;
}
export interface KeyCondition extends Uses {
  readonly hash: AttributeValue;
  readonly range?: { readonly op: '=' | '<' | '<=' | '>' | '>=' | 'BETWEEN' | 'begins_with'; readonly values: readonly AttributeValue[] };
}

export type ConditionKind = 'ConditionExpression' | 'FilterExpression';

// Each compile* throws an AwsError('ValidationException', <DynamoDB's message>, {status: 400}) for a bad expression.
export declare function compileCondition(text: string, input: ExprInput, kind: ConditionKind): Condition;
export declare function compileUpdate(text: string, input: ExprInput): Update;
export declare function compileProjection(text: string, names: ExprInput['names']): Projection;
export declare function compileKeyCondition(text: string, input: ExprInput, key: { hash: string; range?: string }): KeyCondition;
/** Throws DynamoDB's "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}" (and the names twin). */
export declare function checkUnused(input: ExprInput, used: readonly Uses[]): void;

/** Validates one wire attribute value (empty sets, bad numbers, several type keys …) with DynamoDB's message. */
export declare function validateValue(v: unknown, where: string): AttributeValue;
/** DynamoDB's item size in bytes (names + values, as AWS counts it for the 400 KB limit and ConsumedCapacity). */
export declare function itemSize(item: Item): number;
/** Equality as DynamoDB compares values (numbers numerically, sets unordered). */
export declare function valuesEqual(a: AttributeValue, b: AttributeValue): boolean;
/** Order of two scalar key values of one type (N numerically, S by UTF-8 bytes, B by bytes): <0, 0, >0. */
export declare function compareKeys(a: AttributeValue, b: AttributeValue): number;
export type { AwsError };
