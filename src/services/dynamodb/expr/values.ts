// DynamoDB attribute values: wire validation with DynamoDB's messages, item size, equality and key order.
import { AwsError } from '../../../lib/errors.js';
import type { AttributeValue, Item } from './index.js';
import { compareNumbers, formatDecimal, magnitude, parseDecimal } from './decimal.js';
import { validation } from './messages.js';

export type TypeName = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'M' | 'L' | 'SS' | 'NS' | 'BS';
export const TYPE_NAMES: readonly TypeName[] = ['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS'];

/** The type key of a (valid) attribute value. */
export function typeOf(v: AttributeValue): TypeName {
  for (const k in v) return k as TypeName;
  return 'NULL';
}

/** The payload under the value's type key. */
export function payload(v: AttributeValue): unknown {
  return (v as Record<string, unknown>)[typeOf(v)];
}

const INVALID = 'One or more parameter values were invalid: ';

/** The message for a bad wire number, or undefined when text is a storable number. Normalised text otherwise. */
export function checkNumber(text: unknown): { error: string } | { value: string } {
  if (typeof text !== 'string' || text === '') return { error: 'The parameter cannot be converted to a numeric value' };
  const d = parseDecimal(text);
  if (!d || text.trim() !== text) return { error: `The parameter cannot be converted to a numeric value: ${text}` };
  if (d.sign !== 0) {
    if (magnitude(d) > 125) return { error: 'Number overflow. Attempting to store a number with magnitude larger than supported range' };
    if (magnitude(d) < -130) return { error: 'Number underflow. Attempting to store a number with magnitude smaller than supported range' };
    if (d.digits.length > 38) return { error: 'Attempting to store more than 38 significant digits in a Number' };
  }
  return { value: formatDecimal(d) };
}

function listText(xs: readonly string[]): string {
  return `[${xs.join(', ')}]`;
}

class BadValue extends Error {}

function serialization(): AwsError {
  return new AwsError('SerializationException', 'Unexpected value type in the request payload', { status: 400 });
}

function strings(v: unknown): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw serialization();
  return v as string[];
}

function check(v: unknown): AttributeValue {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw serialization();
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined && o[k] !== null && (TYPE_NAMES as readonly string[]).includes(k));
  let out: AttributeValue | undefined;
  for (const k of keys) {
    const x = o[k];
    switch (k as TypeName) {
      case 'S':
        if (typeof x !== 'string') throw serialization();
        out = { S: x };
        break;
      case 'B':
        if (typeof x !== 'string') throw serialization();
        out = { B: x };
        break;
      case 'N': {
        const n = checkNumber(x);
        if ('error' in n) throw new BadValue(n.error);
        out = { N: n.value };
        break;
      }
      case 'BOOL':
        if (typeof x !== 'boolean') throw serialization();
        out = { BOOL: x };
        break;
      case 'NULL':
        if (typeof x !== 'boolean') throw serialization();
        if (!x) throw new BadValue(`${INVALID}Null attribute value types must have the value of true`);
        out = { NULL: true };
        break;
      case 'SS': {
        const xs = strings(x);
        if (xs.length === 0) throw new BadValue(`${INVALID}An string set  may not be empty`);
        if (new Set(xs).size !== xs.length) throw new BadValue(`${INVALID}Input collection ${listText(xs)} contains duplicates.`);
        out = { SS: [...xs] };
        break;
      }
      case 'NS': {
        const xs = strings(x);
        if (xs.length === 0) throw new BadValue(`${INVALID}An number set  may not be empty`);
        const norm = xs.map((s) => {
          const n = checkNumber(s);
          if ('error' in n) throw new BadValue(n.error);
          return n.value;
        });
        if (new Set(norm).size !== norm.length) throw new BadValue('Input collection contains duplicates');
        out = { NS: norm };
        break;
      }
      case 'BS': {
        const xs = strings(x);
        if (xs.length === 0) throw new BadValue(`${INVALID}Binary sets should not be empty`);
        if (new Set(xs).size !== xs.length) throw new BadValue(`${INVALID}Input collection ${listText(xs)}of type BS contains duplicates.`);
        out = { BS: [...xs] };
        break;
      }
      case 'M': {
        if (x === null || typeof x !== 'object' || Array.isArray(x)) throw serialization();
        const m: Record<string, AttributeValue> = {};
        for (const [name, inner] of Object.entries(x as Record<string, unknown>)) m[name] = check(inner);
        out = { M: m };
        break;
      }
      case 'L': {
        if (!Array.isArray(x)) throw serialization();
        out = { L: x.map(check) };
        break;
      }
    }
  }
  if (keys.length === 0) throw new BadValue('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  if (keys.length > 1) throw new BadValue('Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes');
  return out!;
}

/**
 * Validates one wire attribute value and returns it normalised (numbers in DynamoDB's plain form).
 * `where` names the value: an expression attribute value key (":v") wraps the message as DynamoDB does for
 * ExpressionAttributeValues ("ExpressionAttributeValues contains invalid value: … for key :v"); anything else
 * (an attribute name, "Item", "Key") gives the plain message.
 */
