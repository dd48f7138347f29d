// Evaluation of condition trees on items: document paths, size(), comparisons across types (false, never an error).
import type { AttributeValue, Item } from './index.js';
import type { Cond, Operand, Path } from './parser.js';
import { comparable, compareKeys, typeOf, valuesEqual } from './values.js';

/** The value at a document path, or undefined when any step is missing or of the wrong type. */
export function resolvePath(item: Item, path: Path): AttributeValue | undefined {
  let cur: AttributeValue | undefined = item[path[0] as string];
  for (let i = 1; i < path.length && cur !== undefined; i++) {
    const el = path[i]!;
    if (typeof el === 'number') cur = 'L' in cur ? cur.L[el] : undefined;
    else cur = 'M' in cur ? (Object.prototype.hasOwnProperty.call(cur.M, el) ? cur.M[el] : undefined) : undefined;
  }
  return cur;
}

/** size(): UTF-16 code units of S (as DynamoDB counts them), bytes of B, members of sets, L and M. */
export function sizeOf(v: AttributeValue | undefined): AttributeValue | undefined {
  if (!v) return undefined;
  let n: number;
  if ('S' in v) n = v.S.length;
  else if ('B' in v) n = Buffer.from(v.B, 'base64').length;
  else if ('SS' in v) n = v.SS.length;
  else if ('NS' in v) n = v.NS.length;
  else if ('BS' in v) n = v.BS.length;
  else if ('L' in v) n = v.L.length;
  else if ('M' in v) n = Object.keys(v.M).length;
  else return undefined;
  return { N: String(n) };
}

export function operandValue(o: Operand, item: Item): AttributeValue | undefined {
  switch (o.kind) {
    case 'path':
      return resolvePath(item, o.path);
    case 'value':
      return o.value;
    case 'call':
      return o.name === 'size' ? sizeOf(operandValue(o.args[0]!, item)) : undefined;
  }
}

function bytes(b64: string): Buffer {
  return Buffer.from(b64, 'base64');
}

function beginsWith(v: AttributeValue | undefined, prefix: AttributeValue | undefined): boolean {
  if (!v || !prefix) return false;
  if ('S' in v && 'S' in prefix) return v.S.startsWith(prefix.S);
  if ('B' in v && 'B' in prefix) {
    const a = bytes(v.B);
    const p = bytes(prefix.B);
    return a.length >= p.length && a.subarray(0, p.length).equals(p);
  }
  return false;
}

function contains(v: AttributeValue | undefined, x: AttributeValue | undefined): boolean {
  if (!v || !x) return false;
  if ('S' in v) return 'S' in x && v.S.includes(x.S);
  if ('B' in v) return 'B' in x && bytes(v.B).includes(bytes(x.B));
  if ('SS' in v) return 'S' in x && v.SS.includes(x.S);
  if ('NS' in v) return 'N' in x && v.NS.some((n) => valuesEqual({ N: n }, x));
  if ('BS' in v) return 'B' in x && v.BS.some((b) => valuesEqual({ B: b }, x));
  if ('L' in v) return v.L.some((e) => valuesEqual(e, x));
  return false;
}

function compare(op: string, a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (op === '=') return !!a && !!b && valuesEqual(a, b);
  if (op === '<>') return !a || !b || !valuesEqual(a, b);
  if (!a || !b || !comparable(a, b)) return false;
  const c = compareKeys(a, b);
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    default:
      return c >= 0;
  }
}

function call(name: string, args: readonly Operand[], item: Item): boolean {
  const [a, b] = args;
  switch (name) {
    case 'attribute_exists':
      return operandValue(a!, item) !== undefined;
    case 'attribute_not_exists':
      return operandValue(a!, item) === undefined;
    case 'attribute_type': {
      const v = operandValue(a!, item);
      const t = operandValue(b!, item);
      return !!v && !!t && 'S' in t && typeOf(v) === t.S;
    }
    case 'begins_with':
      return beginsWith(operandValue(a!, item), operandValue(b!, item));
    case 'contains':
      return contains(operandValue(a!, item), operandValue(b!, item));
    default:
      return false;
  }
}

export function evaluate(c: Cond, item: Item): boolean {
  switch (c.kind) {
    case 'or':
      return evaluate(c.left, item) || evaluate(c.right, item);
    case 'and':
      return evaluate(c.left, item) && evaluate(c.right, item);
    case 'not':
      return !evaluate(c.arg, item);
    case 'paren':
      return evaluate(c.inner, item);
    case 'compare':
      return compare(c.op, operandValue(c.left, item), operandValue(c.right, item));
    case 'between': {
      const v = operandValue(c.arg, item);
      return compare('>=', v, operandValue(c.lo, item)) && compare('<=', v, operandValue(c.hi, item));
    }
    case 'in': {
      const v = operandValue(c.arg, item);
      return !!v && c.list.some((o) => compare('=', v, operandValue(o, item)));
    }
    case 'call':
      return call(c.name, c.args, item);
  }
}
