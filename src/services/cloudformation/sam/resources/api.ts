// AWS::Serverless::Api → RestApi (inline Swagger/OpenAPI or S3 body), Deployment (sha-named), Stage, authorizer
// permissions, usage plans and custom domains, as samtranslator's ApiGenerator builds them.
import { resolved, type TransformContext } from '../context.js';
import { InvalidResourceError, InvalidTemplateError } from '../errors.js';
import { hashOf, logicalId } from '../hash.js';
import { fromJson, isDict, isStr, pd, ps, PStr, py27Order, PyDict, pyRepr, str, toJson, truthy as pyTruthy, type PyVal } from '../openapi/py27.js';
import { apiBody, guarded, stageNameValue } from '../openapi/state.js';
import { deepGet, docError, InvalidValueType, OPENAPI3, pyStrOf, SwaggerEditor, validateIsDict } from '../openapi/swagger.js';
import type { ResourceTranslator } from '../registry.js';
import type { SamResource } from '../resource.js';
import { propagateTags } from '../tags.js';
import { cfn, isObj, tagList, truthy, type CfnResource, type Generated, type Json, type JsonObject } from '../types.js';
import { oneOf, validateProps, type Spec } from '../validate.js';
import { restApiDomain } from './api-domain.js';
import { authorizerPermissions, authorizerSwagger, restAuthorizers } from './api-auth.js';
import { usagePlan } from './api-usage-plan.js';
import { restApiIdString } from '../events/api.js';

const API_SPEC: Spec = {
  __MANAGE_SWAGGER: 'bool', Name: oneOf('string', 'map'), StageName: { check: oneOf('string', 'map'), required: true }, Tags: 'map', PropagateTags: 'bool',
  DefinitionBody: 'map', DefinitionUri: oneOf('string', 'map'), MergeDefinitions: { check: 'bool', intrinsics: false }, CacheClusterEnabled: 'bool', CacheClusterSize: 'string',
  Variables: 'map', EndpointConfiguration: oneOf('string', 'map'), MethodSettings: 'list', BinaryMediaTypes: 'list', MinimumCompressionSize: 'int',
  Cors: oneOf('string', 'map'), Auth: 'map', GatewayResponses: 'map', AccessLogSetting: 'map', CanarySetting: 'map', TracingEnabled: 'bool',
  OpenApiVersion: 'string', Models: 'map', Domain: 'map', FailOnWarnings: 'bool', Description: 'string', Mode: 'string', DisableExecuteApiEndpoint: 'bool',
  ApiKeySourceType: 'string', AlwaysDeploy: { check: 'bool', intrinsics: false }, Policy: oneOf('string', 'map'), SecurityPolicy: 'string', EndpointAccessMode: 'string',
};

const AUTH_KEYS = ['Authorizers', 'DefaultAuthorizer', 'InvokeRole', 'AddDefaultAuthorizerToCorsPreflight', 'AddApiKeyRequiredToCorsPreflight', 'ApiKeyRequired', 'ResourcePolicy', 'UsagePlan'];
const CORS_KEYS = ['AllowMethods', 'AllowHeaders', 'AllowOrigin', 'MaxAge', 'AllowCredentials'];
const GATEWAY_RESPONSE_KEYS = ['ResponseParameters', 'ResponseTemplates', 'StatusCode'];
const CORS_WILDCARD = "'*'";

const isIntrinsicPy = (v: PyVal | undefined): boolean => {
  if (!isDict(v) || v.size !== 1) return false;
  const k = v.keys()[0]!;
  return k === 'Ref' || k === 'Condition' || k.startsWith('Fn::');
};
const isIntrinsicJson = (v: Json | undefined): boolean => isObj(v) && Object.keys(v).length === 1 && (['Ref', 'Condition'].includes(Object.keys(v)[0]!) || Object.keys(v)[0]!.startsWith('Fn::'));

/** The generator's working state for one API. */
interface Gen {
  r: SamResource;
  ctx: TransformContext;
  id: string;
  body: PyDict | undefined;
  attrs: JsonObject;
  openApiVersion: Json | undefined;
  auth: PyDict | undefined;
}

