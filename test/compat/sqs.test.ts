// Compatibility: SQS through @aws-sdk/client-sqs (JSON protocol) against a live server, MD5s checked by the SDK.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  AddPermissionCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  RemovePermissionCommand,
  StartMessageMoveTaskCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  TagQueueCommand,
  UntagQueueCommand,
} from '@aws-sdk/client-sqs';
import { sqsClient } from '../helpers/sqs.js';
import { liveServer, removeServer, startServer } from '../helpers/server.js';

const server = liveServer();
let client: SQSClient | undefined;
/** The SDK client of the file's server (made once the server runs). */
const sqs = (): SQSClient => (client ??= sqsClient(server().url));
after(() => {
  client?.destroy();
});

const create = async (name: string, Attributes?: Record<string, string>, tags?: Record<string, string>): Promise<string> =>
  (await sqs().send(new CreateQueueCommand({ QueueName: name, Attributes, tags }))).QueueUrl!;

async function rejects(p: Promise<unknown>, name: string, code?: string, status = 400): Promise<void> {
  await assert.rejects(p, (e: any) => {
    assert.equal(e.name, name, e.message);
    if (code) assert.equal(e.Code, code);
    assert.equal(e.$metadata?.httpStatusCode, status);
    return true;
  });
}

test('SQS: queue URLs and ARNs as AWS forms them; GetQueueUrl, ListQueues with prefix and pages, DeleteQueue', async () => {
  const url = await create('orders');
  assert.equal(url, `${server().url}/000000000000/orders`);
  assert.equal((await sqs().send(new GetQueueUrlCommand({ QueueName: 'orders' }))).QueueUrl, url);
  const attrs = (await sqs().send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!;
  assert.deepEqual(attrs, { QueueArn: 'arn:aws:sqs:us-east-1:000000000000:orders' });
  await create('orders-2');
  await create('orders-3');
  const listed = await sqs().send(new ListQueuesCommand({ QueueNamePrefix: 'orders' }));
  assert.deepEqual(listed.QueueUrls, ['orders', 'orders-2', 'orders-3'].map((n) => `${server().url}/000000000000/${n}`));
  const p1 = await sqs().send(new ListQueuesCommand({ QueueNamePrefix: 'orders', MaxResults: 2 }));
  assert.equal(p1.QueueUrls?.length, 2);
  assert.ok(p1.NextToken);
  const p2 = await sqs().send(new ListQueuesCommand({ QueueNamePrefix: 'orders', MaxResults: 2, NextToken: p1.NextToken }));
  assert.deepEqual(p2.QueueUrls, [`${server().url}/000000000000/orders-3`]);
  assert.equal(p2.NextToken, undefined);
  await sqs().send(new DeleteQueueCommand({ QueueUrl: url }));
  await rejects(sqs().send(new GetQueueUrlCommand({ QueueName: 'orders' })), 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue');
  // AWS keeps a deleted queue's name for 60 s.
  await assert.rejects(sqs().send(new CreateQueueCommand({ QueueName: 'orders' })), (e: any) => {
    assert.equal(e.name, 'QueueDeletedRecently');
    assert.equal(e.Code, 'AWS.SimpleQueueService.QueueDeletedRecently');
    assert.equal(e.$metadata?.httpStatusCode, 400);
    assert.equal(e.message, 'You must wait 60 seconds after deleting a queue before you can create another with the same name.');
    return true;
  });
  // A region in the SigV4 scope is a different set of queues.
  const west = sqsClient(server().url, 'us-west-2');
  await rejects(west.send(new GetQueueUrlCommand({ QueueName: 'orders-2' })), 'QueueDoesNotExist');
  west.destroy();
});

test('SQS: CreateQueue is idempotent with the same attributes and QueueNameExists with different ones; bad names and attributes are rejected', async () => {
  const a = await create('idem', { VisibilityTimeout: '45' });
  assert.equal(await create('idem', { VisibilityTimeout: '45' }), a);
  await rejects(create('idem', { VisibilityTimeout: '46' }), 'QueueNameExists', 'QueueAlreadyExists');
  await rejects(create('bad name!'), 'InvalidParameterValue', 'InvalidParameterValue');
  await rejects(create('nofifo', { FifoQueue: 'true' }), 'InvalidParameterValue');
  await rejects(create('badattr', { VisibilityTimeout: '43201' }), 'InvalidAttributeValue');
  await rejects(create('badattr', { Bogus: '1' } as Record<string, string>), 'InvalidAttributeName');
});

test('SQS: send and receive with String, Number, Binary and custom attributes; the SDK verifies the body MD5s', async () => {
  const url = await create('attrs');
  const sent = await sqs().send(
    new SendMessageCommand({
      QueueUrl: url,
      MessageBody: 'héllo ✓ 🎉',
      MessageAttributes: {
        s: { DataType: 'String', StringValue: 'text ü' },
        n: { DataType: 'Number', StringValue: '-12.5e3' },
        b: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]) },
        c: { DataType: 'String.custom', StringValue: 'x' },
        'other.x': { DataType: 'String', StringValue: 'y' },
      },
      MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793' } },
    }),
  );
  assert.match(sent.MessageId!, /^[0-9a-f-]{36}$/);
  assert.equal(sent.MD5OfMessageBody, createHash('md5').update('héllo ✓ 🎉').digest('hex'));
  assert.ok(sent.MD5OfMessageAttributes && sent.MD5OfMessageSystemAttributes);
  const got = await sqs().send(
    new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['s', 'n', 'b', 'c'], MessageSystemAttributeNames: ['All'], MaxNumberOfMessages: 10 }),
  );
  const m = got.Messages![0]!;
  assert.equal(m.Body, 'héllo ✓ 🎉');
  assert.equal(m.MessageId, sent.MessageId);
  assert.deepEqual(Object.keys(m.MessageAttributes!).sort(), ['b', 'c', 'n', 's']);
  assert.deepEqual([...m.MessageAttributes!['b']!.BinaryValue!], [0, 1, 2, 255]);
  assert.equal(m.MessageAttributes!['n']!.StringValue, '-12.5e3');
  assert.equal(m.Attributes!.ApproximateReceiveCount, '1');
  assert.equal(m.Attributes!.SenderId, '000000000000');
  assert.equal(m.Attributes!.AWSTraceHeader, 'Root=1-5759e988-bd862e3fe1be46a994272793');
  assert.ok(Number(m.Attributes!.SentTimestamp) <= Number(m.Attributes!.ApproximateFirstReceiveTimestamp));
  // The digest of a filtered receive covers only the attributes returned (the SDK would reject anything else).
  await sqs().send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
  const again = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['other.*'] }));
  assert.deepEqual(Object.keys(again.Messages![0]!.MessageAttributes!), ['other.x']);
  assert.notEqual(again.Messages![0]!.MD5OfMessageAttributes, m.MD5OfMessageAttributes);
  const none = await sqs().send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: again.Messages![0]!.ReceiptHandle, VisibilityTimeout: 0 }));
  assert.ok(none);
  const bare = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url }));
  assert.equal(bare.Messages![0]!.MessageAttributes, undefined);
  assert.equal(bare.Messages![0]!.Attributes, undefined);
  await sqs().send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: bare.Messages![0]!.ReceiptHandle }));
  assert.equal((await sqs().send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages, undefined);
});

