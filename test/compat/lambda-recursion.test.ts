// Compatibility: Lambda's recursive loop detection. Real Node.js functions (the runtime's AWS SDK v3, which forwards
// _X_AMZN_TRACE_ID as X-Amzn-Trace-Id) write back to the SQS queue, SNS topic or S3 bucket that invokes them: with
// the default (Terminate) the chain stops after 16 invocations, the 17th event goes where AWS sends it and
// RecursiveInvocationsDropped is counted and logged; with Allow the loop runs on. Put/GetFunctionRecursionConfig
// through the SDK and boto3, durable across a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateEventSourceMappingCommand,
  DeleteFunctionCommand,
  GetFunctionRecursionConfigCommand,
  InvokeCommand,
  PutFunctionRecursionConfigCommand,
  UpdateFunctionConfigurationCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { sqsClient } from '../helpers/sqs.js';
import { s3Client } from '../helpers/s3.js';
import { removeDir, removeServer, startServer, type Running } from '../helpers/server.js';
import { recorded, until } from '../helpers/wait.js';
import { boto3PathFor, resolveInterpreters } from '../../src/engine/interpreters.js';

let server: Running;
let lambda: LambdaClient;
let sqs: SQSClient;
let sns: SNSClient;
let s3: S3Client;
const outDir = mkdtempSync(join(tmpdir(), 'selfless-recursion-'));
const ACCOUNT = '000000000000';

async function start(dataDir?: string): Promise<void> {
  // The functions append what they see to a host file, which a sandboxed function cannot reach.
  server = await startServer({ env: { SELFLESS_ISOLATION: 'process' }, ...(dataDir ? { dataDir } : {}) });
  lambda = lambdaClient(server.url);
  sqs = sqsClient(server.url);
  sns = new SNSClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  s3 = s3Client(server.url);
}
function close(): void {
  for (const c of [lambda, sqs, sns, s3]) c.destroy();
}

before(() => start());
after(async () => {
  close();
  await server.stop();
  await removeServer(server);
  removeDir(outDir);
});

/** Each invocation appends {n, trace} (its _X_AMZN_TRACE_ID) to OUT, then writes n+1 back to its source below STOP. */
const RECORD = `const fs = require('fs');
const record = (n) => fs.appendFileSync(process.env.OUT, JSON.stringify({ n, trace: process.env._X_AMZN_TRACE_ID }) + '\\n');
const more = (n) => n < Number(process.env.STOP);`;

const SQS_LOOP = `${RECORD}
const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');
const sqs = new SQSClient({ maxAttempts: 1 });
exports.handler = async (event) => {
  for (const r of event.Records) {
    const n = JSON.parse(r.body).n;
    record(n);
    if (more(n)) await sqs.send(new SendMessageCommand({ QueueUrl: process.env.QUEUE, MessageBody: JSON.stringify({ n: n + 1 }) }));
  }
};`;

const SNS_LOOP = `${RECORD}
const { SNSClient, PublishCommand } = require('@aws-sdk/client-sns');
const sns = new SNSClient({ maxAttempts: 1 });
exports.handler = async (event) => {
  const n = JSON.parse(event.Records[0].Sns.Message).n;
  record(n);
  if (more(n)) await sns.send(new PublishCommand({ TopicArn: process.env.TOPIC, Message: JSON.stringify({ n: n + 1 }) }));
};`;

const S3_LOOP = `${RECORD}
const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');
const s3 = new S3Client({ forcePathStyle: true, maxAttempts: 1 });
exports.handler = async (event) => {
  const n = Number(event.Records[0].s3.object.key.split('-')[1]);
  record(n);
  if (more(n)) await s3.send(new PutObjectCommand({ Bucket: process.env.BUCKET, Key: 'n-' + (n + 1), Body: 'again' }));
};`;

interface Seen {
  n: number;
  trace: string;
}
const lineageLoops = (trace: string): number => Number(/Lineage=\d+:[0-9a-f]{8}:(\d+)/.exec(trace)?.[1] ?? NaN);
const rootOf = (trace: string): string | undefined => /Root=([^;]+)/.exec(trace)?.[1];

async function queue(name: string, attrs: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attrs }))).QueueUrl!;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
  return { url, arn };
}

