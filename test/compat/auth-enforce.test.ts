// Compatibility: enforce mode evaluates IAM policies as AWS does: a user allowed only lambda:InvokeFunction on one
// function invokes it and nothing else, an explicit deny wins over an allow, a function's resource policy admits a
// user without identity policies, a queue's, a topic's and a bucket's policy likewise; denials are AccessDenied in each protocol with AWS's words.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AddPermissionCommand, GetFunctionCommand, InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreatePolicyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateQueueCommand, GetQueueUrlCommand, SendMessageCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, GetObjectCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, PublishCommand, SetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { createFunction, createLambdaRole } from '../helpers/lambda.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MAIN, removeServer, startServer, type Running } from '../helpers/server.js';
import { until } from '../helpers/wait.js';
import { failure } from '../helpers/errors.js';

const ACCOUNT = '000000000000';
let s: Running;
before(async () => {
  s = await startServer({ args: ['--auth', 'enforce'] });
  // The helper's functions use this role: enforce mode refuses a role Lambda cannot assume.
  await createLambdaRole(client(IAMClient, ROOT));
});
after(async () => {
  await s.stop();
  await removeServer(s);
});

type Keys = { accessKeyId: string; secretAccessKey: string };
const ROOT: Keys = { accessKeyId: 'test', secretAccessKey: 'test' };
const client = <T>(C: new (c: object) => T, keys: Keys): T => new C({ endpoint: s.url, region: 'us-east-1', credentials: keys, maxAttempts: 1 });

/** A user with an access key and the given inline policy (none: a user without identity policies). */
async function user(name: string, policy?: object): Promise<Keys> {
  const iam = client(IAMClient, ROOT);
  await iam.send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify(policy) }));
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
}


const fnArn = (name: string): string => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
const code = { 'index.js': 'exports.handler = async (e) => ({ ok: true, e });' };

test('Enforce: a user allowed only lambda:InvokeFunction on one function invokes it and is denied everything else, in AWS words', async () => {
  const root = client(LambdaClient, ROOT);
  await createFunction(root, 'allowed', code);
  await createFunction(root, 'other', code);
  const keys = await user('invoker', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fnArn('allowed') }] });
  const lambda = client(LambdaClient, keys);
  const ok = await lambda.send(new InvokeCommand({ FunctionName: 'allowed', Payload: Buffer.from('{"n":1}') }));
  assert.equal(ok.StatusCode, 200);
  assert.deepEqual(JSON.parse(Buffer.from(ok.Payload!).toString()), { ok: true, e: { n: 1 } });
  const other = await failure(lambda.send(new InvokeCommand({ FunctionName: 'other' })));
  assert.equal(other.name, 'AccessDeniedException');
  assert.equal(other.status, 403);
  assert.equal(
    other.message,
    `User: arn:aws:iam::${ACCOUNT}:user/invoker is not authorized to perform: lambda:InvokeFunction on resource: ${fnArn('other')} because no identity-based policy allows the lambda:InvokeFunction action`,
  );
  const get = await failure(lambda.send(new GetFunctionCommand({ FunctionName: 'allowed' })));
  assert.equal(get.name, 'AccessDeniedException');
  assert.match(get.message, /not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:allowed because/);
  const list = await failure(lambda.send(new ListFunctionsCommand({})));
  assert.equal(list.name, 'AccessDeniedException');
  assert.doesNotMatch(list.message, /on resource/, 'ListFunctions acts on no resource, and the message names none');
  // IAM itself is refused to the user too (query protocol: AccessDenied).
  const iam = await failure(client(IAMClient, keys).send(new CreateUserCommand({ UserName: 'mallory' })));
  assert.equal(iam.name, 'AccessDenied');
  assert.equal(iam.status, 403);
});