test('SQS: batches report per-entry results; batch-level errors as SQS names them', async () => {
  const url = await create('batch');
  const sent = await sqs().send(
    new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: [
        { Id: 'ok1', MessageBody: 'one', MessageAttributes: { a: { DataType: 'Number', StringValue: '1' } } },
        { Id: 'bad', MessageBody: 'two', DelaySeconds: 901 },
        { Id: 'ok2', MessageBody: 'three' },
      ],
    }),
  );
  assert.deepEqual(sent.Successful!.map((s) => s.Id), ['ok1', 'ok2']);
  assert.deepEqual(sent.Failed!.map((f) => [f.Id, f.Code, f.SenderFault]), [['bad', 'InvalidParameterValue', true]]);
  const got = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
  assert.equal(got.Messages!.length, 2);
  const vis = await sqs().send(
    new ChangeMessageVisibilityBatchCommand({
      QueueUrl: url,
      Entries: [
        { Id: 'a', ReceiptHandle: got.Messages![0]!.ReceiptHandle!, VisibilityTimeout: 100 },
        { Id: 'b', ReceiptHandle: 'not-a-handle', VisibilityTimeout: 100 },
      ],
    }),
  );
  assert.deepEqual(vis.Successful!.map((s) => s.Id), ['a']);
  assert.deepEqual(vis.Failed!.map((f) => [f.Id, f.Code]), [['b', 'ReceiptHandleIsInvalid']]);
  const del = await sqs().send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: got.Messages!.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })) }));
  assert.equal(del.Successful!.length, 2);
  await rejects(sqs().send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [] })), 'EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest');
  await rejects(
    sqs().send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `i${i}`, MessageBody: 'x' })) })),
    'TooManyEntriesInBatchRequest',
    'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  );
  await rejects(
    sqs().send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'x', MessageBody: 'a' }, { Id: 'x', MessageBody: 'b' }] })),
    'BatchEntryIdsNotDistinct',
    'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  );
  await rejects(sqs().send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'bad id!', MessageBody: 'a' }] })), 'InvalidBatchEntryId');
});

