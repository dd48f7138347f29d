// AWS::Serverless::HttpApi → ApiGatewayV2 Api (OpenAPI body with auth, CORS, tags), its auto-deployed Stage,
// authorizer permissions and custom domains, as samtranslator's HttpApiGenerator builds them.
import { resolved, type TransformContext } from '../context.js';
import { InvalidResourceError } from '../errors.js';
import { logicalId } from '../hash.js';
import { fromJson, isDict, isStr, pd, ps, PyDict, str, toJson, truthy as pyTruthy, type PyVal } from '../openapi/py27.js';
import { pyEqual } from '../openapi/swagger.js';
import { isIntrinsicPy, OpenApiEditor } from '../openapi/openapi.js';
import { apiBody, guarded } from '../openapi/state.js';
import type { ResourceTranslator } from '../registry.js';
import type { SamResource } from '../resource.js';
import { propagateTags } from '../tags.js';
import { cfn, isObj, truthy, type Generated, type Json, type JsonObject } from '../types.js';
import { oneOf, validateProps, type Spec } from '../validate.js';
import { parseS3Uri } from './api.js';
import { httpApiDomain } from './http-api-domain.js';

const SPEC: Spec = {
  __MANAGE_SWAGGER: 'bool', Name: 'any', StageName: oneOf('string', 'map'), Tags: 'map', PropagateTags: 'bool', DefinitionBody: 'map',
  DefinitionUri: oneOf('string', 'map'), StageVariables: 'map', CorsConfiguration: oneOf('bool', 'map'), AccessLogSettings: 'map',
  DefaultRouteSettings: 'map', Auth: 'map', RouteSettings: 'map', Domain: 'map', FailOnWarnings: 'bool', Description: 'string', DisableExecuteApiEndpoint: 'bool',
};
const CORS_KEYS = ['AllowMethods', 'AllowHeaders', 'AllowOrigins', 'MaxAge', 'ExposeHeaders', 'AllowCredentials'];
const AUTH_KEYS = ['Authorizers', 'DefaultAuthorizer', 'EnableIamAuthorizer'];

interface HttpAuthorizer {
  name: string;
  iam: boolean;
  scopes: PyVal | undefined;
  jwt: PyDict | undefined;
  idSource: PyVal | undefined;
  functionArn: PyVal | undefined;
  invokeRole: PyVal | undefined;
  identity: PyVal | undefined;
  payloadVersion: PyVal | undefined;
  simpleResponses: PyVal | undefined;
  defaultPermissions: PyVal | undefined;
}

const DISPLAY: [keyof HttpAuthorizer, string, string][] = [
  ['scopes', 'AuthorizationScopes', 'OAuth2 Authorizer'], ['jwt', 'JwtConfiguration', 'OAuth2 Authorizer'],
  ['idSource', 'IdentitySource', "OAuth2 Authorizer. For Lambda Authorizer, use the 'Identity' property instead"], ['functionArn', 'FunctionArn', 'Lambda Authorizer'],
  ['invokeRole', 'FunctionInvokeRole', 'Lambda Authorizer'], ['identity', 'Identity', 'Lambda Authorizer'],
  ['payloadVersion', 'AuthorizerPayloadFormatVersion', 'Lambda Authorizer'], ['simpleResponses', 'EnableSimpleResponses', 'Lambda Authorizer'],
  ['defaultPermissions', 'EnableFunctionDefaultPermissions', 'Lambda Authorizer'],
];
const ALLOWED: Record<string, (keyof HttpAuthorizer)[]> = { JWT: ['scopes', 'jwt', 'idSource'], REQUEST: ['functionArn', 'invokeRole', 'identity', 'payloadVersion', 'simpleResponses', 'defaultPermissions'], AWS_IAM: [] };

const kindOf = (a: HttpAuthorizer): string => (a.iam ? 'AWS_IAM' : a.jwt ? 'JWT' : 'REQUEST');

