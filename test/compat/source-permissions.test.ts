// Compatibility: event sources invoke a function only as its resource-based policy allows. In enforce mode S3 refuses
// a notification configuration whose function does not allow s3.amazonaws.com from the bucket (InvalidArgument, as
// PutBucketNotificationConfiguration answers on AWS) and SNS fails the delivery to a function that does not allow
// sns.amazonaws.com from the topic (to the subscription's dead-letter queue), and an EventBridge rule's Lambda target
// fails with NO_PERMISSIONS (to the target's dead-letter queue); in dev mode S3 and SNS work and are logged.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AddPermissionCommand, PutFunctionEventInvokeConfigCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, PublishCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { createFunction, createLambdaRole, lambdaClient } from '../helpers/lambda.js';
import { IAMClient } from '@aws-sdk/client-iam';
import { raw, s3Client } from '../helpers/s3.js';
import { snsClient } from '../helpers/sns.js';
import { sqsClient } from '../helpers/sqs.js';
import { until } from '../helpers/wait.js';
import { removeServer, startServer, type Running } from '../helpers/server.js';
import { failure } from '../helpers/errors.js';

const ACCOUNT = '000000000000';
const fnArn = (name: string): string => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
const qArn = (name: string): string => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;

interface Node {
  s: Running;
  lambda: LambdaClient;
  s3: S3Client;
  sns: SNSClient;
  sqs: SQSClient;
}

let enforce: Node;
let dev: Node;

async function node(mode: 'dev' | 'enforce'): Promise<Node> {
  const s = await startServer({ args: ['--auth', mode], env: { SELFLESS_ISOLATION: 'process' } });
  // The helper's functions use this role: enforce mode refuses a role Lambda cannot assume.
  const iam = new IAMClient({ endpoint: s.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  await createLambdaRole(iam);
  iam.destroy();
  return { s, lambda: lambdaClient(s.url), s3: s3Client(s.url), sns: snsClient(s.url), sqs: sqsClient(s.url) };
}

before(async () => {
  [enforce, dev] = await Promise.all([node('enforce'), node('dev')]);
});
after(async () => {
  for (const n of [enforce, dev]) {
    if (!n) continue;
    for (const c of [n.lambda, n.s3, n.sns, n.sqs]) c.destroy();
    await n.s.stop();
    await removeServer(n.s);
  }
});


/** A function whose async invocations' results go to a new queue (its OnSuccess destination): the queue's URL. */
async function recordingFunction(n: Node, name: string): Promise<string> {
  const url = (await n.sqs.send(new CreateQueueCommand({ QueueName: `${name}-ran` }))).QueueUrl!;
  await createFunction(n.lambda, name, { 'index.js': 'exports.handler = async (e) => e;' });
  await n.lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: name, DestinationConfig: { OnSuccess: { Destination: qArn(`${name}-ran`) } } }));
  return url;
}

/** The first message on a queue (long polls until `ms`), or undefined. */
async function first(n: Node, url: string, ms = 30_000): Promise<Record<string, unknown> | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const got = await n.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: Math.min(5, Math.max(1, Math.ceil((end - Date.now()) / 1000))) }));
    if (got.Messages?.[0]) return JSON.parse(got.Messages[0].Body!) as Record<string, unknown>;
  }
  return undefined;
}

const notifyLambda = (bucket: string, fn: string) =>
  new PutBucketNotificationConfigurationCommand({
    Bucket: bucket,
    NotificationConfiguration: { LambdaFunctionConfigurations: [{ Id: 'fn', LambdaFunctionArn: fnArn(fn), Events: ['s3:ObjectCreated:*'] }] },
  });