test('SQS: bad requests get SQS errors, never 500s', async () => {
  const url = await create('errors');
  await rejects(sqs().send(new SendMessageCommand({ QueueUrl: `${server().url}/000000000000/missing`, MessageBody: 'x' })), 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue');
  await rejects(sqs().send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })), 'InvalidParameterValue');
  await rejects(sqs().send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 21 })), 'InvalidParameterValue');
  await rejects(sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bad \u0001 char' })), 'InvalidMessageContents');
  await rejects(sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1048577) })), 'InvalidParameterValue');
  const small = await create('small', { MaximumMessageSize: '1024' });
  await sqs().send(new SendMessageCommand({ QueueUrl: small, MessageBody: 'x'.repeat(1024) }));
  await rejects(sqs().send(new SendMessageCommand({ QueueUrl: small, MessageBody: 'x'.repeat(1000), MessageAttributes: { big: { DataType: 'String', StringValue: 'y'.repeat(30) } } })), 'InvalidParameterValue');
  await rejects(sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { n: { DataType: 'Number', StringValue: 'abc' } } })), 'InvalidParameterValue');
  await rejects(sqs().send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' })), 'ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid');
  await rejects(sqs().send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Nope' as any] })), 'InvalidAttributeName');
  await rejects(sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' })), 'InvalidParameterValue');
  const raw = await fetch(server().url, { method: 'POST', headers: { 'x-amz-target': 'AmazonSQS.SendMessage', 'content-type': 'application/x-amz-json-1.0' }, body: '{not json' });
  assert.equal(raw.status, 400);
  const rawBody = (await raw.json()) as { __type: string };
  assert.equal(rawBody.__type, 'com.amazonaws.sqs#SerializationException');
  const missing = await fetch(server().url, { method: 'POST', headers: { 'x-amz-target': 'AmazonSQS.GetQueueUrl', 'content-type': 'application/x-amz-json-1.0' }, body: '{}' });
  assert.equal(missing.status, 400);
  assert.equal(missing.headers.get('x-amzn-query-error'), 'MissingParameter;Sender');
});

test('SQS: attributes, counts, SetQueueAttributes, PurgeQueue (once a minute) and tags', async () => {
  const url = await create('counts', { DelaySeconds: '0' }, { env: 'dev' });
  await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'visible' }));
  await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'delayed', DelaySeconds: 600 }));
  await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'inflight' }));
  await sqs().send(new ReceiveMessageCommand({ QueueUrl: url }));
  const a = (await sqs().send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes!;
  assert.equal(a.ApproximateNumberOfMessages, '1');
  assert.equal(a.ApproximateNumberOfMessagesNotVisible, '1');
  assert.equal(a.ApproximateNumberOfMessagesDelayed, '1');
  assert.equal(a.VisibilityTimeout, '30');
  assert.equal(a.MessageRetentionPeriod, '345600');
  assert.equal(a.MaximumMessageSize, '1048576');
  assert.match(a.CreatedTimestamp!, /^\d{10}$/);
  await sqs().send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '5', ReceiveMessageWaitTimeSeconds: '3' } }));
  const b = (await sqs().send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout', 'ReceiveMessageWaitTimeSeconds'] }))).Attributes!;
  assert.deepEqual(b, { VisibilityTimeout: '5', ReceiveMessageWaitTimeSeconds: '3' });
  await sqs().send(new PurgeQueueCommand({ QueueUrl: url }));
  const c = (await sqs().send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes!;
  assert.equal(c.ApproximateNumberOfMessages, '0');
  assert.equal(c.ApproximateNumberOfMessagesDelayed, '0');
  await rejects(sqs().send(new PurgeQueueCommand({ QueueUrl: url })), 'PurgeQueueInProgress', 'AWS.SimpleQueueService.PurgeQueueInProgress', 403);
  await sqs().send(new TagQueueCommand({ QueueUrl: url, Tags: { team: 'core', env: 'prod' } }));
  assert.deepEqual((await sqs().send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags, { env: 'prod', team: 'core' });
  await sqs().send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ['env'] }));
  assert.deepEqual((await sqs().send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags, { team: 'core' });
  await sqs().send(new AddPermissionCommand({ QueueUrl: url, Label: 'p1', AWSAccountIds: ['111122223333'], Actions: ['SendMessage'] }));
  const policy = JSON.parse((await sqs().send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Policy'] }))).Attributes!.Policy!);
  assert.deepEqual(policy.Statement[0].Action, ['SQS:SendMessage']);
  assert.deepEqual(policy.Statement[0].Principal, { AWS: ['arn:aws:iam::111122223333:root'] });
  await rejects(sqs().send(new AddPermissionCommand({ QueueUrl: url, Label: 'p1', AWSAccountIds: ['111122223333'], Actions: ['SendMessage'] })), 'InvalidParameterValue');
  await sqs().send(new RemovePermissionCommand({ QueueUrl: url, Label: 'p1' }));
  assert.equal((await sqs().send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Policy'] }))).Attributes, undefined);
  await rejects(sqs().send(new RemovePermissionCommand({ QueueUrl: url, Label: 'p1' })), 'InvalidParameterValue');
});

test('SQS: a long poll returns a message sent while it waits', async () => {
  const url = await create('longpoll');
  const polling = sqs().send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
  await new Promise((r) => setTimeout(r, 300));
  await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }));
  const got = await polling;
  assert.equal(got.Messages?.[0]?.Body, 'wake up');
});

