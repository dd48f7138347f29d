// SAM's own intrinsic resolution: Ref/Sub on parameters, FindInMap on mappings, and references to derived
// resources (`MyFunction.Alias`) or renamed logical ids; everything else is left for CloudFormation.
import { InvalidTemplateError, pyRepr } from './errors.js';
import { isObj, type Json, type JsonObject } from './types.js';

const isOneKey = (v: unknown, key: string): v is JsonObject => isObj(v) && Object.keys(v).length === 1 && key in v;
const SUB_REF = /\$\{([A-Za-z0-9.]+|AWS::[A-Z][A-Za-z]*)\}/g;

/** CloudFormation passes placeholders for cross-stack values during nested change sets; SAM leaves them alone. */
function paramValue(params: Record<string, Json>, name: string): Json | undefined {
  const v = Object.prototype.hasOwnProperty.call(params, name) ? params[name] : undefined;
  if (typeof v === 'string' && v.startsWith('{{IntrinsicFunction:')) return undefined;
  return v;
}

/** Calls `fn` on every `${…}` of a Sub string; a non-string replacement is the reference's error. */
function subAll(text: string, fn: (full: string, inner: string) => Json): string {
  let out = text;
  for (const m of text.matchAll(SUB_REF)) {
    const v = fn(m[0], m[1]!);
    if (typeof v !== 'string') throw new InvalidTemplateError(`Invalid Fn::Sub variable value ${pyRepr(v)}. Fn::Sub expects all variables to be strings.`);
    out = out.replace(m[0], () => v);
  }
  return out;
}

function subValue(node: JsonObject, fn: (full: string, inner: string) => Json): void {
  const v = node['Fn::Sub'];
  if (typeof v === 'string') node['Fn::Sub'] = subAll(v, fn);
  else if (Array.isArray(v) && typeof v[0] === 'string') v[0] = subAll(v[0], fn);
}

/** Walks a value top-down, letting `at` replace each node before descending into the result (in place). */
function traverse(v: Json, at: (n: Json) => Json): Json {
  const r = at(v);
  if (Array.isArray(r)) {
    for (let i = 0; i < r.length; i++) r[i] = traverse(r[i]!, at);
  } else if (isObj(r)) {
    for (const k of Object.keys(r)) r[k] = traverse(r[k]!, at);
  }
  return r;
}

export class IntrinsicsResolver {
  constructor(readonly params: Record<string, Json>) {}

  /** Ref and Sub on known parameters (in place, like samtranslator: callers clone when they must keep the input). */
  resolveParameterRefs<T extends Json | undefined>(v: T): T {
    if (v === undefined || Object.keys(this.params).length === 0) return v;
    return traverse(v as Json, (n) => {
      if (isOneKey(n, 'Ref')) {
        const name = n['Ref'];
        if (typeof name !== 'string') return n;
        const val = paramValue(this.params, name);
        return val === undefined ? n : val;
      }
      if (isOneKey(n, 'Fn::Sub')) {
        subValue(n, (full, inner) => paramValue(this.params, inner) ?? full);
        return n;
      }
      return n;
    }) as T;
  }
}

/** Fn::FindInMap against the template's Mappings, as samtranslator's mappings resolver. */
export function resolveFindInMap<T extends Json | undefined>(v: T, mappings: JsonObject): T {
  if (v === undefined || Object.keys(mappings).length === 0) return v;
  const one = (n: Json): Json => {
    if (!isOneKey(n, 'Fn::FindInMap')) return n;
    const args = n['Fn::FindInMap'];
    if (!Array.isArray(args) || args.length !== 3) throw new InvalidTemplateError(`Invalid FindInMap value ${pyRepr(args)}. FindInMap expects an array with 3 values.`);
    const [m, k1, k2] = args.map(one);
    if (typeof m !== 'string' || typeof k1 !== 'string' || typeof k2 !== 'string') return n;
    const notTwoLevel = (): never => {
      throw new InvalidTemplateError(`Cannot use Fn::FindInMap on Mapping '${m}' which is not a a two-level map.`);
    };
    if (!(m in mappings)) return n;
    const top = mappings[m];
    if (!isObj(top)) return notTwoLevel();
    if (!(k1 in top)) return n;
    const second = top[k1];
    if (!isObj(second)) return notTwoLevel();
    if (!(k2 in second)) return n;
    return second[k2]!;
  };
  return traverse(v as Json, one) as T;
}

