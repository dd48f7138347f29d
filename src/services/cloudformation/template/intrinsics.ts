// Evaluates intrinsic functions over a value, given resolved parameters, conditions and injected resource resolvers.
import { cidr } from './cidr.js';
import { M } from './messages.js';
import { isObj, type Json, type Template } from './model.js';
import type { ParameterValue } from './parameters.js';
import { availabilityZones, isPseudo, NO_VALUE, pseudoValue, type NoValue, type StackContext } from './pseudo.js';
import { parseSub, type SubPart } from './sub.js';

/** What only the stack engine knows: resources' physical ids and attributes, and other stacks' exports. */
export interface Resolvers {
  /** `Ref` of a resource: what its type answers (usually the physical id). */
  ref(logicalId: string): Json;
  /** `Fn::GetAtt` of a resource. */
  getAtt(logicalId: string, attribute: string): Json;
  /** The value of an export, or undefined when no stack exports that name. */
  importValue(exportName: string): Json | undefined;
}

export type Block = 'Resources' | 'Outputs' | 'Conditions';

export interface EvalScope {
  template: Template;
  stack: StackContext;
  parameters: ReadonlyMap<string, ParameterValue>;
  /** The value of a condition, or undefined when the template does not declare it. */
  condition(name: string): boolean | undefined;
  /** The resources this stack has (a resource whose Condition is false is not one of them). */
  resources: ReadonlySet<string>;
  resolvers?: Partial<Resolvers>;
  /** The section being evaluated, for CloudFormation's "in the … block" messages. */
  block: Block;
  /** The attributes a resource type supports, when known; a GetAtt of another is refused. */
  attributesOf?(type: string): readonly string[] | undefined;
}

export type Value = Json | NoValue;

const FUNCTIONS = new Set([
  'Ref', 'Fn::GetAtt', 'Fn::Sub', 'Fn::Join', 'Fn::Select', 'Fn::Split', 'Fn::FindInMap', 'Fn::If', 'Fn::Equals', 'Fn::And', 'Fn::Or',
  'Fn::Not', 'Fn::Base64', 'Fn::Cidr', 'Fn::GetAZs', 'Fn::ImportValue', 'Fn::ToJsonString', 'Fn::Length', 'Fn::Transform',
]);

/** The function name when `v` is an intrinsic function call (a one-key object whose key names one). */
export function functionOf(v: Json, inCondition = false): string | undefined {
  if (!isObj(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length !== 1) return undefined;
  const k = keys[0]!;
  if (k === 'Ref' || k.startsWith('Fn::')) return k;
  if (k === 'Condition' && inCondition) return k;
  return undefined;
}

/** Evaluates `node`; `NO_VALUE` means "remove me" (Ref AWS::NoValue, or an Fn::If branch that is it). */
export function evaluate(node: Json, scope: EvalScope, inCondition = false): Value {
  const f = functionOf(node, inCondition);
  if (f !== undefined) return call(f, (node as Record<string, Json>)[f]!, scope);
  if (Array.isArray(node)) {
    const out: Json[] = [];
    for (const x of node) {
      const v = evaluate(x, scope);
      if (v !== NO_VALUE) out.push(v);
    }
    return out;
  }
  if (isObj(node)) {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(node)) {
      const v = evaluate(x, scope);
      if (v !== NO_VALUE) out[k] = v;
    }
    return out;
  }
  return node;
}

/** Evaluates a condition expression to a boolean (the Conditions section, and Fn::And/Or/Not operands). */
export function evaluateCondition(node: Json, scope: EvalScope): boolean {
  const f = functionOf(node, true);
  if (f !== 'Fn::Equals' && f !== 'Fn::And' && f !== 'Fn::Or' && f !== 'Fn::Not' && f !== 'Condition') {
    throw M.conditionNotBoolean();
  }
  const v = evaluate(node, scope, true);
  // A condition name or parameter may answer the text form; CloudFormation treats "true"/"false" alike.
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw M.conditionNotBoolean();
}

const scalarText = (v: Value): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

