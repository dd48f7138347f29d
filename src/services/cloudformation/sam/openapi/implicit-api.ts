// The implicit-API plugins (ServerlessRestApi, ServerlessHttpApi) and the default definition body plugin: APIs
// that events attach to are created, or given a managed body, before Globals, as samtranslator does.
import { InvalidDocumentError, InvalidEventError, InvalidResourceError, type SamError } from '../errors.js';
import type { TemplatePlugin } from '../registry.js';
import { combinedCondition } from '../resources/deployment-preference.js';
import { isObj, truthy, type Json, type JsonObject } from '../types.js';
import { OpenApiEditor } from './openapi.js';
import { deepcopy, fromJson, ps, py27Order, truthy as pyTruthy, type PyDict } from './py27.js';
import { apiBody, apiState, setApiBody } from './state.js';
import { BaseEditor, SwaggerEditor } from './swagger.js';

interface Kind {
  idProp: string;
  implicitId: string;
  condition: string;
  eventType: string;
  apiType: string;
  isValid(b: PyDict | undefined): boolean;
  skeleton(): PyDict;
  implicitProps(): JsonObject;
  http: boolean;
}

const REST: Kind = {
  idProp: 'RestApiId',
  implicitId: 'ServerlessRestApi',
  condition: 'ServerlessRestApiCondition',
  eventType: 'Api',
  apiType: 'AWS::Serverless::Api',
  isValid: (b) => SwaggerEditor.isValid(b),
  skeleton: () => SwaggerEditor.skeleton(),
  implicitProps: () => ({ StageName: 'Prod', DefinitionBody: { swagger: '2.0', info: { version: '1.0', title: { Ref: 'AWS::StackName' } }, paths: {} }, __MANAGE_SWAGGER: true }),
  http: false,
};

const HTTP: Kind = {
  idProp: 'ApiId',
  implicitId: 'ServerlessHttpApi',
  condition: 'ServerlessHttpApiCondition',
  eventType: 'HttpApi',
  apiType: 'AWS::Serverless::HttpApi',
  isValid: (b) => OpenApiEditor.isValid(b),
  skeleton: () => OpenApiEditor.skeleton(),
  implicitProps: () => ({ DefinitionBody: { openapi: '3.0.1', info: { version: '1.0', title: { Ref: 'AWS::StackName' } }, paths: {} }, __MANAGE_SWAGGER: true }),
  http: true,
};

const apiIdString = (v: Json | undefined): Json | undefined => (isObj(v) && 'Ref' in v ? v['Ref'] : v);

function expectStr(eventId: string, name: string, v: Json | undefined): string {
  if (v === undefined || v === null) throw new InvalidEventError(eventId, `Property '${name}' is required.`);
  if (typeof v !== 'string') throw new InvalidEventError(eventId, `Property '${name}' should be a string.`);
  return v;
}

