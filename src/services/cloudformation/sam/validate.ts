// Property type checks as samtranslator's PropertyType validators make them, with its three message forms.
import { InvalidEventError, InvalidResourceError } from './errors.js';
import { isObj, type Json } from './types.js';

/** A validator: 'map' and 'string' have their own message; the others say "Type of property … is invalid." */
export type Check = 'map' | 'string' | 'bool' | 'list' | 'int' | 'any' | ((v: Json) => boolean);

const IS: Record<Exclude<Check, Function>, (v: Json) => boolean> = {
  map: (v) => isObj(v),
  string: (v) => typeof v === 'string',
  bool: (v) => typeof v === 'boolean',
  list: (v) => Array.isArray(v),
  int: (v) => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'boolean',
  any: () => true,
};

export const oneOf = (...cs: Check[]): Check => (v) => cs.some((c) => test(c, v));
export const listOf = (c: Check): Check => (v) => Array.isArray(v) && v.every((x) => test(c, x));
export const dictOf = (c: Check): Check => (v) => isObj(v) && Object.values(v).every((x) => test(c, x));
const ENUMS = new WeakMap<object, string[]>();
export const strEnum = (values: string[]): Check => {
  const c = (v: Json): boolean => typeof v === 'string' && values.includes(v);
  ENUMS.set(c, values);
  return c;
};
/** The StringEnumExpectedType wording: "one of the strings: 'A' or 'B'". */
function enumWords(values: string[]): string {
  const q = values.map((v) => `'${v}'`);
  if (q.length === 1) return `the string ${q[0]}`;
  if (q.length === 2) return `one of the strings: ${q[0]} or ${q[1]}`;
  return `one of the strings: ${q.slice(0, -1).join(', ')}, or ${q[q.length - 1]}`;
}

function test(c: Check, v: Json): boolean {
  return typeof c === 'function' ? c(v) : IS[c](v);
}

/** An intrinsic passes any check: CloudFormation validates it later. */
/** samtranslator's _is_intrinsic_function: any one-key map counts. */
const isIntrinsicValue = (v: Json): boolean => isObj(v) && Object.keys(v).length === 1;

/** samtranslator's `Property(...)`: no intrinsics allowed. */
export const noIntrinsics = (check: Check, required = false): PropSpec => ({ check, required, intrinsics: false });

export interface PropSpec {
  check: Check;
  required?: boolean;
  /** False where samtranslator refuses intrinsics for the property. */
  intrinsics?: boolean;
}

export type Spec = Record<string, Check | PropSpec>;

/** Unknown properties first (in the template's order), then each property's type in the spec's order. */
export function validateProps(owner: string, type: string, props: Record<string, Json>, spec: Spec, event = false): void {
  const fail = (msg: string): never => {
    throw event ? new InvalidEventError(owner, msg) : new InvalidResourceError(owner, msg);
  };
  for (const k of Object.keys(props)) if (!(k in spec)) fail(`property ${k} not defined for resource of type ${type}`);
  for (const [name, s] of Object.entries(spec)) {
    const ps: PropSpec = typeof s === 'object' ? s : { check: s };
    const v = props[name];
    if (ps.intrinsics !== false && v !== undefined && isIntrinsicValue(v)) continue;
    if (v === undefined || v === null) {
      if (ps.required) fail(`Missing required property '${name}'.`);
      continue;
    }
    if (!test(ps.check, v)) {
      if (ps.check === 'map') fail(`Property '${name}' should be a map.`);
      if (ps.check === 'string') fail(`Property '${name}' should be a string.`);
      const ev = typeof ps.check === 'function' ? ENUMS.get(ps.check) : undefined;
      if (ev) fail(`Property '${name}' should be a ${enumWords(ev)}.`);
      fail(`Type of property '${name}' is invalid.`);
    }
  }
}

/** sam_expect(...).to_be_a_map() and friends: "Property 'A.B' should be a map." */
export function expectType(owner: string, path: string, v: Json | undefined, kind: 'map' | 'string' | 'list' | 'bool' | 'int', event = false, attribute = false): void {
  const ok = kind === 'map' ? isObj(v) : kind === 'string' ? typeof v === 'string' : kind === 'list' ? Array.isArray(v) : kind === 'bool' ? typeof v === 'boolean' : typeof v === 'number' && Number.isInteger(v);
  if (ok) return;
  const word = kind === 'bool' ? 'boolean' : kind === 'int' ? 'integer' : kind;
  const msg = `${attribute ? 'Attribute' : 'Property'} '${path}' should be a ${word}.`;
  throw event ? new InvalidEventError(owner, msg) : new InvalidResourceError(owner, msg);
}
