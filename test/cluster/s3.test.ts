// Cluster: S3 on three nodes sharing one PostgreSQL database: an object written through one node is read through the
// others (the blob is shared, not only the row), a multipart upload spread over the nodes, and a bucket notification
// configured on one node firing once for an upload through another.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { pgUnavailable } from '../helpers/pg.js';
import { startCluster, type Cluster } from '../helpers/server.js';
import { s3Client } from '../helpers/s3.js';
import { sqsClient } from '../helpers/sqs.js';

const skip = await pgUnavailable();
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

describe('S3 cluster (three nodes on one PostgreSQL)', { skip, timeout: 180_000 }, () => {
  let cluster: Cluster;
  let s3: [S3Client, S3Client, S3Client];
  before(async () => {
    cluster = await startCluster(3);
    s3 = cluster.nodes.map((n) => s3Client(n.url)) as [S3Client, S3Client, S3Client];
  });
  after(async () => {
    for (const c of s3 ?? []) c.destroy();
    await cluster?.stop();
  });

  const read = async (c: S3Client, Bucket: string, Key: string, Range?: string): Promise<Buffer> =>
    Buffer.from(await (await c.send(new GetObjectCommand({ Bucket, Key, Range }))).Body!.transformToByteArray());

  test('S3 cluster: an object PUT through A (larger than one 4 MB chunk) is read byte-identical through B and C, whole and by range', async () => {
    const [a, b, c] = s3;
    await a.send(new CreateBucketCommand({ Bucket: 'shared' }));
    const body = randomBytes(9 * 1024 * 1024 + 123);
    const put = await a.send(new PutObjectCommand({ Bucket: 'shared', Key: 'big.bin', Body: body }));
    assert.equal(put.ETag, `"${md5(body)}"`);
    for (const x of [b, c]) assert.ok((await read(x, 'shared', 'big.bin')).equals(body));
    assert.ok((await read(c, 'shared', 'big.bin', 'bytes=4194300-4194399')).equals(body.subarray(4194300, 4194400)), 'a range across a chunk boundary');
  });

  test('S3 cluster: a multipart upload started on A, parts uploaded through A and B, completed on C, reads whole through every node', async () => {
    const [a, b, c] = s3;
    await a.send(new CreateBucketCommand({ Bucket: 'multi' }));
    const { UploadId } = await a.send(new CreateMultipartUploadCommand({ Bucket: 'multi', Key: 'm.bin' }));
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(5 * 1024 * 1024), randomBytes(1000)];
    const etags: string[] = [];
    for (const [i, p] of parts.entries()) {
      const r = await [a, b, a][i]!.send(new UploadPartCommand({ Bucket: 'multi', Key: 'm.bin', UploadId, PartNumber: i + 1, Body: p }));
      etags.push(r.ETag!);
    }
    const done = await c.send(new CompleteMultipartUploadCommand({ Bucket: 'multi', Key: 'm.bin', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
    const whole = Buffer.concat(parts);
    const expected = createHash('md5').update(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()))).digest('hex');
    assert.equal(done.ETag, `"${expected}-3"`);
    for (const x of [a, b, c]) assert.ok((await read(x, 'multi', 'm.bin')).equals(whole));
  });

  test('S3 cluster: a notification configured on A fires exactly once for each PUT through B and C, the first one right after the configuration', async () => {
    const [a, b, c] = s3;
    const sqs: SQSClient = sqsClient(cluster.nodes[0]!.url);
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 's3-cluster-events' }));
      const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
      await a.send(new CreateBucketCommand({ Bucket: 'notified' }));
      await a.send(new PutBucketNotificationConfigurationCommand({ Bucket: 'notified', NotificationConfiguration: { QueueConfigurations: [{ QueueArn: arn, Events: ['s3:ObjectCreated:*'] }] } }));
      const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
      for (const [i, Key] of keys.entries()) await (i % 2 ? b : c).send(new PutObjectCommand({ Bucket: 'notified', Key, Body: Key }));
      const got: string[] = [];
      const end = Date.now() + 30_000;
      // Past the 10 expected, one more poll: a duplicate fired by a second node would show there.
      let extra = 0;
      while (Date.now() < end && (got.length < keys.length || extra++ < 2)) {
        const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        for (const m of r.Messages ?? []) {
          const ev = JSON.parse(m.Body!) as { Event?: string; Records?: { eventName: string; s3: { object: { key: string } } }[] };
          if (ev.Event === 's3:TestEvent') continue;
          for (const rec of ev.Records ?? []) got.push(rec.s3.object.key);
        }
        if (r.Messages?.length) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: r.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
      }
      assert.deepEqual(got.sort(), [...keys].sort());
    } finally {
      sqs.destroy();
    }
  });
});
