// Arbitrary-precision decimals on strings, as DynamoDB's N type needs: parse, normalise, add, subtract, compare.
// A decimal is sign × coefficient × 10^exp with the coefficient's digits free of leading and trailing zeros.

export interface Decimal {
  /** -1, 0 or 1 (0 only for zero, whose digits are ''). */
  readonly sign: -1 | 0 | 1;
  /** Significant digits without leading or trailing zeros ('' for zero). */
  readonly digits: string;
  /** Power of ten of the last digit. */
  readonly exp: number;
}

const NUMBER = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** The decimal a wire number denotes, or undefined when the text is not a number. */
export function parseDecimal(text: string): Decimal | undefined {
  const m = NUMBER.exec(text.trim());
  if (!m) return undefined;
  const int = m[2] ?? '';
  const frac = m[3] ?? '';
  if (int === '' && frac === '') return undefined;
  if (m[4] !== undefined && m[4].replace(/^[+-]/, '').length > 9) {
    // An exponent this large is far outside DynamoDB's range; keep it representable as a JS integer.
    const e = Number(m[4]);
    if (!/[1-9]/.test(int + frac)) return ZERO;
    return { sign: m[1] === '-' ? -1 : 1, digits: '1', exp: e > 0 ? 1e9 : -1e9 };
  }
  const exp = (m[4] ? Number(m[4]) : 0) - frac.length;
  return make(m[1] === '-' ? -1 : 1, int + frac, exp);
}

const ZERO: Decimal = { sign: 0, digits: '', exp: 0 };

function make(sign: -1 | 1, raw: string, exp: number): Decimal {
  let digits = raw.replace(/^0+/, '');
  if (digits === '') return ZERO;
  const trimmed = digits.replace(/0+$/, '');
  exp += digits.length - trimmed.length;
  digits = trimmed;
  return { sign, digits, exp };
}

/** Power of ten of the most significant digit (1.5 → 0, 150 → 2, 0.01 → -2). */
export function magnitude(d: Decimal): number {
  return d.exp + d.digits.length - 1;
}

/** Plain decimal notation without exponent, as DynamoDB returns numbers ("1.50e2" → "150"). */
export function formatDecimal(d: Decimal): string {
  if (d.sign === 0) return '0';
  const sign = d.sign < 0 ? '-' : '';
  if (d.exp >= 0) return sign + d.digits + '0'.repeat(d.exp);
  const point = d.digits.length + d.exp;
  if (point > 0) return `${sign}${d.digits.slice(0, point)}.${d.digits.slice(point)}`;
  return `${sign}0.${'0'.repeat(-point)}${d.digits}`;
}

/** Compares the absolute values of two non-zero decimals. */
function compareAbs(a: Decimal, b: Decimal): number {
  const ma = magnitude(a);
  const mb = magnitude(b);
  if (ma !== mb) return ma < mb ? -1 : 1;
  const n = Math.max(a.digits.length, b.digits.length);
  const da = a.digits.padEnd(n, '0');
  const db = b.digits.padEnd(n, '0');
  return da === db ? 0 : da < db ? -1 : 1;
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  if (a.sign !== b.sign) return a.sign < b.sign ? -1 : 1;
  if (a.sign === 0) return 0;
  const c = compareAbs(a, b);
  return c === 0 ? 0 : a.sign * c;
}

/** Both coefficients aligned to the smaller exponent, as digit strings of equal length. */
function align(a: Decimal, b: Decimal): { x: string; y: string; exp: number } {
  const exp = Math.min(a.exp, b.exp);
  let x = a.digits + '0'.repeat(a.exp - exp);
  let y = b.digits + '0'.repeat(b.exp - exp);
  const n = Math.max(x.length, y.length);
  x = x.padStart(n, '0');
  y = y.padStart(n, '0');
  return { x, y, exp };
}

function addDigits(x: string, y: string): string {
  let out = '';
  let carry = 0;
  for (let i = x.length - 1; i >= 0; i--) {
    const s = x.charCodeAt(i) - 48 + (y.charCodeAt(i) - 48) + carry;
    out = String(s % 10) + out;
    carry = s >= 10 ? 1 : 0;
  }
  return carry ? '1' + out : out;
}

/** x - y for digit strings of equal length with x >= y. */
function subDigits(x: string, y: string): string {
  let out = '';
  let borrow = 0;
  for (let i = x.length - 1; i >= 0; i--) {
    let s = x.charCodeAt(i) - 48 - (y.charCodeAt(i) - 48) - borrow;
    borrow = s < 0 ? 1 : 0;
    if (s < 0) s += 10;
    out = String(s) + out;
  }
  return out;
}

export function addDecimal(a: Decimal, b: Decimal): Decimal {
  if (a.sign === 0) return b;
  if (b.sign === 0) return a;
  const { x, y, exp } = align(a, b);
  if (a.sign === b.sign) return make(a.sign, addDigits(x, y), exp);
  const c = compareAbs(a, b);
  if (c === 0) return ZERO;
  return c > 0 ? make(a.sign, subDigits(x, y), exp) : make(b.sign, subDigits(y, x), exp);
}

export function negateDecimal(a: Decimal): Decimal {
  return a.sign === 0 ? a : { ...a, sign: a.sign === 1 ? -1 : 1 };
}

export function subtractDecimal(a: Decimal, b: Decimal): Decimal {
  return addDecimal(a, negateDecimal(b));
}

/** Compares two wire numbers (already validated) by value. */
export function compareNumbers(a: string, b: string): number {
  return compareDecimal(parseDecimal(a) ?? ZERO, parseDecimal(b) ?? ZERO);
}

/** a + b (or a - b) on wire numbers, formatted as DynamoDB returns them. */
export function addNumbers(a: string, b: string, subtract = false): string {
  const x = parseDecimal(a) ?? ZERO;
  const y = parseDecimal(b) ?? ZERO;
  return formatDecimal(subtract ? subtractDecimal(x, y) : addDecimal(x, y));
}
