// SNS with the real SDK and CLI: fan-out to Lambda and SQS with filter policies (event shapes as AWS's), raw
// delivery, FIFO topics to FIFO queues, the HTTP confirmation flow and signatures, PublishBatch, errors, and SNS as a
// Lambda destination and dead-letter target.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verify, X509Certificate } from 'node:crypto';
import {
  CreateTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SNSClient,
  SubscribeCommand,
  TagResourceCommand,
  AddPermissionCommand,
  RemovePermissionCommand,
  UnsubscribeCommand,
  DeleteTopicCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { PutFunctionEventInvokeConfigCommand, InvokeCommand, type LambdaClient, UpdateFunctionConfigurationCommand, GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { sqsClient } from '../helpers/sqs.js';
import { snsClient } from '../helpers/sns.js';
import { awsCli } from '../helpers/aws-cli.js';
import { removeServer, SHARED, startServer, type Running } from '../helpers/server.js';

let running: Running;
const server = (): Running => running;
let sns: SNSClient;
let sqs: SQSClient;
let lambda: LambdaClient;
const ACCOUNT = '000000000000';
const qArn = (name: string): string => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;

before(async () => {
  running = await startServer({ env: { SELFLESS_ISOLATION: 'process' } });
  sns = snsClient(server().url);
  sqs = sqsClient(server().url);
  lambda = lambdaClient(server().url);
});
after(async () => {
  sns?.destroy();
  sqs?.destroy();
  lambda?.destroy();
  if (running) {
    await running.stop();
    await removeServer(running);
  }
});

async function queue(name: string, attrs?: Record<string, string>): Promise<string> {
  return (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attrs }))).QueueUrl!;
}

async function topic(name: string, attrs?: Record<string, string>): Promise<string> {
  return (await sns.send(new CreateTopicCommand({ Name: name, Attributes: attrs }))).TopicArn!;
}

/** Receives until `n` messages arrived (long polls; gives up after ~40 s). */
async function receiveN(url: string, n: number, waitSeconds = 10): Promise<Message[]> {
  const out: Message[] = [];
  const deadline = Date.now() + 40_000;
  while (out.length < n && Date.now() < deadline) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds, MessageAttributeNames: ['All'], AttributeNames: ['All'] }));
    out.push(...(r.Messages ?? []));
    // Deleted as received: a FIFO queue hands out a group's next messages only once the earlier ones are gone.
    if (r.Messages?.length) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: r.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
  return out;
}

/** Nothing more arrives within a short poll (used after the expected messages came). */
async function nothingMore(url: string): Promise<void> {
  const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }));
  assert.equal(r.Messages?.length ?? 0, 0, `unexpected: ${JSON.stringify(r.Messages?.map((m) => m.Body))}`);
}

const sortedKeys = (o: object): string[] => Object.keys(o).sort();