test('SQS: a long poll whose client went away takes no message', async () => {
  const url = await create('abandoned');
  const { request } = await import('node:http');
  const u = new URL(server().url);
  const req = request({ host: u.hostname, port: u.port, method: 'POST', path: '/', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ReceiveMessage' } });
  req.on('error', () => undefined);
  req.end(JSON.stringify({ QueueUrl: url, WaitTimeSeconds: 20 }));
  await new Promise((r) => setTimeout(r, 300));
  req.destroy();
  await new Promise((r) => setTimeout(r, 300));
  await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'for the live client' }));
  const got = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
  assert.equal(got.Messages?.[0]?.Body, 'for the live client');
  assert.equal(got.Messages?.[0]?.Attributes?.ApproximateReceiveCount, '1');
});

test('SQS: RedrivePolicy moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
  const dlqUrl = await create('orders-dlq');
  const dlqArn = (await sqs().send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  await rejects(create('bad-redrive', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:nope', maxReceiveCount: 2 }) }), 'InvalidParameterValue');
  const url = await create('orders-src', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) });
  await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
  for (let i = 1; i <= 2; i++) {
    const r = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    assert.equal(r.Messages?.[0]?.Attributes?.ApproximateReceiveCount, String(i));
  }
  assert.equal((await sqs().send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages, undefined);
  const dead = await sqs().send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MessageSystemAttributeNames: ['All'] }));
  assert.equal(dead.Messages?.[0]?.Body, 'poison');
  assert.equal(dead.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn, 'arn:aws:sqs:us-east-1:000000000000:orders-src');
  assert.deepEqual((await sqs().send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl }))).queueUrls, [url]);
  // Redrive back to the source queue (of the messages visible in the dead-letter queue).
  await sqs().send(new ChangeMessageVisibilityCommand({ QueueUrl: dlqUrl, ReceiptHandle: dead.Messages![0]!.ReceiptHandle, VisibilityTimeout: 0 }));
  const task = await sqs().send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
  assert.ok(task.TaskHandle);
  const tasks = await sqs().send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
  assert.equal(tasks.Results?.[0]?.Status, 'COMPLETED');
  assert.equal(tasks.Results?.[0]?.ApproximateNumberOfMessagesMoved, 1);
  const back = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
  assert.equal(back.Messages?.[0]?.Body, 'poison');
  assert.equal(back.Messages?.[0]?.Attributes?.ApproximateReceiveCount, '1');
  await rejects(sqs().send(new StartMessageMoveTaskCommand({ SourceArn: 'arn:aws:sqs:us-east-1:000000000000:nope' })), 'ResourceNotFoundException');
});