function makeAuthorizer(apiId: string, name: string, c: PyDict | undefined, iam = false): HttpAuthorizer {
  const g = (k: string): PyVal | undefined => {
    const v = c?.get(k);
    return v === null ? undefined : v;
  };
  const jwtRaw = g('JwtConfiguration');
  let jwt: PyDict | undefined;
  if (pyTruthy(jwtRaw)) {
    if (!isDict(jwtRaw)) throw new InvalidResourceError(apiId, "Property 'JwtConfiguration' should be a map.");
    jwt = new PyDict(false);
    for (const [k, v] of jwtRaw.entries()) jwt.set(k.toLowerCase(), v);
  }
  const a: HttpAuthorizer = {
    name, iam, scopes: g('AuthorizationScopes'), jwt, idSource: g('IdentitySource'), functionArn: g('FunctionArn'), invokeRole: g('FunctionInvokeRole'),
    identity: g('Identity'), payloadVersion: g('AuthorizerPayloadFormatVersion'), simpleResponses: g('EnableSimpleResponses'), defaultPermissions: g('EnableFunctionDefaultPermissions'),
  };
  const kind = kindOf(a);
  if (a.scopes !== undefined && !Array.isArray(a.scopes)) throw new InvalidResourceError(apiId, 'AuthorizationScopes must be a list.');
  for (const [attr, display, forWhat] of DISPLAY) if (a[attr] !== undefined && !ALLOWED[kind]!.includes(attr)) throw new InvalidResourceError(apiId, `${display} is only supported for ${forWhat}.`);
  if (kind === 'JWT' && !pyTruthy(a.idSource)) throw new InvalidResourceError(apiId, `${name} OAuth2 Authorizer must define 'IdentitySource'.`);
  if (kind === 'REQUEST') {
    if (!pyTruthy(a.functionArn)) throw new InvalidResourceError(apiId, `${name} Lambda Authorizer must define 'FunctionArn'.`);
    if (!pyTruthy(a.payloadVersion)) throw new InvalidResourceError(apiId, `${name} Lambda Authorizer must define 'AuthorizerPayloadFormatVersion'.`);
  }
  if (a.defaultPermissions !== undefined && typeof a.defaultPermissions !== 'boolean') throw new InvalidResourceError(apiId, `Property 'Authorizers.${name}.EnableFunctionDefaultPermissions' should be a boolean.`);
  return a;
}

function authorizerOpenApi(apiId: string, a: HttpAuthorizer, partition: string): PyDict {
  const kind = kindOf(a);
  const KEY = 'x-amazon-apigateway-authorizer';
  if (kind === 'AWS_IAM') return pd([['type', ps('apiKey')], ['name', ps('Authorization')], ['in', ps('header')], ['x-amazon-apigateway-authtype', ps('awsSigv4')]]);
  if (kind === 'JWT') return pd([['type', ps('oauth2')], [KEY, pd([['jwtConfiguration', a.jwt!], ['identitySource', a.idSource!], ['type', ps('jwt')]])]]);
  const az = pd([['type', ps('request')]]);
  az.setP('authorizerUri', pd([['Fn::Sub', [ps(`arn:${partition}:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${__FunctionArn__}/invocations`), pd([['__FunctionArn__', a.functionArn!]])]]]));
  if (pyTruthy(a.invokeRole) && str(a.invokeRole) !== 'NONE') az.setP('authorizerCredentials', a.invokeRole!);
  if (pyTruthy(a.identity)) {
    if (!isDict(a.identity)) throw new InvalidResourceError(apiId, `Property 'Auth.Authorizers.${a.name}.Identity' should be a map.`);
    const ttl = a.identity.get('ReauthorizeEvery');
    if (ttl !== undefined && ttl !== null) az.setP('authorizerResultTtlInSeconds', ttl);
    const src: PyVal[] = [];
    for (const [prefix, prop] of [['$request.header.', 'Headers'], ['$request.querystring.', 'QueryStrings'], ['$stageVariables.', 'StageVariables'], ['$context.', 'Context']] as const) {
      const vals = a.identity.get(prop);
      if (!pyTruthy(vals)) continue;
      const path = `Authorizers.${a.name}.Identity.${prop}`;
      if (!Array.isArray(vals)) throw new InvalidResourceError(apiId, `Property '${path}' should be a list.`);
      vals.forEach((v, i) => {
        if (!isStr(v)) throw new InvalidResourceError(apiId, `Property '${path}[${i}]' should be a string.`);
        src.push(prefix + str(v)!);
      });
    }
    az.setP('identitySource', src);
  }
  az.setP('authorizerPayloadFormatVersion', a.payloadVersion!);
  if (pyTruthy(a.simpleResponses)) az.setP('enableSimpleResponses', a.simpleResponses!);
  return pd([['type', ps('apiKey')], ['name', ps('Unused')], ['in', ps('header')], [KEY, az]]);
}