/** Derived references a SAM resource offers: `MyFunction.Alias` → the generated alias's logical id. */
export class ResourceRefs {
  private readonly map = new Map<string, Map<string, string>>();
  add(logicalId: string, property: string, value: string): void {
    let m = this.map.get(logicalId);
    if (!m) this.map.set(logicalId, (m = new Map()));
    m.set(property, value);
  }
  get(logicalId: string, property: string): string | undefined {
    return this.map.get(logicalId)?.get(property);
  }
  get size(): number {
    return this.map.size;
  }
}

/** Rewrites `{Ref: "X.Prop"}`, `Fn::GetAtt ["X.Prop", …]` and `${X.Prop}` to the generated resource (in place). */
export function resolveResourceRefs(v: Json, refs: ResourceRefs): Json {
  if (refs.size === 0) return v;
  return traverse(v, (n) => {
    if (isOneKey(n, 'Ref')) {
      const r = n['Ref'];
      if (typeof r !== 'string') return n;
      const dot = r.indexOf('.');
      if (dot <= 0 || dot === r.length - 1) return n;
      const to = refs.get(r.slice(0, dot), r.slice(dot + 1));
      return to ? { Ref: to } : n;
    }
    if (isOneKey(n, 'Fn::GetAtt')) {
      const a = n['Fn::GetAtt'];
      if (!Array.isArray(a) || a.length < 2 || !a.every((x) => typeof x === 'string')) return n;
      const parts = (a as string[]).join('.').split('.');
      const to = refs.get(parts[0]!, parts[1] ?? '');
      if (to) n['Fn::GetAtt'] = [to, ...parts.slice(2)];
      return n;
    }
    if (isOneKey(n, 'Fn::Sub')) {
      subValue(n, (full, inner) => {
        const parts = inner.split('.');
        if (parts.length < 2) return full;
        const to = refs.get(parts[0]!, parts[1]!);
        return to ? full.replace(`${parts[0]}.${parts[1]}`, to) : full;
      });
      return n;
    }
    return n;
  });
}

/** Rewrites references to logical ids the transform renamed (a LayerVersion gets a hash suffix), in place. */
export function resolveResourceIdRefs(v: Json, renamed: Record<string, string>): Json {
  if (Object.keys(renamed).length === 0) return v;
  const to = (id: string): string | undefined => (Object.prototype.hasOwnProperty.call(renamed, id) ? renamed[id] : undefined);
  return traverse(v, (n) => {
    if (isOneKey(n, 'Ref')) {
      const r = n['Ref'];
      if (typeof r !== 'string' || r.includes('.')) return n;
      const t = to(r);
      return t ? { Ref: t } : n;
    }
    if (isOneKey(n, 'Fn::GetAtt')) {
      const a = n['Fn::GetAtt'];
      if (!Array.isArray(a) || a.length < 2 || !a.every((x) => typeof x === 'string')) return n;
      const parts = (a as string[]).join('.').split('.');
      const t = to(parts[0]!);
      if (t) n['Fn::GetAtt'] = [t, ...parts.slice(1)];
      return n;
    }
    if (isOneKey(n, 'Fn::Sub')) {
      subValue(n, (full, inner) => {
        const id = inner.split('.')[0]!;
        const t = to(id);
        return t ? full.replace(id, t) : full;
      });
      return n;
    }
    return n;
  });
}