test('SQS FIFO: sequence numbers, deduplication, per-group order and one in-flight batch per group', async () => {
  await rejects(create('plain.fifo'), 'InvalidParameterValue');
  const url = await create('jobs.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
  const s1 = await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a1', MessageGroupId: 'A' }));
  const dup = await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a1', MessageGroupId: 'A' }));
  assert.equal(dup.MessageId, s1.MessageId);
  assert.match(s1.SequenceNumber!, /^\d{20}$/);
  const batch = await sqs().send(
    new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: [
        { Id: '1', MessageBody: 'a2', MessageGroupId: 'A' },
        { Id: '2', MessageBody: 'b1', MessageGroupId: 'B' },
        { Id: '3', MessageBody: 'a3', MessageGroupId: 'A', MessageDeduplicationId: 'x' },
      ],
    }),
  );
  assert.equal(batch.Successful!.length, 3);
  assert.ok(BigInt(batch.Successful![0]!.SequenceNumber!) > BigInt(s1.SequenceNumber!));
  await rejects(sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })), 'MissingParameter');
  const r1 = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }));
  const bodies = r1.Messages!.map((m) => m.Body);
  assert.deepEqual(bodies.filter((b) => b!.startsWith('a')), ['a1', 'a2', 'a3']);
  assert.ok(bodies.includes('b1'));
  assert.equal(r1.Messages![0]!.Attributes!.MessageGroupId, 'A');
  assert.match(r1.Messages![0]!.Attributes!.SequenceNumber!, /^\d{20}$/);
  await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a4', MessageGroupId: 'A' }));
  assert.equal((await sqs().send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages, undefined, 'group A is in flight');
  for (const m of r1.Messages!.filter((x) => x.Body!.startsWith('a'))) await sqs().send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
  assert.deepEqual((await sqs().send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages?.map((m) => m.Body), ['a4']);
});

test('SQS: a receipt handle with one character changed, or one from another queue, is ReceiptHandleIsInvalid and deletes nothing', async () => {
  const a = await create('handles-a');
  const b = await create('handles-b');
  await sqs().send(new SendMessageCommand({ QueueUrl: a, MessageBody: 'keep me' }));
  const got = (await sqs().send(new ReceiveMessageCommand({ QueueUrl: a, VisibilityTimeout: 1 }))).Messages![0]!;
  const h = got.ReceiptHandle!;
  const i = Math.floor(h.length / 2);
  const changed = `${h.slice(0, i)}${h[i] === 'A' ? 'B' : 'A'}${h.slice(i + 1)}`;
  await rejects(sqs().send(new DeleteMessageCommand({ QueueUrl: a, ReceiptHandle: changed })), 'ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid');
  await rejects(sqs().send(new DeleteMessageCommand({ QueueUrl: b, ReceiptHandle: h })), 'ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid');
  await new Promise((r) => setTimeout(r, 1100));
  const again = (await sqs().send(new ReceiveMessageCommand({ QueueUrl: a, WaitTimeSeconds: 2 }))).Messages ?? [];
  assert.deepEqual(again.map((m) => m.Body), ['keep me'], 'the message was not deleted');
  await sqs().send(new DeleteMessageCommand({ QueueUrl: a, ReceiptHandle: again[0]!.ReceiptHandle }));
});

