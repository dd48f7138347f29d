// Compatibility: the Lambda functions API driven by @aws-sdk/client-lambda against a live `selfless start`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetAccountSettingsCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListFunctionsCommand,
  ListTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { createHash } from 'node:crypto';
import { removeDir, startServer, type Running, removeServer } from '../helpers/server.js';
import { createFunction, lambdaClient, ROLE } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';

let server: Running;
let client: LambdaClient;
const SRC = { 'index.js': 'exports.handler = async () => "ok";' };

before(async () => {
  server = await startServer();
  client = lambdaClient(server.url);
});
after(async () => {
  await server.stop();
  await removeServer(server);
});

const errorOf = async (p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined; raw: any }> => {
  try {
    await p;
  } catch (e: any) {
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode, raw: e };
  }
  throw new Error('expected the call to fail');
};

test('Functions API: CreateFunction returns FunctionConfiguration exactly as AWS shapes it', async () => {
  const buf = await zip(SRC);
  const out = await client.send(
    new CreateFunctionCommand({ FunctionName: 'shape', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: buf }, Tags: { team: 'a' } }),
  );
  assert.equal(out.$metadata.httpStatusCode, 201);
  assert.ok(out.$metadata.requestId, 'x-amzn-RequestId is set');
  assert.equal(out.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:shape');
  assert.equal(out.CodeSha256, createHash('sha256').update(buf).digest('base64'));
  assert.equal(out.CodeSize, buf.length);
  assert.match(out.LastModified!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
  assert.equal(out.Version, '$LATEST');
  // AWS answers a create as Pending (the function becomes Active right after; selfless: before the next call).
  assert.equal(out.State, 'Pending');
  assert.equal(out.StateReasonCode, 'Creating');
  assert.equal(out.LastUpdateStatus, undefined);
  assert.equal(out.PackageType, 'Zip');
  assert.deepEqual(out.Architectures, ['x86_64']);
  assert.deepEqual(out.EphemeralStorage, { Size: 512 });
  assert.equal(out.Timeout, 3);
  assert.equal(out.MemorySize, 128);
  assert.deepEqual(out.LoggingConfig, { LogFormat: 'Text', LogGroup: '/aws/lambda/shape' });
  assert.match(out.RevisionId!, /^[0-9a-f-]{36}$/);
  await waitUntilFunctionActiveV2({ client, maxWaitTime: 10 }, { FunctionName: 'shape' });
});

test('Functions API: GetFunction gives a Code.Location that downloads the identical zip', async () => {
  const buf = await zip({ 'index.js': 'exports.handler = async () => "download";' });
  await client.send(new CreateFunctionCommand({ FunctionName: 'dl', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: buf } }));
  const got = await client.send(new GetFunctionCommand({ FunctionName: 'dl' }));
  assert.equal(got.Code?.RepositoryType, 'S3');
  const res = await fetch(got.Code!.Location!);
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), buf);
  assert.equal(got.Configuration?.FunctionName, 'dl');
});

test('Functions API: a function is found by name, ARN, partial ARN and name:$LATEST', async () => {
  await createFunction(client, 'forms', SRC);
  for (const name of ['forms', 'arn:aws:lambda:us-east-1:000000000000:function:forms', '000000000000:function:forms', 'forms:$LATEST']) {
    const c = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    assert.equal(c.FunctionName, 'forms', name);
  }
  const e = await errorOf(client.send(new GetFunctionConfigurationCommand({ FunctionName: 'nope' })));
  assert.equal(e.name, 'ResourceNotFoundException');
  assert.equal(e.status, 404);
  assert.equal(e.message, 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope');
});

test('Functions API: ListFunctions pages with Marker/MaxItems and never more than 50 a page', async () => {
  const names = Array.from({ length: 55 }, (_, i) => `page-${String(i).padStart(2, '0')}`);
  const buf = await zip(SRC);
  for (const n of names) await client.send(new CreateFunctionCommand({ FunctionName: n, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: buf } }));
  const first = await client.send(new ListFunctionsCommand({ MaxItems: 1000 }));
  assert.equal(first.Functions?.length, 50);
  assert.ok(first.NextMarker);
  const seen = new Set<string>();
  let marker: string | undefined;
  do {
    const page = await client.send(new ListFunctionsCommand({ MaxItems: 7, Marker: marker }));
    assert.ok((page.Functions?.length ?? 0) <= 7);
    for (const f of page.Functions ?? []) {
      assert.ok(!seen.has(f.FunctionName!), 'no function twice');
      seen.add(f.FunctionName!);
    }
    marker = page.NextMarker;
  } while (marker);
  for (const n of names) assert.ok(seen.has(n), n);
});

