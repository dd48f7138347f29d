// REST API authorizers (samtranslator's ApiGatewayAuthorizer): validation, their Swagger security definitions,
// and the Lambda permissions that let API Gateway invoke authorizer functions.
import { InvalidResourceError } from '../errors.js';
import { isDict, isStr, p27, pd, ps, PyDict, str, truthy, type PyVal } from '../openapi/py27.js';
import { cfn, type Generated, type JsonObject } from '../types.js';

export interface RestAuthorizer {
  name: string;
  userPoolArn: PyVal | undefined;
  functionArn: PyVal | undefined;
  identity: PyVal | undefined;
  payloadType: PyVal | undefined;
  invokeRole: PyVal | undefined;
  iam: boolean;
  scopes: PyVal;
  disablePermissions: PyVal | undefined;
}

const g = (d: PyDict, k: string): PyVal | undefined => {
  const v = d.get(k);
  return v === null ? undefined : v;
};

function missingIdentity(apiId: string, a: RestAuthorizer): boolean {
  const id = a.identity;
  if (!truthy(id)) return true;
  if (!isDict(id)) throw new InvalidResourceError(apiId, `Property 'Authorizer.${a.name}.Identity' should be a map.`);
  const missing = !truthy(id.get('Headers')) && !truthy(id.get('QueryStrings')) && !truthy(id.get('StageVariables')) && !truthy(id.get('Context'));
  const ttl = id.get('ReauthorizeEvery');
  if (ttl === undefined || ttl === null) return missing;
  const n = typeof ttl === 'number' ? Math.trunc(ttl) : typeof ttl === 'boolean' ? Number(ttl) : isStr(ttl) && /^\s*[-+]?\d+\s*$/.test(str(ttl)!) ? parseInt(str(ttl)!, 10) : NaN;
  if (Number.isNaN(n)) return missing;
  return n > 0 && missing;
}

export function makeAuthorizer(apiId: string, name: string, a: PyDict | undefined, iam = false): RestAuthorizer {
  const auth: RestAuthorizer = {
    name,
    userPoolArn: a ? g(a, 'UserPoolArn') : undefined,
    functionArn: a ? g(a, 'FunctionArn') : undefined,
    identity: a ? g(a, 'Identity') : undefined,
    payloadType: a ? g(a, 'FunctionPayloadType') : undefined,
    invokeRole: a ? g(a, 'FunctionInvokeRole') : undefined,
    iam,
    scopes: (a ? g(a, 'AuthorizationScopes') : undefined) ?? [],
    disablePermissions: a ? g(a, 'DisableFunctionDefaultPermissions') : undefined,
  };
  const pt = auth.payloadType;
  if (pt !== undefined && str(pt) !== 'TOKEN' && str(pt) !== 'REQUEST') {
    throw new InvalidResourceError(apiId, `${name} Authorizer has invalid 'FunctionPayloadType': ${str(pt) ?? JSON.stringify(pt)}.`);
  }
  if (str(pt) === 'REQUEST' && missingIdentity(apiId, auth)) {
    throw new InvalidResourceError(apiId, `${name} Authorizer must specify Identity with at least one of Headers, QueryStrings, StageVariables, or Context.`);
  }
  if (!Array.isArray(auth.scopes)) throw new InvalidResourceError(apiId, `Property 'Authorizers.${name}.AuthorizationScopes' should be a list.`);
  if (auth.disablePermissions !== undefined && typeof auth.disablePermissions !== 'boolean') {
    throw new InvalidResourceError(apiId, `Property 'Authorizers.${name}.DisableFunctionDefaultPermissions' should be a boolean.`);
  }
  return auth;
}

const typeOf = (a: RestAuthorizer): string => (a.iam ? 'AWS_IAM' : truthy(a.userPoolArn) ? 'COGNITO_USER_POOLS' : 'LAMBDA');
const payload = (a: RestAuthorizer): string => (truthy(a.payloadType) ? str(a.payloadType)! : 'TOKEN');

function headerName(apiId: string, a: RestAuthorizer): PyVal {
  if (typeOf(a) === 'LAMBDA' && payload(a) === 'REQUEST') return ps('Unused');
  if (truthy(a.identity) && !isDict(a.identity)) {
    throw new InvalidResourceError(apiId, 'Auth.Authorizers.<Authorizer>.Identity must be a dict (LambdaTokenAuthorizationIdentity, LambdaRequestAuthorizationIdentity or CognitoAuthorizationIdentity).');
  }
  if (!truthy(a.identity) || !truthy((a.identity as PyDict).get('Header'))) return ps('Authorization');
  return (a.identity as PyDict).get('Header')!;
}

