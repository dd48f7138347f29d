// Compatibility: the auth modes and the root key of `selfless start`: enforce refuses unsigned requests with each
// protocol's answer, a custom root key replaces test/test, and off loopback test/test is refused or a key generated.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFunctionUrlConfigCommand, ListFunctionsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { createFunction, createLambdaRole } from '../helpers/lambda.js';
import { IAMClient } from '@aws-sdk/client-iam';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { raw } from '../helpers/s3.js';
import { MAIN, removeServer, startServer, type Running } from '../helpers/server.js';

const started: Running[] = [];
after(async () => {
  for (const s of started) {
    await s.stop();
    await removeServer(s);
  }
});

async function server(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const s = await startServer({ args, env });
  started.push(s);
  return s;
}

const client = <T>(C: new (c: object) => T, url: string, accessKeyId = 'test', secretAccessKey = 'test', extra: object = {}): T =>
  new C({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1, ...extra });

async function failure(p: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('the call succeeded');
}

test('Auth modes: enforce refuses unsigned requests (MissingAuthenticationToken…, AccessDenied on S3) and serves signed ones', async () => {
  const s = await server(['--auth', 'enforce']);
  const lambda = await fetch(`${s.url}/2015-03-31/functions/`);
  assert.equal(lambda.status, 403);
  assert.equal(lambda.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
  assert.equal(((await lambda.json()) as { message: string }).message, 'Missing Authentication Token');
  const kms = await fetch(`${s.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' }, body: '{}' });
  assert.equal(kms.status, 403);
  assert.match(await kms.text(), /MissingAuthenticationTokenException/);
  const sns = await fetch(`${s.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListTopics&Version=2010-03-31' });
  assert.equal(sns.status, 403);
  assert.match(await sns.text(), /<Code>MissingAuthenticationToken<\/Code>/);
  // A virtual-host request names S3 without a signature (an empty authorization: unsigned).
  const s3 = await raw(s.url, 'GET', '/key', { host: `some-bucket.s3.localhost:${s.port}`, authorization: '' });
  assert.equal(s3.status, 403);
  assert.match(s3.body.toString(), /<Code>AccessDenied<\/Code><Message>Access Denied<\/Message>/);
  // Signed by the root key: served (the authorization hook allows everything until the policy engine is wired).
  await client(LambdaClient, s.url).send(new ListFunctionsCommand({}));
  await client(DynamoDBClient, s.url).send(new ListTablesCommand({}));
  await client(SNSClient, s.url).send(new ListTopicsCommand({}));
  await client(S3Client, s.url, 'test', 'test', { forcePathStyle: true }).send(new ListBucketsCommand({}));
  // The health check stays open, and so does a function URL with AuthType NONE, as on AWS.
  assert.equal((await fetch(`${s.url}/_selfless/health`)).status, 200);
  const fns = client(LambdaClient, s.url);
  await createLambdaRole(client(IAMClient, s.url));
  await createFunction(fns, 'open-url', { 'index.js': 'exports.handler = async () => ({ statusCode: 200, body: "open" });' });
  const u = await fns.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'open-url', AuthType: 'NONE' }));
  const id = /^https?:\/\/([a-z0-9]{32})\./.exec(u.FunctionUrl!)![1]!;
  const open = await fetch(`${s.url}/lambda-url/${id}/`);
  assert.equal(open.status, 200);
  assert.equal(await open.text(), 'open');
});

test('Auth modes: a root key set with --root-access-key/--root-secret-key (or SELFLESS_ROOT_*) replaces test/test', async () => {
  const s = await server(['--root-access-key', 'AKIAOWNROOTKEY000001', '--root-secret-key', 'own-secret']);
  await client(LambdaClient, s.url, 'AKIAOWNROOTKEY000001', 'own-secret').send(new ListFunctionsCommand({}));
  assert.deepEqual(await failure(client(LambdaClient, s.url).send(new ListFunctionsCommand({}))), { name: 'UnrecognizedClientException', status: 403 });
  const e = await server([], { SELFLESS_ROOT_ACCESS_KEY: 'AKIAENVROOTKEY000001', SELFLESS_ROOT_SECRET_KEY: 'env-secret' });
  await client(SNSClient, e.url, 'AKIAENVROOTKEY000001', 'env-secret').send(new ListTopicsCommand({}));
  assert.equal((await failure(client(SNSClient, e.url).send(new ListTopicsCommand({})))).name, 'InvalidClientTokenId');
});

/** Runs `selfless start` until it exits (or is ready, then stops it); its exit code and output. */
function startOnce(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [MAIN, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const on = (c: Buffer): void => {
      out += c.toString();
      if (out.includes('selfless ready on')) p.kill('SIGTERM');
    };
    p.stdout.on('data', on);
    p.stderr.on('data', on);
    p.once('exit', (code) => resolve({ code, out }));
  });
}

test('Auth modes: selfless start refuses to listen beyond loopback with test/test, saying how to set a key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfless-auth-'));
  const r = await startOnce(['--host', '0.0.0.0', '--port', '0', '--data', dir, '--root-access-key', 'test', '--root-secret-key', 'test']);
  assert.equal(r.code, 1);
  assert.match(r.out, /refusing to listen on 0\.0\.0\.0 with the well-known root key test\/test/);
  assert.match(r.out, /--root-access-key and --root-secret-key \(or SELFLESS_ROOT_ACCESS_KEY and SELFLESS_ROOT_SECRET_KEY\)/);
  await removeServer({ dataDir: dir });
});

test('Auth modes: off loopback without a key, one is generated, stored in the data dir (0600), printed once, and enforced', async () => {
  const s = await server(['--host', '0.0.0.0']);
  const file = join(s.dataDir, 'root-key.json');
  const key = JSON.parse(readFileSync(file, 'utf8')) as { accessKeyId: string; secretAccessKey: string };
  assert.match(key.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.ok(s.output().includes(`AWS_SECRET_ACCESS_KEY=${key.secretAccessKey}`));
  const url = s.url.replace('0.0.0.0', '127.0.0.1');
  // enforce is the default off loopback: unsigned refused, test/test unknown, the generated key served.
  assert.equal((await fetch(`${url}/2015-03-31/functions/`)).status, 403);
  assert.equal((await failure(client(LambdaClient, url).send(new ListFunctionsCommand({})))).name, 'UnrecognizedClientException');
  await client(LambdaClient, url, key.accessKeyId, key.secretAccessKey).send(new ListFunctionsCommand({}));
  // A restart reuses the stored key and does not print it again.
  await s.stop();
  const again = await startServer({ dataDir: s.dataDir, args: ['--host', '0.0.0.0'] });
  started.push(again);
  assert.ok(!again.output().includes(key.secretAccessKey));
  await client(LambdaClient, again.url.replace('0.0.0.0', '127.0.0.1'), key.accessKeyId, key.secretAccessKey).send(new ListFunctionsCommand({}));
});
