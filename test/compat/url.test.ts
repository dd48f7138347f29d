// Compatibility: function URLs — the control plane through the SDK and CLI, requests from curl and Node's HTTP client
// through both address forms, events compared with AWS's sample, and AWS's response interpretation and errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAliasCommand,
  CreateFunctionUrlConfigCommand,
  DeleteFunctionCommand,
  DeleteFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  ListFunctionUrlConfigsCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  UpdateFunctionUrlConfigCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { removeDir, startServer, type Running, removeServer } from '../helpers/server.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { awsCli } from '../helpers/aws-cli.js';
import { call, curl } from '../fixtures/gateway/http.js';
import { signedHeaders } from '../../src/lib/sign.js';
import { hasCorpus, sample, shapeDiff, type ShapeRules } from '../fixtures/gateway/shape.js';
import { NODE_ECHO, NODE_RESPOND, PYTHON_ECHO } from '../fixtures/gateway/functions.js';

let server: Running;
let client: LambdaClient;

before(async () => {
  server = await startServer();
  client = lambdaClient(server.url);
  await createFunction(client, 'echo', { 'index.js': NODE_ECHO });
  await createFunction(client, 'respond', { 'index.js': NODE_RESPOND });
  await createFunction(client, 'pyecho', { 'app.py': PYTHON_ECHO }, { runtime: 'python3.12', handler: 'app.handler' });
});
after(async () => {
  await server.stop();
  await removeServer(server);
});

const urlIdOf = (functionUrl: string): string => new URL(functionUrl).hostname.split('.')[0]!;
const pathForm = (id: string, rest = '/'): string => `${server.url}/lambda-url/${id}${rest}`;
async function newUrl(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await client.send(new CreateFunctionUrlConfigCommand({ FunctionName: name, AuthType: 'NONE', ...extra }));
  return urlIdOf(r.FunctionUrl!);
}

/** The id of the URL an earlier test gave a function ($LATEST has one URL: AWS refuses `$LATEST` as a qualifier). */
async function existingUrl(name: string): Promise<string> {
  return urlIdOf((await client.send(new GetFunctionUrlConfigCommand({ FunctionName: name }))).FunctionUrl!);
}

/** What AWS's function URL sample has that a URL without IAM or mTLS leaves out, and what the DG documents in addition. */
const URL_RULES: ShapeRules = {
  maps: ['headers', 'queryStringParameters'],
  optional: ['requestContext.authorizer'],
  extra: ['routeKey', 'requestContext.routeKey', 'requestContext.stage'],
};

test('Function URLs: create, get, update, list and delete through the SDK, with AWS errors', async () => {
  await createFunction(client, 'crud', { 'index.js': NODE_ECHO });
  const c = await client.send(
    new CreateFunctionUrlConfigCommand({ FunctionName: 'crud', AuthType: 'NONE', Cors: { AllowOrigins: ['https://example.com'], AllowMethods: ['GET'] } }),
  );
  assert.equal(c.$metadata.httpStatusCode, 201);
  assert.match(c.FunctionUrl!, new RegExp(`^http://[a-z0-9]{32}\\.lambda-url\\.us-east-1\\.localhost:${server.port}/$`));
  assert.equal(c.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:crud');
  assert.equal(c.InvokeMode, undefined, 'AWS answers a create that names no InvokeMode without one');
  assert.deepEqual(c.Cors, { AllowOrigins: ['https://example.com'], AllowMethods: ['GET'] });
  const g = await client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'crud' }));
  assert.equal(g.InvokeMode, 'BUFFERED');
  assert.equal(g.FunctionUrl, c.FunctionUrl);
  assert.ok(g.LastModifiedTime);
  const u = await client.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'crud', AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' }));
  assert.equal(u.AuthType, 'AWS_IAM');
  assert.equal(u.InvokeMode, 'RESPONSE_STREAM');
  assert.equal(u.FunctionUrl, c.FunctionUrl, 'the address survives updates');
  await assert.rejects(client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'crud', AuthType: 'NONE' })), { name: 'ResourceConflictException' });
  await assert.rejects(client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'crud', AuthType: 'OPEN' as never, Qualifier: '$LATEST' })), {
    name: 'ValidationException',
  });
  await assert.rejects(client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'crud', AuthType: 'NONE', Qualifier: '1' })), { name: 'ValidationException' });
  await assert.rejects(client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'crud', AuthType: 'NONE', Qualifier: 'nope' })), {
    name: 'ResourceNotFoundException',
  });
  await assert.rejects(client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'crud', AuthType: 'NONE', Cors: { MaxAge: 90000 } })), {
    name: 'ValidationException',
  });
  // The unqualified URL is $LATEST's; AWS refuses `$LATEST` as a qualifier (recorded: test_url_config_exceptions /
  // create_function_url_config_qualifier_latest).
  await assert.rejects(client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'crud', AuthType: 'NONE', Qualifier: '$LATEST' })), { name: 'ValidationException' });
  const l = await client.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'crud' }));
  assert.equal(l.FunctionUrlConfigs?.length, 1);
  await client.send(new DeleteFunctionUrlConfigCommand({ FunctionName: 'crud' }));
  await assert.rejects(client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'crud' })), { name: 'ResourceNotFoundException' });
  await assert.rejects(client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'missing' })), { name: 'ResourceNotFoundException' });
  assert.equal((await client.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'crud' }))).FunctionUrlConfigs?.length, 0);
});