function call(f: string, arg: Json, scope: EvalScope): Value {
  switch (f) {
    case 'Ref':
      return ref(arg, scope);
    case 'Fn::GetAtt':
      return getAtt(arg, scope);
    case 'Fn::Sub':
      return sub(arg, scope);
    case 'Fn::Join': {
      if (!Array.isArray(arg) || arg.length !== 2) throw M.joinArgs();
      const delim = evaluate(arg[0]!, scope);
      const items = evaluate(arg[1]!, scope);
      if (typeof delim !== 'string' || !Array.isArray(items)) throw M.joinArgs();
      return items
        .map((i) => {
          const s = scalarText(i);
          if (s === undefined) throw M.joinArgs();
          return s;
        })
        .join(delim);
    }
    case 'Fn::Select': {
      if (!Array.isArray(arg) || arg.length !== 2) throw M.selectArgs();
      const idx = scalarText(evaluate(arg[0]!, scope));
      if (idx === undefined || !/^\d+$/.test(idx.trim())) throw M.selectArgs();
      const items = evaluate(arg[1]!, scope);
      if (!Array.isArray(items)) throw M.selectArgs();
      const i = Number(idx);
      if (i >= items.length) throw M.selectIndex(i);
      return items[i]!;
    }
    case 'Fn::Split': {
      if (!Array.isArray(arg) || arg.length !== 2) throw M.splitArgs();
      const delim = evaluate(arg[0]!, scope);
      const source = scalarText(evaluate(arg[1]!, scope));
      if (typeof delim !== 'string' || source === undefined) throw M.splitArgs();
      return source.split(delim);
    }
    case 'Fn::FindInMap':
      return findInMap(arg, scope);
    case 'Fn::If': {
      if (!Array.isArray(arg) || arg.length < 1 || typeof arg[0] !== 'string') throw M.ifCondition();
      if (arg.length !== 3) throw M.ifArgs();
      const c = scope.condition(arg[0]);
      if (c === undefined) throw M.unresolvedConditionInIf(arg[0]);
      return evaluate(arg[c ? 1 : 2]!, scope);
    }
    case 'Fn::Equals': {
      if (!Array.isArray(arg) || arg.length !== 2) throw M.equalsArgs();
      const a = scalarText(evaluate(arg[0]!, scope));
      const b = scalarText(evaluate(arg[1]!, scope));
      if (a === undefined || b === undefined) throw M.equalsArgs();
      return a === b;
    }
    case 'Fn::And':
    case 'Fn::Or': {
      if (!Array.isArray(arg) || arg.length < 2 || arg.length > 10) throw M.andOrArgs(f);
      // Each operand must itself be a boolean function; anything else is this function's argument error.
      const vs = arg.map((x) => {
        const g = functionOf(x, true);
        if (g !== 'Fn::Equals' && g !== 'Fn::And' && g !== 'Fn::Or' && g !== 'Fn::Not' && g !== 'Condition') throw M.andOrArgs(f);
        return evaluateCondition(x, scope);
      });
      return f === 'Fn::And' ? vs.every(Boolean) : vs.some(Boolean);
    }
    case 'Fn::Not': {
      if (!Array.isArray(arg) || arg.length !== 1) throw M.notArgs();
      return !evaluateCondition(arg[0]!, scope);
    }
    case 'Condition': {
      if (typeof arg !== 'string') throw M.conditionNotString();
      const c = scope.condition(arg);
      if (c === undefined) throw M.unresolvedConditions([arg], scope.block);
      return c;
    }
    case 'Fn::Base64': {
      const s = scalarText(evaluate(arg, scope));
      if (s === undefined) throw M.base64Args();
      return Buffer.from(s, 'utf8').toString('base64');
    }
    case 'Fn::GetAZs': {
      const r = evaluate(arg, scope);
      if (typeof r !== 'string') throw M.getAZsArgs();
      return availabilityZones(r === '' ? scope.stack.region : r);
    }
    case 'Fn::ImportValue': {
      const name = scalarText(evaluate(arg, scope));
      if (name === undefined) throw M.importValueArgs();
      const v = scope.resolvers?.importValue?.(name);
      if (v === undefined) throw M.exportNotFound(name);
      return v;
    }
    case 'Fn::Cidr': {
      if (!Array.isArray(arg) || arg.length !== 3) throw M.cidrArgs();
      const [b, c, n] = arg.map((x) => evaluate(x, scope));
      return cidr(b, c, n);
    }
    case 'Fn::ToJsonString': {
      const v = evaluate(arg, scope);
      return JSON.stringify(v === NO_VALUE ? {} : v);
    }
    case 'Fn::Length': {
      const v = evaluate(arg, scope);
      if (!Array.isArray(v)) throw M.lengthArgs();
      return v.length;
    }
    case 'Fn::Transform':
      // Macros (AWS::Include and others) are expanded by the transform step before evaluation; leave it as written.
      return { 'Fn::Transform': arg };
    default:
      throw M.unsupportedFunction(f);
  }
}

/** A name argument: literal, or (AWS::LanguageExtensions) an intrinsic that evaluates to text. */
function nameOf(arg: Json, scope: EvalScope): string | undefined {
  if (typeof arg === 'string') return arg;
  if (isObj(arg)) return scalarText(evaluate(arg, scope));
  return undefined;
}

function ref(arg: Json, scope: EvalScope): Value {
  const name = nameOf(arg, scope);
  if (name === undefined) throw M.refNotString();
  return refName(name, scope);
}