test('SNS: a publish fans out to a Lambda and two SQS queues, the filter policy selecting; shapes as AWS sends them', async () => {
  const t = await topic('fanout');
  const all = await queue('fan-all');
  const filtered = await queue('fan-red');
  const records = await queue('fan-lambda-records');
  await createFunction(lambda, 'fan-fn', { 'index.js': 'exports.handler = async (e) => ({ ok: true });' });
  await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'fan-fn', DestinationConfig: { OnSuccess: { Destination: qArn('fan-lambda-records') } } }));
  const fnArn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:fan-fn`;
  const lsub = await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: 'lambda', Endpoint: fnArn }));
  const allSub = await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: 'sqs', Endpoint: qArn('fan-all') }));
  await sns.send(
    new SubscribeCommand({ TopicArn: t, Protocol: 'sqs', Endpoint: qArn('fan-red'), Attributes: { FilterPolicy: JSON.stringify({ color: ['red'], size: [{ numeric: ['>', 5] }] }) } }),
  );
  const pub = await sns.send(
    new PublishCommand({
      TopicArn: t,
      Message: 'blue one',
      Subject: 'Hello',
      MessageAttributes: { color: { DataType: 'String', StringValue: 'blue' }, size: { DataType: 'Number', StringValue: '10' }, bin: { DataType: 'Binary', BinaryValue: Buffer.from('bytes') } },
    }),
  );
  await sns.send(new PublishCommand({ TopicArn: t, Message: 'red one', MessageAttributes: { color: { DataType: 'String', StringValue: 'red' }, size: { DataType: 'Number', StringValue: '7' } } }));

  const got = await receiveN(all, 2);
  assert.equal(got.length, 2);
  const blue = got.map((m) => JSON.parse(m.Body!) as Record<string, unknown>).find((b) => b['Message'] === 'blue one')!;
  assert.deepEqual(Object.keys(blue), ['Type', 'MessageId', 'TopicArn', 'Subject', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL', 'UnsubscribeURL', 'MessageAttributes']);
  assert.equal(blue['Type'], 'Notification');
  assert.equal(blue['MessageId'], pub.MessageId);
  assert.equal(blue['TopicArn'], t);
  assert.equal(blue['Subject'], 'Hello');
  assert.match(String(blue['Timestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(blue['SignatureVersion'], '1');
  assert.deepEqual(blue['MessageAttributes'], { color: { Type: 'String', Value: 'blue' }, size: { Type: 'Number', Value: '10' }, bin: { Type: 'Binary', Value: Buffer.from('bytes').toString('base64') } });
  assert.equal(blue['UnsubscribeURL'], `${server().url}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(allSub.SubscriptionArn!)}`);
  const red = got.map((m) => JSON.parse(m.Body!) as Record<string, unknown>).find((b) => b['Message'] === 'red one')!;
  assert.ok(!('Subject' in red), 'no Subject member when the publish had none');

  // The signature verifies with the certificate served at SigningCertURL (SHA1withRSA over AWS's canonical string).
  const pem = await (await fetch(String(blue['SigningCertURL']))).text();
  const canonical = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'].map((k) => `${k}\n${String(blue[k])}\n`).join('');
  assert.ok(verify('sha1', Buffer.from(canonical), new X509Certificate(pem).publicKey, Buffer.from(String(blue['Signature']), 'base64')));

  const onlyRed = await receiveN(filtered, 1);
  assert.deepEqual(onlyRed.map((m) => (JSON.parse(m.Body!) as { Message: string }).Message), ['red one']);
  await nothingMore(filtered);

  // The Lambda event, through the function's OnSuccess record (its requestPayload is the event as invoked).
  const recs = (await receiveN(records, 2)).map((m) => JSON.parse(m.Body!) as { requestPayload: { Records: Record<string, unknown>[] } });
  assert.equal(recs.length, 2);
  const ev = recs.map((r) => r.requestPayload).find((p) => (p.Records[0]!['Sns'] as { Message: string }).Message === 'blue one')!;
  const rec = ev.Records[0]!;
  assert.equal(ev.Records.length, 1);
  // The key sets against AWS's sample, where ../shared is present (a fresh clone has none); the values below always.
  const samplePath = join(SHARED, 'corpus', 'lambda-events', 'sns-event.json');
  if (existsSync(samplePath)) {
    const sample = (JSON.parse(readFileSync(samplePath, 'utf8')) as { Records: Record<string, unknown>[] }).Records[0]!;
    assert.deepEqual(sortedKeys(rec), sortedKeys(sample));
    assert.deepEqual(sortedKeys(rec['Sns'] as object), sortedKeys(sample['Sns'] as object));
  }
  assert.equal(rec['EventSource'], 'aws:sns');
  assert.equal(rec['EventVersion'], '1.0');
  assert.equal(rec['EventSubscriptionArn'], lsub.SubscriptionArn);
  const s = rec['Sns'] as Record<string, unknown>;
  assert.equal(s['Type'], 'Notification');
  assert.equal(s['MessageId'], pub.MessageId);
  assert.equal(s['TopicArn'], t);
  assert.equal(s['Subject'], 'Hello');
  assert.equal(s['Message'], 'blue one');
  assert.equal(s['SignatureVersion'], '1');
  assert.equal(typeof s['Signature'], 'string');
  assert.match(String(s['SigningCertUrl']), /\/SimpleNotificationService-[0-9a-f]+\.pem$/);
  assert.match(String(s['UnsubscribeUrl']), /\?Action=Unsubscribe&SubscriptionArn=/);
  assert.match(String(s['Timestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(s['MessageAttributes'], { color: { Type: 'String', Value: 'blue' }, size: { Type: 'Number', Value: '10' }, bin: { Type: 'Binary', Value: Buffer.from('bytes').toString('base64') } });
  const other = recs.map((r) => r.requestPayload).find((p) => (p.Records[0]!['Sns'] as { Message: string }).Message === 'red one')!;
  assert.equal((other.Records[0]!['Sns'] as { Subject: unknown }).Subject, null, 'Subject is null in the Lambda event when absent');

  const attrs = (await sns.send(new GetTopicAttributesCommand({ TopicArn: t }))).Attributes!;
  assert.equal(attrs['SubscriptionsConfirmed'], '3');
  assert.equal(attrs['SubscriptionsPending'], '0');
});

test('SNS: RawMessageDelivery sends the bare message with its attributes as SQS message attributes; MessageBody filter scope', async () => {
  const t = await topic('raw');
  const q = await queue('raw-q');
  const sub = await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: 'sqs', Endpoint: qArn('raw-q'), ReturnSubscriptionArn: true }));
  await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn, AttributeName: 'RawMessageDelivery', AttributeValue: 'true' }));
  await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn, AttributeName: 'FilterPolicyScope', AttributeValue: 'MessageBody' }));
  await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn, AttributeName: 'FilterPolicy', AttributeValue: JSON.stringify({ order: { kind: [{ prefix: 'big' }] } }) }));
  const a = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn }))).Attributes!;
  assert.equal(a['RawMessageDelivery'], 'true');
  assert.equal(a['FilterPolicyScope'], 'MessageBody');
  assert.equal(a['PendingConfirmation'], 'false');
  assert.equal(a['Protocol'], 'sqs');
  await sns.send(new PublishCommand({ TopicArn: t, Message: JSON.stringify({ order: { kind: 'small' } }) }));
  await sns.send(new PublishCommand({ TopicArn: t, Message: JSON.stringify({ order: { kind: 'bigger' } }), MessageAttributes: { who: { DataType: 'String', StringValue: 'me' }, n: { DataType: 'Number', StringValue: '3' } } }));
  const got = await receiveN(q, 1);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.Body, JSON.stringify({ order: { kind: 'bigger' } }));
  assert.deepEqual(got[0]!.MessageAttributes, { who: { DataType: 'String', StringValue: 'me' }, n: { DataType: 'Number', StringValue: '3' } });
  await nothingMore(q);
});

test('SNS: a FIFO topic delivers to a FIFO queue in group order, with deduplication returning the same MessageId', async () => {
  const t = await topic('orders.fifo', { FifoTopic: 'true', ContentBasedDeduplication: 'false' });
  const q = await queue('orders.fifo', { FifoQueue: 'true' });
  await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: 'sqs', Endpoint: qArn('orders.fifo') }));
  const ids: string[] = [];
  const seqs: string[] = [];
  for (let i = 0; i < 8; i++) {
    const r = await sns.send(new PublishCommand({ TopicArn: t, Message: `m${i}`, MessageGroupId: 'g', MessageDeduplicationId: `d${i}` }));
    ids.push(r.MessageId!);
    seqs.push(r.SequenceNumber!);
  }
  const again = await sns.send(new PublishCommand({ TopicArn: t, Message: 'm3 again', MessageGroupId: 'g', MessageDeduplicationId: 'd3' }));
  assert.equal(again.MessageId, ids[3]);
  assert.equal(again.SequenceNumber, seqs[3]);
  assert.ok(seqs.every((s, i) => i === 0 || BigInt(s) > BigInt(seqs[i - 1]!)), 'sequence numbers increase');
  const got = await receiveN(q, 8);
  const bodies = got.map((m) => JSON.parse(m.Body!) as { Message: string; SequenceNumber: string; MessageId: string });
  assert.deepEqual(bodies.map((b) => b.Message), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
  assert.equal(bodies[0]!.SequenceNumber, seqs[0]);
  assert.equal(got[0]!.Attributes!['MessageGroupId'], 'g');
  assert.equal(got[0]!.Attributes!['MessageDeduplicationId'], 'd0');
  await nothingMore(q);
  const attrs = (await sns.send(new GetTopicAttributesCommand({ TopicArn: t }))).Attributes!;
  assert.equal(attrs['FifoTopic'], 'true');
  assert.equal(attrs['ContentBasedDeduplication'], 'false');
});

interface Hit {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

test('SNS: an HTTP endpoint gets the SubscriptionConfirmation, confirms by SubscribeURL, then receives notifications (retried on 5xx)', async () => {
  const hits: Hit[] = [];
  let failNext = 1;
  const waiters: (() => void)[] = [];
  const http: Server = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(b) as Record<string, unknown>;
      if (body['Type'] === 'Notification' && failNext > 0) {
        failNext--;
        res.writeHead(500).end();
      } else res.writeHead(200).end();
      hits.push({ headers: req.headers, body });
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as { port: number }).port;
  const until = async (cond: () => boolean): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (!cond() && Date.now() < deadline) await new Promise<void>((r) => (waiters.push(r), setTimeout(r, 500)));
    assert.ok(cond(), 'condition reached');
  };
  try {
    const t = await topic('web');
    const endpoint = `http://127.0.0.1:${port}/hook`;
    const sub = await sns.send(
      new SubscribeCommand({ TopicArn: t, Protocol: 'http', Endpoint: endpoint, Attributes: { DeliveryPolicy: JSON.stringify({ healthyRetryPolicy: { minDelayTarget: 1, maxDelayTarget: 1, numRetries: 3 } }) } }),
    );
    assert.equal(sub.SubscriptionArn, 'pending confirmation');
    await until(() => hits.length >= 1);
    const conf = hits[0]!;
    assert.equal(conf.headers['x-amz-sns-message-type'], 'SubscriptionConfirmation');
    assert.equal(conf.headers['x-amz-sns-topic-arn'], t);
    assert.equal(conf.body['Type'], 'SubscriptionConfirmation');
    assert.equal(conf.body['TopicArn'], t);
    assert.equal(typeof conf.body['Token'], 'string');
    const list1 = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: t }));
    assert.equal(list1.Subscriptions![0]!.SubscriptionArn, 'PendingConfirmation');
    const confirmed = await fetch(String(conf.body['SubscribeURL']));
    assert.equal(confirmed.status, 200);
    const xml = await confirmed.text();
    const arn = /<SubscriptionArn>([^<]+)<\/SubscriptionArn>/.exec(xml)?.[1];
    assert.ok(arn?.startsWith(`${t}:`));
    const list2 = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: t }));
    assert.equal(list2.Subscriptions![0]!.SubscriptionArn, arn);

    const pub = await sns.send(new PublishCommand({ TopicArn: t, Message: 'to the web', Subject: 'Web' }));
    await until(() => hits.filter((h) => h.body['Type'] === 'Notification').length >= 2);
    const notes = hits.filter((h) => h.body['Type'] === 'Notification');
    assert.equal(notes.length, 2, 'the 500 was retried once');
    const n = notes[1]!;
    assert.equal(n.headers['x-amz-sns-message-type'], 'Notification');
    assert.equal(n.headers['x-amz-sns-message-id'], pub.MessageId);
    assert.equal(n.headers['x-amz-sns-topic-arn'], t);
    assert.equal(n.headers['x-amz-sns-subscription-arn'], arn);
    assert.equal(n.headers['content-type'], 'text/plain; charset=UTF-8');
    assert.equal(n.body['Message'], 'to the web');
    assert.equal(n.body['Subject'], 'Web');

    await sns.send(new UnsubscribeCommand({ SubscriptionArn: arn }));
    await until(() => hits.some((h) => h.body['Type'] === 'UnsubscribeConfirmation'));
    const attrs = (await sns.send(new GetTopicAttributesCommand({ TopicArn: t }))).Attributes!;
    assert.equal(attrs['SubscriptionsDeleted'], '1');
  } finally {
    http.close();
  }
});