test('Function URLs: the AWS CLI creates and reads a URL configuration', async () => {
  await createFunction(client, 'clifn', { 'index.js': NODE_ECHO });
  const c = await awsCli(1, server.url, ['lambda', 'create-function-url-config', '--function-name', 'clifn', '--auth-type', 'NONE']);
  assert.equal(c.code, 0, c.stderr);
  const g = await awsCli(1, server.url, ['lambda', 'get-function-url-config', '--function-name', 'clifn']);
  assert.equal(g.code, 0, g.stderr);
  assert.equal(g.json().FunctionUrl, c.json().FunctionUrl);
  const r = await call(pathForm(urlIdOf(c.json().FunctionUrl), '/hi'));
  assert.equal(r.status, 200);
  assert.equal(r.json().rawPath, '/hi');
});

test("Function URLs: curl reaches a Node function by host name and the event matches AWS's function URL sample", async () => {
  const id = await newUrl('echo');
  const url = `http://${id}.lambda-url.us-east-1.localhost:${server.port}/my/path?parameter1=value1&parameter1=value2&parameter2=value`;
  const r = await curl(['-X', 'POST', '-H', 'header1: value1', '-H', 'header2: value1', '-H', 'header2: value2', '-H', 'Cookie: cookie1; cookie2', '-H', 'content-type: text/plain', '-A', 'agent', '--data-binary', 'Hello from client!', url]);
  assert.equal(r.status, 200, r.body);
  const e = JSON.parse(r.body);
  assert.equal(e.version, '2.0');
  assert.equal(e.rawPath, '/my/path');
  assert.equal(e.rawQueryString, 'parameter1=value1&parameter1=value2&parameter2=value');
  assert.deepEqual(e.cookies, ['cookie1', 'cookie2']);
  assert.equal(e.headers.header1, 'value1');
  assert.equal(e.headers.header2, 'value1,value2');
  assert.deepEqual(e.queryStringParameters, { parameter1: 'value1,value2', parameter2: 'value' });
  assert.equal(e.requestContext.http.method, 'POST');
  assert.equal(e.requestContext.http.path, '/my/path');
  assert.equal(e.requestContext.http.userAgent, 'agent');
  assert.equal(e.requestContext.http.sourceIp, '127.0.0.1');
  assert.equal(e.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(e.headers['x-forwarded-proto'], 'http');
  assert.match(e.headers['x-amzn-trace-id'], /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  assert.equal(e.requestContext.apiId, id);
  assert.equal(e.requestContext.domainPrefix, id);
  assert.equal(typeof e.requestContext.timeEpoch, 'number');
  assert.match(e.requestContext.time, /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
  assert.equal(e.body, 'Hello from client!');
  assert.equal(e.isBase64Encoded, false);
  assert.match(r.head, /x-amzn-requestid: [0-9a-f-]{36}/i);
  if (!hasCorpus()) return;
  assert.deepEqual(shapeDiff(sample('lambda-urls-request.json'), e, URL_RULES), []);
});

test('Function URLs: the path form reaches a Python function with the same event shape', async () => {
  const id = await newUrl('pyecho');
  const r = await call(pathForm(id, '/a/b%20c?x=1&y=%2F'), { method: 'PUT', headers: [['content-type', 'application/json'], ['Cookie', 'k=v']], body: '{"n":1}' });
  assert.equal(r.status, 200, r.text);
  const e = r.json();
  assert.equal(e.rawPath, '/a/b%20c');
  assert.equal(e.requestContext.http.path, '/a/b c');
  assert.deepEqual(e.queryStringParameters, { x: '1', y: '/' });
  assert.deepEqual(e.cookies, ['k=v']);
  assert.equal(e.body, '{"n":1}');
  if (!hasCorpus()) return;
  assert.deepEqual(shapeDiff(sample('lambda-urls-request.json'), e, URL_RULES), []);
});

test('Function URLs: binary request bodies arrive base64-encoded', async () => {
  const id = await existingUrl('echo');
  const bytes = Buffer.from([0, 1, 2, 250, 251, 252]);
  const e = (await call(pathForm(id), { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes })).json();
  assert.equal(e.isBase64Encoded, true);
  assert.deepEqual(Buffer.from(e.body, 'base64'), bytes);
  const none = (await call(pathForm(id))).json();
  assert.equal(none.body, undefined, 'no body, no body field');
  assert.equal(none.isBase64Encoded, false);
});

test('Function URLs: responses are interpreted as AWS does (status, headers, cookies, base64, inference)', async () => {
  const id = await newUrl('respond');
  const ask = (value: unknown) => call(pathForm(id), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value }) });
  const full = await ask({ statusCode: 201, headers: { 'x-one': 'a', 'content-type': 'text/plain' }, cookies: ['c1=v1; Path=/', 'c2=v2'], body: 'made' });
  assert.equal(full.status, 201);
  assert.equal(full.headers['x-one'], 'a');
  assert.deepEqual(full.headers['set-cookie'], ['c1=v1; Path=/', 'c2=v2']);
  assert.equal(full.text, 'made');
  const bin = await ask({ statusCode: 200, headers: { 'content-type': 'image/png' }, body: Buffer.from([137, 80, 78, 71]).toString('base64'), isBase64Encoded: true });
  assert.deepEqual([...bin.body], [137, 80, 78, 71]);
  const obj = await ask({ message: 'hi' });
  assert.equal(obj.status, 200);
  assert.equal(obj.headers['content-type'], 'application/json');
  assert.deepEqual(obj.json(), { message: 'hi' });
  const str = await ask('plain words');
  assert.equal(str.status, 200);
  assert.equal(str.text, 'plain words');
  const nul = await ask(null);
  assert.equal(nul.status, 200);
  assert.equal(nul.text, 'null');
});