test('Enforce: an explicit deny wins over an allow of a managed policy', async () => {
  const root = client(LambdaClient, ROOT);
  await createFunction(root, 'guarded', code);
  const iam = client(IAMClient, ROOT);
  const keys = await user('denied', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'lambda:Invoke*', Resource: fnArn('guarded') }] });
  const p = await iam.send(new CreatePolicyCommand({ PolicyName: 'all-lambda', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:*', Resource: '*' }] }) }));
  await iam.send(new AttachUserPolicyCommand({ UserName: 'denied', PolicyArn: p.Policy!.Arn! }));
  const lambda = client(LambdaClient, keys);
  assert.equal((await lambda.send(new GetFunctionCommand({ FunctionName: 'guarded' }))).Configuration?.FunctionName, 'guarded', 'the managed policy allows the rest');
  const denied = await failure(lambda.send(new InvokeCommand({ FunctionName: 'guarded' })));
  assert.equal(denied.name, 'AccessDeniedException');
  assert.match(denied.message, /with an explicit deny in an identity-based policy$/);
});

test("Enforce: a function's resource policy admits a user who has no identity policy; another user stays out", async () => {
  const root = client(LambdaClient, ROOT);
  await createFunction(root, 'shared', code);
  const friend = await user('friend');
  const stranger = await user('stranger');
  assert.equal((await failure(client(LambdaClient, friend).send(new InvokeCommand({ FunctionName: 'shared' })))).name, 'AccessDeniedException');
  await root.send(new AddPermissionCommand({ FunctionName: 'shared', StatementId: 'friend', Action: 'lambda:InvokeFunction', Principal: `arn:aws:iam::${ACCOUNT}:user/friend` }));
  assert.equal((await client(LambdaClient, friend).send(new InvokeCommand({ FunctionName: 'shared' }))).StatusCode, 200);
  assert.equal((await failure(client(LambdaClient, stranger).send(new InvokeCommand({ FunctionName: 'shared' })))).name, 'AccessDeniedException');
});

test("Enforce: a queue's policy lets a user send to it; without it SQS answers AccessDenied", async () => {
  const sqsRoot = client(SQSClient, ROOT);
  const url = (await sqsRoot.send(new CreateQueueCommand({ QueueName: 'inbox' }))).QueueUrl!;
  const sender = await user('sender', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:GetQueueUrl', Resource: '*' }] });
  const sqs = client(SQSClient, sender);
  assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: 'inbox' }))).QueueUrl, url);
  const refused = await failure(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'hi' })));
  assert.equal(refused.status, 403);
  assert.match(refused.message, /is not authorized to perform: sqs:SendMessage on resource: arn:aws:sqs:us-east-1:000000000000:inbox/);
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/sender` }, Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:inbox` }] };
  await sqsRoot.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: JSON.stringify(policy) } }));
  assert.ok((await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'hi' }))).MessageId);
});

test("Enforce: a bucket's policy lets a user read its objects and a topic's policy lets a user publish; without them, AccessDenied and AuthorizationError", async () => {
  const s3Root = new S3Client({ endpoint: s.url, region: 'us-east-1', credentials: ROOT, forcePathStyle: true, maxAttempts: 1 });
  await s3Root.send(new CreateBucketCommand({ Bucket: 'shared-bucket' }));
  await s3Root.send(new PutObjectCommand({ Bucket: 'shared-bucket', Key: 'a.txt', Body: 'hello' }));
  const reader = await user('reader');
  const s3 = new S3Client({ endpoint: s.url, region: 'us-east-1', credentials: reader, forcePathStyle: true, maxAttempts: 1 });
  const refused = await failure(s3.send(new GetObjectCommand({ Bucket: 'shared-bucket', Key: 'a.txt' })));
  assert.equal(refused.name, 'AccessDenied');
  assert.equal(refused.status, 403);
  const bucketPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/reader` }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::shared-bucket/*' }] };
  await s3Root.send(new PutBucketPolicyCommand({ Bucket: 'shared-bucket', Policy: JSON.stringify(bucketPolicy) }));
  assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: 'shared-bucket', Key: 'a.txt' }))).Body!.transformToString(), 'hello');
  assert.equal((await failure(s3.send(new PutObjectCommand({ Bucket: 'shared-bucket', Key: 'b.txt', Body: 'no' })))).name, 'AccessDenied', 'the policy grants reads only');

  const snsRoot = client(SNSClient, ROOT);
  const topicArn = (await snsRoot.send(new CreateTopicCommand({ Name: 'news' }))).TopicArn!;
  const publisher = await user('publisher');
  const sns = client(SNSClient, publisher);
  const denied = await failure(sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'hi' })));
  assert.equal(denied.name, 'AuthorizationErrorException');
  assert.equal(denied.status, 403);
  const topicPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/publisher` }, Action: 'sns:Publish', Resource: topicArn }] };
  await snsRoot.send(new SetTopicAttributesCommand({ TopicArn: topicArn, AttributeName: 'Policy', AttributeValue: JSON.stringify(topicPolicy) }));
  assert.ok((await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'hi' }))).MessageId);
});

test('Enforce: every decision about a non-root caller is in the audit log, and `selfless audit` prints it', async () => {
  await createFunction(client(LambdaClient, ROOT), 'audited', code);
  const keys = await user('auditee', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:GetFunction', Resource: fnArn('audited') }] });
  const lambda = client(LambdaClient, keys);
  await lambda.send(new GetFunctionCommand({ FunctionName: 'audited' }));
  assert.equal((await failure(lambda.send(new InvokeCommand({ FunctionName: 'audited' })))).name, 'AccessDeniedException');
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  const lines = await until('the audit lines', async () => {
    const out = (await promisify(execFile)('node', [MAIN, 'audit', '--endpoint', s.url], { env })).stdout;
    const mine = out.split('\n').filter((l) => l.includes('user/auditee')).map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)) as Record<string, unknown>);
    return mine.length >= 2 ? mine : undefined;
  }, 20_000, 300);
  assert.deepEqual(lines.map((l) => [l['decision'], l['action'], l['mode']]), [['allow', 'lambda:GetFunction', 'enforce'], ['deny', 'lambda:InvokeFunction', 'enforce']]);
  assert.match(String(lines[1]!['reason']), /because no identity-based policy allows the lambda:InvokeFunction action$/);
});