function authorizers(apiId: string, config: PyVal | undefined, iam: PyVal | undefined): Map<string, HttpAuthorizer> {
  const out = new Map<string, HttpAuthorizer>();
  if (iam === true) out.set('AWS_IAM', makeAuthorizer(apiId, 'AWS_IAM', undefined, true));
  if (!pyTruthy(config)) return out;
  if (!isDict(config)) throw new InvalidResourceError(apiId, "Property 'Auth.Authorizers' should be a map.");
  for (const [name, c] of config.entries()) {
    if (!isDict(c)) throw new InvalidResourceError(apiId, `Property 'Auth.Authorizers.${name}' should be a map.`);
    if (c.has('OpenIdConnectUrl')) throw new InvalidResourceError(apiId, `'OpenIdConnectUrl' is no longer a supported property for authorizer '${name}'. Please refer to the AWS SAM documentation.`);
    out.set(name, makeAuthorizer(apiId, name, c));
  }
  return out;
}

function translate(r: SamResource, ctx: TransformContext): Generated[] {
  validateProps(r.id, r.type, r.props, SPEC);
  const id = r.id;
  const get = (k: string): Json | undefined => r.get(k);
  let body: PyDict | undefined = apiBody(ctx, id, r.props);
  if (body && !pyTruthy(body)) body = undefined;
  const defUri = get('DefinitionUri');
  const attrs = r.passthrough();
  if (truthy(defUri) && body) throw new InvalidResourceError(id, "Specify either 'DefinitionUri' or 'DefinitionBody' property and not both.");
  // CORS
  const corsJ = resolved(ctx, get('CorsConfiguration'));
  if (truthy(corsJ)) {
    if (!body) throw new InvalidResourceError(id, "Cors works only with inline OpenApi specified in 'DefinitionBody' property.");
    const c = fromJson(corsJ);
    const p: Record<string, PyVal | undefined> = { AllowCredentials: false };
    if (typeof c === 'boolean') p['AllowOrigins'] = [ps('*')];
    else if (isIntrinsicPy(c)) p['AllowOrigins'] = c;
    else if (isDict(c)) {
      for (const k of c.keys()) if (!CORS_KEYS.includes(k)) throw new InvalidResourceError(id, `Invalid key '${k}' for 'Cors' property.`);
      for (const [k, v] of c.entries()) p[k] = v;
    } else throw new InvalidResourceError(id, "Invalid value for 'Cors' property.");
    if (!OpenApiEditor.isValid(body)) throw new InvalidResourceError(id, "Unable to add Cors configuration because 'DefinitionBody' does not contain a valid OpenApi definition.");
    if (p['AllowCredentials'] === true && pyEqual(p['AllowOrigins'], [ps('*')])) {
      throw new InvalidResourceError(id, 'Unable to add Cors configuration because \'AllowCredentials\' can not be true when \'AllowOrigin\' is "\'*\'" or not set.');
    }
    const ed = new OpenApiEditor(body);
    ed.addCors(p['AllowOrigins'] ?? null, p['AllowHeaders'] ?? null, p['AllowMethods'] ?? null, p['ExposeHeaders'] ?? null, p['MaxAge'] ?? null, p['AllowCredentials'] ?? null);
    body = ed.openapi;
  }
  // Auth
  const authJ = get('Auth');
  let authMap: Map<string, HttpAuthorizer> | undefined;
  if (truthy(authJ)) {
    if (!body) throw new InvalidResourceError(id, "Auth works only with inline OpenApi specified in the 'DefinitionBody' property.");
    const auth = fromJson(authJ) as PyDict;
    if (!auth.keys().every((k) => AUTH_KEYS.includes(k))) throw new InvalidResourceError(id, "Invalid value for 'Auth' property");
    if (!OpenApiEditor.isValid(body)) throw new InvalidResourceError(id, "Unable to add Auth configuration because 'DefinitionBody' does not contain a valid OpenApi definition.");
    const ed = new OpenApiEditor(body);
    authMap = authorizers(id, auth.get('Authorizers'), auth.has('EnableIamAuthorizer') ? auth.get('EnableIamAuthorizer') : false);
    ed.addAuthorizers([...authMap].map(([n, a]) => [n, authorizerOpenApi(id, a, ctx.partition)]));
    const def = auth.get('DefaultAuthorizer');
    if (pyTruthy(def) && !(isDict(def) && def.size === 1 && str(def.get('Ref')) === 'AWS::NoValue')) {
      if (!isStr(def)) throw new InvalidResourceError(id, "Property 'Auth.DefaultAuthorizer' should be a string.");
      const d = str(def)!;
      if (!authMap.has(d)) throw new InvalidResourceError(id, `Unable to set DefaultAuthorizer because '${d}' was not defined in 'Authorizers'.`);
      const scopes = authMap.get(d)!.scopes;
      for (const path of ed.paths.keys()) ed.setPathDefaultAuthorizer(path, d, scopes === undefined ? [] : scopes);
    }
    body = ed.openapi;
  }
  // Tags: the body carries them (with httpapi:createdBy) whenever it is a valid OpenAPI document.
  let tags = get('Tags') as JsonObject | undefined;
  if (truthy(tags) && !body) throw new InvalidResourceError(id, "Tags works only with inline OpenApi specified in the 'DefinitionBody' property.");
  let stageTags: JsonObject | undefined = isObj(tags) ? tags : undefined;
  if (body) {
    if (truthy(tags) && !OpenApiEditor.isValid(body)) throw new InvalidResourceError(id, "Unable to add `Tags` because 'DefinitionBody' does not contain a valid OpenApi definition.");
    if (OpenApiEditor.isValid(body)) {
      tags = { ...(isObj(tags) ? tags : {}), 'httpapi:createdBy': 'SAM' };
      stageTags = tags;
      const ed = new OpenApiEditor(body);
      ed.addTags(fromJson(tags) as PyDict);
      body = ed.openapi;
    }
  }
  const api = cfn('AWS::ApiGatewayV2::Api', {}, { DependsOn: r.dependsOn === undefined || r.dependsOn === null ? undefined : r.dependsOn, ...r.attrs });
  const ap = api.Properties!;
  if (truthy(get('FailOnWarnings'))) ap['FailOnWarnings'] = get('FailOnWarnings')!;
  const deae = get('DisableExecuteApiEndpoint');
  if (deae !== undefined) {
    if (!body) throw new InvalidResourceError(id, "DisableExecuteApiEndpoint works only within 'DefinitionBody' property.");
    const ed = new OpenApiEditor(body);
    ed.addEndpointConfig(fromJson(deae));
    body = ed.openapi;
  }
  const name = get('Name');
  if (truthy(name)) {
    if (!body) throw new InvalidResourceError(id, "Name works only with inline OpenApi specified in the 'DefinitionBody' property.");
    const info = body.get('info');
    if (info !== undefined && info !== null && !isDict(info)) throw new InvalidResourceError(id, "Invalid 'DefinitionBody': The value of 'info' should be a map..");
    if (!pyEqual(isDict(info) ? info.get('title') : undefined, pd([['Ref', ps('AWS::StackName')]]))) {
      throw new InvalidResourceError(id, "Unable to set Name because it is already defined within inline OpenAPI specified in the 'DefinitionBody' property.");
    }
    const ed = new OpenApiEditor(body);
    ed.addTitle(fromJson(name));
    body = ed.openapi;
  }
  const desc = get('Description');
  if (truthy(desc)) {
    if (!body) throw new InvalidResourceError(id, "Description works only with inline OpenApi specified in the 'DefinitionBody' property.");
    const info = body.get('info');
    if (info !== undefined && info !== null && !isDict(info)) throw new InvalidResourceError(id, "Invalid 'DefinitionBody': The value of 'info' should be a map.'.");
    if (isDict(info) && pyTruthy(info.get('description'))) {
      throw new InvalidResourceError(id, "Unable to set Description because it is already defined within inline OpenAPI specified in the 'DefinitionBody' property.");
    }
    const ed = new OpenApiEditor(body);
    ed.addDescription(fromJson(desc));
    body = ed.openapi;
  }
  if (truthy(get('FailOnWarnings')) && body) {
    const paths = body.get('paths');
    if (isDict(paths) && paths.has('$default')) {
      const v = paths.get('$default')!;
      paths.delete('$default');
      paths.set('/$default', v);
    }
  }
  if (truthy(defUri)) ap['BodyS3Location'] = bodyS3(id, defUri!);
  else if (body) ap['Body'] = toJson(body);
  else {
    throw new InvalidResourceError(id, "'DefinitionUri' or 'DefinitionBody' are required properties of an 'AWS::Serverless::HttpApi'. Add a value for one of these properties or add a 'HttpApi' event to an 'AWS::Serverless::Function'.");
  }
  const out: Generated[] = [{ id, resource: api }];
  // Permissions for Lambda authorizers that ask for them.
  if (truthy(authJ) && authMap) {
    for (const [n, a] of authMap) {
      if (!pyTruthy(a.functionArn) || a.defaultPermissions !== true) continue;
      out.push({
        id: `${id}${n}AuthorizerPermission`,
        resource: cfn('AWS::Lambda::Permission', {
          Action: 'lambda:InvokeFunction', FunctionName: toJson(a.functionArn!), Principal: 'apigateway.amazonaws.com',
          SourceArn: { 'Fn::Sub': ['arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/authorizers/*', { __ApiId__: { Ref: id } }] },
        }, attrs),
      });
    }
  }
  const domainJ = resolved(ctx, get('Domain'));
  const domain = httpApiDomain(ctx, id, domainJ, attrs, 'httpapi:createdBy');
  const stageName = truthy(get('StageName')) ? get('StageName')! : '$default';
  const prefix = typeof stageName === 'string' ? stageName : '';
  const stageId = /^[\p{L}\p{N}]+$/u.test(prefix) ? `${id}${prefix}Stage` : prefix === '$default' ? `${id}ApiGatewayDefaultStage` : logicalId(`${id}Stage`, prefix);
  const stage = cfn('AWS::ApiGatewayV2::Stage', {
    ApiId: { Ref: id }, StageName: stageName, StageVariables: get('StageVariables'), AccessLogSettings: get('AccessLogSettings'),
    DefaultRouteSettings: get('DefaultRouteSettings'), Tags: stageTags, AutoDeploy: true, RouteSettings: get('RouteSettings'),
  }, attrs);
  out.push(...domain);
  out.push({ id: stageId, resource: stage });
  if (get('DefinitionBody') !== undefined) propagateTags(out, tags, true);
  return out;
}

function bodyS3(id: string, uri: Json): JsonObject {
  if (isObj(uri)) {
    if (!truthy(uri['Bucket']) || !truthy(uri['Key'])) throw new InvalidResourceError(id, "'DefinitionUri' requires Bucket and Key properties to be specified.");
    const o: JsonObject = { Bucket: uri['Bucket']!, Key: uri['Key']! };
    if ('Version' in uri) o['Version'] = uri['Version']!;
    return o;
  }
  const s = parseS3Uri(uri);
  if (!s) throw new InvalidResourceError(id, "'DefinitionUri' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter.");
  return s as unknown as JsonObject;
}

export const httpApiTranslator: ResourceTranslator = {
  type: 'AWS::Serverless::HttpApi',
  phase: 'api',
  referable: { Stage: 'AWS::ApiGatewayV2::Stage', DomainName: 'AWS::ApiGatewayV2::DomainName' },
  translate: (r, ctx) => guarded((m) => new InvalidResourceError(r.id, m), () => translate(r, ctx)),
};
