// Cluster: SNS and EventBridge on three nodes sharing one PostgreSQL database: a subscription or rule made on one
// node routes the very next message published through another, and each message is delivered once, not once per node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { pgUnavailable } from '../helpers/pg.js';
import { startCluster, type Cluster } from '../helpers/server.js';
import { snsClient } from '../helpers/sns.js';
import { sqsClient } from '../helpers/sqs.js';

const skip = await pgUnavailable();
const ebClient = (url: string): EventBridgeClient =>
  new EventBridgeClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });

/** Receives from the queue until `want` bodies arrived, then polls twice more so that a duplicate would show. */
async function drain(sqs: SQSClient, QueueUrl: string, want: number): Promise<string[]> {
  const got: string[] = [];
  const end = Date.now() + 30_000;
  let extra = 0;
  while (Date.now() < end && (got.length < want || extra++ < 2)) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of r.Messages ?? []) got.push(m.Body!);
    if (r.Messages?.length) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: r.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
  }
  return got;
}

describe('SNS and EventBridge cluster (three nodes on one PostgreSQL)', { skip, timeout: 180_000 }, () => {
  let cluster: Cluster;
  let sqs: SQSClient;
  before(async () => {
    cluster = await startCluster(3);
    sqs = sqsClient(cluster.nodes[0]!.url);
  });
  after(async () => {
    sqs?.destroy();
    await cluster?.stop();
  });

  const queue = async (QueueName: string): Promise<{ url: string; arn: string }> => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
    return { url: QueueUrl!, arn };
  };

  test('SNS cluster: a subscription made on A receives each message published through B and C exactly once, the first one right after Subscribe', async () => {
    const [a, b, c] = cluster.nodes.map((n) => snsClient(n.url));
    try {
      const q = await queue('sns-cluster');
      const { TopicArn } = await a!.send(new CreateTopicCommand({ Name: 'cluster-topic' }));
      await a!.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn, Attributes: { RawMessageDelivery: 'true' } }));
      const bodies = Array.from({ length: 10 }, (_, i) => `m${i}`);
      for (const [i, Message] of bodies.entries()) await (i % 2 ? b : c)!.send(new PublishCommand({ TopicArn, Message }));
      assert.deepEqual((await drain(sqs, q.url, bodies.length)).sort(), [...bodies].sort());
    } finally {
      for (const x of [a, b, c]) x?.destroy();
    }
  });

  test('EventBridge cluster: a rule and target put on A route each event put through B and C exactly once, the first one right after PutTargets', async () => {
    const [a, b, c] = cluster.nodes.map((n) => ebClient(n.url));
    try {
      const q = await queue('events-cluster');
      await a!.send(new PutRuleCommand({ Name: 'orders', EventPattern: JSON.stringify({ source: ['shop'] }) }));
      await a!.send(new PutTargetsCommand({ Rule: 'orders', Targets: [{ Id: 'q', Arn: q.arn, InputPath: '$.detail' }] }));
      const ids = Array.from({ length: 10 }, (_, i) => i);
      for (const i of ids) {
        const r = await (i % 2 ? b : c)!.send(new PutEventsCommand({ Entries: [{ Source: 'shop', DetailType: 'order', Detail: JSON.stringify({ n: i }) }] }));
        assert.equal(r.FailedEntryCount, 0);
      }
      const got = (await drain(sqs, q.url, ids.length)).map((s) => (JSON.parse(s) as { n: number }).n);
      assert.deepEqual(got.sort((x, y) => x - y), ids);
    } finally {
      for (const x of [a, b, c]) x?.destroy();
    }
  });
});