export function validateValue(v: unknown, where: string): AttributeValue {
  try {
    return check(v);
  } catch (e) {
    if (!(e instanceof BadValue)) throw e;
    if (where.startsWith(':')) throw validation(`ExpressionAttributeValues contains invalid value: ${e.message} for key ${where}`);
    throw validation(e.message);
  }
}

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');
const bytes = (b64: string): number => Buffer.from(b64, 'base64').length;

function numberSize(n: string): number {
  const d = parseDecimal(n);
  if (!d || d.sign === 0) return 1;
  // Two decimal digits per byte in base-100 pairs aligned on the decimal point, one byte of exponent, one of sign.
  const pad = ((magnitude(d) % 2) + 2) % 2 === 0 ? 1 : 0;
  return 1 + Math.ceil((d.digits.length + pad) / 2) + (d.sign < 0 ? 1 : 0);
}

/** The size DynamoDB counts for one value (without its attribute name). */
export function valueSize(v: AttributeValue): number {
  if ('S' in v) return utf8(v.S);
  if ('N' in v) return numberSize(v.N);
  if ('B' in v) return bytes(v.B);
  if ('BOOL' in v || 'NULL' in v) return 1;
  if ('SS' in v) return v.SS.reduce((s, x) => s + utf8(x), 0);
  if ('NS' in v) return v.NS.reduce((s, x) => s + numberSize(x), 0);
  if ('BS' in v) return v.BS.reduce((s, x) => s + bytes(x), 0);
  if ('L' in v) return 3 + v.L.reduce((s, x) => s + 1 + valueSize(x), 0);
  if ('M' in v) return 3 + Object.entries(v.M).reduce((s, [k, x]) => s + 1 + utf8(k) + valueSize(x), 0);
  return 0;
}

/** DynamoDB's item size in bytes: UTF-8 names plus value sizes (the 400 KB limit and capacity units). */
export function itemSize(item: Item): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) n += utf8(k) + valueSize(v);
  return n;
}

function bytesOf(b64: string): Buffer {
  return Buffer.from(b64, 'base64');
}

function sameSet(a: readonly string[], b: readonly string[], key: (x: string) => string): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a.map(key));
  return b.every((x) => s.has(key(x)));
}

const numKey = (n: string): string => {
  const d = parseDecimal(n);
  return d ? formatDecimal(d) : n;
};
const binKey = (b: string): string => bytesOf(b).toString('hex');

/** Equality as DynamoDB compares values: numbers by value, binaries by bytes, sets unordered, deep for L and M. */
export function valuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  const t = typeOf(a);
  if (t !== typeOf(b)) return false;
  switch (t) {
    case 'S':
      return (a as { S: string }).S === (b as { S: string }).S;
    case 'N':
      return compareNumbers((a as { N: string }).N, (b as { N: string }).N) === 0;
    case 'B':
      return bytesOf((a as { B: string }).B).equals(bytesOf((b as { B: string }).B));
    case 'BOOL':
      return (a as { BOOL: boolean }).BOOL === (b as { BOOL: boolean }).BOOL;
    case 'NULL':
      return true;
    case 'SS':
      return sameSet((a as { SS: string[] }).SS, (b as { SS: string[] }).SS, (x) => x);
    case 'NS':
      return sameSet((a as { NS: string[] }).NS, (b as { NS: string[] }).NS, numKey);
    case 'BS':
      return sameSet((a as { BS: string[] }).BS, (b as { BS: string[] }).BS, binKey);
    case 'L': {
      const x = (a as { L: AttributeValue[] }).L;
      const y = (b as { L: AttributeValue[] }).L;
      return x.length === y.length && x.every((v, i) => valuesEqual(v, y[i]!));
    }
    case 'M': {
      const x = (a as { M: Record<string, AttributeValue> }).M;
      const y = (b as { M: Record<string, AttributeValue> }).M;
      const kx = Object.keys(x);
      return kx.length === Object.keys(y).length && kx.every((k) => k in y && valuesEqual(x[k]!, y[k]!));
    }
  }
}

/** Order of two scalar values of one type (N numerically, S by UTF-8 bytes, B by bytes): <0, 0, >0. */
export function compareKeys(a: AttributeValue, b: AttributeValue): number {
  if ('N' in a && 'N' in b) return compareNumbers(a.N, b.N);
  if ('S' in a && 'S' in b) return Buffer.compare(Buffer.from(a.S, 'utf8'), Buffer.from(b.S, 'utf8'));
  if ('B' in a && 'B' in b) return Buffer.compare(bytesOf(a.B), bytesOf(b.B));
  const ta = typeOf(a);
  const tb = typeOf(b);
  return ta === tb ? 0 : ta < tb ? -1 : 1;
}

/** True for two values of one scalar type that compare (N, S, B): the types <, <=, >, >=, BETWEEN work on. */
export function comparable(a: AttributeValue, b: AttributeValue): boolean {
  const t = typeOf(a);
  return t === typeOf(b) && (t === 'N' || t === 'S' || t === 'B');
}
