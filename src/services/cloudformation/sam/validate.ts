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
export const strEnum = (values: string[]): Check => (v) => typeof v === 'string' && values.includes(v);

function test(c: Check, v: Json): boolean {
  return typeof c === 'function' ? c(v) : IS[c](v);
}

/** An intrinsic passes any check: CloudFormation validates it later. */
const isIntrinsicValue = (v: Json): boolean => {
  if (!isObj(v)) return false;
  const k = Object.keys(v);
  return k.length === 1 && (k[0] === 'Ref' || k[0]!.startsWith('Fn::'));
};

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