function addCors(g: Gen, cors: Json | undefined): void {
  if (!truthy(cors)) return;
  if (!g.body) throw new InvalidResourceError(g.id, "Cors works only with inline Swagger specified in 'DefinitionBody' property.");
  const c = fromJson(cors);
  const p: Record<string, PyVal | undefined> = { AllowOrigin: ps(CORS_WILDCARD), AllowCredentials: false };
  if (isStr(c) || isIntrinsicPy(c)) p['AllowOrigin'] = c;
  else if (isDict(c)) {
    for (const k of c.keys()) if (!CORS_KEYS.includes(k)) throw new InvalidResourceError(g.id, `Invalid key '${k}' for 'Cors' property.`);
    for (const [k, v] of c.entries()) p[k] = v;
  } else throw new InvalidResourceError(g.id, "Invalid value for 'Cors' property");
  if (!SwaggerEditor.isValid(g.body)) throw new InvalidResourceError(g.id, "Unable to add Cors configuration because 'DefinitionBody' does not contain a valid Swagger definition.");
  if (p['AllowCredentials'] === true && str(p['AllowOrigin']) === CORS_WILDCARD) {
    throw new InvalidResourceError(g.id, 'Unable to add Cors configuration because \'AllowCredentials\' can not be true when \'AllowOrigin\' is "\'*\'" or not set');
  }
  const editor = new SwaggerEditor(g.body);
  const seen = new Set<string>();
  for (const path of editor.paths.keys()) {
    const n = path !== '/' ? path.replace(/\/+$/, '') : path;
    if (seen.has(n)) continue;
    seen.add(n);
    try {
      editor.addCors(path, p['AllowOrigin'] ?? null, p['AllowHeaders'] ?? null, p['AllowMethods'] ?? null, p['MaxAge'] ?? null, p['AllowCredentials'] ?? null);
    } catch (e) {
      if (e instanceof InvalidTemplateError) throw new InvalidResourceError(g.id, e.message);
      throw e;
    }
  }
  g.body = editor.swagger;
}

function addAuth(g: Gen): void {
  const auth = g.auth;
  if (!auth || !pyTruthy(auth)) return;
  if (!g.body) throw new InvalidResourceError(g.id, "Auth works only with inline Swagger specified in 'DefinitionBody' property.");
  if (!auth.keys().every((k) => AUTH_KEYS.includes(k))) throw new InvalidResourceError(g.id, "Invalid value for 'Auth' property");
  if (!SwaggerEditor.isValid(g.body)) throw new InvalidResourceError(g.id, "Unable to add Auth configuration because 'DefinitionBody' does not contain a valid Swagger definition.");
  const editor = new SwaggerEditor(g.body);
  const get = (k: string): PyVal | undefined => {
    const v = auth.get(k);
    return v === null ? undefined : v;
  };
  const def = get('DefaultAuthorizer');
  const authorizers = restAuthorizers(g.id, get('Authorizers'), def);
  if (authorizers && authorizers.size) {
    editor.addAuthorizers([...authorizers].map(([n, a]) => [n, authorizerSwagger(g.id, a, g.ctx.partition)]));
    if (pyTruthy(def)) {
      if (!isStr(def)) throw new InvalidResourceError(g.id, 'DefaultAuthorizer is not a string.');
      const d = str(def)!;
      if (!authorizers.has(d) && d !== 'AWS_IAM') throw new InvalidResourceError(g.id, `Unable to set DefaultAuthorizer because '${d}' was not defined in 'Authorizers'.`);
      const pre = auth.has('AddDefaultAuthorizerToCorsPreflight') ? get('AddDefaultAuthorizerToCorsPreflight') : true;
      const infos = new Map([...authorizers].map(([n, a]) => [n, { scopes: a.scopes }]));
      for (const path of editor.paths.keys()) editor.setPathDefaultAuthorizer(path, d, infos, pyTruthy(pre ?? null));
    }
  }
  if (pyTruthy(get('ApiKeyRequired'))) {
    editor.addApiKeySecurityDefinition();
    const pre = auth.has('AddApiKeyRequiredToCorsPreflight') ? get('AddApiKeyRequiredToCorsPreflight') : true;
    for (const path of editor.paths.keys()) editor.setPathDefaultApiKeyRequired(path, pyTruthy(pre ?? null));
  }
  const rp = get('ResourcePolicy');
  if (pyTruthy(rp)) {
    validateIsDict(rp, 'ResourcePolicy must be a map (ResourcePolicyStatement).');
    const sn = g.r.get('StageName');
    const stage = typeof sn === 'string' ? stageNameValue(g.ctx, g.id, sn) : fromJson(sn);
    for (const path of editor.paths.keys()) editor.addResourcePolicy(rp, path, stage);
    if (pyTruthy(rp.get('CustomStatements'))) editor.addCustomStatements(rp.get('CustomStatements')!);
  }
  g.body = openApiPostprocess(g, editor.swagger);
}

