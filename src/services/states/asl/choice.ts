// Choice rules in JSONPath mode: the comparison operators, Is* tests, StringMatches and And/Or/Not.
import { queryPath, StatesError, type Json, type PathScope } from './paths.js';

export const COMPARATORS = [
  'StringEquals', 'StringLessThan', 'StringGreaterThan', 'StringLessThanEquals', 'StringGreaterThanEquals', 'StringMatches',
  'NumericEquals', 'NumericLessThan', 'NumericGreaterThan', 'NumericLessThanEquals', 'NumericGreaterThanEquals',
  'BooleanEquals', 'TimestampEquals', 'TimestampLessThan', 'TimestampGreaterThan', 'TimestampLessThanEquals', 'TimestampGreaterThanEquals',
  'IsNull', 'IsPresent', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp',
];
const PATH_OPS = COMPARATORS.filter((c) => !c.startsWith('Is') && c !== 'StringMatches').map((c) => `${c}Path`);
export const ALL_OPERATORS = new Set([...COMPARATORS, ...PATH_OPS]);

const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
export const isTimestamp = (v: unknown): v is string => typeof v === 'string' && TS.test(v) && !Number.isNaN(Date.parse(v));

/** Timestamps compare with sub-millisecond precision kept as a string tiebreak. */
function tsKey(s: string): number {
  return Date.parse(s);
}

export function matchesWildcard(value: string, pattern: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      re += pattern[i + 1]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    } else if (c === '*') re += '.*';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(re + '$', 's').test(value);
}

type Rule = Record<string, Json>;

export function evalRule(rule: Rule, scope: PathScope): boolean {
  if (Array.isArray(rule['And'])) return (rule['And'] as Rule[]).every((r) => evalRule(r, scope));
  if (Array.isArray(rule['Or'])) return (rule['Or'] as Rule[]).some((r) => evalRule(r, scope));
  if (rule['Not'] && typeof rule['Not'] === 'object') return !evalRule(rule['Not'] as Rule, scope);
  const variable = rule['Variable'] as string;
  const op = Object.keys(rule).find((k) => ALL_OPERATORS.has(k));
  if (!op) return false;
  const v = queryPath(variable, scope);
  let expected = rule[op];
  const base = op.endsWith('Path') ? op.slice(0, -4) : op;
  if (op.endsWith('Path')) {
    expected = queryPath(expected as string, scope) as Json;
    if (expected === undefined)
      throw new StatesError('States.Runtime', `An error occurred while executing the state '{state}' (entered at the event id #{event}). Invalid path '${rule[op] as string}': The choice state's condition path references an invalid value.`);
  }
  if (base === 'IsPresent') return (v !== undefined) === expected;
  if (v === undefined) {
    if (base.startsWith('Is')) return false;
    throw new StatesError('States.Runtime', `An error occurred while executing the state '{state}' (entered at the event id #{event}). Invalid path '${variable}': The choice state's condition path references an invalid value.`);
  }
  switch (base) {
    case 'IsNull': return (v === null) === expected;
    case 'IsNumeric': return (typeof v === 'number') === expected;
    case 'IsString': return (typeof v === 'string') === expected;
    case 'IsBoolean': return (typeof v === 'boolean') === expected;
    case 'IsTimestamp': return isTimestamp(v) === expected;
    case 'StringMatches': return typeof v === 'string' && matchesWildcard(v, expected as string);
    case 'BooleanEquals': return typeof v === 'boolean' && v === expected;
  }
  if (base.startsWith('String')) {
    if (typeof v !== 'string' || typeof expected !== 'string') return false;
    return cmp(base.slice(6), v < expected ? -1 : v > expected ? 1 : 0);
  }
  if (base.startsWith('Numeric')) {
    if (typeof v !== 'number' || typeof expected !== 'number') return false;
    return cmp(base.slice(7), v < expected ? -1 : v > expected ? 1 : 0);
  }
  if (base.startsWith('Timestamp')) {
    if (!isTimestamp(v) || !isTimestamp(expected)) return false;
    const a = tsKey(v);
    const b = tsKey(expected);
    return cmp(base.slice(9), a < b ? -1 : a > b ? 1 : 0);
  }
  return false;
}

function cmp(kind: string, c: number): boolean {
  switch (kind) {
    case 'Equals': return c === 0;
    case 'LessThan': return c < 0;
    case 'GreaterThan': return c > 0;
    case 'LessThanEquals': return c <= 0;
    case 'GreaterThanEquals': return c >= 0;
  }
  return false;
}
