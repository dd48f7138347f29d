// Request-level checks around expressions, with DynamoDB's messages: placeholder maps, key attributes in filters and paths.
import type { ExprInput, Uses } from './types.js';
import { validation } from './messages.js';
import { validateValue } from './values.js';

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

/** A Query's FilterExpression may not name the table's key attributes (hash or range of the table or index queried). */
export function checkFilterKeys(filter: Uses, keyAttributes: readonly string[]): void {
  for (const k of keyAttributes) {
    if (filter.heads?.has(k)) throw validation(`Filter Expression can only contain non-primary key attributes: Primary key attribute: ${k}`);
  }
}

/** Key attributes are scalars: no expression may reach into them with '.' or '[]'. */
export function checkKeyPaths(used: Uses, tableKey: readonly string[], indexKeys: readonly string[] = []): void {
  const bad = "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed";
  for (const k of tableKey) if (used.nested?.has(k)) throw validation(`${bad}: Key: ${k}`);
  for (const k of indexKeys) if (used.nested?.has(k)) throw validation(`${bad}: IndexKey: ${k}`);
}
