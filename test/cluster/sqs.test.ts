// Cluster: three `selfless start --store postgres://…` nodes serve the same SQS queues (claims, long polls, FIFO
// order and kill -9 take-over), driven through the AWS SDK against different nodes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { pgUnavailable } from '../helpers/pg.js';
import { startCluster, type Cluster } from '../helpers/server.js';
import { sqsClient } from '../helpers/sqs.js';

const skip = await pgUnavailable();

describe('SQS cluster (three nodes on one PostgreSQL)', { skip }, () => {
  let cluster: Cluster;
  let a: SQSClient;
  let b: SQSClient;
  let c: SQSClient;
  before(async () => {
    cluster = await startCluster(3);
    [a, b, c] = cluster.nodes.map((n) => sqsClient(n.url)) as [SQSClient, SQSClient, SQSClient];
  });
  after(async () => {
    await cluster?.stop();
  });

  const create = async (name: string, attrs: Record<string, string> = {}): Promise<string> => (await a.send(new CreateQueueCommand({ QueueName: name, Attributes: attrs }))).QueueUrl!;
  /** Receives (long polls) on one node until `stop` says so, deleting each batch; returns what it got in order. */
  const drain = async (client: SQSClient, url: string, stop: () => boolean, got: Message[], del = true): Promise<void> => {
    while (!stop()) {
      const r = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }));
      const msgs = r.Messages ?? [];
      got.push(...msgs);
      if (del && msgs.length > 0)
        await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
  };

  test('SQS cluster: 1,000 messages sent through A and received through B and C concurrently are each delivered exactly once', async () => {
    const url = await create('spread', { VisibilityTimeout: '120' });
    const sent = new Set<string>();
    const sending = (async () => {
      for (let i = 0; i < 100; i++) {
        const r = await a.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 10 }, (_, k) => ({ Id: String(k), MessageBody: `m${i * 10 + k}` })) }));
        for (const s of r.Successful ?? []) sent.add(s.MessageId!);
      }
    })();
    const got: Message[] = [];
    const done = (): boolean => got.length >= 1000;
    await Promise.all([sending, drain(b, url, done, got), drain(b, url, done, got), drain(c, url, done, got), drain(c, url, done, got)]);
    assert.equal(sent.size, 1000);
    const ids = got.map((m) => m.MessageId!);
    assert.equal(new Set(ids).size, ids.length, 'no message delivered twice');
    assert.deepEqual(new Set(ids), sent, 'none lost');
    assert.ok(got.every((m) => m.Attributes?.ApproximateReceiveCount === '1'));
  });

  test('SQS cluster: a message received through B and not deleted becomes visible again and is received through C with ApproximateReceiveCount 2', async () => {
    const url = await create('again', { VisibilityTimeout: '1' });
    await a.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'retry me' }));
    const first = await b.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
    assert.equal(first.Messages?.[0]?.Body, 'retry me');
    const second = await c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    assert.equal(second.Messages?.[0]?.MessageId, first.Messages?.[0]?.MessageId);
    assert.equal(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount, '2');
  });

  test('SQS cluster: a long poll on C returns the message A sends while it waits (woken by the notification, not a re-check)', async () => {
    const url = await create('poll');
    // Shorter than the waiters' safety re-check: only the notification from A's send can wake it in time.
    const polling = c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 3 }));
    await new Promise((r) => setTimeout(r, 300));
    await a.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }));
    assert.equal((await polling).Messages?.[0]?.Body, 'wake up');
  });

  test('SQS cluster: queue attributes set on A are seen by the next call on B', async () => {
    const url = await create('attrs');
    await a.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '77' } }));
    const r = await b.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout'] }));
    assert.equal(r.Attributes?.VisibilityTimeout, '77');
  });

  test('SQS cluster: FIFO order within each group holds with consumers on B and C', async () => {
    const url = await create('order.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true', VisibilityTimeout: '120' });
    for (let i = 0; i < 20; i++)
      await a.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: ['x', 'y', 'z'].map((g) => ({ Id: g, MessageBody: `${g}:${i}`, MessageGroupId: g })) }));
    const got: Message[] = [];
    const done = (): boolean => got.length >= 60;
    await Promise.all([drain(b, url, done, got), drain(c, url, done, got), drain(b, url, done, got), drain(c, url, done, got)]);
    assert.equal(got.length, 60);
    for (const g of ['x', 'y', 'z']) {
      const bodies = got.filter((m) => m.Attributes?.MessageGroupId === g).map((m) => m.Body);
      assert.deepEqual(bodies, Array.from({ length: 20 }, (_, i) => `${g}:${i}`), `group ${g} in send order`);
    }
    const seqs = got.filter((m) => m.Attributes?.MessageGroupId === 'x').map((m) => BigInt(m.Attributes!.SequenceNumber!));
    assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), 'sequence numbers increase');
  });

  test('SQS cluster: kill -9 of a node holding messages in flight loses none of them; they come back after their visibility timeout', async () => {
    const url = await create('survive', { VisibilityTimeout: '2' });
    await a.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: `k${i}` })) }));
    const victim = await cluster.add();
    const v = sqsClient(victim.url);
    const held: Message[] = [];
    while (held.length < 10) held.push(...((await v.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? []));
    await victim.stop('SIGKILL');
    const back: Message[] = [];
    await drain(c, url, () => back.length >= 10, back, false);
    assert.deepEqual(back.map((m) => m.Body).sort(), held.map((m) => m.Body).sort());
    assert.ok(back.every((m) => m.Attributes?.ApproximateReceiveCount === '2'));
    for (const m of back) await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
  });
});
