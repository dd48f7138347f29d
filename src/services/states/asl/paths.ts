// JSONPath for ASL: query paths ($, $$ context, $var variables), reference paths for ResultPath, payload templates.
import { evalIntrinsic, isIntrinsic } from './intrinsics.js';

/** A failure inside the language: an ASL error name and AWS's cause text. */
export class StatesError extends Error {
  constructor(
    readonly error: string,
    override readonly cause: string,
    /** The field whose evaluation failed (EvaluationFailed's `location`), e.g. `Output/result`. */
    readonly location?: string,
  ) {
    super(`${error}: ${cause}`);
  }
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

type Seg = { k: 'key'; name: string } | { k: 'idx'; i: number } | { k: 'all' } | { k: 'deep'; name: string | null } | { k: 'slice'; a?: number; b?: number } | { k: 'filter'; expr: string };

const cache = new Map<string, Seg[]>();

/** Parses the part of a path after its root (`$`, `$$` or `$name`). Throws on syntax errors. */
export function parseSegs(rest: string): Seg[] {
  const hit = cache.get(rest);
  if (hit) return hit;
  const segs: Seg[] = [];
  let i = 0;
  const ident = /^[^.[\]\s]+/;
  while (i < rest.length) {
    const c = rest[i];
    if (c === '.') {
      if (rest[i + 1] === '.') {
        i += 2;
        if (rest[i] === '*') {
          i++;
          segs.push({ k: 'deep', name: null });
          continue;
        }
        const m = ident.exec(rest.slice(i));
        if (!m) throw new Error('bad path');
        segs.push({ k: 'deep', name: m[0] });
        i += m[0].length;
        continue;
      }
      i++;
      if (rest[i] === '*') {
        i++;
        segs.push({ k: 'all' });
        continue;
      }
      const m = ident.exec(rest.slice(i));
      if (!m) throw new Error('bad path');
      segs.push({ k: 'key', name: m[0] });
      i += m[0].length;
    } else if (c === '[') {
      const end = findClose(rest, i);
      const inner = rest.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') segs.push({ k: 'all' });
      else if (/^-?\d+$/.test(inner)) segs.push({ k: 'idx', i: Number(inner) });
      else if (/^(['"]).*\1$/s.test(inner)) segs.push({ k: 'key', name: inner.slice(1, -1) });
      else if (/^-?\d*:-?\d*$/.test(inner)) {
        const [a, b] = inner.split(':');
        segs.push({ k: 'slice', a: a ? Number(a) : undefined, b: b ? Number(b) : undefined });
      } else if (inner.startsWith('?(') && inner.endsWith(')')) segs.push({ k: 'filter', expr: inner.slice(2, -1) });
      else throw new Error('bad path');
    } else throw new Error('bad path');
  }
  cache.set(rest, segs);
  return segs;
}

function findClose(s: string, open: number): number {
  let q: string | null = null;
  let depth = 0;
  for (let j = open; j < s.length; j++) {
    const ch = s[j];
    if (q) {
      if (ch === q) q = null;
    } else if (ch === "'" || ch === '"') q = ch;
    else if (ch === '[') depth++;
    else if (ch === ']' && --depth === 0) return j;
  }
  throw new Error('bad path');
}

const NOTFOUND = Symbol('nf');

function filterMatch(item: Json, expr: string): boolean {
  const m = /^@\.?([\w.]*)\s*(==|!=|<=|>=|<|>)\s*(.+)$/.exec(expr.trim());
  if (!m) {
    const p = /^@\.([\w.]+)$/.exec(expr.trim());
    if (p) return walk(item, parseSegs('.' + p[1])) !== NOTFOUND;
    return false;
  }
  const v = m[1] ? walk(item, parseSegs('.' + m[1])) : item;
  if (v === NOTFOUND) return false;
  let rhs: unknown;
  try {
    rhs = JSON.parse(m[3]!.replace(/^'(.*)'$/, '"$1"'));
  } catch {
    return false;
  }
  switch (m[2]) {
    case '==': return v === rhs;
    case '!=': return v !== rhs;
    case '<': return (v as number) < (rhs as number);
    case '>': return (v as number) > (rhs as number);
    case '<=': return (v as number) <= (rhs as number);
    default: return (v as number) >= (rhs as number);
  }
}

/** Walks segments; a path with a wildcard/slice/filter/deep segment yields an array of matches. */
function walk(root: Json, segs: Seg[]): Json | typeof NOTFOUND {
  const multi = segs.some((s) => s.k !== 'key' && s.k !== 'idx');
  let cur: Json[] = [root];
  for (const s of segs) {
    const next: Json[] = [];
    for (const v of cur) {
      if (s.k === 'key') {
        if (v && typeof v === 'object' && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, s.name)) next.push(v[s.name]!);
      } else if (s.k === 'idx') {
        if (Array.isArray(v)) {
          const i = s.i < 0 ? v.length + s.i : s.i;
          if (i >= 0 && i < v.length) next.push(v[i]!);
        }
      } else if (s.k === 'all') {
        if (Array.isArray(v)) next.push(...v);
        else if (v && typeof v === 'object') next.push(...Object.values(v));
      } else if (s.k === 'slice') {
        if (Array.isArray(v)) next.push(...v.slice(s.a ?? 0, s.b ?? v.length));
      } else if (s.k === 'filter') {
        if (Array.isArray(v)) next.push(...v.filter((x) => filterMatch(x, s.expr)));
      } else {
        const visit = (x: Json): void => {
          if (x && typeof x === 'object') {
            if (!Array.isArray(x) && s.name !== null && Object.prototype.hasOwnProperty.call(x, s.name)) next.push(x[s.name]!);
            for (const c of Array.isArray(x) ? x : Object.values(x)) {
              if (s.name === null) next.push(c);
              visit(c);
            }
          }
        };
        visit(v);
      }
    }
    cur = next;
    if (!multi && cur.length === 0) return NOTFOUND;
  }
  if (multi) return cur;
  return cur.length ? cur[0]! : NOTFOUND;
}

export interface PathScope {
  input: Json;
  context?: Json;
  vars?: (name: string) => Json | undefined;
}

/** Evaluates a query path; returns undefined when nothing is found. Throws Error on a malformed path. */
export function queryPath(path: string, scope: PathScope): Json | undefined {
  let root: Json | undefined;
  let rest: string;
  if (path.startsWith('$$')) {
    root = scope.context ?? {};
    rest = path.slice(2);
  } else if (path === '$' || path.startsWith('$.') || path.startsWith('$[')) {
    root = scope.input;
    rest = path.slice(1);
  } else if (path.startsWith('$')) {
    const m = /^\$([A-Za-z_][\w]*)/.exec(path);
    if (!m) throw new Error('bad path');
    root = scope.vars?.(m[1]!);
    if (root === undefined) return undefined;
    rest = path.slice(m[0].length);
  } else throw new Error('bad path');
  const r = walk(root, parseSegs(rest));
  return r === NOTFOUND ? undefined : r;
}

export function isValidPath(path: string): boolean {
  try {
    queryPath(path, { input: null, context: null, vars: () => null });
    return true;
  } catch {
    return false;
  }
}

export const stringify = (v: unknown): string => JSON.stringify(v === undefined ? null : v);

/** InputPath/OutputPath: null → {}; missing → States.Runtime with AWS's wording. */
export function applyPath(path: string | null | undefined, value: Json, field: 'InputPath' | 'OutputPath' | 'ItemsPath', scope: Omit<PathScope, 'input'>): Json {
  if (path === undefined || path === '$') return value;
  if (path === null) return {};
  const r = queryPath(path, { ...scope, input: value });
  if (r === undefined) throw new StatesError('States.Runtime', `An error occurred while executing the state '{state}' (entered at the event id #{event}). Invalid path '${path}' : ${missingAt(path, value)}`);
  return r;
}

/** ResultPath: null keeps the input; `$` replaces it; otherwise the result is set into a copy of the input. */
export function applyResultPath(path: string | null | undefined, input: Json, result: Json): Json {
  if (path === undefined || path === '$') return result;
  if (path === null) return input;
  const segs = parseSegs(path.slice(1));
  const out = structuredClone(input);
  if (segs.length === 0) return result;
  if (out === null || typeof out !== 'object')
    throw new StatesError('States.ResultPathMatchFailure', `Unable to apply ResultPath "${path}" to input ${stringify(input)}`);
  let cur: Json = out;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    const last = i === segs.length - 1;
    if (s.k === 'key' && cur && typeof cur === 'object' && !Array.isArray(cur)) {
      if (last) cur[s.name] = result;
      else {
        const nx: Json | undefined = cur[s.name];
        if (nx === undefined || nx === null || typeof nx !== 'object') cur[s.name] = {};
        cur = cur[s.name]!;
      }
    } else if (s.k === 'idx' && Array.isArray(cur) && s.i < cur.length) {
      if (last) cur[s.i] = result;
      else cur = cur[s.i]!;
    } else throw new StatesError('States.ResultPathMatchFailure', `Unable to apply ResultPath "${path}" to input ${stringify(input)}`);
  }
  return out;
}

/** Evaluates a payload template (Parameters, ResultSelector, ItemSelector, Assign in JSONPath mode). */
export function evalTemplate(tpl: Json, scope: PathScope, field = 'Parameters'): Json {
  if (Array.isArray(tpl)) return tpl.map((x) => evalTemplate(x, scope, field));
  if (tpl === null || typeof tpl !== 'object') return tpl;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(tpl)) {
    if (k.endsWith('.$') && typeof v === 'string') {
      const key = k.slice(0, -2);
      out[key] = evalExpr(v, scope, k);
    } else out[k] = evalTemplate(v, scope, field);
  }
  return out;
}

/** One `.$` value: a path, a context path, a variable or an intrinsic function. */
export function evalExpr(expr: string, scope: PathScope, field: string): Json {
  if (isIntrinsic(expr)) return evalIntrinsic(expr, scope);
  let r: Json | undefined;
  try {
    r = queryPath(expr, scope);
  } catch {
    throw new StatesError('States.Runtime', `The value for the field '${field}' must be a valid JSONPath or a valid intrinsic function call`);
  }
  if (r === undefined) {
    if (expr.startsWith('$') && !expr.startsWith('$$') && !/^\$[.[]|^\$$/.test(expr)) {
      const name = /^\$(\w+)/.exec(expr)?.[1] ?? expr;
      if (scope.vars?.(name) === undefined) throw new StatesError('States.Runtime', `An error occurred while executing the state '{state}' (entered at the event id #{event}). The variable '${name}' could not be found.`);
    }
    const src = expr.startsWith('$$') ? scope.context : scope.input;
    throw new StatesError(
      'States.Runtime',
      `An error occurred while executing the state '{state}' (entered at the event id #{event}). The JSONPath '${expr}' specified for the field '${field}' could not be found in the input '${stringify(src)}'`,
    );
  }
  return r;
}

/** AWS's wording for the first segment of a path that is not in the value: `Missing property in path $['a']['b']`. */
function missingAt(path: string, value: Json): string {
  if (!path.startsWith('$') || path.startsWith('$$')) return `No results for path: ${path}`;
  let segs: Seg[];
  try {
    segs = parseSegs(path.slice(1));
  } catch {
    return `No results for path: ${path}`;
  }
  let cur: Json | undefined = value;
  let shown = '$';
  for (const [i, sg] of segs.entries()) {
    if (sg.k === 'key') {
      shown += `['${sg.name}']`;
      // As AWS's JsonPath words it: a missing leaf has no results, a missing step on the way is a missing property.
      if (!cur || typeof cur !== 'object' || Array.isArray(cur) || !(sg.name in cur)) return i === segs.length - 1 && cur && typeof cur === 'object' && !Array.isArray(cur) ? `No results for path: ${shown}` : `Missing property in path ${shown}`;
      cur = cur[sg.name];
    } else if (sg.k === 'idx') {
      shown += `[${sg.i}]`;
      if (!Array.isArray(cur) || sg.i >= cur.length) return `Missing property in path ${shown}`;
      cur = cur[sg.i];
    } else break;
  }
  return `No results for path: ${shown}`;
}
