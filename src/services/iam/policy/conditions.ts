// The Condition element: every condition operator, `…IfExists`, the ForAnyValue:/ForAllValues: set operators, Null.
//
// Sources: "IAM JSON policy elements: Condition operators" (reference_policies_elements_condition_operators.html):
// a key absent from the request makes a condition false, except that a negated operator (StringNotEquals,
// StringNotLike, NumericNotEquals, DateNotEquals, NotIpAddress, ArnNotEquals, ArnNotLike, StringNotEqualsIgnoreCase)
// is then true, `…IfExists` is true when the key is absent, Null tests presence; ArnEquals and ArnLike behave alike.
// "Conditions with multiple context keys or values" (reference_policies_multi-value-conditions.html): operators AND,
// keys AND, values OR, values of a negated operator NOR. "Set operators for multivalued context keys"
// (reference_policies_condition-single-vs-multi-valued-context-keys.html): ForAnyValue is false for an absent or empty
// key, ForAllValues is true for an absent or empty key. Dates: ISO 8601 or epoch seconds (Date condition operators).
import { arnRegex, globRegex, substitute, tokens, type Context } from './match.js';

type Test = (ctxValue: string, policyValue: string, ctx: Context, variables: boolean) => boolean;

interface Base {
  test: Test;
  negated: boolean;
}

const eq: Test = (c, p, x, v) => substitute(p, x, v) === c;
const eqCi: Test = (c, p, x, v) => substitute(p, x, v)?.toLowerCase() === c.toLowerCase();
const like: Test = (c, p, x, v) => {
  const t = tokens(p, x, v);
  return t !== undefined && globRegex(t, false).test(c);
};
const arnLike: Test = (c, p, x, v) => {
  const t = tokens(p, x, v);
  return t !== undefined && arnRegex(t).test(c);
};
// Policy variables are substituted only for String and ARN operators: "You cannot use a policy variable with the Date
// condition operator" (reference_policies_examples_aws-dates.html; reference_policies_variables.html lists the
// operators that take them), so Numeric, Date, Bool, Binary and IP values are compared as written.
const num = (cmp: (a: number, b: number) => boolean): Test => (c, p) => {
  const pv = p;
  if (pv.trim() === '' || c.trim() === '') return false;
  const a = Number(c);
  const b = Number(pv);
  return !Number.isNaN(a) && !Number.isNaN(b) && cmp(a, b);
};
const date = (cmp: (a: number, b: number) => boolean): Test => (c, p) => {
  const a = parseDate(c);
  const b = parseDate(p);
  return a !== undefined && b !== undefined && cmp(a, b);
};
const bool: Test = (c, p) => {
  const pv = p.toLowerCase();
  return (pv === 'true' || pv === 'false') && c.toLowerCase() === pv;
};
const ip: Test = (c, p) => cidrContains(p, c);
const binary: Test = (c, p) => c === p;

const BASES: Record<string, Base> = {
  StringEquals: { test: eq, negated: false },
  StringNotEquals: { test: eq, negated: true },
  StringEqualsIgnoreCase: { test: eqCi, negated: false },
  StringNotEqualsIgnoreCase: { test: eqCi, negated: true },
  StringLike: { test: like, negated: false },
  StringNotLike: { test: like, negated: true },
  NumericEquals: { test: num((a, b) => a === b), negated: false },
  NumericNotEquals: { test: num((a, b) => a === b), negated: true },
  NumericLessThan: { test: num((a, b) => a < b), negated: false },
  NumericLessThanEquals: { test: num((a, b) => a <= b), negated: false },
  NumericGreaterThan: { test: num((a, b) => a > b), negated: false },
  NumericGreaterThanEquals: { test: num((a, b) => a >= b), negated: false },
  DateEquals: { test: date((a, b) => a === b), negated: false },
  DateNotEquals: { test: date((a, b) => a === b), negated: true },
  DateLessThan: { test: date((a, b) => a < b), negated: false },
  DateLessThanEquals: { test: date((a, b) => a <= b), negated: false },
  DateGreaterThan: { test: date((a, b) => a > b), negated: false },
  DateGreaterThanEquals: { test: date((a, b) => a >= b), negated: false },
  Bool: { test: bool, negated: false },
  BinaryEquals: { test: binary, negated: false },
  IpAddress: { test: ip, negated: false },
  NotIpAddress: { test: ip, negated: true },
  ArnEquals: { test: arnLike, negated: false },
  ArnNotEquals: { test: arnLike, negated: true },
  ArnLike: { test: arnLike, negated: false },
  ArnNotLike: { test: arnLike, negated: true },
};