test('Functions API: UpdateFunctionConfiguration applies changes, and a stale RevisionId is 412 PreconditionFailed', async () => {
  await createFunction(client, 'upd', SRC);
  // The revision of the active function (the create's answer shows the Pending one, replaced on activation, as AWS).
  const stale = (await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'upd' }))).RevisionId!;
  const updated = await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'upd', MemorySize: 256, Timeout: 10, Environment: { Variables: { A1: '1' } }, RevisionId: stale }));
  assert.equal(updated.MemorySize, 256);
  assert.equal(updated.Timeout, 10);
  assert.deepEqual(updated.Environment?.Variables, { A1: '1' });
  assert.notEqual(updated.RevisionId, stale);
  await waitUntilFunctionUpdatedV2({ client, maxWaitTime: 10 }, { FunctionName: 'upd' });
  const e = await errorOf(client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'upd', MemorySize: 512, RevisionId: stale })));
  assert.equal(e.name, 'PreconditionFailedException');
  assert.equal(e.status, 412);
  const now = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'upd' }));
  assert.equal(now.MemorySize, 256, 'a refused update wrote nothing');
});

test('Functions API: UpdateFunctionCode replaces the code and its hash', async () => {
  await createFunction(client, 'code', SRC);
  const buf = await zip({ 'index.js': 'exports.handler = async () => "v2";' });
  const out = await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'code', ZipFile: buf }));
  assert.equal(out.CodeSha256, createHash('sha256').update(buf).digest('base64'));
  const got = await client.send(new GetFunctionCommand({ FunctionName: 'code' }));
  assert.deepEqual(Buffer.from(await (await fetch(got.Code!.Location!)).arrayBuffer()), buf);
});

test('Functions API: DeleteFunction removes it; a second delete is 404', async () => {
  await createFunction(client, 'del', SRC);
  await client.send(new DeleteFunctionCommand({ FunctionName: 'del' }));
  const e = await errorOf(client.send(new DeleteFunctionCommand({ FunctionName: 'del' })));
  assert.equal(e.name, 'ResourceNotFoundException');
});

test('Functions API: tags are added, listed and removed by function ARN', async () => {
  const fn = await createFunction(client, 'tagged', SRC);
  await client.send(new TagResourceCommand({ Resource: fn.FunctionArn!, Tags: { a: '1', b: '2' } }));
  assert.deepEqual((await client.send(new ListTagsCommand({ Resource: fn.FunctionArn! }))).Tags, { a: '1', b: '2' });
  await client.send(new UntagResourceCommand({ Resource: fn.FunctionArn!, TagKeys: ['a'] }));
  assert.deepEqual((await client.send(new ListTagsCommand({ Resource: fn.FunctionArn! }))).Tags, { b: '2' });
  assert.deepEqual((await client.send(new GetFunctionCommand({ FunctionName: 'tagged' }))).Tags, { b: '2' });
  const e = await errorOf(client.send(new ListTagsCommand({ Resource: 'arn:aws:lambda:us-east-1:000000000000:function:missing' })));
  assert.equal(e.name, 'ResourceNotFoundException');
});

test('Functions API: GetAccountSettings reports limits and usage', async () => {
  const s = await client.send(new GetAccountSettingsCommand({}));
  assert.equal(s.AccountLimit?.ConcurrentExecutions, 1000);
  assert.equal(s.AccountLimit?.CodeSizeZipped, 52428800);
  assert.ok((s.AccountUsage?.FunctionCount ?? 0) >= 1);
});

test('Functions API: functions live in the region of the request signature', async () => {
  const west = lambdaClient(server.url, 'eu-west-1');
  const fn = await createFunction(west, 'regional', SRC);
  assert.equal(fn.FunctionArn, 'arn:aws:lambda:eu-west-1:000000000000:function:regional');
  const e = await errorOf(client.send(new GetFunctionCommand({ FunctionName: 'regional' })));
  assert.equal(e.name, 'ResourceNotFoundException');
});