function refName(name: string, scope: EvalScope): Value {
  if (isPseudo(name)) return pseudoValue(name, scope.stack)!;
  const p = scope.parameters.get(name);
  if (p !== undefined) return p;
  if (scope.template.parameters.has(name)) throw M.parametersMustHaveValues([name]);
  if (scope.block === 'Conditions' && scope.template.resources.has(name)) throw M.conditionReferencesResources([name]);
  if (!scope.resources.has(name)) throw M.unresolvedResources([name], scope.block === 'Outputs' ? 'Outputs' : 'Resources');
  const r = scope.resolvers?.ref;
  if (!r) throw new Error(`no Ref resolver for resource ${name}`);
  return r(name);
}

/** Splits GetAtt's argument into resource and attribute: "A.B.C" means resource A, attribute "B.C". */
export function getAttTarget(arg: Json): { resource: Json; attribute: Json } | undefined {
  if (typeof arg === 'string') {
    const dot = arg.indexOf('.');
    if (dot <= 0 || dot === arg.length - 1) return undefined;
    return { resource: arg.slice(0, dot), attribute: arg.slice(dot + 1) };
  }
  if (Array.isArray(arg) && arg.length === 2) return { resource: arg[0]!, attribute: arg[1]! };
  return undefined;
}

function getAtt(arg: Json, scope: EvalScope): Value {
  const t = getAttTarget(arg);
  if (!t) throw M.getAttArgs();
  const id = nameOf(t.resource, scope);
  const att = nameOf(t.attribute, scope);
  if (!id || !att) throw M.getAttArgs();
  return attribute(id, att, scope);
}

function attribute(id: string, att: string, scope: EvalScope): Value {
  const decl = scope.template.resources.get(id);
  if (!decl) throw M.getAttUndefined(id);
  if (scope.block === 'Conditions') throw M.conditionReferencesResources([id]);
  if (!scope.resources.has(id)) throw M.unresolvedResources([id], scope.block === 'Outputs' ? 'Outputs' : 'Resources');
  const known = scope.attributesOf?.(decl.type);
  if (known && !known.includes(att)) throw M.attributeNotSupported(id, att);
  const g = scope.resolvers?.getAtt;
  if (!g) throw new Error(`no GetAtt resolver for resource ${id}`);
  return g(id, att);
}

function sub(arg: Json, scope: EvalScope): Value {
  let text: Json;
  let ctx: Record<string, Json> = {};
  if (typeof arg === 'string') text = arg;
  else if (Array.isArray(arg) && arg.length === 2 && typeof arg[0] === 'string' && isObj(arg[1])) [text, ctx] = [arg[0], arg[1]];
  else throw M.subArgs();
  const parts: SubPart[] = parseSub(text as string);
  const locals = new Map<string, string>();
  for (const [k, v] of Object.entries(ctx)) {
    const s = scalarText(evaluate(v, scope));
    if (s === undefined) throw M.subContextValue();
    locals.set(k, s);
  }
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    const local = locals.get(p.name);
    if (local !== undefined) {
      out += local;
      continue;
    }
    let v: Value;
    if (p.attribute !== undefined) {
      if (!scope.template.resources.has(p.resource)) throw M.subInvalidAttribute(p.name);
      v = attribute(p.resource, p.attribute, scope);
    } else v = refName(p.name, scope);
    const s = scalarText(v);
    if (s === undefined) throw M.subVariableNotString();
    out += s;
  }
  return out;
}

function findInMap(arg: Json, scope: EvalScope): Value {
  if (!Array.isArray(arg) || (arg.length !== 3 && arg.length !== 4)) throw M.findInMapArgs();
  const [map, k1, k2] = arg.slice(0, 3).map((x) => scalarText(evaluate(x, scope)));
  if (map === undefined || k1 === undefined || k2 === undefined) throw M.findInMapArgs();
  let fallback: Json | undefined;
  if (arg.length === 4) {
    const opt = arg[3];
    // AWS::LanguageExtensions: [map, key, key, {DefaultValue: v}].
    if (!isObj(opt) || !('DefaultValue' in opt)) throw M.findInMapArgs();
    fallback = opt['DefaultValue']!;
  }
  const m = scope.template.mappings.get(map);
  if (!m) {
    if (fallback !== undefined) return evaluate(fallback, scope);
    throw M.mappingNotFound(map);
  }
  const v = m.get(k1)?.get(k2);
  if (v === undefined) {
    if (fallback !== undefined) return evaluate(fallback, scope);
    throw M.mappingValueNotFound(map, k1, k2);
  }
  // Mapping values are text or lists of text to CloudFormation, whatever YAML made of them.
  return Array.isArray(v) ? v.map((x) => scalarText(x) ?? '') : (scalarText(v) ?? '');
}

export { FUNCTIONS, NO_VALUE };