function addGatewayResponses(g: Gen, responses: Json | undefined): void {
  if (!truthy(responses) || !isObj(responses)) return;
  if (!g.body) throw new InvalidResourceError(g.id, "GatewayResponses works only with inline Swagger specified in 'DefinitionBody' property.");
  for (const [key, value] of Object.entries(responses)) {
    if (isIntrinsicJson(value)) throw new InvalidResourceError(g.id, 'Unable to set GatewayResponses attribute because intrinsic functions are not supported for this field.');
    if (!isObj(value)) throw new InvalidResourceError(g.id, `Invalid property type '${pyTypeName(value)}' for GatewayResponses. Expected an object of type 'GatewayResponse'.`);
    for (const k of Object.keys(value)) if (!GATEWAY_RESPONSE_KEYS.includes(k)) throw new InvalidResourceError(g.id, `Invalid property '${k}' in 'GatewayResponses' property '${key}'.`);
  }
  if (!SwaggerEditor.isValid(g.body)) throw new InvalidResourceError(g.id, "Unable to add Auth configuration because 'DefinitionBody' does not contain a valid Swagger definition.");
  const editor = new SwaggerEditor(g.body);
  const list: [string, PyDict][] = [];
  for (const [type, rj] of (fromJson(responses) as PyDict).entries()) {
    const r = rj as PyDict;
    const params = (r.has('ResponseParameters') ? r.get('ResponseParameters') : new PyDict(true)) ?? new PyDict(true);
    const templates = r.has('ResponseTemplates') ? r.get('ResponseTemplates') : new PyDict(true);
    if (pyTruthy(params) && !isDict(params)) throw new InvalidResourceError(g.id, `Property 'GatewayResponses.${type}.ResponseParameters' should be a map.`);
    if (isDict(params)) for (const k of params.keys()) if (!['Headers', 'Paths', 'QueryStrings'].includes(k)) throw new InvalidResourceError(g.id, `Invalid gateway response parameter '${k}'`);
    const sc = r.get('StatusCode');
    const scs = sc === undefined || sc === null ? undefined : pyStrOf(sc);
    if (pyTruthy(sc) && !/^[0-9]{1,3}$/.test(scs!)) throw new InvalidResourceError(g.id, "Property 'StatusCode' must be numeric");
    const prefixed = new PyDict(true);
    for (const [prop, prefix] of [['Headers', 'header.'], ['Paths', 'path.'], ['QueryStrings', 'querystring.']] as const) {
      const v = isDict(params) && params.has(prop) ? params.get(prop) : pd();
      if (!isDict(v)) throw new InvalidResourceError(g.id, `Property 'ResponseParameters.${prop}' should be a map.`);
      for (const [k, x] of v.entries()) prefixed.set(`gatewayresponse.${prefix}${k}`, x, v.isPlainKey(k));
    }
    const sw = new PyDict(true);
    sw.setP('responseParameters', prefixed);
    sw.setP('responseTemplates', pyTruthy(templates) ? templates! : new PyDict(true));
    if (scs !== undefined && pyTruthy(scs)) sw.setP('statusCode', ps(scs));
    list.push([type, sw]);
  }
  if (list.length) editor.addGatewayResponses(list);
  g.body = editor.swagger;
}

const pyTypeName = (v: Json): string => (typeof v === 'string' ? 'str' : typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : Array.isArray(v) ? 'list' : v === null ? 'NoneType' : 'dict');

function addModels(g: Gen, models: Json | undefined): void {
  if (!truthy(models)) return;
  if (!g.body) throw new InvalidResourceError(g.id, "Models works only with inline Swagger specified in 'DefinitionBody' property.");
  if (!SwaggerEditor.isValid(g.body)) throw new InvalidResourceError(g.id, "Unable to add Models definitions because 'DefinitionBody' does not contain a valid Swagger definition.");
  if (!isObj(models) || !Object.values(models).every(isObj)) throw new InvalidResourceError(g.id, "Invalid value for 'Models' property");
  const editor = new SwaggerEditor(g.body);
  editor.addModels(fromJson(models) as PyDict);
  g.body = openApiPostprocess(g, editor.swagger);
}