test('SQS FIFO: a ReceiveMessage retried with the same ReceiveRequestAttemptId returns the same messages and receipt handles until one is changed', async () => {
  const url = await create('attempts.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
  await sqs().send(new SendMessageBatchCommand({ QueueUrl: url, Entries: ['g1', 'g2', 'g3'].map((b, i) => ({ Id: String(i), MessageBody: b, MessageGroupId: 'G' })) }));
  await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'h1', MessageGroupId: 'H' }));
  const receive = (attempt?: string) =>
    sqs().send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 2, ReceiveRequestAttemptId: attempt, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
  const first = await receive('attempt-1');
  assert.deepEqual(first.Messages?.map((m) => m.Body), ['g1', 'g2']);
  const again = await receive('attempt-1');
  assert.deepEqual(again.Messages?.map((m) => [m.MessageId, m.ReceiptHandle]), first.Messages?.map((m) => [m.MessageId, m.ReceiptHandle]));
  assert.deepEqual(again.Messages?.map((m) => m.Attributes?.ApproximateReceiveCount), ['1', '1'], 'a retry is not another receive');
  // Another attempt gets what is left: group G is in flight, so only H.
  assert.deepEqual((await receive('attempt-2')).Messages?.map((m) => m.Body), ['h1']);
  // Once one of the messages is changed, the first attempt id no longer replays them.
  await sqs().send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first.Messages![1]!.ReceiptHandle!, VisibilityTimeout: 0 }));
  const changed = await receive('attempt-1');
  assert.notDeepEqual(changed.Messages?.map((m) => m.ReceiptHandle), first.Messages?.map((m) => m.ReceiptHandle));
  await rejects(receive('bad attempt id'), 'InvalidParameterValue');
  await rejects(receive('x'.repeat(129)), 'InvalidParameterValue');
});

test('SQS: SIGTERM answers pending long polls (empty) instead of cutting them off', async () => {
  const s = await startServer();
  const client = sqsClient(s.url);
  try {
    const url = (await client.send(new CreateQueueCommand({ QueueName: 'shutdown' }))).QueueUrl!;
    const polling = client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await new Promise((r) => setTimeout(r, 300));
    const exit = s.stop('SIGTERM');
    const got = await polling;
    assert.equal(got.$metadata.httpStatusCode, 200);
    assert.equal(got.Messages, undefined);
    assert.equal((await exit).code, 0);
  } finally {
    client.destroy();
    await removeServer(s);
  }
});

test('SQS durability: every acknowledged SendMessage and DeleteMessage survives kill -9', async () => {
  const s = await startServer();
  const client = sqsClient(s.url);
  const acked = new Set<string>();
  let port = s.port;
  try {
    const url = (await client.send(new CreateQueueCommand({ QueueName: 'durable' }))).QueueUrl!;
    // Keep 20 senders busy, then kill the server in the middle of the stream.
    let stop = false;
    const senders = Array.from({ length: 20 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        try {
          const body = `w${w}-${i}`;
          await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
          acked.add(body);
        } catch {
          return;
        }
      }
    });
    // Meanwhile a consumer deletes messages: an acknowledged delete must not come back either.
    const deleted = new Set<string>();
    const consumer = (async () => {
      while (!stop) {
        try {
          // A short visibility timeout: what was in flight at the kill is visible again soon after the restart.
          const r = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 1 }));
          for (const m of r.Messages ?? []) {
            await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
            deleted.add(m.Body!);
          }
        } catch {
          return;
        }
      }
    })();
    while (acked.size < 300 || deleted.size < 50) await new Promise((r) => setTimeout(r, 10));
    const exit = await s.stop('SIGKILL');
    stop = true;
    await Promise.all([...senders, consumer]);
    assert.equal(exit.signal, 'SIGKILL');
    client.destroy();
    const again = await startServer({ dataDir: s.dataDir });
    port = again.port;
    const c2 = sqsClient(again.url);
    try {
      const url2 = `${again.url}/000000000000/durable`;
      const seen = new Set<string>();
      for (;;) {
        const r = await c2.send(new ReceiveMessageCommand({ QueueUrl: url2, MaxNumberOfMessages: 10, VisibilityTimeout: 300, WaitTimeSeconds: 2 }));
        if (!r.Messages) break;
        for (const m of r.Messages) seen.add(m.Body!);
      }
      const lost = [...acked].filter((b) => !seen.has(b) && !deleted.has(b));
      assert.deepEqual(lost, [], `${lost.length} of ${acked.size} acknowledged messages lost`);
      const back = [...deleted].filter((b) => seen.has(b));
      assert.deepEqual(back, [], `${back.length} of ${deleted.size} acknowledged deletes undone`);
    } finally {
      c2.destroy();
      await again.stop();
    }
  } finally {
    void port;
    await removeServer(s);
  }
});
