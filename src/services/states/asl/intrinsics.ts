// The 18 intrinsic functions (States.*) of JSONPath mode: parser and evaluator with AWS's limits.
import { createHash, randomUUID } from 'node:crypto';
import { queryPath, StatesError, type Json, type PathScope } from './paths.js';

type Arg = { t: 'lit'; v: Json } | { t: 'path'; p: string } | { t: 'call'; name: string; args: Arg[] };

export const isIntrinsic = (s: string): boolean => /^States\.\w+\(/.test(s.trim());

const FUNCS = new Set([
  'Format', 'StringToJson', 'JsonToString', 'Array', 'ArrayPartition', 'ArrayContains', 'ArrayRange', 'ArrayGetItem', 'ArrayLength',
  'ArrayUnique', 'Base64Encode', 'Base64Decode', 'Hash', 'JsonMerge', 'MathRandom', 'MathAdd', 'StringSplit', 'UUID',
]);

/** Parses an intrinsic call; throws Error with a short reason when it is malformed. */
export function parseIntrinsic(src: string): Arg {
  let i = 0;
  const s = src.trim();
  const ws = (): void => {
    while (s[i] === ' ') i++;
  };
  const call = (depth: number): Arg => {
    if (depth > 10) throw new Error('intrinsic functions may be nested at most 10 levels');
    const m = /^States\.(\w+)\(/.exec(s.slice(i));
    if (!m) throw new Error('expected a function call');
    if (!FUNCS.has(m[1]!)) throw new Error(`unknown function States.${m[1]}`);
    i += m[0].length;
    const args: Arg[] = [];
    ws();
    if (s[i] === ')') {
      i++;
      return { t: 'call', name: m[1]!, args };
    }
    for (;;) {
      ws();
      args.push(arg(depth));
      ws();
      if (s[i] === ',') {
        i++;
        continue;
      }
      if (s[i] === ')') {
        i++;
        return { t: 'call', name: m[1]!, args };
      }
      throw new Error('expected , or )');
    }
  };
  const arg = (depth: number): Arg => {
    const c = s[i];
    if (c === "'") {
      let out = '';
      i++;
      for (;;) {
        if (i >= s.length) throw new Error('unterminated string');
        const ch = s[i]!;
        if (ch === '\\') {
          out += s[i + 1] ?? '';
          i += 2;
          continue;
        }
        if (ch === "'") {
          i++;
          return { t: 'lit', v: out };
        }
        out += ch;
        i++;
      }
    }
    if (s.startsWith('States.', i)) return call(depth + 1);
    if (c === '$') {
      let j = i;
      let depthB = 0;
      while (j < s.length && !((s[j] === ',' || s[j] === ')') && depthB === 0)) {
        if (s[j] === '[') depthB++;
        if (s[j] === ']') depthB--;
        j++;
      }
      const p = s.slice(i, j).trim();
      i = j;
      return { t: 'path', p };
    }
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(s.slice(i));
    if (!m) throw new Error('bad argument');
    i += m[0].length;
    return { t: 'lit', v: JSON.parse(m[0]) as Json };
  };
  const r = call(0);
  ws();
  if (i !== s.length) throw new Error('trailing characters');
  return r;
}

const fail = (msg: string): never => {
  throw new StatesError('States.Runtime', msg);
};

const parsed = new Map<string, Arg>();

export function evalIntrinsic(src: string, scope: PathScope): Json {
  let a = parsed.get(src);
  if (!a) {
    try {
      a = parseIntrinsic(src);
    } catch (e) {
      throw new StatesError('States.Runtime', `The value '${src}' is not a valid intrinsic function call: ${(e as Error).message}`);
    }
    parsed.set(src, a);
  }
  return run(a, scope);
}

const typeName = (v: Json): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const isInt = (v: Json): v is number => typeof v === 'number' && Number.isInteger(v);

function run(a: Arg, scope: PathScope): Json {
  if (a.t === 'lit') return a.v;
  if (a.t === 'path') {
    const r = queryPath(a.p, scope);
    if (r === undefined) fail(`The JsonPath argument for the field '${a.p}' could not be found in the input '${JSON.stringify(scope.input)}'`);
    return r!;
  }
  const v = a.args.map((x) => run(x, scope));
  const fn = `States.${a.name}`;
  const need = (n: number | [number, number]): void => {
    const [lo, hi] = typeof n === 'number' ? [n, n] : n;
    if (v.length < lo || v.length > hi) fail(`The intrinsic function ${fn} expects ${lo === hi ? lo : `${lo} to ${hi}`} argument${hi === 1 ? '' : 's'} but received ${v.length}`);
  };
  const str = (i: number): string => (typeof v[i] === 'string' ? (v[i] as string) : fail(`The argument at index ${i + 1} of ${fn} must be a string but was ${typeName(v[i]!)}`));
  const arr = (i: number): Json[] => (Array.isArray(v[i]) ? (v[i] as Json[]) : fail(`The argument at index ${i + 1} of ${fn} must be an array but was ${typeName(v[i]!)}`));
  const int = (i: number): number => (isInt(v[i]!) ? (v[i] as number) : fail(`The argument at index ${i + 1} of ${fn} must be an integer but was ${JSON.stringify(v[i])}`));
  switch (a.name) {
    case 'Format': {
      if (v.length < 1) need([1, 1000]);
      const tpl = str(0);
      const args = v.slice(1);
      let k = 0;
      const holes = (tpl.match(/\{\}/g) ?? []).length;
      if (holes !== args.length) fail(`Number of arguments in ${fn} do not match the number of placeholders in the string '${tpl}': expected ${holes}, received ${args.length}`);
      return tpl.replace(/\{\}/g, () => javaString(args[k++]!));
    }
    case 'StringToJson':
      need(1);
      if (str(0).trim() === '') return null;
      try {
        return JSON.parse(str(0)) as Json;
      } catch {
        return fail(`The argument of ${fn} is not a valid JSON string: '${v[0] as string}'`);
      }
    case 'JsonToString':
      need(1);
      return JSON.stringify(v[0]);
    case 'Array':
      return v;
    case 'ArrayPartition': {
      need(2);
      const xs = arr(0);
      const n = int(1);
      if (n <= 0) fail(`The chunk size argument of ${fn} must be a positive integer but was ${n}`);
      const out: Json[] = [];
      for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
      return out;
    }
    case 'ArrayContains': {
      need(2);
      const j = JSON.stringify(v[1]);
      return arr(0).some((x) => JSON.stringify(x) === j);
    }
    case 'ArrayRange': {
      need(3);
      const [s, e, st] = [int(0), int(1), int(2)];
      if (st === 0) fail(`The step argument of ${fn} must not be zero`);
      const out: number[] = [];
      for (let x = s; st > 0 ? x <= e : x >= e; x += st) {
        out.push(x);
        if (out.length > 1000) fail(`The array produced by ${fn} may have at most 1000 items`);
      }
      return out;
    }
    case 'ArrayGetItem': {
      need(2);
      const xs = arr(0);
      const i = int(1);
      if (i < 0 || i >= xs.length) fail(`The index argument ${i} of ${fn} is out of bounds for an array of length ${xs.length}`);
      return xs[i]!;
    }
    case 'ArrayLength':
      need(1);
      return arr(0).length;
    case 'ArrayUnique': {
      need(1);
      const seen = new Set<string>();
      return arr(0).filter((x) => {
        const k = JSON.stringify(x);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
    case 'Base64Encode': {
      need(1);
      const s = str(0);
      if (s.length > 10000) fail(`The input of ${fn} may be at most 10000 characters long`);
      return Buffer.from(s, 'utf8').toString('base64');
    }
    case 'Base64Decode': {
      need(1);
      const s = str(0);
      if (s.length > 10000) fail(`The input of ${fn} may be at most 10000 characters long`);
      return Buffer.from(s, 'base64').toString('utf8');
    }
    case 'Hash': {
      need(2);
      const data = v[0] === null ? fail(`The input of ${fn} must not be null`) : typeof v[0] === 'string' ? v[0] : JSON.stringify(v[0]);
      if (data.length > 10000) fail(`The input of ${fn} may be at most 10000 characters long`);
      const alg = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' }[str(1)];
      if (!alg) fail(`The hash algorithm '${str(1)}' of ${fn} is not supported; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512`);
      return createHash(alg!).update(data, 'utf8').digest('hex');
    }
    case 'JsonMerge': {
      need(3);
      const isObj = (x: Json): x is { [k: string]: Json } => !!x && typeof x === 'object' && !Array.isArray(x);
      if (!isObj(v[0]!) || !isObj(v[1]!)) fail(`The arguments of ${fn} must be JSON objects`);
      if (v[2] !== false) fail(`${fn} only supports a shallow merge: its third argument must be false`);
      return { ...(v[0] as object), ...(v[1] as object) } as Json;
    }
    case 'MathRandom': {
      need([2, 3]);
      // AWS truncates non-integer bounds rather than failing.
      const num = (i: number): number => (typeof v[i] === 'number' ? Math.trunc(v[i] as number) : fail(`The argument at index ${i + 1} of ${fn} must be a number but was ${JSON.stringify(v[i])}`));
      const lo = num(0);
      const hi = num(1);
      let r = Math.random();
      if (v.length === 3) {
        let seed = int(2) >>> 0;
        seed = (seed * 1664525 + 1013904223) >>> 0;
        r = seed / 2 ** 32;
      }
      return lo + Math.floor(r * (hi - lo + 1));
    }
    case 'MathAdd': {
      need(2);
      // AWS rounds each operand half-up (Java's Math.round, the same as JavaScript's) before adding.
      const n = (i: number): number => (typeof v[i] === 'number' ? Math.round(v[i] as number) : fail(`The argument at index ${i + 1} of ${fn} must be a number but was ${JSON.stringify(v[i])}`));
      return n(0) + n(1);
    }
    case 'StringSplit': {
      need(2);
      const s = str(0);
      const seps = new Set(str(1));
      const out: string[] = [];
      let cur = '';
      for (const ch of s) {
        if (seps.has(ch)) {
          if (cur) out.push(cur);
          cur = '';
        } else cur += ch;
      }
      if (cur) out.push(cur);
      return out;
    }
    case 'UUID':
      need(0);
      return randomUUID();
  }
  return fail(`Unknown intrinsic function ${fn}`);
}

/** How AWS renders a non-string Format argument: Java's toString of maps and lists (`{a=1, b=[x]}`). */
function javaString(v: Json): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(javaString).join(', ')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}=${javaString(x)}`).join(', ')}}`;
  return JSON.stringify(v);
}
