// SAM policy templates (DynamoDBCrudPolicy, S3ReadPolicy, …) expanded into policy statements before translation.
import { POLICY_TEMPLATES } from './data/policy-templates.data.js';
import { InvalidResourceError } from './errors.js';
import { isIf, isNoValue, isObj, type Json, type JsonObject } from './types.js';
import { policiesList, policyKind } from './iam.js';

const PREFIX = '___SAM_POLICY_PARAMETER_';
const templates = (POLICY_TEMPLATES['Templates'] ?? {}) as Record<string, { Parameters: JsonObject; Definition: Json }>;

export const isPolicyTemplate = (p: Json): boolean => isObj(p) && Object.keys(p).length === 1 && Object.prototype.hasOwnProperty.call(templates, Object.keys(p)[0]!);

/** Template parameter Refs are renamed first so a user value that itself Refs a same-named parameter cannot loop. */
function disambiguate(v: Json): Json {
  if (Array.isArray(v)) return v.map(disambiguate);
  if (isObj(v)) {
    const o: JsonObject = {};
    for (const [k, x] of Object.entries(v)) o[k] = disambiguate(x);
    if (typeof o['Ref'] === 'string') o['Ref'] = PREFIX + o['Ref'];
    return o;
  }
  return v;
}

function resolveRefs(v: Json, values: Record<string, Json>): Json {
  if (isObj(v) && Object.keys(v).length === 1 && typeof v['Ref'] === 'string' && Object.prototype.hasOwnProperty.call(values, v['Ref'])) {
    return resolveRefs(structuredClone(values[v['Ref']]!), values);
  }
  if (Array.isArray(v)) return v.map((x) => resolveRefs(x, values));
  if (isObj(v)) {
    const o: JsonObject = {};
    for (const [k, x] of Object.entries(v)) o[k] = resolveRefs(x, values);
    return o;
  }
  return v;
}

function convert(ownerId: string, entry: JsonObject): Json {
  const name = Object.keys(entry)[0]!;
  const values = entry[name];
  const t = templates[name]!;
  if (!isObj(values)) throw new InvalidResourceError(ownerId, `Must specify valid parameter values for policy template '${name}'`);
  const missing = Object.keys(t.Parameters).filter((p) => !(p in values));
  if (missing.length > 0) {
    throw new InvalidResourceError(ownerId, `Following required parameters of template '${name}' don't have values: [${missing.map((m) => `'${m}'`).join(', ')}]`);
  }
  const scoped: Record<string, Json> = {};
  for (const [k, v] of Object.entries(values)) if (k in t.Parameters) scoped[PREFIX + k] = v;
  return resolveRefs(disambiguate(t.Definition), scoped);
}

/** Replaces every policy template in a Function's or StateMachine's Policies with its statement (in place). */
export function expandPolicyTemplates(ownerId: string, props: JsonObject): void {
  if (!('Policies' in props)) return;
  const list = policiesList(props['Policies']);
  if (list.length === 0) return;
  props['Policies'] = list.map((p) => {
    if (policyKind(p, true) !== 'template') return p;
    if (isIf(p)) {
      const [c, a, b] = p['Fn::If'] as Json[];
      const one = (x: Json | undefined): Json => (x === undefined || isNoValue(x) ? (x ?? null) : convert(ownerId, x as JsonObject));
      return { 'Fn::If': [c ?? null, one(a), one(b)] };
    }
    return convert(ownerId, p as JsonObject);
  });
}