test('SNS: PublishBatch answers per entry (Successful and Failed as AWS) and rejects bad batches whole', async () => {
  const t = await topic('batch');
  const q = await queue('batch-q');
  await sns.send(new SubscribeCommand({ TopicArn: t, Protocol: 'sqs', Endpoint: qArn('batch-q') }));
  const r = await sns.send(
    new PublishBatchCommand({
      TopicArn: t,
      PublishBatchRequestEntries: [
        { Id: 'one', Message: 'first' },
        { Id: 'two', Message: 'second', MessageAttributes: { n: { DataType: 'Number', StringValue: 'abc' } } },
        { Id: 'three', Message: 'third' },
      ],
    }),
  );
  assert.deepEqual(r.Successful!.map((s) => s.Id), ['one', 'three']);
  assert.equal(r.Failed!.length, 1);
  assert.deepEqual({ ...r.Failed![0] }, { Id: 'two', Code: 'ParameterValueInvalid', Message: "Could not cast message attribute 'n' value to number.", SenderFault: true });
  const got = await receiveN(q, 2);
  assert.deepEqual(got.map((m) => (JSON.parse(m.Body!) as { Message: string }).Message).sort(), ['first', 'third']);
  await assert.rejects(sns.send(new PublishBatchCommand({ TopicArn: t, PublishBatchRequestEntries: [{ Id: 'x', Message: 'a' }, { Id: 'x', Message: 'b' }] })), (e: Error & { $metadata: { httpStatusCode: number } }) => {
    assert.equal(e.name, 'BatchEntryIdsNotDistinctException');
    assert.equal(e.$metadata.httpStatusCode, 400);
    return true;
  });
  await assert.rejects(sns.send(new PublishBatchCommand({ TopicArn: t, PublishBatchRequestEntries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, Message: 'm' })) })), { name: 'TooManyEntriesInBatchRequestException' });
});

