// Function `HttpApi` events: the Lambda permission for the HTTP API and the route's integration in its OpenAPI body.
import { InvalidDocumentError, InvalidEventError, InvalidResourceError } from '../errors.js';
import { PyDict, str, truthy as pyTruthy, fromJson, type PyVal } from '../openapi/py27.js';
import { DEFAULT_PATH, OpenApiEditor, pathWithoutTrailingSlashHttp } from '../openapi/openapi.js';
import { apiBody, guarded, setApiBody } from '../openapi/state.js';
import { X_ANY_METHOD } from '../openapi/swagger.js';
import type { TransformContext } from '../context.js';
import type { EventTranslator, SamEvent } from '../registry.js';
import type { FunctionTarget } from '../resources/function.js';
import { isObj, sub, type Generated, type JsonObject } from '../types.js';
import { validateProps, type Spec } from '../validate.js';
import { checkAuthorizerTypes, integrationUri } from './api.js';
import { permission } from './common.js';
import { samResources } from '../context.js';

const SPEC: Spec = {
  Path: 'string', Method: 'string', ApiId: 'string', Stage: 'string', Auth: 'map', TimeoutInMillis: 'int', RouteSettings: 'map', PayloadFormatVersion: 'string',
};

export const httpApiEvent: EventTranslator<FunctionTarget> = {
  type: 'HttpApi',
  translate(ev, t, ctx) {
    return guarded((m) => new InvalidEventError(ev.relativeId, m), () => translateEvent(ev, t, ctx));
  },
};

function translateEvent(ev: SamEvent, t: FunctionTarget, ctx: TransformContext): Generated[] {
  validateProps(ev.logicalId, ev.type, ev.props, SPEC);
  const rawId = ev.props['ApiId'];
  const apiId = isObj(rawId) && 'Ref' in rawId ? (rawId['Ref'] as string) : (rawId as string);
  const apiRes = samResources(ctx)[apiId];
  const api = (isObj(apiRes) && isObj(apiRes['Properties']) ? apiRes['Properties'] : {}) as JsonObject;
  const method = String(ev.props['Method'] ?? '').toLowerCase();
  const rawPath = String(ev.props['Path'] ?? '');
  const out: Generated[] = [];
  // Permission: the $default route covers everything; a function already on $default needs no other.
  let path = rawPath.replace(/^(.+)\/$/, '$1');
  let editor: OpenApiEditor | undefined;
  const body = apiBody(ctx, apiId, api);
  if (body && pyTruthy(body)) {
    try {
      editor = new OpenApiEditor(body);
    } catch (e) {
      if (e instanceof InvalidDocumentError) throw new InvalidResourceError(apiId, e.causes.map((c) => c.message).join(' '));
      throw e;
    }
  }
  let skip = false;
  if (path === DEFAULT_PATH) path = '';
  else if (editor && editor.isIntegrationFunctionLogicalIdMatch(DEFAULT_PATH, X_ANY_METHOD, t.functionId)) skip = true;
  if (!skip) {
    path = pathWithoutTrailingSlashHttp(path);
    const m = method === 'any' || method === X_ANY_METHOD ? '*' : method.toUpperCase();
    let resource = '${__ApiId__}/${__Stage__}';
    if (method === 'any' && path === `/${DEFAULT_PATH}`) resource += path;
    else resource += `/${m}${path}`;
    const sourceArn = sub(`arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:${resource}`, { __ApiId__: rawId ?? null, __Stage__: '*' });
    out.push(permission(ev, t, 'apigateway.amazonaws.com', { sourceArn }));
  }
  if (!body) return out;
  const uri = integrationUri(t, '${AWS::Partition}');
  const ed = new OpenApiEditor(body);
  if (api['__MANAGE_SWAGGER'] && ed.hasIntegration(rawPath, method)) throw new InvalidEventError(ev.relativeId, `API method '${method}' defined multiple times for path '${rawPath}'.`);
  const cond = t.sam.attrs['Condition'];
  ed.addLambdaIntegration(rawPath, method, uri, cond === undefined ? undefined : fromJson(cond));
  const authJson = ev.props['Auth'];
  if (isObj(authJson) && Object.keys(authJson).length) {
    const auth = fromJson(authJson) as PyDict;
    addAuth(ev.relativeId, api, apiId, ed, auth, method, rawPath);
  }
  const timeout = ev.props['TimeoutInMillis'];
  if (timeout !== undefined && timeout !== null && timeout !== 0) ed.addTimeoutToMethod(rawPath, method, fromJson(timeout));
  const params = [...rawPath.matchAll(/\{(.*?)\}/g)].map((m) => m[1]!);
  if (params.length) ed.addPathParameters(rawPath, method, params);
  const pfv = ev.props['PayloadFormatVersion'];
  if (pfv !== undefined && pfv !== null && pfv !== '') ed.addPayloadFormatVersion(rawPath, method, fromJson(pfv));
  setApiBody(ctx, apiId, ed.openapi);
  return out;
}

function addAuth(eventId: string, api: JsonObject, apiId: string, editor: OpenApiEditor, auth: PyDict, method: string, path: string): void {
  let authorizer: PyVal | undefined = auth.get('Authorizer');
  const apiAuthJson = 'Auth' in api ? api['Auth'] : {};
  if (!isObj(apiAuthJson)) throw new InvalidResourceError(apiId, "Property 'Auth' should be a map.");
  const apiAuth = fromJson(apiAuthJson) as PyDict;
  if (!pyTruthy(authorizer)) {
    if (pyTruthy(apiAuth.get('DefaultAuthorizer'))) {
      authorizer = apiAuth.get('DefaultAuthorizer')!;
      auth.set('Authorizer', authorizer);
    } else throw new InvalidEventError(eventId, "'Auth' section requires either an explicit 'Authorizer' set or a 'DefaultAuthorizer' configured on the HttpApi.");
  }
  const authorizers = apiAuth.get('Authorizers');
  const iam = apiAuth.get('EnableIamAuthorizer') === true;
  checkAuthorizerTypes(eventId, method, path, authorizer, pyTruthy(apiAuth) ? authorizers ?? null : apiAuth, iam);
  const name = str(authorizer);
  if (name === 'NONE') {
    if (!pyTruthy(apiAuth.get('DefaultAuthorizer'))) {
      throw new InvalidEventError(eventId, `Unable to set Authorizer on API method [${method}] for path [${path}] because 'NONE' is only a valid value when a DefaultAuthorizer on the API is specified.`);
    }
  } else if ((name === 'AWS_IAM' && !iam) || name !== 'AWS_IAM') {
    if (!pyTruthy(authorizers)) throw new InvalidEventError(eventId, `Unable to set Authorizer [${name}] on API method [${method}] for path [${path}] because the related API does not define any Authorizers.`);
    if (!pyTruthy((authorizers as PyDict).get(name!))) throw new InvalidEventError(eventId, `Unable to set Authorizer [${name}] on API method [${method}] for path [${path}] because it wasn't defined in the API's Authorizers.`);
  }
  const scopes = auth.get('AuthorizationScopes');
  if (pyTruthy(scopes) && !Array.isArray(scopes)) {
    throw new InvalidEventError(eventId, `Unable to set Authorizer on API method [${method}] for path [${path}] because 'AuthorizationScopes' must be a list of strings.`);
  }
  editor.addAuthToMethod(path, method, auth, pyTruthy(apiAuth) ? apiAuth : undefined);
}
