// Compatibility: the API Gateway / ALB gateway — routes declared through the route table API, REST (1.0), HTTP API
// (2.0) and ALB events compared with AWS's samples, route precedence, response mapping and AWS's error bodies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { removeDir, startServer, type Running, removeServer } from '../helpers/server.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { call, curl } from '../fixtures/gateway/http.js';
import { hasCorpus, sample, shapeDiff, type ShapeRules } from '../fixtures/gateway/shape.js';
import { NODE_ECHO, NODE_RESPOND, PYTHON_ECHO } from '../fixtures/gateway/functions.js';

let server: Running;
let client: LambdaClient;

/** Echoes which route ran (by name) and the event. */
const TAGGED = (tag: string): string => `exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ tag: ${JSON.stringify(tag)}, event }) });`;

before(async () => {
  server = await startServer();
  client = lambdaClient(server.url);
  await createFunction(client, 'echo', { 'index.js': NODE_ECHO });
  await createFunction(client, 'respond', { 'index.js': NODE_RESPOND });
  await createFunction(client, 'pyecho', { 'app.py': PYTHON_ECHO }, { runtime: 'python3.12', handler: 'app.handler' });
  for (const t of ['literal', 'param', 'greedy', 'any', 'fallback']) await createFunction(client, `t-${t}`, { 'index.js': TAGGED(t) });
});
after(async () => {
  await server.stop();
  await removeServer(server);
});

async function putApi(id: string, def: unknown): Promise<any> {
  const r = await call(`${server.url}/_selfless/gateway/apis/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(def) });
  assert.equal(r.status, 200, r.text);
  return r.json();
}
const gw = (id: string, rest: string): string => `${server.url}/gateway/${id}${rest}`;

const V1_RULES: ShapeRules = {
  maps: ['headers', 'multiValueHeaders', 'queryStringParameters', 'multiValueQueryStringParameters', 'pathParameters', 'stageVariables'],
  optional: ['requestContext.authorizer'],
  extra: ['isBase64Encoded'],
  nullable: [
    'requestContext.identity.cognitoIdentityPoolId',
    'requestContext.identity.accountId',
    'requestContext.identity.cognitoIdentityId',
    'requestContext.identity.caller',
    'requestContext.identity.apiKey',
    'requestContext.identity.apiKeyId',
    'requestContext.identity.accessKey',
    'requestContext.identity.cognitoAuthenticationType',
    'requestContext.identity.cognitoAuthenticationProvider',
    'requestContext.identity.userArn',
    'requestContext.identity.user',
    'requestContext.identity.clientCert',
  ],
};
const V2_RULES: ShapeRules = { maps: ['headers', 'queryStringParameters', 'pathParameters'], optional: ['requestContext.authentication'], extra: [] };

test("Gateway: a REST API route sends a payload 1.0 event that matches AWS's apigw-request sample", async () => {
  const api = await putApi('restapi', {
    type: 'REST',
    stage: 'testStage',
    stageVariables: { stageVariableName: 'stageVariableValue' },
    routes: [{ method: 'ANY', path: '/{proxy+}', function: 'echo' }],
  });
  assert.equal(api.url, `http://restapi.execute-api.localhost:${server.port}/testStage/`);
  const r = await call(gw('restapi', '/testStage/hello/world?name=me&multi=1&multi=2'), {
    method: 'POST',
    headers: [['Content-Type', 'application/json'], ['headerName', 'headerValue'], ['X-Dup', 'a'], ['X-Dup', 'b']],
    body: '{\r\n\t"a": 1\r\n}',
  });
  assert.equal(r.status, 200, r.text);
  const e = r.json();
  assert.equal(e.resource, '/{proxy+}');
  assert.equal(e.path, '/hello/world');
  assert.equal(e.httpMethod, 'POST');
  assert.equal(e.headers.headerName, 'headerValue', 'REST keeps header case');
  assert.equal(e.headers['X-Dup'], 'b');
  assert.deepEqual(e.multiValueHeaders['X-Dup'], ['a', 'b']);
  assert.deepEqual(e.queryStringParameters, { name: 'me', multi: '2' });
  assert.deepEqual(e.multiValueQueryStringParameters, { name: ['me'], multi: ['1', '2'] });
  assert.deepEqual(e.pathParameters, { proxy: 'hello/world' });
  assert.deepEqual(e.stageVariables, { stageVariableName: 'stageVariableValue' });
  assert.equal(e.requestContext.path, '/testStage/hello/world');
  assert.equal(e.requestContext.stage, 'testStage');
  assert.equal(e.requestContext.resourcePath, '/{proxy+}');
  assert.equal(e.requestContext.identity.sourceIp, '127.0.0.1');
  assert.equal(e.body, '{\r\n\t"a": 1\r\n}');
  assert.equal(e.isBase64Encoded, false);
  if (hasCorpus()) assert.deepEqual(shapeDiff(sample('apigw-request.json'), e, V1_RULES), []);
  // Absent maps are null, as AWS sends them.
  const bare = (await call(gw('restapi', '/testStage/x'))).json();
  assert.equal(bare.queryStringParameters, null);
  assert.equal(bare.multiValueQueryStringParameters, null);
  assert.equal(bare.body, null);
});

