// Function `Api` events: the Lambda permission for the REST API, and the integration (auth, models, parameters)
// written into the API's managed Swagger, as samtranslator's push.Api does.
import { resolved, samResources, type TransformContext } from '../context.js';
import { InvalidEventError, InvalidResourceError, pyStr } from '../errors.js';
import { deepcopy, fromJson, isDict, ps, PyDict, str, toJson, truthy as pyTruthy, type PyVal } from '../openapi/py27.js';
import { apiBody, guarded, setApiBody, stageNameValue } from '../openapi/state.js';
import { pathWithoutTrailingSlash, SwaggerEditor } from '../openapi/swagger.js';
import type { EventTranslator, SamEvent } from '../registry.js';
import type { FunctionTarget } from '../resources/function.js';
import { isObj, sub, type Generated, type Json, type JsonObject } from '../types.js';
import { validateProps, type Spec } from '../validate.js';
import { permission } from './common.js';

const API_SPEC: Spec = {
  Path: { check: 'string', required: true }, Method: { check: 'string', required: true }, RestApiId: { check: 'string', required: true }, Stage: 'string',
  Auth: 'map', RequestModel: 'map', RequestParameters: 'list', TimeoutInMillis: 'int', ResponseTransferMode: 'string',
};

export const restApiIdString = (v: Json | undefined): Json | undefined => (isObj(v) && 'Ref' in v ? v['Ref'] : v);

/** The linked API: its properties and the stage suffix of the permission id (resources_to_link_for_rest_api). */
export function linkRestApi(ctx: TransformContext, relativeId: string, raw: Json | undefined): { api: JsonObject | undefined; apiId: Json | undefined; suffix: string; stage: PyVal } {
  const apiId = restApiIdString(raw);
  if (typeof apiId !== 'string') return { api: undefined, apiId, suffix: 'AllStages', stage: ps('AllStages') };
  const r = samResources(ctx)[apiId];
  if (!isObj(r)) throw new InvalidEventError(relativeId, 'RestApiId property of Api event must reference a valid resource in the same template.');
  const props = r['Properties'] ?? {};
  if (!isObj(props)) throw new InvalidResourceError(apiId, "Attribute 'Properties' should be a map.");
  const stage = props['StageName'];
  if (typeof stage === 'string') {
    if (!stage) throw new InvalidResourceError(apiId, 'StageName cannot be empty.');
    return { api: props, apiId, suffix: stage, stage: stageNameValue(ctx, apiId, stage) };
  }
  return { api: props, apiId, suffix: 'Stage', stage: ps('Stage') };
}

/** `arn:<partition>:apigateway:${AWS::Region}:lambda:path/…/functions/${Fn.Arn}/invocations` as a Py27Dict Fn::Sub. */
export function integrationUri(t: FunctionTarget, partition: string, stream = false): PyDict {
  const arn = t.arn as JsonObject;
  const short = 'Ref' in arn ? `\${${String(arn['Ref'])}}` : `\${${(arn['Fn::GetAtt'] as string[]).join('.')}}`;
  const [ver, tail] = stream ? ['2021-11-15', '/response-streaming-invocations'] : ['2015-03-31', '/invocations'];
  const s = `arn:${partition}:apigateway:\${AWS::Region}:lambda:path/${ver}/functions/${short}${tail}`;
  const d = new PyDict(true);
  d.setP('Fn::Sub', 'Fn::GetAtt' in arn ? s : ps(s));
  return d;
}

export function checkAuthorizerTypes(eventId: string, method: string, path: string, authorizer: PyVal | undefined, authorizers: PyVal | undefined, iamEnabled: boolean): void {
  if (str(authorizer) === 'NONE') return;
  if (str(authorizer) === 'AWS_IAM' && iamEnabled) return;
  if (typeof str(authorizer) !== 'string' || !isDict(authorizers)) {
    throw new InvalidEventError(eventId, `Unable to set Authorizer [${pyDisplay(authorizer)}] on API method [${method}] for path [${path}]. The method authorizer must be a string with a corresponding dict entry in the api authorizer.`);
  }
}

/** Python's str() of the value as the message prints it. */
const pyDisplay = (v: PyVal | undefined): string => (v === undefined || v === null ? 'None' : str(v) ?? pyStr(toJson(v)));