interface Operator {
  set?: 'any' | 'all';
  base: string;
  ifExists: boolean;
}

function parseOperator(op: string): Operator | undefined {
  let rest = op;
  let set: Operator['set'];
  if (rest.startsWith('ForAnyValue:')) {
    set = 'any';
    rest = rest.slice('ForAnyValue:'.length);
  } else if (rest.startsWith('ForAllValues:')) {
    set = 'all';
    rest = rest.slice('ForAllValues:'.length);
  }
  let ifExists = false;
  if (rest.endsWith('IfExists')) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  if (rest === 'Null') return ifExists ? undefined : { set, base: rest, ifExists };
  if (!(rest in BASES)) return undefined;
  return set === undefined ? { base: rest, ifExists } : { set, base: rest, ifExists };
}

/** Is `op` a condition operator IAM knows (with its optional set prefix and IfExists suffix)? */
export function isKnownOperator(op: string): boolean {
  return parseOperator(op) !== undefined;
}

/** Does a statement's Condition hold for the request context? Operators AND, keys AND, values OR (NOR when negated). */
export function conditionHolds(condition: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>, ctx: Context, variables: boolean): boolean {
  for (const [opName, keys] of Object.entries(condition)) {
    const op = parseOperator(opName);
    if (op === undefined) return false;
    for (const [key, values] of Object.entries(keys)) {
      if (!keyHolds(op, ctx.get(key.toLowerCase()), values, ctx, variables)) return false;
    }
  }
  return true;
}

function keyHolds(op: Operator, present: readonly string[] | undefined, policyValues: readonly string[], ctx: Context, variables: boolean): boolean {
  const absent = present === undefined || present.length === 0;
  if (op.base === 'Null') {
    // Null: "true" asks for the key to be absent, "false" for it to be present.
    return policyValues.some((v) => (v.toLowerCase() === 'true' ? absent : v.toLowerCase() === 'false' ? !absent : false));
  }
  const base = BASES[op.base]!;
  // A policy value whose variable cannot be resolved matches nothing; with none left the key fails.
  const substitutes = op.base.startsWith('String') || op.base.startsWith('Arn');
  const usable = policyValues.filter((p) => !variables || !substitutes || substitute(p, ctx, variables) !== undefined);
  if (usable.length === 0) return false;
  const one = (c: string): boolean => {
    const any = usable.some((p) => base.test(c, p, ctx, variables));
    return base.negated ? !any : any;
  };
  if (absent) {
    if (op.ifExists) return true;
    if (op.set === 'all') return true;
    if (op.set === 'any') return false;
    return base.negated;
  }
  if (op.set === 'all') return present.every(one);
  if (op.set === 'any') return present.some(one);
  // A single-valued operator on a multi-valued key: a match of any value (NOR for a negated operator).
  if (base.negated) return !present.some((c) => usable.some((p) => base.test(c, p, ctx, variables)));
  return present.some(one);
}

/** Milliseconds since the epoch of an ISO 8601 date or an epoch in seconds (AWS accepts both for Date operators). */
function parseDate(s: string): number | undefined {
  const t = s.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Is address `addr` inside `cidr` (IPv4 or IPv6; a bare address is a /32 or /128)? */
export function cidrContains(cidr: string, addr: string): boolean {
  const slash = cidr.indexOf('/');
  const net = parseIp(slash === -1 ? cidr : cidr.slice(0, slash));
  const a = parseIp(addr);
  if (!net || !a || net.bits !== a.bits) return false;
  const prefix = slash === -1 ? net.bits : Number(cidr.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > net.bits) return false;
  const shift = BigInt(net.bits - prefix);
  return net.value >> shift === a.value >> shift;
}

function parseIp(s: string): { value: bigint; bits: number } | undefined {
  const v4 = parseV4(s);
  if (v4 !== undefined) return { value: v4, bits: 32 };
  if (!s.includes(':')) return undefined;
  let text = s;
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = parseV4(text.slice(lastColon + 1));
  if (tail !== undefined) text = `${text.slice(0, lastColon + 1)}${(tail >> 16n).toString(16)}:${(tail & 0xffffn).toString(16)}`;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  return { value, bits: 128 };
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(p));
  }
  return value;
}