/** OpenAPI 3: securityDefinitions/definitions move under components, CORS options lose produces/consumes. */
function openApiPostprocess(g: Gen, body: PyDict): PyDict {
  if (body.get('swagger') !== undefined && body.get('swagger') !== null) return body;
  let version: PyVal | undefined;
  if (body.get('openapi') !== undefined && body.get('openapi') !== null && g.openApiVersion === undefined) version = body.get('openapi');
  else version = g.openApiVersion === undefined ? undefined : fromJson(g.openApiVersion);
  if (!pyTruthy(version) || !OPENAPI3.test(pyStrOf(version))) return body;
  for (const [from, to] of [['securityDefinitions', 'securitySchemes'], ['definitions', 'schemas']] as const) {
    if (!pyTruthy(body.get(from))) continue;
    let comps = body.has('components') ? body.get('components') : new PyDict(true);
    if (!pyTruthy(comps)) comps = new PyDict(true);
    (comps as PyDict).setP(to, body.get(from)!);
    body.setP('components', comps!);
    body.delete(from);
  }
  const paths = body.get('paths');
  if (pyTruthy(paths)) {
    validateIsDict(paths, 'Value of paths must be a dictionary according to Swagger spec.');
    for (const [path, item] of paths.entries()) {
      validateIsDict(item, `Value of '${path}' path must be a dictionary according to Swagger spec.`);
      const opts = item.get('options');
      if (!pyTruthy(opts)) continue;
      validateIsDict(opts, `Value of options method for path ${path} must be a dictionary according to Swagger spec.`);
      for (const [field, val] of opts.copy().entries()) {
        if (field === 'produces' || field === 'consumes') opts.delete(field);
        if (field === 'responses') {
          let headers: PyVal | undefined;
          try {
            headers = deepGet(val, ['200', 'headers']);
          } catch (e) {
            if (e instanceof InvalidValueType) throw docError(`Invalid responses in options method for path ${path}: ${e.message}.`);
            throw e;
          }
          if (!pyTruthy(headers)) continue;
          validateIsDict(headers, `Value of response's headers in options method for path ${path} must be a dictionary according to Swagger spec.`);
          for (const [h, hv] of headers.entries()) {
            const w = new PyDict(true);
            w.setP('schema', hv);
            headers.set(h, w);
          }
        }
      }
    }
  }
  return body;
}

function endpointConfiguration(g: Gen, api: CfnResource, v: Json): void {
  const p = api.Properties!;
  if (isObj(v) && truthy(v['Type'])) {
    p['Parameters'] = { endpointConfigurationTypes: v['Type']! };
    const ec: JsonObject = { Types: [v['Type']!] };
    p['EndpointConfiguration'] = ec;
    if ('VPCEndpointIds' in v && 'VpcEndpointIds' in v) throw new InvalidResourceError(g.id, "'VPCEndpointIds' and 'VpcEndpointIds' cannot be used together in EndpointConfiguration.");
    if ('VPCEndpointIds' in v || 'VpcEndpointIds' in v) ec['VpcEndpointIds'] = (truthy(v['VPCEndpointIds']) ? v['VPCEndpointIds'] : v['VpcEndpointIds']) ?? null;
    if ('IpAddressType' in v) ec['IpAddressType'] = v['IpAddressType'] ?? null;
  } else {
    p['EndpointConfiguration'] = { Types: [v] };
    p['Parameters'] = { endpointConfigurationTypes: v };
  }
}

const S3_URI = /^s3:\/\/([^/]+)\/(.+)$/;

/** parse_s3_uri: `s3://bucket/key?versionId=v`. */
export function parseS3Uri(uri: Json | undefined): { Bucket: string; Key: string; Version?: string } | undefined {
  if (typeof uri !== 'string') return undefined;
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return undefined;
  }
  if (u.protocol !== 's3:' || !u.host || !S3_URI.test(uri.split('?')[0]!)) return undefined;
  const m = S3_URI.exec(uri.split('?')[0]!)!;
  const out: { Bucket: string; Key: string; Version?: string } = { Bucket: m[1]!, Key: m[2]! };
  const v = u.searchParams.getAll('versionId');
  if (v.length) out.Version = v[0]!;
  return out;
}

function bodyS3(g: Gen, uri: Json): PyDict {
  let b: PyVal;
  let k: PyVal;
  let v: PyVal | undefined;
  if (isObj(uri)) {
    if (!truthy(uri['Bucket']) || !truthy(uri['Key'])) throw new InvalidResourceError(g.id, "'DefinitionUri' requires Bucket and Key properties to be specified.");
    const d = fromJson(uri) as PyDict;
    b = d.get('Bucket')!;
    k = d.get('Key')!;
    if (d.has('Version')) v = d.get('Version')!;
  } else {
    const s = parseS3Uri(uri);
    if (!s) throw new InvalidResourceError(g.id, "'DefinitionUri' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter.");
    b = s.Bucket;
    k = s.Key;
    if (s.Version !== undefined) v = s.Version;
  }
  const out = new PyDict(true);
  out.setP('Bucket', b);
  out.setP('Key', k);
  if (v !== undefined) out.setP('Version', v);
  return out;
}

