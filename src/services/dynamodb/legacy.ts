// DynamoDB's legacy parameters (Expected, KeyConditions, QueryFilter, ScanFilter, AttributeUpdates,
// ConditionalOperator) rewritten into the equivalent expressions, so one evaluator serves both forms.
import type { JsonObject } from '../../lib/validate.js';
import * as E from './errors.js';

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