test("Gateway: an HTTP API route sends a payload 2.0 event that matches AWS's apigw-v2 sample, to Node and Python", async () => {
  const api = await putApi('httpapi', {
    type: 'HTTP',
    routes: [
      { method: 'GET', path: '/', function: 'echo' },
      { method: 'GET', path: '/items/{id}', function: 'pyecho' },
    ],
  });
  assert.equal(api.url, `http://httpapi.execute-api.localhost:${server.port}/`);
  // curl by host name: <api-id>.execute-api.localhost resolves to loopback.
  const c = await curl(['-A', 'curl/7.58.0', `http://httpapi.execute-api.localhost:${server.port}/`]);
  assert.equal(c.status, 200, c.body);
  const e = JSON.parse(c.body);
  assert.equal(e.version, '2.0');
  assert.equal(e.routeKey, 'GET /');
  assert.equal(e.requestContext.routeKey, 'GET /');
  assert.equal(e.requestContext.stage, '$default');
  assert.equal(e.requestContext.http.userAgent, 'curl/7.58.0');
  if (hasCorpus()) assert.deepEqual(shapeDiff(sample('apigw-v2-request-no-authorizer.json'), e, V2_RULES), []);
  const p = (await call(gw('httpapi', '/items/42?a=1&a=2'), { headers: { cookie: 'x=1; y=2' } })).json();
  assert.deepEqual(p.pathParameters, { id: '42' });
  assert.deepEqual(p.queryStringParameters, { a: '1,2' });
  assert.deepEqual(p.cookies, ['x=1', 'y=2']);
  assert.equal(p.routeKey, 'GET /items/{id}');
  if (hasCorpus()) {
    assert.deepEqual(shapeDiff(sample('apigw-v2-request-no-authorizer.json'), p, { ...V2_RULES, extra: ['pathParameters', 'queryStringParameters', 'cookies'] }), []);
  }
});