/** Event Auth on the method: authorizer, scopes, API key, resource policy (add_auth_to_swagger). */
export function addAuthToSwagger(ctx: TransformContext, eventAuth: PyDict, api: JsonObject, apiId: string, eventId: string, method: string, path: string, stage: PyVal, editor: SwaggerEditor): void {
  const authorizer = eventAuth.get('Authorizer');
  const apiAuthJson = resolved(ctx, api['Auth']);
  const apiAuth = apiAuthJson === undefined || apiAuthJson === null ? undefined : (fromJson(apiAuthJson) as PyDict);
  if (pyTruthy(authorizer)) {
    const authorizers = apiAuth && isDict(apiAuth) ? apiAuth.get('Authorizers') : undefined;
    if (pyTruthy(authorizers) && !isDict(authorizers)) throw new InvalidResourceError(apiId, "Property 'Auth.Authorizers' should be a map.");
    if (str(authorizer) !== 'AWS_IAM') {
      if (str(authorizer) !== 'NONE') {
        if (!pyTruthy(authorizers)) throw new InvalidEventError(eventId, `Unable to set Authorizer [${pyDisplay(authorizer)}] on API method [${method}] for path [${path}] because the related API does not define any Authorizers.`);
        checkAuthorizerTypes(eventId, method, path, authorizer, authorizers, false);
        if (!pyTruthy((authorizers as PyDict).get(str(authorizer)!))) {
          throw new InvalidEventError(eventId, `Unable to set Authorizer [${pyDisplay(authorizer)}] on API method [${method}] for path [${path}] because it wasn't defined in the API's Authorizers.`);
        }
      } else {
        checkAuthorizerTypes(eventId, method, path, authorizer, authorizers, false);
        if (!apiAuth || !pyTruthy(apiAuth.get('DefaultAuthorizer'))) {
          throw new InvalidEventError(eventId, `Unable to set Authorizer on API method [${method}] for path [${path}] because 'NONE' is only a valid value when a DefaultAuthorizer on the API is specified.`);
        }
      }
    }
  }
  const scopes = eventAuth.get('AuthorizationScopes');
  if (pyTruthy(scopes)) {
    if (!Array.isArray(scopes)) throw new InvalidEventError(eventId, "Property 'Auth.AuthorizationScopes' should be a list.");
    if (!pyTruthy(authorizer)) throw new InvalidEventError(eventId, 'AuthorizationScopes works only when Authorizer is set');
  }
  const apiKey = eventAuth.get('ApiKeyRequired');
  if (apiKey !== undefined && apiKey !== null && !pyTruthy(apiKey) && (!apiAuth || !pyTruthy(apiAuth.get('ApiKeyRequired')))) {
    throw new InvalidEventError(eventId, `Unable to set ApiKeyRequired [False] on API method [${method}] for path [${path}] because the related API does not specify any ApiKeyRequired.`);
  }
  if (pyTruthy(authorizer) || (apiKey !== undefined && apiKey !== null)) {
    const rawApiAuth = api['Auth'];
    editor.addAuthToMethod(path, method, eventAuth, isObj(rawApiAuth) ? (fromJson(rawApiAuth) as PyDict) : undefined);
  }
  const rp = eventAuth.get('ResourcePolicy');
  if (pyTruthy(rp)) {
    if (!isDict(rp)) throw new InvalidEventError(eventId, "Property 'Auth.ResourcePolicy' should be a map.");
    editor.addResourcePolicy(rp, path, stage);
    if (pyTruthy(rp.get('CustomStatements'))) editor.addCustomStatements(rp.get('CustomStatements')!);
  }
}

const PARAM_KEY = /^method\.request\.(querystring|path|header)\./;

