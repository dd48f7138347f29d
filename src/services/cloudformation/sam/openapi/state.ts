// Per-transform state of the API translators: each API's definition body as Python-ordered dicts, and the
// conditions/policies the implicit-API plugins collect, shared between plugins, events and API translators.
import type { TransformContext } from '../context.js';
import { isObj, type JsonObject } from '../types.js';
import { fromJson, PFloat, ps, type PyDict, type PyVal } from './py27.js';

export interface ApiState {
  /** API logical id → its definition body as the reference holds it (created from the template on first use). */
  bodies: Map<string, PyDict>;
  /** FunctionName values of functions with an Api event on an explicit RestApiId, concatenated per API id. */
  functionNames: Map<string, string[]>;
  /** APIs the implicit plugins created: their StageName is a plain str, not a template (unicode) string. */
  implicit: Set<string>;
}

export function apiState(ctx: Pick<TransformContext, 'shared'>): ApiState {
  let s = ctx.shared.get('sam-api') as ApiState | undefined;
  if (!s) ctx.shared.set('sam-api', (s = { bodies: new Map(), functionNames: new Map(), implicit: new Set() }));
  return s;
}

/** The API's DefinitionBody (Python view); undefined when the resource has none. */
export function apiBody(ctx: Pick<TransformContext, 'shared'>, apiId: string, props: JsonObject): PyDict | undefined {
  const s = apiState(ctx);
  const b = s.bodies.get(apiId);
  if (b) return b;
  const raw = props['DefinitionBody'];
  if (raw === undefined || raw === null) return undefined;
  const v = fromJson(raw);
  if (!isObj(raw)) return undefined;
  // A numeric `swagger: 2.0` was a YAML float; JSON parsing keeps only the number (the hash prints it as 2.0).
  const d = v as PyDict;
  for (const k of ['swagger', 'openapi']) {
    const x = d.get(k);
    if (typeof x === 'number' && Number.isInteger(x)) d.set(k, new PFloat(x));
  }
  s.bodies.set(apiId, v as PyDict);
  return v as PyDict;
}

export function setApiBody(ctx: Pick<TransformContext, 'shared'>, apiId: string, body: PyDict): void {
  apiState(ctx).bodies.set(apiId, body);
}

/** The API's StageName as Python holds it (a literal for implicit APIs). */
export function stageNameValue(ctx: Pick<TransformContext, 'shared'>, apiId: string, v: string): PyVal {
  return apiState(ctx).implicit.has(apiId) ? ps(v) : v;
}

/**
 * Malformed documents can make the reference itself fail with a Python TypeError ("Internal transform failure");
 * here such a failure is reported as an error of the resource (or event) instead of escaping the transform.
 */
export function guarded<T>(fail: (reason: string) => Error, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TypeError) throw fail("Invalid API definition: a value in 'DefinitionBody' or the API's properties does not have the expected type.");
    throw e;
  }
}
