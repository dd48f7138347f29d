// DynamoDB's expression languages (condition/filter, key condition, update, projection) and attribute values:
// parsed once per request into typed trees, evaluated deterministically on items. The module API of expr/.
// CONTRACT between the expression helper (owns this folder) and the DynamoDB service: keep these signatures.
//
// A request's flow, in DynamoDB's order of checks: validateExprInput(names, values) → compile* each expression
// (syntax, reserved words, undefined placeholders, operand types) → checkUnused(input, [all compiled]) →
// checkKeyPaths / checkFilterKeys against the table's keys → evaluate (test / apply / project). Errors are
// AwsError('ValidationException') with DynamoDB's wording; the service wraps none of them.
import type { AwsError } from '../../../lib/errors.js';
import type { Condition, ConditionKind, ExprInput, Uses } from './types.js';
import { parseCondition } from './condition.js';
import { evaluate } from './evaluate.js';
import { M, validation } from './messages.js';

export type { AttributeValue, Item, ExprInput, Uses, Condition, Projection, Update, KeyCondition, ConditionKind } from './types.js';

// Each compile* throws an AwsError('ValidationException', <DynamoDB's message>, {status: 400}) for a bad expression.
export function compileCondition(text: string, input: ExprInput, kind: ConditionKind): Condition {
  const { tree, names, values, heads, nested } = parseCondition(text, input, kind);
  return { names, values, heads, nested, test: (item) => evaluate(tree, item ?? {}) };
}
export { compileUpdate } from './update.js';
export { compileProjection } from './projection.js';
export { compileKeyCondition } from './key-condition.js';

/** Throws DynamoDB's "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}" (and the names twin). */
export function checkUnused(input: ExprInput, used: readonly Uses[]): void {
  const names = Object.keys(input.names ?? {}).filter((k) => !used.some((u) => u.names.has(k)));
  if (names.length) throw validation(M.unusedNames(names));
  const values = Object.keys(input.values ?? {}).filter((k) => !used.some((u) => u.values.has(k)));
  if (values.length) throw validation(M.unusedValues(values));
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
export { isReserved } from './reserved.js';
export type { AwsError };
export { validateExprInput, checkFilterKeys, checkKeyPaths } from './checks.js';
