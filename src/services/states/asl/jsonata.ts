// JSONata query language: `{% %}` templates over $states and workflow variables, with AWS's extra functions.
import { createHash, randomUUID } from 'node:crypto';
import jsonata from 'jsonata';
import { StatesError, type Json } from './paths.js';

const compiled = new Map<string, jsonata.Expression>();

const isExpr = (v: unknown): v is string => typeof v === 'string' && v.startsWith('{%') && v.endsWith('%}');

function compile(src: string): jsonata.Expression {
  let e = compiled.get(src);
  if (!e) {
    try {
      e = jsonata(src);
    } catch (err) {
      throw new StatesError('States.QueryEvaluationError', `The JSONata expression '${src}' is invalid: ${(err as Error).message}`);
    }
    e.registerFunction('partition', (arr: unknown[], n: number) => {
      const out: unknown[][] = [];
      for (let i = 0; i < arr.length; i += n) out.push(arr.slice(i, i + n));
      return out;
    });
    e.registerFunction('range', (a: number, b: number, s: number) => {
      const out: number[] = [];
      for (let x = a; s > 0 ? x <= b : x >= b; x += s) out.push(x);
      return out;
    });
    e.registerFunction('hash', (d: string, alg?: string) => {
      const a = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' }[alg ?? 'SHA-256'] ?? 'sha256';
      return createHash(a).update(d).digest('hex');
    });
    e.registerFunction('random', () => Math.random());
    e.registerFunction('uuid', () => randomUUID());
    e.registerFunction('parse', (s: string) => JSON.parse(s) as unknown);
    compiled.set(src, e);
  }
  return e;
}

export async function evalJsonata(src: string, bindings: Record<string, unknown>): Promise<Json> {
  const e = compile(src);
  let r: unknown;
  try {
    r = await e.evaluate({}, bindings);
  } catch (err) {
    const m = err as { message?: string; code?: string };
    throw new StatesError('States.QueryEvaluationError', `An error occurred while evaluating the JSONata expression '${src}': ${m.message ?? String(err)}`);
  }
  return normalise(r);
}

function normalise(v: unknown): Json {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') {
    const o: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined && typeof x !== 'function') o[k] = normalise(x);
    return o;
  }
  if (typeof v === 'function') return null;
  return v as Json;
}

/** Evaluates every `{% %}` string inside a template (objects and arrays recursively). */
export async function evalJsonataTemplate(v: Json, bindings: Record<string, unknown>): Promise<Json> {
  if (isExpr(v)) return evalJsonata(v.slice(2, -2), bindings);
  if (Array.isArray(v)) {
    const out: Json[] = [];
    for (const x of v) out.push(await evalJsonataTemplate(x, bindings));
    return out;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await evalJsonataTemplate(x, bindings);
    return out;
  }
  return v;
}