test("Gateway: ALB routes send AWS's ALB events, with and without multi-value headers", async () => {
  await putApi('alb1', { type: 'ALB', routes: [{ path: '/{proxy+}', function: 'echo' }, { path: '/', function: 'echo' }] });
  await putApi('alb2', { type: 'ALB', multiValueHeaders: true, routes: [{ path: '/', function: 'echo' }] });
  const one = (await call(gw('alb1', '/?key=hello&enc=a%20b'), { headers: { 'x-myheader': '123' } })).json();
  assert.deepEqual(one.queryStringParameters, { key: 'hello', enc: 'a%20b' }, 'ALB passes query values as sent');
  assert.equal(one.headers['x-myheader'], '123');
  assert.equal(one.body, '');
  assert.match(one.requestContext.elb.targetGroupArn, /^arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup\/alb1\//);
  if (hasCorpus()) assert.deepEqual(shapeDiff(sample('alb-lambda-target-request-headers-only.json'), one, { maps: ['headers', 'queryStringParameters'] }), []);
  const mv = (await call(gw('alb2', '/?key=hello&key=again'), { headers: [['x-myheader', '1'], ['x-myheader', '2']] })).json();
  assert.deepEqual(mv.multiValueQueryStringParameters, { key: ['hello', 'again'] });
  assert.deepEqual(mv.multiValueHeaders['x-myheader'], ['1', '2']);
  assert.equal(mv.headers, undefined);
  if (hasCorpus()) assert.deepEqual(shapeDiff(sample('alb-lambda-target-request-multivalue-headers.json'), mv, { maps: ['multiValueHeaders', 'multiValueQueryStringParameters'] }), []);
  const big = await call(gw('alb1', '/up'), { method: 'POST', body: Buffer.alloc(1024 * 1024 + 1, 97) });
  assert.equal(big.status, 413);
  await putApi('alb3', { type: 'ALB', routes: [{ method: 'POST', path: '/r', function: 'respond' }] });
  const ask = (value: unknown) => call(gw('alb3', '/r'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value }) });
  const ok = await ask({ statusCode: 200, statusDescription: '200 OK', headers: { 'content-type': 'text/html' }, body: '<p>hi</p>' });
  assert.equal(ok.status, 200);
  assert.equal(ok.statusMessage, 'OK');
  assert.equal(ok.text, '<p>hi</p>');
  const huge = await call(gw('alb3', '/r'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: { statusCode: 200 }, bigBody: 1024 * 1024 }) });
  assert.equal(huge.status, 502, 'ALB refuses responses over 1 MB');
  assert.match(huge.text, /502 Bad Gateway/);
});

test('Gateway: route precedence as API Gateway does it (literal over {param} over {proxy+}, a method over ANY, $default last)', async () => {
  await putApi('prec', {
    type: 'HTTP',
    routes: [
      { method: 'GET', path: '/pets/dog', function: 't-literal' },
      { method: 'GET', path: '/pets/{id}', function: 't-param' },
      { method: 'ANY', path: '/pets/{id}', function: 't-any' },
      { method: 'ANY', path: '/pets/{proxy+}', function: 't-greedy' },
      { path: '$default', function: 't-fallback' },
    ],
  });
  const tag = async (method: string, path: string): Promise<string> => (await call(gw('prec', path), { method })).json().tag;
  assert.equal(await tag('GET', '/pets/dog'), 'literal');
  assert.equal(await tag('GET', '/pets/cat'), 'param');
  assert.equal(await tag('POST', '/pets/cat'), 'any');
  assert.equal(await tag('GET', '/pets/cat/toys'), 'greedy');
  assert.equal(await tag('GET', '/other'), 'fallback');
  const f = (await call(gw('prec', '/other'))).json().event;
  assert.equal(f.routeKey, '$default');
  // An HTTP API route may ask for payload format 1.0.
  await putApi('mixed', { type: 'HTTP', stage: 'v1', routes: [{ method: 'GET', path: '/old/{id}', function: 't-param', payloadFormatVersion: '1.0' }] });
  const old = (await call(gw('mixed', '/v1/old/9'))).json().event;
  assert.equal(old.resource, '/old/{id}');
  assert.equal(old.path, '/old/9');
  assert.deepEqual(old.pathParameters, { id: '9' });
  assert.equal(old.requestContext.stage, 'v1');
});

