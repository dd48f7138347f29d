// Key condition expressions ("hash = :v [AND range <op> …]") and the other checks of key attributes, with DynamoDB's messages.
import type { AttributeValue, ExprInput, KeyCondition, Uses } from './index.js';
import { parseCondition } from './condition.js';
import { M, validation } from './messages.js';
import type { Cond, Operand } from './parser.js';

type RangeOp = NonNullable<KeyCondition['range']>['op'];
interface One { readonly attr: string; readonly op: RangeOp; readonly values: AttributeValue[] }

const FLIP: Record<string, RangeOp> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
const fail = (m: string) => validation(m);

function unwrap(c: Cond): Cond {
  return c.kind === 'paren' ? unwrap(c.inner) : c;
}

/** The one key attribute of a condition's operands, checked as DynamoDB does. */
function keyOperand(args: readonly Operand[]): { attr: string; at: number } {
  let found: { attr: string; at: number } | undefined;
  args.forEach((a, i) => {
    if (a.kind === 'call') throw fail(M.keyNested);
    if (a.kind !== 'path') return;
    if (found) throw fail(M.keyMultipleNames);
    if (a.path.length > 1) throw fail(M.keyNestedAttr);
    found = { attr: String(a.path[0]), at: i };
  });
  if (!found) throw fail(M.keyNoAttr);
  return found;
}

function values(args: readonly Operand[]): AttributeValue[] {
  return args.filter((a) => a.kind === 'value').map((a) => (a as { value: AttributeValue }).value);
}

function collect(c: Cond, out: One[]): void {
  c = unwrap(c);
  switch (c.kind) {
    case 'and':
      collect(c.left, out);
      collect(c.right, out);
      return;
    case 'or':
    case 'not':
    case 'in':
      throw fail(M.keyOperator(c.kind.toUpperCase()));
    case 'compare': {
      if (c.op === '<>') throw fail(M.keyOperator('<>'));
      const k = keyOperand([c.left, c.right]);
      out.push({ attr: k.attr, op: k.at === 0 ? c.op : FLIP[c.op]!, values: values([c.left, c.right]) });
      return;
    }
    case 'between': {
      if (c.arg.kind !== 'path') throw fail(M.keyFirstOperand('BETWEEN'));
      const k = keyOperand([c.arg, c.lo, c.hi]);
      out.push({ attr: k.attr, op: 'BETWEEN', values: values([c.lo, c.hi]) });
      return;
    }
    case 'call': {
      if (c.name === 'size') throw fail(M.keyNested);
      if (c.name !== 'begins_with') throw fail(M.keyOperator(c.name));
      if (c.args[0]?.kind !== 'path') throw fail(M.keyFirstOperand('begins_with'));
      const k = keyOperand(c.args);
      out.push({ attr: k.attr, op: 'begins_with', values: values(c.args) });
      return;
    }
    case 'paren':
      return;
  }
}

export function compileKeyCondition(text: string, input: ExprInput, key: { hash: string; range?: string }): KeyCondition {
  const parsed = parseCondition(text, input, 'KeyConditionExpression');
  const conds: One[] = [];
  collect(parsed.tree, conds);
  const byAttr = new Map<string, One>();
  for (const c of conds) {
    if (byAttr.has(c.attr)) throw fail(M.keyOnePerKey);
    byAttr.set(c.attr, c);
  }
  const hash = byAttr.get(key.hash);
  if (!key.range && byAttr.size > 1) throw validation(M.keyNotSupported);
  if (!hash) throw validation(M.keyMissed(key.hash));
  if (byAttr.size > 1 && (!key.range || !byAttr.has(key.range))) throw validation(M.keyMissed(key.range ?? key.hash));
  if (byAttr.size > 2) throw validation(M.keyNotSupported);
  if (hash.op !== '=') throw validation(M.keyNotSupported);
  const range = key.range ? byAttr.get(key.range) : undefined;
  return {
    names: parsed.names,
    values: parsed.values,
    heads: parsed.heads,
    nested: parsed.nested,
    hash: hash.values[0]!,
    ...(range ? { range: { op: range.op, values: range.values } } : {}),
  };
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
