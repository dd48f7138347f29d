// EventBridge event patterns (used by event source mapping FilterCriteria and EventBridge rules): validation and matching.
//
// A pattern is an object whose leaves are arrays of matchers; a leaf matches when any matcher matches the value (or,
// for an array value, any of its elements). Matchers: literals (string, number, boolean, null), prefix, suffix,
// equals-ignore-case, wildcard, anything-but, numeric, exists, cidr; `$or` combines alternative sub-patterns.

export class PatternError extends Error {}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const NUMERIC_OPS = new Set(['<', '<=', '=', '>', '>=']);

/** Parses and validates a pattern string as AWS does; throws PatternError naming the problem. */
export function parsePattern(text: string): Obj {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new PatternError('Filter pattern is not valid JSON');
  }
  if (!isObj(v)) throw new PatternError('Filter pattern must be a JSON object');
  checkObject(v, '');
  return v;
}

function checkObject(p: Obj, path: string): void {
  for (const [k, v] of Object.entries(p)) {
    const at = path ? `${path}.${k}` : k;
    if (k === '$or') {
      if (!Array.isArray(v) || v.length < 2 || !v.every(isObj)) throw new PatternError(`"$or" at ${at} must be an array of at least two objects`);
      for (const alt of v) checkObject(alt as Obj, path);
    } else if (Array.isArray(v)) {
      if (v.length === 0) throw new PatternError(`Empty arrays are not allowed at ${at}`);
      for (const m of v) checkMatcher(m, at);
    } else if (isObj(v)) {
      checkObject(v, at);
    } else {
      throw new PatternError(`Match value at ${at} must be an array or an object`);
    }
  }
}

function checkStringOrIgnoreCase(v: Json, at: string, name: string): void {
  if (typeof v === 'string') return;
  if (isObj(v) && Object.keys(v).length === 1 && typeof v['equals-ignore-case'] === 'string') return;
  throw new PatternError(`${name} match pattern at ${at} must be a string`);
}

function checkMatcher(m: Json, at: string): void {
  if (m === null || typeof m !== 'object') return;
  if (Array.isArray(m)) throw new PatternError(`Nested arrays are not allowed at ${at}`);
  const keys = Object.keys(m);
  if (keys.length !== 1) throw new PatternError(`Only one key allowed in a match expression at ${at}`);
  const k = keys[0]!;
  const v = m[k]!;
  switch (k) {
    case 'prefix':
    case 'suffix':
      return checkStringOrIgnoreCase(v, at, k);
    case 'equals-ignore-case':
    case 'wildcard':
    case 'cidr':
      if (typeof v !== 'string') throw new PatternError(`${k} match pattern at ${at} must be a string`);
      if (k === 'cidr' && !parseCidr(v)) throw new PatternError(`Malformed CIDR at ${at}: ${v}`);
      return;
    case 'exists':
      if (typeof v !== 'boolean') throw new PatternError(`exists match pattern at ${at} must be true or false`);
      return;
    case 'anything-but':
      if (typeof v === 'string' || typeof v === 'number') return;
      if (Array.isArray(v)) {
        if (v.length === 0 || !v.every((x) => typeof x === 'string' || typeof x === 'number')) throw new PatternError(`anything-but list at ${at} must hold strings or numbers`);
        return;
      }
      if (isObj(v) && Object.keys(v).length === 1 && ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(Object.keys(v)[0]!)) {
        const inner = Object.values(v)[0]!;
        if (typeof inner === 'string' || (Array.isArray(inner) && inner.every((x) => typeof x === 'string'))) return;
      }
      throw new PatternError(`Invalid anything-but match pattern at ${at}`);
    case 'numeric': {
      if (!Array.isArray(v) || v.length === 0 || v.length % 2 !== 0 || v.length > 4) throw new PatternError(`Invalid numeric match pattern at ${at}`);
      for (let i = 0; i < v.length; i += 2) {
        if (typeof v[i] !== 'string' || !NUMERIC_OPS.has(v[i] as string) || typeof v[i + 1] !== 'number') throw new PatternError(`Invalid numeric match pattern at ${at}`);
      }
      return;
    }
    default:
      throw new PatternError(`Unrecognized match type ${k} at ${at}`);
  }
}

