// DynamoDB's ValidationException wording for expressions and attribute values, in one place.
import { AwsError } from '../../../lib/errors.js';

/** Which request member an expression came from: the prefix of DynamoDB's "Invalid <kind>: …" messages. */
export type ExprKind = 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression' | 'UpdateExpression' | 'ProjectionExpression';

export function validation(message: string): AwsError {
  return new AwsError('ValidationException', message, { status: 400 });
}

/** "Invalid UpdateExpression: <detail>". */
export function invalid(kind: ExprKind, detail: string): AwsError {
  return validation(`Invalid ${kind}: ${detail}`);
}

/** A document path as DynamoDB prints it in overlap messages: [a, b, [2], c]. */
export function pathText(path: readonly (string | number)[]): string {
  return `[${path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join(', ')}]`;
}

export const M = {
  empty: 'The expression can not be empty;',
  syntax: (token: string, near: string) => `Syntax error; token: "${token}", near: "${near}"`,
  reserved: (word: string) => `Attribute name is a reserved keyword; reserved keyword: ${word}`,
  nameUndefined: (name: string) => `An expression attribute name used in the document path is not defined; attribute name: ${name}`,
  valueUndefined: (name: string) => `An expression attribute value used in expression is not defined; attribute value: ${name}`,
  unknownFunction: (name: string) => `Invalid function name; function: ${name}`,
  operandCount: (name: string, n: number) => `Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${n}`,
  needsPath: (name: string) => `Operator or function requires a document path; operator or function: ${name}`,
  operandType: (name: string, type: string) => `Incorrect operand type for operator or function; operator or function: ${name}, operand type: ${type}`,
  clauseOperandType: (op: string, type: string) => `Incorrect operand type for operator or function; operator: ${op}, operand type: ${type}`,
  badTypeName: (t: string) => `Invalid attribute type name found; type: ${t}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`,
  redundantParens: 'The expression has redundant parentheses;',
  misused: (name: string) => `The function is not allowed to be used this way in an expression; function: ${name}`,
  distinct: (op: string, path: string) =>
    `The first operand must be distinct from the remaining operands for this operator or function; operator: ${op}, first operand: ${path}`,
  betweenTypes: (lo: string, hi: string) =>
    `The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: ${lo}, upper bound operand: AttributeValue: ${hi}`,
  betweenOrder: (lo: string, hi: string) =>
    `The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: ${lo}, upper bound operand: AttributeValue: ${hi}`,
  inTooMany: (n: number) => `The IN operator is provided with too many operands; number of operands: ${n}`,
  tooManyOperators: (n: number) => `The expression contains too many operators; operator count: ${n}`,
  tooLong: 'Expression size has exceeded the maximum allowed size',
  section: (s: string) => `The "${s}" section can only be used once in an update expression;`,
  overlap: (a: string, b: string) => `Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${a}, path two: ${b}`,
  conflict: (a: string, b: string) => `Two document paths conflict with each other; must remove or rewrite one of these paths; path one: ${a}, path two: ${b}`,
  // Raised while applying an update to an item (no "Invalid UpdateExpression:" prefix).
  invalidForUpdate: 'The document path provided in the update expression is invalid for update',
  wrongOperandType: 'An operand in the update expression has an incorrect data type',
  missingAttribute: 'The provided expression refers to an attribute that does not exist in the item',
  // Key conditions.
  keyOperator: (op: string) => `Invalid operator used in KeyConditionExpression: ${op}`,
  keyNested: 'KeyConditionExpressions cannot contain nested operations',
  keyFirstOperand: (op: string) => `Invalid condition in KeyConditionExpression: ${op} operator must have the key attribute as its first operand`,
  keyMultipleNames: 'Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition',
  keyNestedAttr: 'KeyConditionExpressions cannot have conditions on nested attributes',
  keyNoAttr: 'Invalid condition in KeyConditionExpression: No key attribute specified',
  keyOnePerKey: 'KeyConditionExpressions must only contain one condition per key',
  keyMissed: (name: string) => `Query condition missed key schema element: ${name}`,
  keyNotSupported: 'Query key condition not supported',
  unusedValues: (keys: readonly string[]) => `Value provided in ExpressionAttributeValues unused in expressions: keys: {${keys.join(', ')}}`,
  unusedNames: (keys: readonly string[]) => `Value provided in ExpressionAttributeNames unused in expressions: keys: {${keys.join(', ')}}`,
} as const;