test('SNS: errors carry AWS’s codes, statuses and messages', async () => {
  const t = await topic('errs');
  const fifo = await topic('errs.fifo', { FifoTopic: 'true' });
  const check = async (p: Promise<unknown>, name: string, status: number, message: string | RegExp): Promise<void> => {
    await assert.rejects(p, (e: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(e.name, name);
      assert.equal(e.$metadata.httpStatusCode, status);
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    });
  };
  await check(sns.send(new PublishCommand({ Message: 'x' })), 'InvalidParameterException', 400, 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
  await check(sns.send(new PublishCommand({ TopicArn: 'not-an-arn', Message: 'x' })), 'InvalidParameterException', 400, 'Invalid parameter: TopicArn');
  await check(sns.send(new PublishCommand({ TopicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:nope`, Message: 'x' })), 'NotFoundException', 404, 'Topic does not exist');
  await check(sns.send(new PublishCommand({ TopicArn: t, Message: 'x', MessageAttributes: { a: { DataType: 'Strin', StringValue: 'v' } } })), 'InvalidParameterValueException', 400, /invalid message attribute type/);
  await check(sns.send(new PublishCommand({ TopicArn: t, Message: 'x', MessageAttributes: { a: { DataType: 'String', StringValue: '' } } })), 'InvalidParameterValueException', 400, /must contain non-empty message attribute value/);
  await check(sns.send(new PublishCommand({ TopicArn: fifo, Message: 'x' })), 'InvalidParameterException', 400, 'Invalid parameter: The MessageGroupId parameter is required for FIFO topics');
  await check(sns.send(new PublishCommand({ TopicArn: fifo, Message: 'x', MessageGroupId: 'g' })), 'InvalidParameterException', 400, /ContentBasedDeduplication enabled or MessageDeduplicationId/);
  await check(sns.send(new PublishCommand({ TopicArn: t, Message: 'x'.repeat(262_145) })), 'InvalidParameterException', 400, 'Invalid parameter: Message too long');
  await check(sns.send(new PublishCommand({ TopicArn: t, Message: '{"sqs":"x"}', MessageStructure: 'json' })), 'InvalidParameterException', 400, 'Invalid parameter: Message Structure - No default entry in JSON message body');
  await check(sns.send(new CreateTopicCommand({ Name: 'errs', Attributes: { DisplayName: 'other' } })), 'InvalidParameterException', 400, 'Invalid parameter: Attributes Reason: Topic already exists with different attributes');
  await check(sns.send(new CreateTopicCommand({ Name: 'bad.name' })), 'InvalidParameterException', 400, 'Invalid parameter: Topic Name');
  await check(sns.send(new SubscribeCommand({ TopicArn: t, Protocol: 'sqs', Endpoint: 'queue' })), 'InvalidParameterException', 400, 'Invalid parameter: SQS endpoint ARN');
  await check(sns.send(new SubscribeCommand({ TopicArn: t, Protocol: 'sqs', Endpoint: qArn('x'), Attributes: { FilterPolicy: '{"a": "b"}' } })), 'InvalidParameterException', 400, /^Invalid parameter: Attributes Reason: FilterPolicy: "a" must be an object or an array/);
  await check(sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: `${t}:00000000-0000-0000-0000-000000000000` })), 'NotFoundException', 404, 'Subscription does not exist');
  // Same name and attributes: the same topic.
  assert.equal(await topic('errs'), t);
});

test('SNS: topics list in pages of 100, carry tags and a policy edited by AddPermission/RemovePermission', async () => {
  const made = await Promise.all(Array.from({ length: 105 }, (_, i) => topic(`page-${String(i).padStart(3, '0')}`)));
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const r = await sns.send(new ListTopicsCommand({ NextToken: token }));
    assert.ok(r.Topics!.length <= 100);
    seen.push(...r.Topics!.map((x) => x.TopicArn!));
    token = r.NextToken;
    pages++;
  } while (token);
  assert.ok(pages >= 2);
  for (const m of made) assert.ok(seen.includes(m));
  const t = made[0]!;
  await sns.send(new TagResourceCommand({ ResourceArn: t, Tags: [{ Key: 'team', Value: 'a' }] }));
  assert.deepEqual((await sns.send(new ListTagsForResourceCommand({ ResourceArn: t }))).Tags, [{ Key: 'team', Value: 'a' }]);
  await sns.send(new AddPermissionCommand({ TopicArn: t, Label: 'pub', AWSAccountId: ['111122223333'], ActionName: ['Publish'] }));
  let policy = JSON.parse((await sns.send(new GetTopicAttributesCommand({ TopicArn: t }))).Attributes!['Policy']!) as { Statement: { Sid: string; Principal: unknown }[] };
  assert.deepEqual(policy.Statement.map((s) => s.Sid), ['__default_statement_ID', 'pub']);
  assert.deepEqual(policy.Statement[1]!.Principal, { AWS: 'arn:aws:iam::111122223333:root' });
  await sns.send(new RemovePermissionCommand({ TopicArn: t, Label: 'pub' }));
  policy = JSON.parse((await sns.send(new GetTopicAttributesCommand({ TopicArn: t }))).Attributes!['Policy']!) as typeof policy;
  assert.deepEqual(policy.Statement.map((s) => s.Sid), ['__default_statement_ID']);
  await Promise.all(made.map((arn) => sns.send(new DeleteTopicCommand({ TopicArn: arn }))));
});

test('SNS: the AWS CLI v1 creates a topic, subscribes a queue, publishes and lists the subscriptions', async () => {
  const url = server().url;
  const q = await queue('cli-q');
  const created = await awsCli(1, url, ['sns', 'create-topic', '--name', 'cli-topic']);
  assert.equal(created.code, 0, created.stderr);
  const arn = created.json().TopicArn as string;
  const sub = await awsCli(1, url, ['sns', 'subscribe', '--topic-arn', arn, '--protocol', 'sqs', '--notification-endpoint', qArn('cli-q')]);
  assert.equal(sub.code, 0, sub.stderr);
  const pub = await awsCli(1, url, ['sns', 'publish', '--topic-arn', arn, '--message', 'from the cli', '--message-attributes', '{"k":{"DataType":"String","StringValue":"v"}}']);
  assert.equal(pub.code, 0, pub.stderr);
  const listed = await awsCli(1, url, ['sns', 'list-subscriptions-by-topic', '--topic-arn', arn]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(listed.json().Subscriptions, [{ SubscriptionArn: sub.json().SubscriptionArn, Owner: ACCOUNT, Protocol: 'sqs', Endpoint: qArn('cli-q'), TopicArn: arn }]);
  const got = await receiveN(q, 1);
  assert.equal((JSON.parse(got[0]!.Body!) as { MessageId: string }).MessageId, pub.json().MessageId);
  const bad = await awsCli(1, url, ['sns', 'publish', '--topic-arn', `${arn}-missing`, '--message', 'x']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /NotFound.*Topic does not exist/);
});

test('SNS: a subscription whose endpoint is gone goes to its RedrivePolicy dead-letter queue', async () => {
  const t = await topic('redrive');
  const dlq = await queue('redrive-dlq');
  await sns.send(
    new SubscribeCommand({ TopicArn: t, Protocol: 'lambda', Endpoint: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:no-such-fn`, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: qArn('redrive-dlq') }) } }),
  );
  const pub = await sns.send(new PublishCommand({ TopicArn: t, Message: 'lost' }));
  const got = await receiveN(dlq, 1);
  const body = JSON.parse(got[0]!.Body!) as { MessageId: string; Message: string };
  assert.equal(body.MessageId, pub.MessageId);
  assert.equal(body.Message, 'lost');
});