/** selfless's read of the RecursiveInvocationsDropped count (AWS's CloudWatch metric; docs/recursion.md). */
async function dropped(fn: string): Promise<{ RecursiveLoop: string; RecursiveInvocationsDropped: number }> {
  const res = await fetch(`${server.url}/_selfless/lambda/functions/${fn}/recursion`);
  assert.equal(res.status, 200);
  return (await res.json()) as { RecursiveLoop: string; RecursiveInvocationsDropped: number };
}

async function droppedLogLines(fn: string): Promise<string[]> {
  const res = await fetch(`${server.url}/`, {
    method: 'POST',
    headers: { 'x-amz-target': 'Logs_20140328.FilterLogEvents', 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({ logGroupName: `/aws/lambda/${fn}`, filterPattern: '"RecursiveInvocationsDropped"' }),
  });
  return ((await res.json()) as { events?: { message: string }[] }).events?.map((e) => e.message) ?? [];
}

/** The chain the function recorded: one trace, Lineage loop counts 0, 1, 2, … in order. */
function assertChain(seen: Seen[], count: number): void {
  assert.deepEqual(
    seen.map((s) => s.n),
    Array.from({ length: count }, (_, i) => i + 1),
  );
  assert.deepEqual(
    seen.map((s) => lineageLoops(s.trace)),
    Array.from({ length: count }, (_, i) => i),
  );
  assert.equal(new Set(seen.map((s) => rootOf(s.trace))).size, 1, 'every invocation of the chain is in one trace');
}

const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));

test('Recursion: an SQS → function → same queue loop stops after 16 invocations (Terminate); the 17th message goes to the queue’s DLQ', async () => {
  const out = join(outDir, 'sqs-terminate.jsonl');
  const dlq = await queue('loop-dlq');
  const src = await queue('loop-src', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 }) });
  await createFunction(lambda, 'sqs-loop', { 'index.js': SQS_LOOP }, { env: { OUT: out, QUEUE: src.url, STOP: '1000' } });
  assert.equal((await lambda.send(new GetFunctionRecursionConfigCommand({ FunctionName: 'sqs-loop' }))).RecursiveLoop, 'Terminate');
  await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'sqs-loop', EventSourceArn: src.arn, BatchSize: 1 }));
  await sqs.send(new SendMessageCommand({ QueueUrl: src.url, MessageBody: JSON.stringify({ n: 1 }) }));

  const stopped = await until('the 17th message in the DLQ', async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, MessageSystemAttributeNames: ['All'] }))).Messages?.[0]);
  assert.deepEqual(JSON.parse(stopped.Body!), { n: 17 });
  assert.equal(stopped.Attributes?.['DeadLetterQueueSourceArn'], src.arn);
  // SQS kept the sending function's trace header as the message's AWSTraceHeader.
  assert.equal(lineageLoops(stopped.Attributes?.['AWSTraceHeader'] ?? ''), 15);
  await settle();
  const seen = recorded(out) as Seen[];
  assertChain(seen, 16);
  assert.equal(stopped.Attributes?.['AWSTraceHeader'], seen[15]!.trace, 'the header the 16th invocation ran with');
  const stats = await dropped('sqs-loop');
  assert.equal(stats.RecursiveLoop, 'Terminate');
  assert.equal(stats.RecursiveInvocationsDropped, 1);
  const lines = await droppedLogLines('sqs-loop');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /arn:aws:lambda:us-east-1:000000000000:function:sqs-loop.* recursive loop with Amazon SQS/);
  const left = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: src.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes!;
  assert.deepEqual([left['ApproximateNumberOfMessages'], left['ApproximateNumberOfMessagesNotVisible']], ['0', '0']);
});

