// Value matchers shared by EventBridge event patterns and SNS filter policies: numbers as AWS compares them, IP
// addresses and CIDR ranges, wildcards, and the compiled leaf tests (built once per pattern, pure at match time).

/** A problem found while building a value (AWS reports these without a location, or re-located by the caller). */
export class ValueProblem extends Error {}

export type Leaf = string | number | boolean | null;

/** One compiled element of a pattern's value array. */
export interface Matcher {
  readonly kind: string;
  test(v: Leaf): boolean;
}

// ---- numbers: AWS compares numbers in a fixed-point form, -5.0e9..5.0e9 with six decimals ----
const LIMIT = 5e9;

/** The comparable form of a number, or undefined outside the range AWS can compare. */
export function comparable(n: number): number | undefined {
  if (!Number.isFinite(n) || n < -LIMIT || n > LIMIT) return undefined;
  return Math.round(n * 1e6);
}

/** The comparable form of a pattern's number; throws AWS's reason when out of range. */
export function ruleNumber(text: string): number {
  const c = comparable(Number(text));
  if (c === undefined) throw new ValueProblem('Value must be between -5.0E9 and 5.0E9, inclusive');
  return c;
}

// ---- IP addresses ----
const IPV4 = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

export const looksLikeIp = (s: string): boolean => IPV4.test(s) || IPV6.test(s);

function v4(s: string): number[] | undefined {
  const parts = s.split('.').map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

function v6(s: string): number[] | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const bytes = all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
  // Java turns IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) into IPv4 addresses.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12);
  return bytes;
}

/** The address's bytes (4 or 16) or undefined when it is not an IP address literal. */
export function ipBytes(s: string): number[] | undefined {
  if (IPV4.test(s)) return v4(s);
  if (IPV6.test(s)) return v6(s);
  return undefined;
}

/** Like ipBytes for a pattern's address, with AWS's reasons. */
function ruleIp(s: string): number[] {
  if (!looksLikeIp(s)) throw new ValueProblem(`Nonstandard IP address: ${s}`);
  const b = ipBytes(s);
  if (!b) throw new ValueProblem(`Invalid IP address: ${s}`);
  return b;
}

export interface Cidr {
  bytes: number[];
  bits: number;
}

/** Parses a CIDR block as AWS does (a mask of 32 for IPv4 or 128 for IPv6 is refused, as AWS refuses it). */
export function parseCidr(text: string): Cidr {
  const parts = text.split('/');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length !== 2) throw new ValueProblem("Malformed CIDR, one '/' required");
  if (!/^[+-]?\d+$/.test(parts[1]!) || Math.abs(Number(parts[1])) > 2147483647) throw new ValueProblem('Malformed CIDR, mask bits must be an integer');
  const bits = Number(parts[1]);
  if (bits < 0) throw new ValueProblem('Malformed CIDR, mask bits must not be negative');
  const bytes = ruleIp(parts[0]!);
  if (bytes.length === 4 && bits > 31) throw new ValueProblem('IPv4 mask bits must be < 32');
  if (bytes.length === 16 && bits > 127) throw new ValueProblem('IPv6 mask bits must be < 128');
  return { bytes, bits };
}

function inCidr(c: Cidr, ip: number[]): boolean {
  if (ip.length !== c.bytes.length) return false;
  let bits = c.bits;
  for (let i = 0; i < ip.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip[i]! & mask) !== (c.bytes[i]! & mask)) return false;
  }
  return true;
}

// ---- wildcards ----

/** Checks a wildcard value as AWS does (positions count the value's opening quote) and compiles it. */
export function compileWildcard(text: string): RegExp {
  const bytes = Buffer.from(`"${text}"`, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x2a && bytes[i + 1] === 0x2a) throw new ValueProblem(`Consecutive wildcard characters at pos ${i}`);
    if (bytes[i] === 0x5c) {
      if (bytes[i + 1] === 0x2a || bytes[i + 1] === 0x5c) i++;
      else throw new ValueProblem(`Invalid escape character at pos ${i}`);
    }
  }
  let re = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') re += `\\${text[++i]}`;
    else if (c === '*') re += '.*';
    else re += c.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

// ---- matchers ----
const isStr = (v: Leaf): v is string => typeof v === 'string';
const lower = (s: string) => s.toLowerCase();
const sameIgnoringCase = (a: string, b: string) => a === b || lower(a) === lower(b) || a.toUpperCase() === b.toUpperCase();

/** Equality of a leaf with a pattern's literal, as AWS's exact match does it (numbers numerically, IPs as IPs). */
export function exactString(s: string): Matcher {
  const ip = looksLikeIp(s) ? ipBytes(s) : undefined;
  if (ip) {
    const key = ip.join('.');
    return { kind: 'exact', test: (v) => isStr(v) && (v === s || ipBytes(v)?.join('.') === key) };
  }
  return { kind: 'exact', test: (v) => v === s };
}

export function exactNumber(text: string): Matcher {
  const n = Number(text);
  const c = comparable(n);
  return {
    kind: 'exact',
    test: (v) => {
      if (typeof v !== 'number') return false;
      const cv = comparable(v);
      return cv !== undefined && c !== undefined ? cv === c : v === n;
    },
  };
}

export const exactLiteral = (lit: boolean | null): Matcher => ({ kind: 'exact', test: (v) => v === lit });
export const prefix = (p: string): Matcher => ({ kind: 'prefix', test: (v) => isStr(v) && v.startsWith(p) });
export const suffix = (p: string): Matcher => ({ kind: 'suffix', test: (v) => isStr(v) && v.endsWith(p) });

export function prefixIgnoreCase(p: string): Matcher {
  return { kind: 'prefix', test: (v) => isStr(v) && v.length >= p.length && sameIgnoringCase(v.slice(0, p.length), p) };
}

export function suffixIgnoreCase(p: string): Matcher {
  return { kind: 'suffix', test: (v) => isStr(v) && v.length >= p.length && sameIgnoringCase(v.slice(v.length - p.length), p) };
}

export const equalsIgnoreCase = (p: string): Matcher => ({ kind: 'equals-ignore-case', test: (v) => isStr(v) && sameIgnoringCase(v, p) });

export function wildcard(text: string): Matcher {
  const re = compileWildcard(text);
  return { kind: 'wildcard', test: (v) => isStr(v) && re.test(v) };
}

export function cidr(text: string): Matcher {
  const c = parseCidr(text);
  return {
    kind: 'cidr',
    test: (v) => {
      if (!isStr(v)) return false;
      const ip = ipBytes(v);
      return ip !== undefined && inCidr(c, ip);
    },
  };
}

export type Bound = { value: number; open: boolean } | undefined;

/** A numeric range over comparable forms; only numbers the range can compare match. */
export function numericRange(lo: Bound, hi: Bound): Matcher {
  return {
    kind: 'numeric',
    test: (v) => {
      if (typeof v !== 'number') return false;
      const c = comparable(v);
      if (c === undefined) return false;
      if (lo && (lo.open ? c <= lo.value : c < lo.value)) return false;
      if (hi && (hi.open ? c >= hi.value : c > hi.value)) return false;
      return true;
    },
  };
}

/** anything-but: matches a present value that none of the excluded values match (any type, null included). */
export function anythingBut(excluded: Matcher[]): Matcher {
  return { kind: 'anything-but', test: (v) => !excluded.some((m) => m.test(v)) };
}

export const EXISTS: Matcher = { kind: 'exists', test: () => true };
