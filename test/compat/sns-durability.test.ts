// Durability: publishes acknowledged before kill -9 reach their SQS subscriber after a restart on the same data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { snsClient } from '../helpers/sns.js';
import { sqsClient } from '../helpers/sqs.js';
import { removeServer, startServer } from '../helpers/server.js';

test('SNS durability: every publish acknowledged before kill -9 is delivered to the SQS subscriber after the restart', async () => {
  const first = await startServer();
  const sns = snsClient(first.url);
  const sqs = sqsClient(first.url);
  const arn = (await sns.send(new CreateTopicCommand({ Name: 'durable' }))).TopicArn!;
  await sqs.send(new CreateQueueCommand({ QueueName: 'durable-q' }));
  await sns.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:000000000000:durable-q' }));
  const acked = new Set<string>();
  let killed = false;
  let n = 0;
  const writer = async (): Promise<void> => {
    while (!killed) {
      const i = n++;
      try {
        await sns.send(new PublishCommand({ TopicArn: arn, Message: `m${i}` }));
        acked.add(`m${i}`);
      } catch {
        /* the server died mid-request: not acknowledged */
      }
      if (acked.size >= 300 && !killed) {
        killed = true;
        await first.stop('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
  sns.destroy();
  sqs.destroy();

  const second = await startServer({ dataDir: first.dataDir });
  const sqs2 = sqsClient(second.url);
  try {
    const url = `${second.url}/000000000000/durable-q`;
    const seen = new Set<string>();
    const deadline = Date.now() + 60_000;
    while ([...acked].some((m) => !seen.has(m)) && Date.now() < deadline) {
      const r = await sqs2.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }));
      for (const m of r.Messages ?? []) seen.add((JSON.parse(m.Body!) as { Message: string }).Message);
      if (r.Messages?.length) await sqs2.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: r.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
    const missing = [...acked].filter((m) => !seen.has(m));
    assert.ok(acked.size >= 300);
    assert.deepEqual(missing, [], 'every acknowledged publish was delivered at least once');
  } finally {
    sqs2.destroy();
    await second.stop();
    await removeServer(first);
  }
});