/** True when the event matches the (already validated) pattern. */
export function matches(pattern: Obj, event: Json | undefined): boolean {
  for (const [k, p] of Object.entries(pattern)) {
    if (k === '$or') {
      if (!(p as Obj[]).some((alt) => matches(alt, event))) return false;
      continue;
    }
    const value = isObj(event) ? event[k] : undefined;
    if (Array.isArray(p)) {
      if (!matchLeaf(p, value)) return false;
    } else if (!matches(p as Obj, value)) {
      return false;
    }
  }
  return true;
}

function matchLeaf(matchers: Json[], value: Json | undefined): boolean {
  for (const m of matchers) {
    if (isObj(m) && 'exists' in m) {
      // exists: true matches any present leaf value (not objects); exists: false matches absence.
      const present = value !== undefined && !isObj(value);
      if (m['exists'] === present) return true;
      continue;
    }
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => matchOne(m, v))) return true;
  }
  return false;
}

function str(v: Json, ic: boolean): string | undefined {
  return typeof v === 'string' ? (ic ? v.toLowerCase() : v) : undefined;
}

function stringTest(kind: string, arg: Json, v: Json): boolean {
  const ic = isObj(arg);
  const want = ic ? (arg['equals-ignore-case'] as string) : (arg as string);
  const s = str(v, ic);
  if (s === undefined) return false;
  const w = ic ? want.toLowerCase() : want;
  if (kind === 'prefix') return s.startsWith(w);
  if (kind === 'suffix') return s.endsWith(w);
  if (kind === 'equals-ignore-case') return s.toLowerCase() === want.toLowerCase();
  if (kind === 'wildcard') return wildcard(want, s);
  return false;
}

function matchOne(m: Json, v: Json): boolean {
  if (!isObj(m)) {
    if (typeof m === 'number' && typeof v === 'number') return m === v;
    return m === v;
  }
  const [kind, arg] = Object.entries(m)[0]!;
  switch (kind) {
    case 'prefix':
    case 'suffix':
    case 'wildcard':
      return stringTest(kind, arg, v);
    case 'equals-ignore-case':
      return stringTest(kind, arg, v);
    case 'anything-but': {
      if (Array.isArray(arg)) return !arg.some((x) => x === v);
      if (isObj(arg)) {
        const [ik, iv] = Object.entries(arg)[0]!;
        const list = Array.isArray(iv) ? iv : [iv];
        return typeof v === 'string' && !list.some((x) => stringTest(ik, x, v));
      }
      return arg !== v;
    }
    case 'numeric': {
      if (typeof v !== 'number') return false;
      const ops = arg as Json[];
      for (let i = 0; i < ops.length; i += 2) {
        const n = ops[i + 1] as number;
        const ok = { '<': v < n, '<=': v <= n, '=': v === n, '>': v > n, '>=': v >= n }[ops[i] as '<'];
        if (!ok) return false;
      }
      return true;
    }
    case 'cidr': {
      if (typeof v !== 'string') return false;
      const net = parseCidr(arg as string);
      const ip = parseIpv4(v);
      return !!net && ip !== undefined && ((ip ^ net.base) & net.mask) >>> 0 === 0;
    }
    default:
      return false;
  }
}

function wildcard(pattern: string, s: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return re.test(s);
}

function parseIpv4(s: string): number | undefined {
  const p = s.split('.');
  if (p.length !== 4 || !p.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255)) return undefined;
  return p.reduce((a, x) => ((a << 8) | Number(x)) >>> 0, 0);
}

function parseCidr(s: string): { base: number; mask: number } | undefined {
  const [ip, bits] = s.split('/');
  const base = parseIpv4(ip ?? '');
  const b = Number(bits);
  if (base === undefined || !Number.isInteger(b) || b < 0 || b > 32) return undefined;
  const mask = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
  return { base, mask };
}