test('Recursion: with RecursiveLoop Allow the SQS loop runs past 16 (bounded by the function at 24)', async () => {
  const out = join(outDir, 'sqs-allow.jsonl');
  const src = await queue('allow-src');
  await createFunction(lambda, 'sqs-allow', { 'index.js': SQS_LOOP }, { env: { OUT: out, QUEUE: src.url, STOP: '24' } });
  const put = await lambda.send(new PutFunctionRecursionConfigCommand({ FunctionName: 'sqs-allow', RecursiveLoop: 'Allow' }));
  assert.equal(put.RecursiveLoop, 'Allow');
  assert.equal((await lambda.send(new GetFunctionRecursionConfigCommand({ FunctionName: 'sqs-allow' }))).RecursiveLoop, 'Allow');
  await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'sqs-allow', EventSourceArn: src.arn, BatchSize: 1 }));
  await sqs.send(new SendMessageCommand({ QueueUrl: src.url, MessageBody: JSON.stringify({ n: 1 }) }));
  await until('24 invocations', () => recorded(out).length >= 24 || undefined);
  await settle();
  assertChain(recorded(out) as Seen[], 24);
  assert.equal((await dropped('sqs-allow')).RecursiveInvocationsDropped, 0);
  assert.deepEqual(await droppedLogLines('sqs-allow'), []);
});

test('Recursion: an SNS → function → same topic loop stops after 16; the 17th event goes to the function’s dead-letter queue', async () => {
  const out = join(outDir, 'sns-terminate.jsonl');
  const dlq = await queue('sns-loop-dlq');
  const topic = (await sns.send(new CreateTopicCommand({ Name: 'loop-topic' }))).TopicArn!;
  await createFunction(lambda, 'sns-loop', { 'index.js': SNS_LOOP }, { env: { OUT: out, TOPIC: topic, STOP: '1000' } });
  await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'sns-loop', DeadLetterConfig: { TargetArn: dlq.arn } }));
  await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'lambda', Endpoint: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:sns-loop` }));
  await sns.send(new PublishCommand({ TopicArn: topic, Message: JSON.stringify({ n: 1 }) }));

  const stopped = await until('the 17th event in the DLQ', async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, MessageAttributeNames: ['All'] }))).Messages?.[0]);
  assert.deepEqual(JSON.parse(JSON.parse(stopped.Body!).Records[0].Sns.Message), { n: 17 });
  assert.equal(stopped.MessageAttributes?.['ErrorCode']?.StringValue, '400');
  assert.match(stopped.MessageAttributes?.['ErrorMessage']?.StringValue ?? '', /recursive loop with Amazon SNS/);
  await settle();
  assertChain(recorded(out) as Seen[], 16);
  assert.equal((await dropped('sns-loop')).RecursiveInvocationsDropped, 1);
  assert.equal((await droppedLogLines('sns-loop')).length, 1);
});

test('Recursion: an S3 put → notification → function → put loop stops after 16 (the 17th event is dropped and counted)', async () => {
  const out = join(outDir, 's3-terminate.jsonl');
  await s3.send(new CreateBucketCommand({ Bucket: 'loop-bucket' }));
  await createFunction(lambda, 's3-loop', { 'index.js': S3_LOOP }, { env: { OUT: out, BUCKET: 'loop-bucket', STOP: '1000' } });
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: 'loop-bucket',
      NotificationConfiguration: { LambdaFunctionConfigurations: [{ LambdaFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:s3-loop`, Events: ['s3:ObjectCreated:*'] }] },
    }),
  );
  await s3.send(new PutObjectCommand({ Bucket: 'loop-bucket', Key: 'n-1', Body: 'start' }));
  await until('the 17th invocation dropped', async () => (await dropped('s3-loop')).RecursiveInvocationsDropped === 1 || undefined);
  await settle();
  assertChain(recorded(out) as Seen[], 16);
  const lines = await droppedLogLines('s3-loop');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /recursive loop with Amazon S3/);
});

const SELF_LOOP = `${RECORD}
const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');
const lambda = new LambdaClient({ maxAttempts: 1 });
exports.handler = async (event) => {
  record(event.n);
  if (more(event.n)) await lambda.send(new InvokeCommand({ FunctionName: process.env.AWS_LAMBDA_FUNCTION_NAME, InvocationType: 'Event', Payload: JSON.stringify({ n: event.n + 1 }) }));
};`;