test("Gateway: AWS's error bodies and response mapping (multiValueHeaders, binary bodies, bad responses)", async () => {
  await putApi('errs', {
    type: 'REST',
    stage: 'prod',
    routes: [
      { method: 'POST', path: '/r', function: 'respond' },
      { method: 'GET', path: '/nofn', function: 'does-not-exist' },
    ],
  });
  await putApi('errs2', { type: 'HTTP', routes: [{ method: 'POST', path: '/r', function: 'respond' }] });
  const ask = (api: string, path: string, spec: unknown) => call(gw(api, path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });

  const missing = await call(gw('errs', '/prod/unknown'));
  assert.equal(missing.status, 403);
  assert.deepEqual(missing.json(), { message: 'Missing Authentication Token' });
  assert.equal((await call(gw('errs', '/prod/r'))).status, 403, 'REST: known path, undeclared method');
  assert.deepEqual((await call(gw('errs', '/other/r'), { method: 'POST' })).json(), { message: 'Forbidden' });
  const nf = await call(gw('errs2', '/nothing'));
  assert.equal(nf.status, 404);
  assert.deepEqual(nf.json(), { message: 'Not Found' });
  const bad = await ask('errs', '/prod/r', { value: { notAResponse: true } });
  assert.equal(bad.status, 502);
  assert.deepEqual(bad.json(), { message: 'Internal server error' });
  const thrown = await ask('errs', '/prod/r', { throw: 'boom' });
  assert.equal(thrown.status, 502);
  assert.deepEqual(thrown.json(), { message: 'Internal server error' });
  assert.equal((await call(gw('errs', '/prod/nofn'))).status, 502);
  const v2err = await ask('errs2', '/r', { throw: 'boom' });
  assert.equal(v2err.status, 500);
  assert.deepEqual(v2err.json(), { message: 'Internal Server Error' });

  const mv = await ask('errs', '/prod/r', {
    value: { statusCode: 202, headers: { 'x-single': 's', 'x-multi': 'ignored' }, multiValueHeaders: { 'x-multi': ['a', 'b'], 'Set-Cookie': ['c1=1', 'c2=2'] }, body: 'ok' },
  });
  assert.equal(mv.status, 202);
  assert.equal(mv.headers['x-single'], 's');
  assert.equal(mv.headers['x-multi'], 'a, b');
  assert.deepEqual(mv.headers['set-cookie'], ['c1=1', 'c2=2']);
  assert.equal(mv.text, 'ok');
  const bin = await ask('errs', '/prod/r', { value: { statusCode: 200, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 255, 1]).toString('base64'), isBase64Encoded: true } });
  assert.deepEqual([...bin.body], [0, 255, 1]);
  await createFunction(client, 'sleepy', { 'index.js': 'exports.handler = async () => { await new Promise((r) => setTimeout(r, 3000)); return { statusCode: 200 }; };' }, { timeout: 10 });
  await putApi('slow', { type: 'REST', stage: 's', routes: [{ path: '/z', function: 'sleepy', timeoutInMillis: 500 }] });
  const late = await call(gw('slow', '/s/z'));
  assert.equal(late.status, 504);
  assert.deepEqual(late.json(), { message: 'Endpoint request timed out' });
  const inferred = await ask('errs2', '/r', { value: { a: 1 } });
  assert.equal(inferred.status, 200);
  assert.deepEqual(inferred.json(), { a: 1 });
});

test('Gateway: the route table API validates definitions, lists, deletes, and keeps APIs across a restart', async () => {
  const bad = await call(`${server.url}/_selfless/gateway/apis/x1`, { method: 'PUT', body: JSON.stringify({ type: 'SOAP', routes: [] }) });
  assert.equal(bad.status, 400);
  const bad2 = await call(`${server.url}/_selfless/gateway/apis/x1`, { method: 'PUT', body: JSON.stringify({ type: 'REST', routes: [{ path: '/{a+}/b', function: 'echo' }] }) });
  assert.equal(bad2.status, 400);
  await putApi('keep', { type: 'HTTP', routes: [{ path: '/k', function: 'echo' }] });
  const list = (await call(`${server.url}/_selfless/gateway/apis`)).json();
  assert.ok(list.apis.some((a: { id: string }) => a.id === 'keep'));
  await putApi('gone', { type: 'HTTP', routes: [{ path: '/g', function: 'echo' }] });
  assert.equal((await call(`${server.url}/_selfless/gateway/apis/gone`, { method: 'DELETE' })).status, 204);
  assert.equal((await call(`${server.url}/_selfless/gateway/apis/gone`)).status, 404);
  assert.equal((await call(gw('gone', '/g'))).status, 404);

  await server.stop('SIGKILL');
  server = await startServer({ dataDir: server.dataDir });
  const r = await call(gw('keep', '/k'));
  assert.equal(r.status, 200);
  assert.equal(r.json().rawPath, '/k');
});
