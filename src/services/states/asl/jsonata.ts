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
      // A one-element range is a JSONata singleton sequence: the value itself (recorded: $range(1, 9, 9) is 1).
      return out.length === 1 ? out[0] : out;
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

const PRE = "An error occurred while executing the state '{state}' (entered at the event id #{event}).";

/**
 * Evaluates one expression. With `field` (the template field, e.g. `Output/result`) failures are worded as AWS words
 * them: an error thrown during evaluation, or an expression that returned nothing (undefined) or a function.
 */
export async function evalJsonata(src: string, bindings: Record<string, unknown>, field?: string): Promise<Json> {
  const e = compile(src);
  let r: unknown;
  const shown = src.trim();
  try {
    r = await e.evaluate({}, bindings);
  } catch (err) {
    const m = err as { message?: string; code?: string };
    if (field !== undefined)
      throw new StatesError('States.QueryEvaluationError', `${PRE} The JSONata expression '${shown}' specified for the field '${field}' threw an error during evaluation. ${m.code ? `${m.code}: ` : ''}${m.message ?? String(err)}`, field);
    throw new StatesError('States.QueryEvaluationError', `An error occurred while evaluating the JSONata expression '${src}': ${m.message ?? String(err)}`);
  }
  if (field !== undefined && r === undefined) throw new StatesError('States.QueryEvaluationError', `${PRE} The JSONata expression '${shown}' specified for the field '${field}' returned nothing (undefined).`, field);
  if (field !== undefined && typeof r === 'function') throw new StatesError('States.QueryEvaluationError', `${PRE} The JSONata expression '${shown}' specified for the field '${field}' returned an unsupported result type.`, field);
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

/** Evaluates every `{% %}` string inside a template (objects and arrays recursively); `field` names it in errors. */
export async function evalJsonataTemplate(v: Json, bindings: Record<string, unknown>, field?: string): Promise<Json> {
  if (isExpr(v)) return evalJsonata(v.slice(2, -2), bindings, field);
  if (Array.isArray(v)) {
    const out: Json[] = [];
    for (let i = 0; i < v.length; i++) out.push(await evalJsonataTemplate(v[i]!, bindings, field === undefined ? undefined : `${field}[${i}]`));
    return out;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await evalJsonataTemplate(x, bindings, field === undefined ? undefined : `${field}/${k}`);
    return out;
  }
  return v;
}
