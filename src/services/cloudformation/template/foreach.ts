// The AWS::LanguageExtensions transform's Fn::ForEach: expands loops in Resources, Outputs and Conditions.
//
// Where the loop identifier is substituted follows what was measured on an account (see messages.ts): in the
// keys the fragment produces (`${Id}` as is, `&{Id}` with non-alphanumerics dropped), in `Ref: Id`, and in the
// text of an Fn::Sub (`${Id}` only). Other strings and deeper keys keep their placeholders.
import { isTemplateError } from './errors.js';
import { evaluate, type EvalScope } from './intrinsics.js';
import { M } from './messages.js';
import { isObj, parseModel, type Json, type JsonObject } from './model.js';
import type { ParameterValue } from './parameters.js';
import type { StackContext } from './pseudo.js';

export const LANGUAGE_EXTENSIONS = 'AWS::LanguageExtensions';
const FOREACH = 'Fn::ForEach::';
const SECTIONS = ['Conditions', 'Resources', 'Outputs'] as const;

type Bindings = Readonly<Record<string, string>>;

export interface ExpandOptions {
  stack: StackContext;
  /** Parameter values (resolved, or the defaults when validating); a collection may be a list parameter. */
  parameters: ReadonlyMap<string, ParameterValue>;
}

/** Whether the template uses Fn::ForEach anywhere in the sections the transform expands. */
export function usesForEach(tree: JsonObject): boolean {
  const has = (v: Json | undefined): boolean =>
    Array.isArray(v) ? v.some(has) : isObj(v) ? Object.entries(v).some(([k, x]) => k.startsWith(FOREACH) || has(x)) : false;
  return SECTIONS.some((s) => has(tree[s]));
}

/** The template with every Fn::ForEach expanded; throws the transform's error. */
export function expandForEach(tree: JsonObject, o: ExpandOptions): JsonObject {
  const { template } = parseModel({ ...tree, Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } } });
  const scope: EvalScope = { template, stack: o.stack, parameters: o.parameters, resources: new Set(), block: 'Resources', condition: () => undefined };
  const out: JsonObject = { ...tree };
  for (const s of SECTIONS) {
    const section = tree[s];
    if (isObj(section)) out[s] = expandObject(section, {}, scope);
  }
  return out;
}

function expandObject(node: JsonObject, b: Bindings, scope: EvalScope): JsonObject {
  const out: JsonObject = {};
  const put = (k: string, v: Json): void => {
    if (k in out) throw M.forEachDuplicate(k);
    out[k] = v;
  };
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith(FOREACH)) for (const [pk, pv] of loop(k, v, b, scope)) put(pk, pv);
    else put(k, expandValue(v, b, scope));
  }
  return out;
}

function expandValue(v: Json, b: Bindings, scope: EvalScope): Json {
  if (Array.isArray(v)) return v.map((x) => expandValue(x, b, scope));
  if (isObj(v)) return expandObject(v, b, scope);
  return v;
}

/** The members one loop produces, in collection order. */
function loop(key: string, spec: Json, b: Bindings, scope: EvalScope): Array<[string, Json]> {
  if (key.length === FOREACH.length || !Array.isArray(spec) || spec.length !== 3) throw M.forEachLayout();
  const [id, collection, fragment] = spec;
  if (typeof id !== 'string' || id === '' || !isObj(fragment)) throw M.forEachLayout();
  const items = collectionOf(substitute(collection!, b), scope);
  const produced: Array<[string, Json]> = [];
  for (const item of items) {
    const inner = { ...b, [id]: item };
    for (const [fk, fv] of Object.entries(fragment)) {
      if (fk.startsWith(FOREACH)) produced.push(...loop(fk, fv, inner, scope));
      else produced.push([substituteKey(fk, inner), expandValue(substitute(fv, inner), inner, scope)]);
    }
  }
  return produced;
}

function collectionOf(v: Json, scope: EvalScope): string[] {
  let r: unknown;
  try {
    r = evaluate(v, scope);
  } catch (e) {
    if (isTemplateError(e)) throw M.forEachCollection();
    throw e;
  }
  if (!Array.isArray(r)) throw M.forEachCollection();
  return r.map((x) => {
    if (typeof x === 'string') return x;
    if (typeof x === 'number' || typeof x === 'boolean') return String(x);
    throw M.forEachCollection();
  });
}

/** `${Id}` → the item; `&{Id}` → the item without non-alphanumeric characters. */
function substituteKey(k: string, b: Bindings): string {
  return k.replace(/([$&])\{([^}!][^}]*)\}/g, (whole, form: string, name: string) => {
    const item = b[name.trim()];
    if (item === undefined) return whole;
    return form === '&' ? item.replace(/[^A-Za-z0-9]/g, '') : item;
  });
}

/** Replaces the loop identifiers where CloudFormation does: `Ref: Id` and Fn::Sub text. */
function substitute(v: Json, b: Bindings): Json {
  if (Array.isArray(v)) return v.map((x) => substitute(x, b));
  if (!isObj(v)) return v;
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === 'Ref' && typeof v['Ref'] === 'string' && b[v['Ref']] !== undefined) return b[v['Ref']]!;
  if (keys.length === 1 && keys[0] === 'Fn::Sub') {
    const arg = v['Fn::Sub']!;
    const text = (s: string): string => s.replace(/\$\{([^}!][^}]*)\}/g, (whole, name: string) => b[name.trim()] ?? whole);
    if (typeof arg === 'string') return { 'Fn::Sub': text(arg) };
    if (Array.isArray(arg) && typeof arg[0] === 'string') return { 'Fn::Sub': [text(arg[0]), ...arg.slice(1).map((x) => substitute(x, b))] };
  }
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) out[k] = substitute(x, b);
  return out;
}