test('Sources (enforce): S3 refuses a notification configuration until the function allows s3.amazonaws.com from that bucket, then the function runs on an upload', async () => {
  const ran = await recordingFunction(enforce, 'src-s3-fn');
  await enforce.s3.send(new CreateBucketCommand({ Bucket: 'src-bucket' }));

  const none = await failure(enforce.s3.send(notifyLambda('src-bucket', 'src-s3-fn')));
  assert.deepEqual(none, { name: 'InvalidArgument', status: 400, message: 'Unable to validate the following destination configurations' });
  // The error names the destination and why, as S3 does (ArgumentName1 / ArgumentValue1).
  const xml = `<NotificationConfiguration><CloudFunctionConfiguration><Id>fn</Id><CloudFunction>${fnArn('src-s3-fn')}</CloudFunction><Event>s3:ObjectCreated:*</Event></CloudFunctionConfiguration></NotificationConfiguration>`;
  const answer = await raw(enforce.s.url, 'PUT', '/src-bucket?notification', { 'content-type': 'application/xml' }, xml);
  assert.equal(answer.status, 400);
  const body = answer.body.toString();
  assert.match(body, /<Code>InvalidArgument<\/Code>/);
  assert.ok(body.includes(`<ArgumentName1>${fnArn('src-s3-fn')}</ArgumentName1>`), body);
  assert.ok(body.includes(`<ArgumentValue1>Not authorized to invoke function [${fnArn('src-s3-fn')}]</ArgumentValue1>`), body);
  // x-amz-skip-destination-validation skips the check, as on AWS (then the configuration is removed again).
  assert.equal((await raw(enforce.s.url, 'PUT', '/src-bucket?notification', { 'content-type': 'application/xml', 'x-amz-skip-destination-validation': 'true' }, xml)).status, 200);
  assert.equal((await raw(enforce.s.url, 'PUT', '/src-bucket?notification', { 'content-type': 'application/xml' }, '<NotificationConfiguration/>')).status, 200);

  // A permission for another bucket is not one for this bucket.
  await enforce.lambda.send(new AddPermissionCommand({ FunctionName: 'src-s3-fn', StatementId: 'other', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceArn: 'arn:aws:s3:::other-bucket' }));
  const other = await failure(enforce.s3.send(notifyLambda('src-bucket', 'src-s3-fn')));
  assert.equal(other.name, 'InvalidArgument');

  await enforce.lambda.send(new AddPermissionCommand({ FunctionName: 'src-s3-fn', StatementId: 's3', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceArn: 'arn:aws:s3:::src-bucket' }));
  await enforce.s3.send(notifyLambda('src-bucket', 'src-s3-fn'));
  await enforce.s3.send(new PutObjectCommand({ Bucket: 'src-bucket', Key: 'hello.txt', Body: 'hi' }));
  const record = await first(enforce, ran);
  assert.ok(record, 'the function ran on the upload');
  const s3 = (record['requestPayload'] as { Records: { s3: { bucket: { name: string }; object: { key: string } } }[] }).Records[0]!.s3;
  assert.equal(s3.bucket.name, 'src-bucket');
  assert.equal(s3.object.key, 'hello.txt');
});