function swaggerIntegration(ctx: TransformContext, ev: SamEvent, t: FunctionTarget, api: JsonObject, apiId: string, method: string, path: string, stage: PyVal): void {
  const merge = api['MergeDefinitions'];
  let body = apiBody(ctx, apiId, api);
  if (body === undefined) return;
  if (pyTruthy(fromJson(merge))) body = SwaggerEditor.skeleton();
  const stream = ev.props['ResponseTransferMode'] === 'RESPONSE_STREAM';
  const uri = integrationUri(t, ctx.partition, stream);
  const editor = new SwaggerEditor(body);
  const methodPy: PyVal = method;
  if (editor.hasIntegration(path, methodPy)) throw new InvalidEventError(ev.relativeId, `API method "${method}" defined multiple times for path "${path}".`);
  const cond = t.sam.attrs['Condition'];
  const authJson = ev.props['Auth'];
  const methodAuth = authJson === undefined || authJson === null ? new PyDict(true) : fromJson(authJson);
  if (!isDict(methodAuth)) throw new InvalidEventError(ev.relativeId, "Property 'Auth' should be a map.");
  const apiAuthRaw = api['Auth'];
  const apiAuth = pyTruthy(fromJson(apiAuthRaw)) ? fromJson(apiAuthRaw) : new PyDict(true);
  if (!isDict(apiAuth)) throw new InvalidResourceError(apiId, "Property 'Auth' should be a map.");
  editor.addLambdaIntegration(path, methodPy, uri, methodAuth, apiAuth, cond === undefined ? undefined : fromJson(cond), ev.props['ResponseTransferMode'] === undefined ? undefined : fromJson(ev.props['ResponseTransferMode']), ctx.partition);
  if (pyTruthy(methodAuth)) addAuthToSwagger(ctx, methodAuth, api, apiId, ev.relativeId, method, path, stage, editor);
  const timeout = ev.props['TimeoutInMillis'];
  if (timeout !== undefined && timeout !== null && timeout !== 0) editor.addTimeoutToMethod(path, methodPy, fromJson(timeout));
  const rm = ev.props['RequestModel'];
  if (isObj(rm) && Object.keys(rm).length) requestModel(ev, api, editor, fromJson(rm) as PyDict, method, path);
  const rps = ev.props['RequestParameters'];
  if (Array.isArray(rps) && rps.length) {
    const list: { name: string; required: PyVal; caching: PyVal }[] = [];
    const bad = "Invalid value for 'RequestParameters' property. Keys must be in the format 'method.request.[querystring|path|header].{value}', e.g 'method.request.header.Authorization'.";
    for (const p of rps) {
      if (isObj(p)) {
        const [name, value] = Object.entries(p)[0] ?? ['', null];
        if (!PARAM_KEY.test(name)) throw new InvalidEventError(ev.relativeId, bad);
        if (!isObj(value) || !Object.keys(value).every((k) => k === 'Required' || k === 'Caching')) {
          throw new InvalidEventError(ev.relativeId, "Invalid value for 'RequestParameters' property. Values must be an object, e.g { Required: true, Caching: false }");
        }
        list.push({ name, required: fromJson(value['Required'] ?? false), caching: fromJson(value['Caching'] ?? false) });
      } else if (typeof p === 'string') {
        if (!PARAM_KEY.test(p)) throw new InvalidEventError(ev.relativeId, bad);
        list.push({ name: p, required: false, caching: false });
      } else throw new InvalidEventError(ev.relativeId, "Invalid value for 'RequestParameters' property. Property must be either a string or an object");
    }
    editor.addRequestParameters(path, methodPy, list);
  }
  if (pyTruthy(fromJson(merge))) setApiBody(ctx, apiId, mergedDefinitions(apiId, apiBody(ctx, apiId, api)!, editor, path, method));
  else setApiBody(ctx, apiId, editor.swagger);
}

function requestModel(ev: SamEvent, api: JsonObject, editor: SwaggerEditor, rm: PyDict, method: string, path: string): void {
  const model = rm.get('Model');
  if (!pyTruthy(model)) return;
  const m = pyDisplay(model);
  const models = api['Models'];
  if (!isObj(models) && !(models !== undefined && models !== null && models !== false && models !== '' && !(Array.isArray(models) && models.length === 0))) {
    throw new InvalidEventError(ev.relativeId, `Unable to set RequestModel [${m}] on API method [${method}] for path [${path}] because the related API does not define any Models.`);
  }
  if (!isObj(models) || Object.keys(models).length === 0) {
    if (isObj(models)) throw new InvalidEventError(ev.relativeId, `Unable to set RequestModel [${m}] on API method [${method}] for path [${path}] because the related API does not define any Models.`);
    throw new InvalidEventError(ev.relativeId, `Unable to set RequestModel [${m}] on API method [${method}] for path [${path}] because the related API Models defined is of invalid type.`);
  }
  if (typeof model !== 'string') throw new InvalidEventError(ev.relativeId, `Unable to set RequestModel [${m}] on API method [${method}] for path [${path}] because the related API does not contain valid Models.`);
  if (!models[model]) throw new InvalidEventError(ev.relativeId, `Unable to set RequestModel [${m}] on API method [${method}] for path [${path}] because it wasn't defined in the API's Models.`);
  editor.addRequestModel(path, method, rm);
  let vb = rm.get('ValidateBody');
  let vp = rm.get('ValidateParameters');
  if ((vb !== undefined && vb !== null) || (vp !== undefined && vp !== null)) {
    vb = vb === undefined || vb === null ? false : vb;
    vp = vp === undefined || vp === null ? false : vp;
    if (typeof vb !== 'boolean' || typeof vp !== 'boolean') {
      throw new InvalidEventError(ev.relativeId, `Unable to set Validator to RequestModel [${m}] on API method [${method}] for path [${path}] ValidateBody and ValidateParameters must be a boolean type, strings or intrinsics are not supported.`);
    }
    editor.addRequestValidator(path, method, vb, vp);
  }
}