test('Recursion: a function invoking itself asynchronously stops after 16; the 17th event goes to its dead-letter queue', async () => {
  const out = join(outDir, 'self-terminate.jsonl');
  const dlq = await queue('self-loop-dlq');
  await createFunction(lambda, 'self-loop', { 'index.js': SELF_LOOP }, { env: { OUT: out, STOP: '1000' } });
  await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'self-loop', DeadLetterConfig: { TargetArn: dlq.arn } }));
  await lambda.send(new InvokeCommand({ FunctionName: 'self-loop', InvocationType: 'Event', Payload: JSON.stringify({ n: 1 }) }));
  const stopped = await until('the 17th event in the DLQ', async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, MessageAttributeNames: ['All'] }))).Messages?.[0]);
  assert.deepEqual(JSON.parse(stopped.Body!), { n: 17 });
  assert.match(stopped.MessageAttributes?.['ErrorMessage']?.StringValue ?? '', /recursive loop with AWS Lambda/);
  await settle();
  assertChain(recorded(out) as Seen[], 16);
  assert.equal((await dropped('self-loop')).RecursiveInvocationsDropped, 1);
});

test('Recursion: a synchronous Invoke whose X-Amzn-Trace-Id is 16 invocations deep is refused with RecursiveInvocationException (unless Allow)', async () => {
  await createFunction(lambda, 'echo-trace', { 'index.js': 'exports.handler = async () => process.env._X_AMZN_TRACE_ID;' });
  const root = '1-5759e988-bd862e3fe1be46a994272793';
  const invoke = (loops: number) =>
    fetch(`${server.url}/2015-03-31/functions/echo-trace/invocations`, { method: 'POST', headers: { 'X-Amzn-Trace-Id': `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=1:a87bd80c:${loops}` }, body: '{}' });
  const ran = await invoke(14);
  assert.equal(ran.status, 200);
  const seen = (await ran.json()) as string;
  assert.equal(rootOf(seen), root);
  assert.equal(lineageLoops(seen), 15);
  assert.match(seen, /;Sampled=1;/);
  const refused = await invoke(15);
  assert.equal(refused.status, 400);
  assert.equal(refused.headers.get('x-amzn-errortype')?.split(':')[0], 'RecursiveInvocationException');
  assert.match(((await refused.json()) as { Message?: string; message?: string }).Message ?? '', /recursive loop/);
  // Without a Lineage the request starts a chain: the function runs at count 0.
  const fresh = await fetch(`${server.url}/2015-03-31/functions/echo-trace/invocations`, { method: 'POST', headers: { 'X-Amzn-Trace-Id': `Root=${root}` }, body: '{}' });
  assert.equal(lineageLoops((await fresh.json()) as string), 0);
  await lambda.send(new PutFunctionRecursionConfigCommand({ FunctionName: 'echo-trace', RecursiveLoop: 'Allow' }));
  const allowed = await invoke(40);
  assert.equal(allowed.status, 200);
  assert.equal(lineageLoops((await allowed.json()) as string), 41);
  assert.equal((await dropped('echo-trace')).RecursiveInvocationsDropped, 1);
});

const PY_SQS_LOOP = `import json, os, boto3
sqs = boto3.client('sqs')
def handler(event, context):
    for r in event['Records']:
        n = json.loads(r['body'])['n']
        with open(os.environ['OUT'], 'a') as f:
            f.write(json.dumps({'n': n, 'trace': os.environ.get('_X_AMZN_TRACE_ID')}) + '\\n')
        sqs.send_message(QueueUrl=os.environ['QUEUE'], MessageBody=json.dumps({'n': n + 1}))
`;

test('Recursion: a Python function’s boto3 forwards _X_AMZN_TRACE_ID too: its SQS loop stops after 16 (no DLQ: the 17th message is deleted)', async (t) => {
  const map = await resolveInterpreters({ dataDir: server.dataDir });
  const runtime = ['python3.12', 'python3.11', 'python3.13', 'python3.10'].find((r) => {
    const i = map.choose(r)?.interpreter;
    return map.choose(r)?.exact && i && ((i.libDir && existsSync(join(i.libDir, 'boto3'))) || boto3PathFor(map, i));
  });
  if (!runtime) return t.skip('no Python interpreter here has boto3 installed');
  const out = join(outDir, 'py-terminate.jsonl');
  const src = await queue('py-loop-src');
  await createFunction(lambda, 'py-loop', { 'app.py': PY_SQS_LOOP }, { runtime, handler: 'app.handler', env: { OUT: out, QUEUE: src.url } });
  await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'py-loop', EventSourceArn: src.arn, BatchSize: 1 }));
  await sqs.send(new SendMessageCommand({ QueueUrl: src.url, MessageBody: JSON.stringify({ n: 1 }) }));
  await until('the 17th invocation dropped', async () => (await dropped('py-loop')).RecursiveInvocationsDropped === 1 || undefined);
  await settle();
  assertChain(recorded(out) as Seen[], 16);
  const left = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: src.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes!;
  assert.deepEqual([left['ApproximateNumberOfMessages'], left['ApproximateNumberOfMessagesNotVisible']], ['0', '0']);
});