function implicitPlugin(kind: Kind, order: number): TemplatePlugin {
  return {
    name: `Implicit${kind.eventType}`,
    order,
    beforeTransform(template, ctx) {
      const res = template['Resources'] as JsonObject;
      if (!kind.http && hasPy27Resources(template)) ctx.shared.set('resourceOrder', py27Order);
      const existing = res[kind.implicitId] !== undefined ? structuredClone(res[kind.implicitId]!) : undefined;
      res[kind.implicitId] = { Type: kind.apiType, Properties: kind.implicitProps() };
      setApiBody(ctx, kind.implicitId, kind.skeleton());
      apiState(ctx).implicit.add(kind.implicitId);
      const conditions = new Map<string, Map<string, Map<string, Json | null>>>();
      const deletion = new Map<string, (Json | null)[]>();
      const replace = new Map<string, (Json | null)[]>();
      const errors: SamError[] = [];
      const globalsSection = isObj(template['Globals']) ? template['Globals'] : {};
      // Python 2.7 key order: the reference iterates the template's (converted) Resources and Events dicts.
      const py27 = hasPy27Resources(template);
      for (const fid of py27 ? py27Order(Object.keys(res)) : Object.keys(res)) {
        const r = res[fid];
        if (!isObj(r) || (r['Type'] !== 'AWS::Serverless::Function' && r['Type'] !== 'AWS::Serverless::StateMachine')) continue;
        const props = r['Properties'];
        if (!isObj(props) || !isObj(props['Events'])) continue;
        const events = props['Events'];
        const cond = r['Condition'] ?? null;
        try {
          // _get_api_events copies the matching events into a new Py27Dict, which is iterated in its own order.
          const isMine = (k: string): boolean => truthy(events[k]) && isObj(events[k]) && (events[k] as JsonObject)['Type'] === kind.eventType;
          const eventIds = py27 ? py27Order(py27Order(Object.keys(events)).filter(isMine)) : Object.keys(events).filter(isMine);
          for (const eid of eventIds) {
            const ev = events[eid] as JsonObject;
            let ep = ev['Properties'];
            if (!kind.http && !truthy(ep)) continue;
            if (ep === undefined) ep = {};
            if (!isObj(ep)) throw new InvalidEventError(eid, 'Properties should be a map.');
            if (kind.http && ev['Properties'] === undefined) ev['Properties'] = ep;
            // Tags of the function propagate to the implicit API when both PropagateTags and Tags are set.
            if (!(kind.idProp in ep)) {
              const implicit = res[kind.implicitId];
              const g = (globalsSection[r['Type'] === 'AWS::Serverless::Function' ? 'Function' : 'StateMachine'] ?? {}) as JsonObject;
              const propagate = props['PropagateTags'] || g['PropagateTags'];
              const tags = props['Tags'] || g['Tags'];
              if (isObj(implicit) && truthy(tags) && truthy(propagate)) {
                const ip = implicit['Properties'] as JsonObject;
                ip['Tags'] = { ...(isObj(ip['Tags']) ? ip['Tags'] : {}), ...(tags as JsonObject) };
                ip['PropagateTags'] = true;
              }
              ep[kind.idProp] = { Ref: kind.implicitId };
            }
            if (kind.http && !truthy(ep['Path']) && !truthy(ep['Method'])) {
              ep['Path'] = '$default';
              ep['Method'] = 'x-amazon-apigateway-any-method';
            }
            const apiIdRaw = apiIdString(ep[kind.idProp]);
            const path = ep['Path'];
            const method = ep['Method'];
            if (path === undefined || path === null) throw new InvalidEventError(eid, "Property 'Path' is required.");
            if (method === undefined || method === null) throw new InvalidEventError(eid, "Property 'Method' is required.");
            const apiId = expectStr(eid, kind.idProp, apiIdRaw);
            expectStr(eid, 'Path', path);
            expectStr(eid, 'Method', method);
            let byPath = conditions.get(apiId);
            if (!byPath) conditions.set(apiId, (byPath = new Map()));
            let byMethod = byPath.get(path as string);
            if (!byMethod) byPath.set(path as string, (byMethod = new Map()));
            byMethod.set(method as string, cond);
            (deletion.get(apiId) ?? deletion.set(apiId, []).get(apiId)!).push(r['DeletionPolicy'] ?? null);
            (replace.get(apiId) ?? replace.set(apiId, []).get(apiId)!).push(r['UpdateReplacePolicy'] ?? null);
            const target = res[apiId];
            // As the reference: only a missing target, or an Api event naming an HttpApi, is refused here.
            if (!isObj(target) || (target['Type'] === 'AWS::Serverless::HttpApi' && kind.apiType !== 'AWS::Serverless::HttpApi')) {
              throw new InvalidEventError(eid, `${kind.idProp} must be a valid reference to an '${kind.apiType}' resource in same template.`);
            }
            const tp = target['Properties'];
            if (!isObj(tp)) continue;
            const body = apiBody(ctx, apiId, tp);
            if (!kind.isValid(body) || !tp['__MANAGE_SWAGGER']) continue;
            const editor = new BaseEditor(deepcopy(body!));
            editor.addPath(path as string, method as string);
            // SwaggerEditor copies the document in and out (copy.deepcopy re-adds keys in 2.7 order, as the hash sees it).
            setApiBody(ctx, apiId, deepcopy(editor.doc));
            if (kind.http && 'RouteSettings' in ep) addRouteSettings(apiId, tp, eid, ep, cond);
          }
        } catch (e) {
          if (e instanceof InvalidEventError) errors.push(new InvalidResourceError(fid, e.message));
          else throw e;
        }
      }
      const implicit = res[kind.implicitId] as JsonObject;
      // The implicit API gets a condition when every method on it has one.
      const ic = conditions.get(kind.implicitId);
      if (ic) {
        const all = new Set<Json | null>();
        for (const m of ic.values()) for (const c of m.values()) all.add(c);
        if (all.size > 0 && !all.has(null)) {
          if (all.size === 1) implicit['Condition'] = [...all][0]!;
          else {
            implicit['Condition'] = kind.condition;
            addCombined(template, kind.condition, [...all] as string[]);
          }
        }
      }
      const pick = (list: (Json | null)[] | undefined, order: string[]): string | undefined => {
        if (!list || !list.some((x) => truthy(x))) return undefined;
        return order.find((o) => list.includes(o));
      };
      const dp = pick(deletion.get(kind.implicitId), ['Retain', 'Delete']);
      if (dp) implicit['DeletionPolicy'] = dp;
      const urp = pick(replace.get(kind.implicitId), ['Retain', 'Snapshot', 'Delete']);
      if (urp) implicit['UpdateReplacePolicy'] = urp;
      // Paths whose methods all carry conditions become conditional themselves.
      for (const [apiId, api] of Object.entries(res)) {
        if (!isObj(api) || api['Type'] !== kind.apiType) continue;
        const ap = api['Properties'];
        if (!isObj(ap) || !ap['__MANAGE_SWAGGER']) continue;
        const body = apiBody(ctx, apiId, ap);
        if (!body) continue;
        const editor = new BaseEditor(deepcopy(body));
        for (const path of editor.paths.keys()) {
          const mc = conditions.get(apiId)?.get(path);
          if (!mc) continue;
          const all = new Set(mc.values());
          if (all.size > 0 && !all.has(null)) {
            if (all.size === 1) editor.makePathConditional(path, fromJson([...all][0]!));
            else {
              const name = `${apiId}${path.replace(/\//g, 'SLASH').replace(/\{/g, 'OB').replace(/\}/g, 'CB')}PathCondition`;
              addCombined(template, name, [...all] as string[]);
              editor.makePathConditional(path, ps(name));
            }
          }
        }
        setApiBody(ctx, apiId, deepcopy(editor.doc));
      }
      const ib = apiBody(ctx, kind.implicitId, implicit['Properties'] as JsonObject);
      if (ib && (ib.get('paths') as PyDict).size === 0) {
        apiState(ctx).implicit.delete(kind.implicitId);
        if (existing !== undefined) {
          res[kind.implicitId] = existing;
          const { bodies } = { bodies: (ctx.shared.get('sam-api') as { bodies: Map<string, PyDict> }).bodies };
          bodies.delete(kind.implicitId);
        } else {
          delete res[kind.implicitId];
          (ctx.shared.get('sam-api') as { bodies: Map<string, PyDict> }).bodies.delete(kind.implicitId);
        }
      }
      if (errors.length) throw new InvalidDocumentError(errors);
    },
  };
}

