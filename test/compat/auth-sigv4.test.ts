// Compatibility: SigV4 verification in dev mode through the real SDK v3 clients and the aws CLI: a wrong secret, an
// unknown key, clock skew, presigned URL expiry, signed aws-chunked uploads and payload hashes, on every protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { CreateFunctionUrlConfigCommand, AddPermissionCommand, ListFunctionsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CloudFormationClient, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { liveServer } from '../helpers/server.js';
import { createFunction } from '../helpers/lambda.js';
import { raw } from '../helpers/s3.js';
import { signedHeaders } from '../../src/lib/sign.js';
import { failure } from '../helpers/errors.js';

const server = liveServer();
const REGION = 'us-east-1';
type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
const GOOD: Creds = { accessKeyId: 'test', secretAccessKey: 'test' };
const WRONG: Creds = { accessKeyId: 'test', secretAccessKey: 'not-the-secret' };
const UNKNOWN: Creds = { accessKeyId: 'AKIANOSUCHKEY0000000', secretAccessKey: 'test' };
const cfg = (credentials: Creds, extra: Record<string, unknown> = {}) => ({ endpoint: server().url, region: REGION, credentials, maxAttempts: 1, ...extra });


const BAD_SIG = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

test('Auth: a wrong secret is refused on rest-json (Lambda), JSON 1.0/1.1 (SQS, DynamoDB) and query (SNS, CloudFormation) with AWS codes', async () => {
  const lambda = await failure(new LambdaClient(cfg(WRONG)).send(new ListFunctionsCommand({})));
  assert.deepEqual(lambda, { name: 'InvalidSignatureException', status: 403, message: BAD_SIG });
  const sqs = await failure(new SQSClient(cfg(WRONG)).send(new ListQueuesCommand({})));
  assert.equal(sqs.name, 'InvalidSignatureException');
  assert.equal(sqs.status, 403);
  const ddb = await failure(new DynamoDBClient(cfg(WRONG)).send(new ListTablesCommand({})));
  assert.deepEqual(ddb, { name: 'InvalidSignatureException', status: 403, message: BAD_SIG });
  const sns = await failure(new SNSClient(cfg(WRONG)).send(new ListTopicsCommand({})));
  assert.deepEqual(sns, { name: 'SignatureDoesNotMatch', status: 403, message: BAD_SIG });
  const cfn = await failure(new CloudFormationClient(cfg(WRONG)).send(new ListStacksCommand({})));
  assert.deepEqual(cfn, { name: 'SignatureDoesNotMatch', status: 403, message: BAD_SIG });
  // The right secret passes on each of them.
  await new LambdaClient(cfg(GOOD)).send(new ListFunctionsCommand({}));
  await new SQSClient(cfg(GOOD)).send(new ListQueuesCommand({}));
  await new SNSClient(cfg(GOOD)).send(new ListTopicsCommand({}));
  await new CloudFormationClient(cfg(GOOD)).send(new ListStacksCommand({}));
});

test('Auth: SQS query form with a wrong secret answers SignatureDoesNotMatch in ErrorResponse XML', async () => {
  const url = `${server().url}/`;
  const body = 'Action=ListQueues&Version=2012-11-05';
  const headers = await signedHeaders({ method: 'POST', url, service: 'sqs', region: REGION, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, key: WRONG });
  delete headers['host'];
  const bad = await fetch(url, { method: 'POST', headers, body });
  assert.equal(bad.status, 403);
  assert.match(await bad.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  const okHeaders = await signedHeaders({ method: 'POST', url, service: 'sqs', region: REGION, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, key: GOOD });
  delete okHeaders['host'];
  const ok = await fetch(url, { method: 'POST', headers: okHeaders, body });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /<ListQueuesResponse/);
});