test('SNS: topics as a Lambda dead-letter target and OnFailure destination receive what AWS publishes', async () => {
  const dlqTopic = await topic('fn-dlq');
  const failTopic = await topic('fn-failure');
  const dq = await queue('fn-dlq-q');
  const fq = await queue('fn-failure-q');
  await sns.send(new SubscribeCommand({ TopicArn: dlqTopic, Protocol: 'sqs', Endpoint: qArn('fn-dlq-q'), Attributes: { RawMessageDelivery: 'true' } }));
  await sns.send(new SubscribeCommand({ TopicArn: failTopic, Protocol: 'sqs', Endpoint: qArn('fn-failure-q') }));
  await createFunction(lambda, 'fn-fails', { 'index.js': "exports.handler = async (e) => { throw new Error('broken ' + e.n); };" });
  await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'fn-fails', DeadLetterConfig: { TargetArn: dlqTopic } }));
  for (let i = 0; i < 50 && (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'fn-fails' }))).LastUpdateStatus !== 'Successful'; i++) await new Promise((r) => setTimeout(r, 100));
  await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'fn-fails', MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: failTopic } } }));
  const inv = await lambda.send(new InvokeCommand({ FunctionName: 'fn-fails', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ n: 7 })) }));
  assert.equal(inv.StatusCode, 202);
  const dead = await receiveN(dq, 1);
  assert.equal(dead[0]!.Body, JSON.stringify({ n: 7 }));
  assert.equal(dead[0]!.MessageAttributes!['ErrorCode']!.StringValue, '200');
  assert.equal(dead[0]!.MessageAttributes!['ErrorMessage']!.StringValue, 'broken 7');
  assert.ok(dead[0]!.MessageAttributes!['RequestID']!.StringValue);
  const failed = await receiveN(fq, 1);
  const record = JSON.parse((JSON.parse(failed[0]!.Body!) as { Message: string }).Message) as { requestContext: { condition: string; functionArn: string }; requestPayload: unknown };
  assert.equal(record.requestContext.condition, 'RetriesExhausted');
  assert.equal(record.requestContext.functionArn, `arn:aws:lambda:us-east-1:${ACCOUNT}:function:fn-fails:$LATEST`);
  assert.deepEqual(record.requestPayload, { n: 7 });
});
