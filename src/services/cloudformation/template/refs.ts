// Finds the references a value makes (Ref, Fn::GetAtt, names inside Fn::Sub strings) without evaluating it.
import { functionOf, getAttTarget } from './intrinsics.js';
import { isObj, type Json } from './model.js';
import { subVariables } from './sub.js';

export interface Reference {
  /** `Ref`, `GetAtt`, `Sub` (a `${Name}`), or `SubAtt` (a `${Resource.Attribute}`). */
  kind: 'Ref' | 'GetAtt' | 'Sub' | 'SubAtt';
  /** The parameter, pseudo parameter or resource named. */
  name: string;
  attribute?: string;
  /** JSON pointer of the function within the walked value. */
  path: string;
}

export interface RefWalkOptions {
  /**
   * Known condition values: an Fn::If then only contributes its taken branch, as CloudFormation resolves it
   * (a resource that exists under one condition may be referenced from the other's untaken branch).
   */
  condition?: (name: string) => boolean | undefined;
}

/** A name argument as written: a literal, or an Fn::Sub without variables (what Fn::ForEach leaves behind). */
export function literalName(v: Json | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (isObj(v) && Object.keys(v).length === 1 && typeof v['Fn::Sub'] === 'string' && !v['Fn::Sub'].includes('${')) return v['Fn::Sub'];
  return undefined;
}

export function collectReferences(node: Json | undefined, o: RefWalkOptions = {}, path = '', out: Reference[] = []): Reference[] {
  if (node === undefined || node === null || typeof node !== 'object') return out;
  const f = functionOf(node, true);
  if (f !== undefined) {
    const arg = (node as Record<string, Json>)[f]!;
    const at = `${path}/${f}`;
    switch (f) {
      case 'Ref': {
        const name = literalName(arg);
        if (name !== undefined) out.push({ kind: 'Ref', name, path: at });
        else collectReferences(arg, o, at, out);
        return out;
      }
      case 'Fn::GetAtt': {
        const t = getAttTarget(arg);
        const name = t && literalName(t.resource);
        if (t && name !== undefined) {
          const attribute = literalName(t.attribute);
          out.push(attribute !== undefined ? { kind: 'GetAtt', name, attribute, path: at } : { kind: 'GetAtt', name, path: at });
          if (attribute === undefined) collectReferences(t.attribute, o, `${at}/1`, out);
        } else collectReferences(arg, o, at, out);
        return out;
      }
      case 'Fn::Sub': {
        const text = typeof arg === 'string' ? arg : Array.isArray(arg) && typeof arg[0] === 'string' ? arg[0] : undefined;
        const ctx = Array.isArray(arg) && isObj(arg[1]) ? arg[1] : {};
        if (text !== undefined) {
          for (const v of subVariables(text) ?? []) {
            if (v.name in ctx) continue;
            if (v.attribute !== undefined) out.push({ kind: 'SubAtt', name: v.resource, attribute: v.attribute, path: at });
            else out.push({ kind: 'Sub', name: v.name, path: at });
          }
        }
        if (Array.isArray(arg) && arg[1] !== undefined) collectReferences(arg[1], o, `${at}/1`, out);
        return out;
      }
      case 'Fn::If': {
        if (Array.isArray(arg) && arg.length === 3 && typeof arg[0] === 'string' && o.condition) {
          const c = o.condition(arg[0]);
          if (c !== undefined) return collectReferences(arg[c ? 1 : 2], o, `${at}/${c ? 1 : 2}`, out);
        }
        break;
      }
      case 'Condition':
        if (typeof arg === 'string') return out;
        break;
    }
    collectReferences(arg, o, at, out);
    return out;
  }
  if (Array.isArray(node)) node.forEach((x, i) => collectReferences(x, o, `${path}/${i}`, out));
  else for (const [k, x] of Object.entries(node)) collectReferences(x, o, `${path}/${k}`, out);
  return out;
}

/**
 * The condition names a value uses: Fn::If's first argument and, in the Conditions section (`inConditions`),
 * `{Condition: name}` operands (elsewhere a one-key `Condition` object is data, e.g. in a policy).
 */
export function collectConditionNames(node: Json | undefined, inConditions = false, out: Array<{ name: string; via: 'Fn::If' | 'Condition' }> = []): Array<{ name: string; via: 'Fn::If' | 'Condition' }> {
  if (node === undefined || node === null || typeof node !== 'object') return out;
  const f = functionOf(node, inConditions);
  if (f === 'Fn::If') {
    const arg = (node as Record<string, Json>)[f]!;
    if (Array.isArray(arg) && typeof arg[0] === 'string') out.push({ name: arg[0], via: 'Fn::If' });
  } else if (f === 'Condition') {
    const arg = (node as Record<string, Json>)[f]!;
    if (typeof arg === 'string') out.push({ name: arg, via: 'Condition' });
    return out;
  }
  if (Array.isArray(node)) node.forEach((x) => collectConditionNames(x, inConditions, out));
  else for (const x of Object.values(node)) collectConditionNames(x, inConditions, out);
  return out;
}