test('Sources (enforce): SNS delivers to a function only with a permission for sns.amazonaws.com from the topic; without one the delivery fails to the dead-letter queue', async () => {
  const ran = await recordingFunction(enforce, 'src-sns-fn');
  const topic = (await enforce.sns.send(new CreateTopicCommand({ Name: 'src-topic' }))).TopicArn!;
  const dlq = (await enforce.sqs.send(new CreateQueueCommand({ QueueName: 'src-sns-dlq' }))).QueueUrl!;
  await enforce.sns.send(
    new SubscribeCommand({ TopicArn: topic, Protocol: 'lambda', Endpoint: fnArn('src-sns-fn'), Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: qArn('src-sns-dlq') }) } }),
  );

  const refused = await enforce.sns.send(new PublishCommand({ TopicArn: topic, Message: 'refused' }));
  const dead = await first(enforce, dlq);
  assert.equal(dead?.['MessageId'], refused.MessageId, 'the refused delivery went to the dead-letter queue');
  assert.equal(await first(enforce, ran, 3_000), undefined, 'the function did not run');

  // A permission naming another topic does not admit this one; one naming this topic does.
  await enforce.lambda.send(new AddPermissionCommand({ FunctionName: 'src-sns-fn', StatementId: 'other', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', SourceArn: `arn:aws:sns:us-east-1:${ACCOUNT}:other-topic` }));
  const stillRefused = await enforce.sns.send(new PublishCommand({ TopicArn: topic, Message: 'still refused' }));
  assert.equal((await first(enforce, dlq))?.['MessageId'], stillRefused.MessageId);

  await enforce.lambda.send(new AddPermissionCommand({ FunctionName: 'src-sns-fn', StatementId: 'sns', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', SourceArn: topic }));
  const delivered = await enforce.sns.send(new PublishCommand({ TopicArn: topic, Message: 'delivered' }));
  const record = await first(enforce, ran);
  const sns = (record?.['requestPayload'] as { Records: { Sns: { MessageId: string; Message: string } }[] } | undefined)?.Records[0]?.Sns;
  assert.equal(sns?.MessageId, delivered.MessageId);
  assert.equal(sns?.Message, 'delivered');
});

test('Sources (dev): S3 and SNS invoke a function without permissions, and the log says AWS would refuse', async () => {
  const ranS3 = await recordingFunction(dev, 'dev-s3-fn');
  await dev.s3.send(new CreateBucketCommand({ Bucket: 'dev-bucket' }));
  await dev.s3.send(notifyLambda('dev-bucket', 'dev-s3-fn'));
  await dev.s3.send(new PutObjectCommand({ Bucket: 'dev-bucket', Key: 'k', Body: 'x' }));
  assert.ok(await first(dev, ranS3), 'the function ran on the upload');

  const ranSns = await recordingFunction(dev, 'dev-sns-fn');
  const topic = (await dev.sns.send(new CreateTopicCommand({ Name: 'dev-topic' }))).TopicArn!;
  await dev.sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'lambda', Endpoint: fnArn('dev-sns-fn') }));
  const pub = await dev.sns.send(new PublishCommand({ TopicArn: topic, Message: 'dev' }));
  const record = await first(dev, ranSns);
  assert.equal((record?.['requestPayload'] as { Records: { Sns: { MessageId: string } }[] } | undefined)?.Records[0]?.Sns.MessageId, pub.MessageId);

  await until('the log lines', () => /would be refused on AWS: .*dev-s3-fn.*s3\.amazonaws\.com/.test(dev.s.output()) && /would be refused on AWS: SNS delivery from .*dev-topic to .*dev-sns-fn/.test(dev.s.output()), 5_000);
  assert.doesNotMatch(enforce.s.output(), /would be refused on AWS/);
});

test('Sources (enforce): an EventBridge rule invokes a Lambda target only with a permission for events.amazonaws.com from the rule; without one the event goes to the target\'s dead-letter queue with NO_PERMISSIONS', async () => {
  const eb = new EventBridgeClient({ endpoint: enforce.s.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  try {
    const ran = await recordingFunction(enforce, 'src-ev-fn');
    const dlq = (await enforce.sqs.send(new CreateQueueCommand({ QueueName: 'src-ev-dlq' }))).QueueUrl!;
    const rule = (await eb.send(new PutRuleCommand({ Name: 'src-rule', EventPattern: JSON.stringify({ source: ['src.test'] }) }))).RuleArn!;
    await eb.send(new PutTargetsCommand({ Rule: 'src-rule', Targets: [{ Id: 'fn', Arn: fnArn('src-ev-fn'), DeadLetterConfig: { Arn: qArn('src-ev-dlq') } }] }));

    const refused = await eb.send(new PutEventsCommand({ Entries: [{ Source: 'src.test', DetailType: 'T', Detail: '{"n":1}' }] }));
    const got = await enforce.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 20, MessageAttributeNames: ['All'] }));
    const m = got.Messages?.[0];
    assert.ok(m, 'the refused event reached the dead-letter queue');
    assert.equal((JSON.parse(m.Body!) as { id: string }).id, refused.Entries![0]!.EventId);
    assert.equal(m.MessageAttributes?.['ERROR_CODE']?.StringValue, 'NO_PERMISSIONS');
    assert.equal(m.MessageAttributes?.['RULE_ARN']?.StringValue, rule);
    assert.equal(await first(enforce, ran, 2_000), undefined, 'the function did not run');

    await enforce.lambda.send(new AddPermissionCommand({ FunctionName: 'src-ev-fn', StatementId: 'ev', Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', SourceArn: rule }));
    const allowed = await eb.send(new PutEventsCommand({ Entries: [{ Source: 'src.test', DetailType: 'T', Detail: '{"n":2}' }] }));
    const record = await first(enforce, ran);
    assert.equal((record?.['requestPayload'] as { id: string } | undefined)?.id, allowed.Entries![0]!.EventId);
  } finally {
    eb.destroy();
  }
});