function addCombined(template: JsonObject, name: string, conds: string[]): void {
  if (!isObj(template['Conditions'])) template['Conditions'] = {};
  Object.assign(template['Conditions'] as JsonObject, combinedCondition([...conds].sort(), name));
}

function addRouteSettings(apiId: string, tp: JsonObject, eid: string, ep: JsonObject, cond: Json | null): void {
  const path = ep['Path'] as string;
  const method = ep['Method'] as string;
  const route = method === 'x-amazon-apigateway-any-method' ? path : `${method.toUpperCase()} ${path}`;
  const api = 'RouteSettings' in tp ? tp['RouteSettings'] : {};
  if (!isObj(api)) throw new InvalidResourceError(apiId, "Property 'RouteSettings' should be a map.");
  const own: Json = 'RouteSettings' in ep ? ep['RouteSettings']! : {};
  let ev: Json = own;
  if (cond) ev = { 'Fn::If': [cond, own, { Ref: 'AWS::NoValue' }] };
  if (!isObj(ev)) throw new InvalidEventError(eid, "Property 'RouteSettings' should be a map.");
  const cur = isObj(api[route]) ? (api[route] as JsonObject) : {};
  api[route] = { ...cur, ...ev };
  tp['RouteSettings'] = api;
}

export const implicitRestApiPlugin = implicitPlugin(REST, 30);
export const implicitHttpApiPlugin = implicitPlugin(HTTP, 40);