test('Auth: an unknown access key is UnrecognizedClientException (JSON), InvalidClientTokenId (query), InvalidAccessKeyId (S3)', async () => {
  const msg = 'The security token included in the request is invalid.';
  assert.deepEqual(await failure(new LambdaClient(cfg(UNKNOWN)).send(new ListFunctionsCommand({}))), { name: 'UnrecognizedClientException', status: 403, message: msg });
  assert.deepEqual(await failure(new SNSClient(cfg(UNKNOWN)).send(new ListTopicsCommand({}))), { name: 'InvalidClientTokenId', status: 403, message: msg });
  const s3 = await failure(new S3Client(cfg(UNKNOWN, { forcePathStyle: true })).send(new GetObjectCommand({ Bucket: 'any-bucket', Key: 'k' })));
  assert.deepEqual(s3, { name: 'InvalidAccessKeyId', status: 403, message: 'The AWS Access Key Id you provided does not exist in our records.' });
  // A session token on a long-term key is not a valid token either.
  const token = await failure(new LambdaClient(cfg({ ...GOOD, sessionToken: 'made-up' })).send(new ListFunctionsCommand({})));
  assert.equal(token.name, 'UnrecognizedClientException');
});

test('Auth: a request signed 20 minutes off the clock is refused (Signature expired / RequestTimeTooSkewed)', async () => {
  const skew = { systemClockOffset: -20 * 60 * 1000 };
  const lambda = await failure(new LambdaClient(cfg(GOOD, skew)).send(new ListFunctionsCommand({})));
  assert.equal(lambda.name, 'InvalidSignatureException');
  assert.equal(lambda.status, 403);
  assert.match(lambda.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
  const s3 = await failure(new S3Client(cfg(GOOD, { ...skew, forcePathStyle: true })).send(new GetObjectCommand({ Bucket: 'any-bucket', Key: 'k' })));
  assert.equal(s3.name, 'RequestTimeTooSkewed');
  assert.equal(s3.status, 403);
  // 10 minutes is within AWS's 15.
  await new LambdaClient(cfg(GOOD, { systemClockOffset: -10 * 60 * 1000 })).send(new ListFunctionsCommand({}));
});

test('Auth: S3 with a wrong secret answers SignatureDoesNotMatch with the StringToSign and CanonicalRequest it computed', async () => {
  const s3 = new S3Client(cfg(WRONG, { forcePathStyle: true }));
  const e = await failure(s3.send(new GetObjectCommand({ Bucket: 'any-bucket', Key: 'k' })));
  assert.equal(e.name, 'SignatureDoesNotMatch');
  assert.equal(e.status, 403);
  const bad = await raw(server().url, 'GET', '/any-bucket/some%20key', {
    ...(await signedHeaders({ method: 'GET', url: `${server().url}/any-bucket/some%20key`, service: 's3', region: REGION, key: WRONG })),
  });
  // Newlines may come as character references; an XML parser reads both the same.
  const xml = bad.body.toString().replace(/&#10;/g, '\n');
  assert.equal(bad.status, 403);
  assert.match(xml, /<Code>SignatureDoesNotMatch<\/Code>/);
  assert.match(xml, /<AWSAccessKeyId>test<\/AWSAccessKeyId>/);
  assert.match(xml, /<StringToSign>AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/us-east-1\/s3\/aws4_request\n[0-9a-f]{64}<\/StringToSign>/);
  assert.match(xml, /<CanonicalRequest>GET\n\/any-bucket\/some%20key\n/);
});

test('Auth: a presigned S3 GET works until it expires, then AccessDenied "Request has expired"; a tampered one is refused', async () => {
  const s3 = new S3Client(cfg(GOOD, { forcePathStyle: true }));
  await s3.send(new CreateBucketCommand({ Bucket: 'auth-presign' }));
  const put = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'auth-presign', Key: 'dir/a b.txt' }), { expiresIn: 300 });
  const stored = await fetch(put, { method: 'PUT', body: 'presigned body' });
  assert.equal(stored.status, 200);
  const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'auth-presign', Key: 'dir/a b.txt' }), { expiresIn: 300 });
  const got = await fetch(get);
  assert.equal(got.status, 200);
  assert.equal(await got.text(), 'presigned body');
  const old = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'auth-presign', Key: 'dir/a b.txt' }), { expiresIn: 60, signingDate: new Date(Date.now() - 120_000) });
  const expired = await fetch(old);
  assert.equal(expired.status, 403);
  const text = await expired.text();
  assert.match(text, /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
  const tampered = await fetch(get.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`));
  assert.equal(tampered.status, 403);
  assert.match(await tampered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  const wrongKey = await getSignedUrl(new S3Client(cfg(WRONG, { forcePathStyle: true })), new GetObjectCommand({ Bucket: 'auth-presign', Key: 'dir/a b.txt' }), { expiresIn: 300 });
  assert.equal((await fetch(wrongKey)).status, 403);
});

/** A STREAMING-AWS4-HMAC-SHA256-PAYLOAD upload signed chunk by chunk (as the Java SDK and others send it). */
async function chunkedPut(path: string, chunks: Buffer[], corrupt?: number): Promise<{ status: number; body: string }> {
  const url = `${server().url}${path}`;
  const decoded = chunks.reduce((n, c) => n + c.length, 0);
  const headers = await signedHeaders({
    method: 'PUT',
    url,
    service: 's3',
    region: REGION,
    key: GOOD,
    headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(decoded) },
  });
  const seed = /Signature=([0-9a-f]{64})/.exec(headers['authorization']!)![1]!;
  const date = headers['x-amz-date']!;
  const scope = `${date.slice(0, 8)}/${REGION}/s3/aws4_request`;
  const hmac = (k: Buffer | string, s: string): Buffer => createHmac('sha256', k).update(s).digest();
  const key = hmac(hmac(hmac(hmac('AWS4test', date.slice(0, 8)), REGION), 's3'), 'aws4_request');
  const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
  let prev = seed;
  const parts: Buffer[] = [];
  [...chunks, Buffer.alloc(0)].forEach((c, i) => {
    let sig = hmac(key, `AWS4-HMAC-SHA256-PAYLOAD\n${date}\n${scope}\n${prev}\n${sha('')}\n${sha(c)}`).toString('hex');
    prev = sig;
    if (i === corrupt) sig = sig.replace(/^./, (x) => (x === 'a' ? 'b' : 'a'));
    parts.push(Buffer.from(`${c.length.toString(16)};chunk-signature=${sig}\r\n`), c, Buffer.from('\r\n'));
  });
  const body = Buffer.concat(parts);
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: 'PUT', path, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('Auth: a signed aws-chunked PUT is verified chunk by chunk; a bad chunk signature stores nothing', async () => {
  const s3 = new S3Client(cfg(GOOD, { forcePathStyle: true }));
  await s3.send(new CreateBucketCommand({ Bucket: 'auth-chunked' }));
  const chunks = [Buffer.alloc(65536, 97), Buffer.alloc(1000, 98)];
  const ok = await chunkedPut('/auth-chunked/ok', chunks);
  assert.equal(ok.status, 200, ok.body);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'auth-chunked', Key: 'ok' }));
  assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), Buffer.concat(chunks));
  const bad = await chunkedPut('/auth-chunked/bad', chunks, 1);
  assert.equal(bad.status, 403);
  assert.match(bad.body, /<Code>SignatureDoesNotMatch<\/Code>/);
  assert.equal((await failure(s3.send(new GetObjectCommand({ Bucket: 'auth-chunked', Key: 'bad' })))).name, 'NoSuchKey');
  // The SDK's own streamed upload (STREAMING-UNSIGNED-PAYLOAD-TRAILER: unsigned chunks, a checksum trailer) passes.
  let sent = '';
  s3.middlewareStack.add((next) => async (args) => {
    sent = String((args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] ?? '');
    return next(args);
  }, { step: 'finalizeRequest', priority: 'low', name: 'seeSha' });
  const streamed = Buffer.alloc(70000, 99);
  await s3.send(new PutObjectCommand({ Bucket: 'auth-chunked', Key: 'sdk', Body: Readable.from([streamed]), ContentLength: streamed.length, ChecksumAlgorithm: 'CRC32' }));
  assert.equal(sent, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
  const back = await s3.send(new GetObjectCommand({ Bucket: 'auth-chunked', Key: 'sdk' }));
  assert.deepEqual(Buffer.from(await back.Body!.transformToByteArray()), streamed);
});

test('Auth: a declared x-amz-content-sha256 that is not the body is XAmzContentSHA256Mismatch', async () => {
  const s3 = new S3Client(cfg(GOOD, { forcePathStyle: true }));
  await s3.send(new CreateBucketCommand({ Bucket: 'auth-sha' }));
  const claimed = createHash('sha256').update('other').digest('hex');
  const r = await raw(server().url, 'PUT', '/auth-sha/k', { 'content-length': '4', 'x-amz-content-sha256': claimed }, 'body');
  assert.equal(r.status, 400);
  assert.match(r.body.toString(), /<Code>XAmzContentSHA256Mismatch<\/Code>/);
  assert.match(r.body.toString(), new RegExp(`<ClientComputedContentSHA256>${claimed}</ClientComputedContentSHA256>`));
  assert.equal((await failure(s3.send(new GetObjectCommand({ Bucket: 'auth-sha', Key: 'k' })))).name, 'NoSuchKey');
});

test('Auth: in dev mode an unsigned request (curl) is served as the account root', async () => {
  const r = await fetch(`${server().url}/2015-03-31/functions/`);
  assert.equal(r.status, 200);
  const q = await fetch(`${server().url}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListTopics&Version=2010-03-31' });
  assert.equal(q.status, 200);
});