test('Functions API: invalid inputs get AWS exceptions naming the problem and write nothing', async () => {
  const buf = await zip(SRC);
  const base = { Runtime: 'nodejs20.x' as const, Role: ROLE, Handler: 'index.handler', Code: { ZipFile: buf } };
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ FunctionName: 'bad name!' }, 'ValidationException', /at 'functionName'/],
    // AWS answers an over-long name with InvalidParameterValueException (recorded: test_function_arns / long_function_name_exc).
    [{ FunctionName: 'x'.repeat(65) }, 'InvalidParameterValueException', /at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64/],
    [{ FunctionName: 'v-mem', MemorySize: 64 }, 'ValidationException', /memorySize/],
    [{ FunctionName: 'v-timeout', Timeout: 901 }, 'ValidationException', /timeout/],
    [{ FunctionName: 'v-eph', EphemeralStorage: { Size: 100 } }, 'ValidationException', /ephemeralStorage/],
    [{ FunctionName: 'v-rt', Runtime: 'cobol1' }, 'ValidationException', /runtime/],
    [{ FunctionName: 'v-old', Runtime: 'nodejs14.x' }, 'InvalidParameterValueException', /no longer supported/],
    [{ FunctionName: 'v-role', Role: 'nobody' }, 'ValidationException', /role/],
    [{ FunctionName: 'v-env', Environment: { Variables: { AWS_LAMBDA_FUNCTION_NAME: 'x' } } }, 'InvalidParameterValueException', /reserved keys/],
    [{ FunctionName: 'v-zip', Code: { ZipFile: Buffer.from('not a zip at all') } }, 'InvalidParameterValueException', /Could not unzip/],
    [{ FunctionName: 'v-nohandler', Handler: undefined }, 'InvalidParameterValueException', /Runtime and Handler are mandatory/],
  ];
  for (const [over, name, re] of cases) {
    const e = await errorOf(client.send(new CreateFunctionCommand({ ...base, ...over } as never)));
    assert.equal(e.name, name, JSON.stringify(over).slice(0, 60));
    assert.match(e.message, re);
    assert.equal(e.status, 400);
  }
  const list = await client.send(new ListFunctionsCommand({}));
  assert.ok(!(list.Functions ?? []).some((f) => f.FunctionName?.startsWith('v-')), 'rejected creates wrote nothing');
  const dup = await errorOf(createFunction(client, 'forms', SRC));
  assert.equal(dup.name, 'ResourceConflictException');
  assert.equal(dup.status, 409);
});

test('Wire: errors carry x-amzn-ErrorType, Type and both message casings; unknown routes are not 500s', async () => {
  const res = await fetch(`${server.url}/2015-03-31/functions/nope/configuration`);
  assert.equal(res.status, 404);
  assert.equal(res.headers.get('x-amzn-errortype'), 'ResourceNotFoundException');
  assert.ok(res.headers.get('x-amzn-requestid'));
  const body = (await res.json()) as Record<string, string>;
  assert.equal(body['Type'], 'User');
  assert.equal(body['message'], body['Message']);
  const unknown = await fetch(`${server.url}/2099-01-01/nothing`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers.get('x-amzn-errortype'), 'UnknownOperationException');
  const target = await fetch(server.url, { method: 'POST', headers: { 'x-amz-target': 'Nope_2020.DoIt', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
  assert.equal(target.status, 400);
  assert.equal(((await target.json()) as Record<string, string>)['__type'], 'UnknownOperationException');
  const trailing = await fetch(`${server.url}/2015-03-31/functions/`);
  assert.equal(trailing.status, 200, 'older clients send a trailing slash');
  const badJson = await fetch(`${server.url}/2015-03-31/functions`, { method: 'POST', body: '{nope' });
  assert.equal(badJson.status, 400);
  assert.equal(badJson.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
});

test('Wire: a CreateFunction body over the limit is refused with 413 without being buffered whole', async () => {
  const { request } = await import('node:http');
  const u = new URL(server.url);
  const out = await new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: 'POST', path: '/2015-03-31/functions', headers: { 'content-length': String(80 * 1024 * 1024) } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['x-amzn-errortype'] as string | undefined, body }));
    });
    req.on('error', reject);
    req.write(Buffer.alloc(1024));
  });
  assert.equal(out.status, 413);
  assert.equal(out.type, 'RequestEntityTooLargeException');
  assert.match(out.body, /Request must be smaller than 69905067 bytes for the CreateFunction operation/);
});
