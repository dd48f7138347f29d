// Unit: the SAM transform's REST and HTTP APIs: Python 2.7 dict emulation, sha-named deployments, events, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate, readTemplate, transformSam } from '../../src/services/cloudformation/index.js';
import { deepcopy, p27, ps, py27Hash, py27Order, PyDict, pyRepr } from '../../src/services/cloudformation/sam/openapi/py27.js';
import type { JsonObject } from '../../src/services/cloudformation/sam/types.js';

const transform = (yaml: string): JsonObject => transformSam(parseTemplate(yaml, 'template.yaml'), { region: 'ap-southeast-1' });
const resources = (yaml: string): Record<string, JsonObject> => transform(yaml)['Resources'] as Record<string, JsonObject>;
const rejection = (yaml: string): string => {
  try {
    transform(yaml);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};

const FN = `
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://bucket/key.zip
      Handler: index.handler
      Runtime: nodejs20.x
`;

test('Py27 dicts: string hashes and key order are CPython 2.7 ones, and deepcopy re-adds keys in that order', () => {
  assert.equal(py27Hash('paths'), 13778350363235242913n);
  assert.deepEqual(py27Order(['get', 'post', 'delete', 'patch', 'put']), ['put', 'patch', 'post', 'delete', 'get']);
  const d = new PyDict(true);
  for (const k of ['get', 'post', 'delete', 'patch', 'put']) d.set(k, 1);
  // Colliding keys move on every copy, as copy.deepcopy of a Py27Dict does.
  assert.deepEqual(deepcopy(d).keys(), ['put', 'post', 'delete', 'get', 'patch']);
  assert.deepEqual(deepcopy(deepcopy(d)).keys(), ['put', 'patch', 'post', 'get', 'delete']);
});

test('Py27 dicts: str() prints template strings as u-strings and generated ones as plain strs', () => {
  const d = p27([['type', ps('aws_proxy')]]);
  d.set('/items', [ps('x'), "it's", true, null, 5]);
  assert.equal(pyRepr(d), `{u'/items': ['x', u"it's", True, None, 5], 'type': 'aws_proxy'}`);
});

test('Api events: the implicit ServerlessRestApi gets a Prod stage and a Deployment named by the reference hash', () => {
  const r = resources(`
Resources:${FN}      Events:
        Get:
          Type: Api
          Properties:
            Path: /items/{id}
            Method: get
        Post:
          Type: Api
          Properties:
            Path: /items
            Method: post
            Auth:
              ApiKeyRequired: true
`);
  assert.deepEqual(Object.keys(r).sort(), ['Fn', 'FnGetPermissionProd', 'FnPostPermissionProd', 'FnRole', 'ServerlessRestApi', 'ServerlessRestApiDeploymentdd9eb1692e', 'ServerlessRestApiProdStage']);
  assert.deepEqual((r['ServerlessRestApiProdStage']!['Properties'] as JsonObject)['DeploymentId'], { Ref: 'ServerlessRestApiDeploymentdd9eb1692e' });
  assert.deepEqual((r['FnGetPermissionProd']!['Properties'] as JsonObject)['SourceArn'], {
    'Fn::Sub': ['arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/${__Stage__}/GET/items/*', { __ApiId__: { Ref: 'ServerlessRestApi' }, __Stage__: '*' }],
  });
  const body = (r['ServerlessRestApi']!['Properties'] as JsonObject)['Body'] as JsonObject;
  const post = ((body['paths'] as JsonObject)['/items'] as JsonObject)['post'] as JsonObject;
  assert.deepEqual(post['security'], [{ api_key: [] }]);
  assert.deepEqual((body['securityDefinitions'] as JsonObject)['api_key'], { type: 'apiKey', name: 'x-api-key', in: 'header' });
});

test('HttpApi events: the implicit ServerlessHttpApi is auto-deployed on $default and the catch-all route has one permission', () => {
  const r = resources(`
Resources:${FN}      Events:
        Everything:
          Type: HttpApi
`);
  const stage = r['ServerlessHttpApiApiGatewayDefaultStage']!['Properties'] as JsonObject;
  assert.equal(stage['StageName'], '$default');
  assert.equal(stage['AutoDeploy'], true);
  assert.deepEqual(stage['Tags'], { 'httpapi:createdBy': 'SAM' });
  const body = (r['ServerlessHttpApi']!['Properties'] as JsonObject)['Body'] as JsonObject;
  const route = ((body['paths'] as JsonObject)['$default'] as JsonObject)['x-amazon-apigateway-any-method'] as JsonObject;
  assert.equal(route['isDefaultRoute'], true);
  assert.ok(r['FnEverythingPermission']);
});

test('Api: a missing RestApiId target and an undefined authorizer are refused in samtranslator\'s words', () => {
  assert.equal(
    rejection(`
Resources:${FN}      Events:
        Get:
          Type: Api
          Properties:
            RestApiId: !Ref Nope
            Path: /
            Method: get
`),
    "Invalid Serverless Application Specification document. Number of errors found: 1. Resource with id [Fn] is invalid. Event with id [Get] is invalid. RestApiId must be a valid reference to an 'AWS::Serverless::Api' resource in same template.",
  );
  assert.equal(
    rejection(`
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: Missing
        Authorizers:
          Present:
            UserPoolArn: arn:aws:cognito-idp:ap-southeast-1:123456789012:userpool/x
`),
    "Invalid Serverless Application Specification document. Number of errors found: 1. Resource with id [Api] is invalid. Unable to set DefaultAuthorizer because 'Missing' was not defined in 'Authorizers'.",
  );
});

test('HttpApi: a JWT authorizer becomes an oauth2 security scheme and the default authorizer secures every route', () => {
  const r = resources(`
Resources:${FN}      Events:
        Get:
          Type: HttpApi
          Properties:
            ApiId: !Ref Http
            Path: /me
            Method: get
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              Issuer: https://issuer.example
              Audience: [aud]
`);
  const body = (r['Http']!['Properties'] as JsonObject)['Body'] as JsonObject;
  const scheme = ((body['components'] as JsonObject)['securitySchemes'] as JsonObject)['Jwt'] as JsonObject;
  assert.deepEqual(scheme, { type: 'oauth2', 'x-amazon-apigateway-authorizer': { jwtConfiguration: { issuer: 'https://issuer.example', audience: ['aud'] }, identitySource: '$request.header.Authorization', type: 'jwt' } });
  const get = ((body['paths'] as JsonObject)['/me'] as JsonObject)['get'] as JsonObject;
  assert.deepEqual(get['security'], [{ Jwt: [] }]);
});

test('Api: a malformed definition body is an error of the API, never a crash of the transform', () => {
  const msg = rejection(`
Resources:${FN}      Events:
        Get:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /
            Method: get
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      OpenApiVersion: '3.0.1'
      DisableExecuteApiEndpoint: true
      DefinitionBody:
        openapi: '3.0.1'
        servers: not-a-list
        paths: {}
`);
  assert.match(msg, /^Invalid Serverless Application Specification document\. Number of errors found: 1\. Resource with id \[Api\] is invalid\./);
});

test('OpenApiVersion: YAML 3 (an int) is refused as not a string, 3.0 (a float) is read as "3.0", as Python reads them', () => {
  const api = (v: string): string => `
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      OpenApiVersion: ${v}
      DefinitionBody: {}
`;
  const run = (yaml: string): string => {
    const read = readTemplate(yaml, 'template.yaml');
    try {
      const out = transformSam(read.template, { region: 'us-east-1', integralFloats: read.integralFloats });
      return JSON.stringify(((out['Resources'] as Record<string, JsonObject>)['Api']!['Properties'] as JsonObject)['Body']);
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert.deepEqual([...readTemplate(api('3.0')).integralFloats!], ['/Resources/Api/Properties/OpenApiVersion']);
  assert.deepEqual([...readTemplate(api('3')).integralFloats!], []);
  assert.match(run(api('3')), /Resource with id \[Api\] is invalid\. Property 'OpenApiVersion' should be a string\./);
  assert.match(run(api('3.0')), /"openapi":"3\.0"/);
  assert.match(run(api("'3.0'")), /"openapi":"3\.0"/);
});