test('Auth: the aws CLI with a wrong secret fails with InvalidSignatureException; with the right one it works', async () => {
  const run = (secret: string): Promise<{ code: number; stderr: string }> =>
    new Promise((resolve) =>
      execFile(
        'python3',
        ['-m', 'awscli', '--endpoint-url', server().url, 'lambda', 'list-functions'],
        { env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: secret, AWS_DEFAULT_REGION: REGION, AWS_MAX_ATTEMPTS: '1', AWS_PAGER: '' } },
        (err, _out, stderr) => resolve({ code: err ? 1 : 0, stderr }),
      ),
    );
  const bad = await run('wrong');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /InvalidSignatureException/);
  assert.equal((await run('test')).code, 0);
});

test('Auth: a function URL with AuthType AWS_IAM takes a correctly signed request and refuses a wrongly signed one', async () => {
  const lambda = new LambdaClient(cfg(GOOD));
  await createFunction(lambda, 'auth-url-fn', { 'index.js': 'exports.handler = async (e) => ({ statusCode: 200, body: e.requestContext.authorizer.iam.userArn });' });
  const u = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'auth-url-fn', AuthType: 'AWS_IAM' }));
  await lambda.send(new AddPermissionCommand({ FunctionName: 'auth-url-fn', StatementId: 'url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'AWS_IAM' })).catch(() => undefined);
  const id = /^https?:\/\/([a-z0-9]{32})\./.exec(u.FunctionUrl!)![1]!;
  const url = `${server().url}/lambda-url/${id}/`;
  const body = '{"x":1}';
  const sign = async (key: Creds): Promise<Record<string, string>> => {
    const h = await signedHeaders({ method: 'POST', url, service: 'lambda', region: REGION, headers: { 'content-type': 'application/json' }, body, key });
    delete h['host'];
    return h;
  };
  const ok = await fetch(url, { method: 'POST', headers: await sign(GOOD), body });
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'arn:aws:iam::000000000000:root');
  const bad = await fetch(url, { method: 'POST', headers: await sign(WRONG), body });
  assert.equal(bad.status, 403);
  assert.deepEqual(await bad.json(), { Message: 'Forbidden' });
  const unsigned = await fetch(url, { method: 'POST', body });
  assert.equal(unsigned.status, 403);
});