/** MergeDefinitions: the generated method body is merged over the method of the user's definition. */
function mergedDefinitions(apiId: string, source: PyDict, editor: SwaggerEditor, path: string, method: string): PyDict {
  const merged = source.copy();
  let paths = merged.get('paths');
  if (!pyTruthy(paths)) paths = new PyDict(false);
  const pathsD = paths as PyDict;
  const pi = pathsD.get(path);
  if (pi !== undefined && pi !== null && !isDict(pi)) throw new InvalidResourceError(apiId, `Property 'DefinitionBody' is invalid: The value of '${path}' should be a map.`);
  const pm = isDict(pi) ? (pi.get(method) ?? new PyDict(false)) : new PyDict(false);
  const pmv = pm === null ? new PyDict(false) : pm;
  if (!isDict(pmv)) throw new InvalidResourceError(apiId, `Property 'DefinitionBody.paths.${path}.${method}' should be a map.`);
  const normalized = method.toLowerCase() === 'any' ? 'x-amazon-apigateway-any-method' : method;
  const dest = editor.swagger;
  const generated = ((dest.get('paths') as PyDict).get(path) as PyDict).get(normalized) as PyDict;
  const body = new PyDict(false);
  for (const [k, v] of pmv.entries()) body.set(k, v, pmv.isPlainKey(k));
  for (const [k, v] of generated.entries()) body.set(k, v, generated.isPlainKey(k));
  if (!pathsD.has(path)) pathsD.set(path, new PyDict(false));
  (pathsD.get(path) as PyDict).set(method, body);
  return merged;
}

export const apiEvent: EventTranslator<FunctionTarget> = {
  type: 'Api',
  translate(ev, t, ctx) {
    return guarded((m) => new InvalidEventError(ev.relativeId, m), () => translateEvent(ev, t, ctx));
  },
};

function translateEvent(ev: SamEvent, t: FunctionTarget, ctx: TransformContext): Generated[] {
  const link = linkRestApi(ctx, ev.relativeId, ev.props['RestApiId']);
  validateProps(ev.logicalId, ev.type, ev.props, API_SPEC);
  const path = ev.props['Path'] as string;
  const method = (ev.props['Method'] as string).toLowerCase();
  const out: Generated[] = [];
  const p = path.replace(/^(.+)\/$/, '$1');
  const m = method === 'any' ? '*' : method.toUpperCase();
  const sourceArn = sub(`arn:${ctx.partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${__ApiId__}/\${__Stage__}/${m}${pathWithoutTrailingSlash(p)}`, { __ApiId__: ev.props['RestApiId']!, __Stage__: '*' });
  out.push(permission(ev, t, 'apigateway.amazonaws.com', { sourceArn, suffix: link.suffix }));
  const api = link.api;
  if (!api) return out;
  const apiId = link.apiId as string;
  if (api['__MANAGE_SWAGGER'] || api['MergeDefinitions']) swaggerIntegration(ctx, ev, t, api, apiId, method, path, link.stage);
  const auth = ev.props['Auth'];
  const body = apiBody(ctx, apiId, api);
  if (body && isObj(auth) && auth['OverrideApiAuth']) {
    if (!(auth['Authorizer'] || auth['ApiKeyRequired'] || auth['ResourcePolicy'])) {
      throw new InvalidEventError(ev.relativeId, 'Must define one of: Authorizer, ApiKeyRequired or ResourcePolicy when using the OverrideApiAuth property.');
    }
    const editor = new SwaggerEditor(deepcopy(body));
    addAuthToSwagger(ctx, fromJson(auth) as PyDict, api, apiId, ev.relativeId, method, path, link.stage, editor);
    setApiBody(ctx, apiId, editor.swagger);
  }
  return out;
}