/** APIs without DefinitionBody/DefinitionUri get a managed skeleton that events fill in. */
export const defaultDefinitionBodyPlugin: TemplatePlugin = {
  name: 'DefaultDefinitionBody',
  order: 20,
  beforeTransform(template, ctx) {
    const res = template['Resources'] as JsonObject;
    for (const kind of [REST, HTTP]) {
      for (const [id, r] of Object.entries(res)) {
        if (!isObj(r) || r['Type'] !== kind.apiType) continue;
        let props = r['Properties'];
        if (isObj(props) && (truthy(props['DefinitionBody']) || truthy(props['DefinitionUri']))) continue;
        if (!isObj(props)) {
          if (props !== undefined && props !== null) continue;
          props = r['Properties'] = {};
        }
        (props as JsonObject)['DefinitionBody'] = kind.implicitProps()['DefinitionBody']!;
        (props as JsonObject)['__MANAGE_SWAGGER'] = true;
        setApiBody(ctx, id, kind.skeleton());
      }
    }
  },
};

/**
 * Part of the reference's Globals plugin (fix_openapi_definitions), run right after it: a managed body of an Api
 * with an OpenAPI 3 `OpenApiVersion` (possibly from Globals) becomes `openapi: <version>` instead of `swagger`.
 */
export const openApiVersionPlugin: TemplatePlugin = {
  name: 'OpenApiVersionFix',
  order: 51,
  beforeTransform(template, ctx) {
    const res = template['Resources'] as JsonObject;
    for (const [id, r] of Object.entries(res)) {
      if (!isObj(r) || r['Type'] !== 'AWS::Serverless::Api' || !isObj(r['Properties'])) continue;
      const props = r['Properties'];
      if (!('OpenApiVersion' in props) || !('__MANAGE_SWAGGER' in props)) continue;
      let v = props['OpenApiVersion'];
      // YAML reads `3.0` as a float and `3` as an int: Python's str() keeps the `.0` of the float, which a JS number
      // loses. The value is the resource's own or the Globals' (Globals are merged by now; ids need no escaping).
      const f = ctx.integralFloats;
      const isFloat = !f || f.has(`/Resources/${id}/Properties/OpenApiVersion`) || f.has('/Globals/Api/OpenApiVersion');
      const text = typeof v === 'string' ? v : typeof v === 'number' ? (Number.isInteger(v) && isFloat ? `${v}.0` : String(v)) : JSON.stringify(v);
      if (!/^3(\.\d)(\.\d)?/.test(text) || !/^3(\.\d)(\.\d)?$/.test(text)) continue;
      const wasString = typeof v === 'string';
      if (!wasString) props['OpenApiVersion'] = v = text;
      if (!('DefinitionBody' in props)) continue;
      const body = apiBody(ctx, id, props);
      if (!body) continue;
      body.setP('openapi', wasString ? text : ps(text));
      if (pyTruthy(body.get('swagger'))) body.delete('swagger');
    }
  },
};

/** to_py27_compatible_template converts Resources (so they iterate in 2.7 order) only when an API is involved. */
function hasPy27Resources(template: JsonObject): boolean {
  const res = template['Resources'] as JsonObject;
  const globals = isObj(template['Globals']) ? template['Globals'] : {};
  const gh = isObj(globals['HttpApi']) ? globals['HttpApi'] : {};
  const globalDefault = isObj(gh['Auth']) && truthy(gh['Auth']['DefaultAuthorizer']);
  for (const r of Object.values(res)) {
    if (!isObj(r)) continue;
    if (r['Type'] === 'AWS::Serverless::Api') return true;
    const events = isObj(r['Properties']) ? r['Properties']['Events'] : undefined;
    if ((r['Type'] === 'AWS::Serverless::Function' || r['Type'] === 'AWS::Serverless::StateMachine') && isObj(events)) {
      for (const e of Object.values(events)) if (isObj(e) && e['Type'] === 'Api') return true;
    }
  }
  for (const r of Object.values(res)) {
    if (!isObj(r) || r['Type'] !== 'AWS::Serverless::HttpApi') continue;
    const auth = isObj(r['Properties']) ? r['Properties']['Auth'] : undefined;
    if ((isObj(auth) && truthy(auth['DefaultAuthorizer'])) || globalDefault) return true;
  }
  if (globalDefault) {
    for (const r of Object.values(res)) {
      if (!isObj(r) || r['Type'] !== 'AWS::Serverless::Function') continue;
      const events = isObj(r['Properties']) ? r['Properties']['Events'] : undefined;
      if (isObj(events)) for (const e of Object.values(events)) if (isObj(e) && e['Type'] === 'HttpApi') return true;
    }
  }
  return false;
}