function identitySource(apiId: string, a: RestAuthorizer): PyVal {
  const id = a.identity as PyDict;
  const parts: string[] = [];
  let uni = false;
  for (const [key, prefix] of [['Headers', 'method.request.header.'], ['QueryStrings', 'method.request.querystring.'], ['StageVariables', 'stageVariables.'], ['Context', 'context.']] as const) {
    const list = id.get(key);
    if (!truthy(list)) continue;
    const path = `Auth.Authorizers.${a.name}.Identity.${key}`;
    if (!Array.isArray(list)) throw new InvalidResourceError(apiId, `Property '${path}' should be a list.`);
    list.forEach((v, i) => {
      if (!isStr(v)) throw new InvalidResourceError(apiId, `Property '${path}[${i}]' should be a string.`);
      if (typeof v === 'string') uni = true;
      parts.push(prefix + str(v)!);
    });
  }
  const s = parts.join(', ');
  return uni ? s : ps(s);
}

/** The authorizer's entry under securityDefinitions (generate_swagger). */
export function authorizerSwagger(apiId: string, a: RestAuthorizer, partition: string): PyDict {
  const type = typeOf(a);
  const sw = new PyDict(true);
  sw.setP('type', ps('apiKey'));
  sw.setP('name', headerName(apiId, a));
  sw.setP('in', ps('header'));
  sw.setP('x-amazon-apigateway-authtype', ps(type === 'AWS_IAM' ? 'awsSigv4' : type === 'COGNITO_USER_POOLS' ? 'cognito_user_pools' : 'custom'));
  const KEY = 'x-amazon-apigateway-authorizer';
  if (type === 'COGNITO_USER_POOLS') {
    sw.setP(KEY, p27([['type', ps('cognito_user_pools')], ['providerARNs', Array.isArray(a.userPoolArn) ? a.userPoolArn : [a.userPoolArn!]]]));
  } else if (type === 'LAMBDA') {
    const az = p27([['type', ps(payload(a) === 'REQUEST' ? 'request' : 'token')]]);
    sw.setP(KEY, az);
    const uri = `arn:${partition}:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${__FunctionArn__}/invocations`;
    az.setP('authorizerUri', pd([['Fn::Sub', [ps(uri), pd([['__FunctionArn__', a.functionArn ?? null]])]]]));
    const ttl = truthy(a.identity) && isDict(a.identity) ? a.identity.get('ReauthorizeEvery') : undefined;
    if (ttl !== undefined && ttl !== null) az.setP('authorizerResultTtlInSeconds', ttl);
    if (truthy(a.invokeRole) && str(a.invokeRole) !== 'NONE') az.setP('authorizerCredentials', a.invokeRole!);
    if (payload(a) === 'REQUEST') {
      const src = identitySource(apiId, a);
      if (truthy(src)) az.setP('identitySource', src);
    }
  }
  if (type === 'COGNITO_USER_POOLS' || (type === 'LAMBDA' && payload(a) === 'TOKEN')) {
    const expr = truthy(a.identity) && isDict(a.identity) ? a.identity.get('ValidationExpression') : undefined;
    if (truthy(expr)) (sw.get(KEY) as PyDict).setP('identityValidationExpression', expr!);
  }
  return sw;
}

/** `_get_authorizers`: AWS_IAM (when it is the default) first, then the configured authorizers. */
export function restAuthorizers(apiId: string, config: PyVal | undefined, defaultAuthorizer: PyVal | undefined): Map<string, RestAuthorizer> | undefined {
  const out = new Map<string, RestAuthorizer>();
  if (str(defaultAuthorizer) === 'AWS_IAM') out.set('AWS_IAM', makeAuthorizer(apiId, 'AWS_IAM', undefined, true));
  if (!truthy(config)) return out.has('AWS_IAM') ? out : undefined;
  if (!isDict(config)) throw new InvalidResourceError(apiId, "Property 'Auth.Authorizers' should be a map.");
  for (const [name, a] of config.entries()) {
    if (!isDict(a)) throw new InvalidResourceError(apiId, `Property 'Auth.Authorizers.${name}' should be a map.`);
    out.set(name, makeAuthorizer(apiId, name, a));
  }
  return out;
}

/** Permissions for Lambda authorizers (unless DisableFunctionDefaultPermissions). */
export function authorizerPermissions(apiId: string, auth: PyDict | undefined, partition: string, attrs: JsonObject, toJson: (v: PyVal) => JsonObject[string]): Generated[] {
  if (!auth || !truthy(auth)) return [];
  const authorizers = restAuthorizers(apiId, auth.get('Authorizers'), undefined);
  if (!authorizers) return [];
  const out: Generated[] = [];
  for (const [name, a] of authorizers) {
    if (!truthy(a.functionArn) || truthy(a.disablePermissions)) continue;
    out.push({
      id: `${apiId}${name}AuthorizerPermission`,
      resource: cfn(
        'AWS::Lambda::Permission',
        {
          Action: 'lambda:InvokeFunction',
          FunctionName: toJson(a.functionArn!),
          Principal: 'apigateway.amazonaws.com',
          SourceArn: { 'Fn::Sub': [`arn:${partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${__ApiId__}/authorizers/*`, { __ApiId__: { Ref: apiId } }] },
        },
        attrs,
      ),
    });
  }
  return out;
}