/** FunctionName values of the functions whose Api events name this API explicitly (redeploy on rename). */
function functionNames(ctx: TransformContext, apiId: string): string {
  const names: string[] = [];
  const res = ctx.sam['Resources'] as JsonObject;
  // Functions in the order the reference visits them (a Py27Dict whenever an Api exists).
  for (const fid of py27Order(Object.keys(res))) {
    const r = res[fid];
    if (!isObj(r) || r['Type'] !== 'AWS::Serverless::Function' || !isObj(r['Properties'])) continue;
    const events = r['Properties']['Events'];
    if (!isObj(events)) continue;
    for (const e of Object.values(events)) {
      if (!isObj(e) || e['Type'] !== 'Api' || !isObj(e['Properties']) || !truthy(e['Properties']['RestApiId'])) continue;
      if (restApiIdString(e['Properties']['RestApiId']) !== apiId) continue;
      const fn = resolved(ctx, r['Properties']['FunctionName']);
      if (!truthy(fn)) continue;
      const v = fromJson(fn);
      names.push(typeof v === 'string' ? v : v instanceof PStr ? v.s : pyRepr(v));
    }
  }
  return names.join('');
}

function translate(r: SamResource, ctx: TransformContext): Generated[] {
  validateProps(r.id, r.type, r.props, API_SPEC);
  const id = r.id;
  const p = r.props;
  const get = (k: string): Json | undefined => r.get(k);
  const authJson = resolved(ctx, get('Auth'));
  const g: Gen = {
    r,
    ctx,
    id,
    body: apiBody(ctx, id, p),
    attrs: r.passthrough(),
    openApiVersion: get('OpenApiVersion'),
    auth: authJson === undefined ? undefined : (fromJson(authJson) as PyDict),
  };
  if (g.body && !pyTruthy(g.body)) g.body = undefined;
  const defUri = get('DefinitionUri');
  if (truthy(defUri) && g.body) throw new InvalidResourceError(id, "Specify either 'DefinitionUri' or 'DefinitionBody' property and not both.");
  if (truthy(defUri) && truthy(get('MergeDefinitions'))) throw new InvalidResourceError(id, "Cannot set 'MergeDefinitions' to True when using `DefinitionUri`.");
  const oav = g.openApiVersion;
  if (truthy(oav) && !/^[2-3](\.\d)(\.\d)?$/.test(pyStrOf(fromJson(oav)))) throw new InvalidResourceError(id, "The OpenApiVersion value must be of the format '3.0.0'.");
  const restAttrs: Record<string, Json | undefined> = { DependsOn: r.dependsOn === undefined || r.dependsOn === null ? undefined : r.dependsOn, ...r.attrs };
  const rest = cfn('AWS::ApiGateway::RestApi', {}, restAttrs);
  const rp = rest.Properties!;
  if (get('BinaryMediaTypes') !== undefined) rp['BinaryMediaTypes'] = resolved(ctx, get('BinaryMediaTypes'))!;
  if (get('MinimumCompressionSize') !== undefined) rp['MinimumCompressionSize'] = get('MinimumCompressionSize')!;
  if (truthy(get('EndpointConfiguration'))) endpointConfiguration(g, rest, get('EndpointConfiguration')!);
  // Partitions without edge-optimized API Gateway (GovCloud, China, ISO, EUSC) default to REGIONAL.
  else if (ctx.partition.startsWith('aws-iso') || ['aws-us-gov', 'aws-cn', 'aws-eusc'].includes(ctx.partition)) endpointConfiguration(g, rest, 'REGIONAL');
  addCors(g, get('Cors'));
  addAuth(g);
  addGatewayResponses(g, get('GatewayResponses'));
  const bmt = resolved(ctx, get('BinaryMediaTypes'));
  if (truthy(bmt) && g.body) {
    const editor = new SwaggerEditor(g.body);
    editor.addBinaryMediaTypes(fromJson(bmt));
    g.body = editor.swagger;
  }
  addModels(g, get('Models'));
  if (truthy(get('FailOnWarnings'))) rp['FailOnWarnings'] = get('FailOnWarnings')!;
  const deae = get('DisableExecuteApiEndpoint');
  if (deae !== undefined) {
    if (!g.body) throw new InvalidResourceError(id, "DisableExecuteApiEndpoint works only within 'DefinitionBody' property.");
    const editor = new SwaggerEditor(g.body);
    editor.addDisableExecuteApiEndpoint(fromJson(deae));
    g.body = editor.swagger;
  }
  let swaggerForHash: PyDict | undefined;
  if (truthy(defUri)) {
    const s3 = bodyS3(g, defUri!);
    rp['BodyS3Location'] = toJson(s3);
    swaggerForHash = s3;
  } else if (g.body) {
    g.body = openApiPostprocess(g, g.body);
    rp['Body'] = toJson(g.body);
    swaggerForHash = g.body;
  }
  for (const k of ['Name', 'Description', 'Mode', 'ApiKeySourceType', 'Policy', 'SecurityPolicy', 'EndpointAccessMode']) if (truthy(get(k))) rp[k] = get(k)!;

  const domainJson = resolved(ctx, get('Domain'));
  const domainPy = domainJson === undefined || domainJson === null ? undefined : fromJson(domainJson);
  const domain = restApiDomain(ctx, id, domainPy, g.attrs);

  const deployment = cfn('AWS::ApiGateway::Deployment', { RestApiId: { Ref: id } }, g.attrs);
  if (!truthy(oav)) deployment.Properties!['StageName'] = 'Stage';
  let deploymentId = `${id}Deployment`;
  const stageName = get('StageName');
  const prefix = typeof stageName === 'string' ? stageName : '';
  const stageId = /^[\p{L}\p{N}]+$/u.test(prefix) ? `${id}${prefix}Stage` : logicalId(`${id}Stage`, prefix);
  const stage = cfn('AWS::ApiGateway::Stage', {
    RestApiId: { Ref: id },
    StageName: stageName,
    CacheClusterEnabled: get('CacheClusterEnabled'),
    CacheClusterSize: get('CacheClusterSize'),
    Variables: get('Variables'),
    MethodSettings: get('MethodSettings'),
    AccessLogSetting: get('AccessLogSetting'),
    CanarySetting: get('CanarySetting'),
    TracingEnabled: get('TracingEnabled'),
  }, g.attrs);
  if (swaggerForHash && pyTruthy(swaggerForHash)) {
    let input = [pyRepr(swaggerForHash)];
    if (truthy(oav)) input.push(pyStrOf(fromJson(oav)));
    if (domainPy !== undefined && pyTruthy(domainPy)) input.push(domain.hashText);
    const fnames = functionNames(ctx, id);
    if (fnames) input.push(fnames);
    if (truthy(get('AlwaysDeploy'))) input = [String(Math.floor(Date.now() / 1000))];
    const data = input.join('||');
    deploymentId = `${id}Deployment${hashOf(data)}`;
    deployment.Properties!['Description'] = `RestApi deployment id: ${hashOf(data, undefined, 40)}`;
  }
  stage.Properties!['DeploymentId'] = { Ref: deploymentId };
  if (get('Tags') !== undefined) stage.Properties!['Tags'] = tagList(isObj(get('Tags')) ? (get('Tags') as JsonObject) : undefined);
  const out: Generated[] = [{ id, resource: rest }, { id: deploymentId, resource: deployment }, { id: stageId, resource: stage }];
  out.push(...authorizerPermissions(id, g.auth, ctx.partition, g.attrs, (v) => toJson(v)));
  out.push(...domain.generated);
  out.push(...usagePlan(ctx, id, g.auth, stageId, g.attrs));
  propagateTags(out, get('Tags'), get('PropagateTags'));
  return out;
}

export const apiTranslator: ResourceTranslator = {
  type: 'AWS::Serverless::Api',
  phase: 'api',
  referable: {
    Stage: 'AWS::ApiGateway::Stage',
    Deployment: 'AWS::ApiGateway::Deployment',
    DomainName: 'AWS::ApiGateway::DomainName',
    DomainNameV2: 'AWS::ApiGateway::DomainNameV2',
    UsagePlan: 'AWS::ApiGateway::UsagePlan',
    UsagePlanKey: 'AWS::ApiGateway::UsagePlanKey',
    ApiKey: 'AWS::ApiGateway::ApiKey',
  },
  translate: (r, ctx) => guarded((m) => new InvalidResourceError(r.id, m), () => translate(r, ctx)),
};