/** Runs a boto3 script against the server; its stdout is JSON. */
function boto3(script: string): Promise<any> {
  return new Promise((resolve, reject) =>
    execFile(
      'python3',
      ['-c', `import boto3, json, os\nc = boto3.client('lambda', endpoint_url=os.environ['ENDPOINT'])\n${script}`],
      { env: { ...process.env, ENDPOINT: server.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1', AWS_MAX_ATTEMPTS: '1' } },
      (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(JSON.parse(stdout))),
    ),
  );
}

test('Recursion: boto3 Put/GetFunctionRecursionConfig, AWS’s errors, and the setting survives a restart', async () => {
  await createFunction(lambda, 'cfg-fn', { 'index.js': 'exports.handler = async () => 1;' });
  // One invocation stopped while the setting is still Terminate (a request 16 invocations deep).
  const deep = await fetch(`${server.url}/2015-03-31/functions/cfg-fn/invocations`, {
    method: 'POST',
    headers: { 'X-Amzn-Trace-Id': 'Root=1-5759e988-bd862e3fe1be46a994272793;Lineage=1:a87bd80c:15' },
    body: '{}',
  });
  assert.equal(deep.status, 400);
  const r = await boto3(`
out = {'default': c.get_function_recursion_config(FunctionName='cfg-fn')['RecursiveLoop']}
out['put'] = c.put_function_recursion_config(FunctionName='cfg-fn', RecursiveLoop='Allow')['RecursiveLoop']
out['get'] = c.get_function_recursion_config(FunctionName='arn:aws:lambda:us-east-1:${ACCOUNT}:function:cfg-fn')['RecursiveLoop']
def code(f):
    try:
        f()
        return None
    except c.exceptions.ClientError as e:
        return [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error']['Message']]
out['missing'] = code(lambda: c.get_function_recursion_config(FunctionName='no-such-fn'))
out['putMissing'] = code(lambda: c.put_function_recursion_config(FunctionName='no-such-fn', RecursiveLoop='Allow'))
print(json.dumps(out))`);
  assert.equal(r.default, 'Terminate');
  assert.equal(r.put, 'Allow');
  assert.equal(r.get, 'Allow');
  assert.deepEqual(r.missing, ['ResourceNotFoundException', 404, `Function not found: arn:aws:lambda:us-east-1:${ACCOUNT}:function:no-such-fn`]);
  assert.deepEqual(r.putMissing?.slice(0, 2), ['ResourceNotFoundException', 404]);
  // A value outside the enum is refused before it reaches the function.
  const bad = await fetch(`${server.url}/2024-08-31/functions/cfg-fn/recursion-config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ RecursiveLoop: 'Sometimes' }) });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /Terminate|Allow/);

  const dataDir = server.dataDir;
  close();
  await server.stop();
  await start(dataDir);
  assert.equal((await boto3(`print(json.dumps(c.get_function_recursion_config(FunctionName='cfg-fn')))`)).RecursiveLoop, 'Allow');
  // The RecursiveInvocationsDropped count is in the store too.
  assert.deepEqual(await dropped('cfg-fn').then((d) => [d.RecursiveLoop, d.RecursiveInvocationsDropped]), ['Allow', 1]);
  // DeleteFunction takes the setting with it: a new function of the name starts at Terminate.
  await lambda.send(new DeleteFunctionCommand({ FunctionName: 'cfg-fn' }));
  await createFunction(lambda, 'cfg-fn', { 'index.js': 'exports.handler = async () => 2;' });
  assert.equal((await lambda.send(new GetFunctionRecursionConfigCommand({ FunctionName: 'cfg-fn' }))).RecursiveLoop, 'Terminate');
  assert.equal((await dropped('cfg-fn')).RecursiveInvocationsDropped, 0);
});