test('Function URLs: function errors are 502, oversize bodies 413, unsigned calls to AWS_IAM URLs 403, unknown ids 404', async () => {
  const id = await existingUrl('respond');
  const err = await call(pathForm(id), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"throw":"bad"}' });
  assert.equal(err.status, 502);
  assert.equal(err.text, 'Internal Server Error');
  const big = await call(pathForm(id), { method: 'POST', body: Buffer.alloc(6 * 1024 * 1024 + 10, 97) });
  assert.equal(big.status, 413);
  await createFunction(client, 'iamfn', { 'index.js': NODE_ECHO });
  const iam = await newUrl('iamfn', { AuthType: 'AWS_IAM' });
  const denied = await call(pathForm(iam));
  assert.equal(denied.status, 403);
  assert.deepEqual(denied.json(), { Message: 'Forbidden' });
  const { host: _host, ...headers } = await signedHeaders({ method: 'GET', url: pathForm(iam), service: 'lambda', region: 'us-east-1', key: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const signed = await call(pathForm(iam), { headers });
  assert.equal(signed.status, 200);
  assert.equal(signed.json().requestContext.authorizer.iam.accessKey, 'test');
  if (hasCorpus()) {
    assert.deepEqual(shapeDiff(sample('lambda-urls-request.json'), signed.json(), { ...URL_RULES, optional: ['cookies', 'queryStringParameters', 'body'] }), []);
  }
  const unknown = await call(pathForm('x'.repeat(32)));
  assert.equal(unknown.status, 404);
});

test('Function URLs: a URL on an alias runs the alias; deleting the function removes its URLs', async () => {
  await createFunction(client, 'aliased', { 'index.js': 'exports.handler = async (e, ctx) => ({ arn: ctx.invokedFunctionArn });' });
  await client.send(new PublishVersionCommand({ FunctionName: 'aliased' }));
  await client.send(new CreateAliasCommand({ FunctionName: 'aliased', Name: 'live', FunctionVersion: '1' }));
  const c = await client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'aliased', AuthType: 'NONE', Qualifier: 'live' }));
  assert.equal(c.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:aliased:live');
  const id = urlIdOf(c.FunctionUrl!);
  assert.equal((await call(pathForm(id))).json().arn, 'arn:aws:lambda:us-east-1:000000000000:function:aliased:live');
  await client.send(new DeleteFunctionCommand({ FunctionName: 'aliased' }));
  assert.equal((await call(pathForm(id))).status, 404);
});

test('Function URLs: a timed-out function answers 502 and a throttled one 429', async () => {
  await createFunction(client, 'slow', { 'index.js': 'exports.handler = async () => { await new Promise((r) => setTimeout(r, 5000)); return 1; };' }, { timeout: 1 });
  const slow = await newUrl('slow');
  const t = await call(pathForm(slow));
  assert.equal(t.status, 502);
  await createFunction(client, 'held', { 'index.js': NODE_ECHO });
  await client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'held', ReservedConcurrentExecutions: 0 }));
  const held = await newUrl('held');
  const r = await call(pathForm(held));
  assert.equal(r.status, 429);
  assert.deepEqual(r.json(), { Message: 'Rate Exceeded.' });
});

test('Function URLs: configurations survive kill -9 and keep their addresses', async () => {
  await createFunction(client, 'durable', { 'index.js': NODE_ECHO });
  const id = await newUrl('durable', { Cors: { AllowOrigins: ['*'] } });
  await server.stop('SIGKILL');
  server = await startServer({ dataDir: server.dataDir });
  client = lambdaClient(server.url);
  const g = await client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'durable' }));
  assert.equal(urlIdOf(g.FunctionUrl!), id);
  assert.deepEqual(g.Cors, { AllowOrigins: ['*'] });
  const r = await call(pathForm(id, '/again'));
  assert.equal(r.status, 200);
  assert.equal(r.json().rawPath, '/again');
});
