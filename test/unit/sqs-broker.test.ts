// The QueueBroker module API (used by async destinations and event source mappings), on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { AwsError } from '../../src/lib/errors.js';
import { md5Hex, md5OfAttributes } from '../../src/services/sqs/md5.js';
import { SqsService } from '../../src/services/sqs/service.js';
import { SqliteStore } from '../../src/store/sqlite.js';

async function withBroker(fn: (svc: SqsService, clock: FakeClock) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sqs-broker-'));
  const clock = new FakeClock();
  const store = new SqliteStore(dir);
  const svc = new SqsService({ store, clock, accountId: '000000000000', endpointUrl: () => 'http://127.0.0.1:9000' });
  await svc.init();
  svc.start();
  try {
    await fn(svc, clock);
  } finally {
    await svc.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('QueueBroker: queue() describes a queue by ARN and is undefined for a missing one', async () => {
  await withBroker(async (svc) => {
    await svc.createQueue('eu-west-1', 'dest', false, { VisibilityTimeout: '12' }, {});
    assert.deepEqual(svc.broker.queue('arn:aws:sqs:eu-west-1:000000000000:dest'), {
      arn: 'arn:aws:sqs:eu-west-1:000000000000:dest',
      url: 'http://127.0.0.1:9000/000000000000/dest',
      fifo: false,
      visibilityTimeoutSeconds: 12,
    });
    assert.equal(svc.broker.queue('arn:aws:sqs:us-east-1:000000000000:dest'), undefined);
    await assert.rejects(svc.broker.send('arn:aws:sqs:us-east-1:000000000000:dest', { body: 'x' }), (e: unknown) => e instanceof AwsError && e.code === 'QueueDoesNotExist');
  });
});

test('QueueBroker: send, receive with system attributes and MD5s, changeVisibility, deleteMessages', async () => {
  await withBroker(async (svc, clock) => {
    const q = await svc.createQueue('us-east-1', 'b', false, { VisibilityTimeout: '30' }, {});
    const attrs = { ErrorCode: { DataType: 'Number', StringValue: '200' }, Blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi') } };
    const { messageId } = await svc.broker.send(q.arn, { body: '{"a":1}', messageAttributes: attrs });
    const [m] = await svc.broker.receive(q.arn, 10);
    assert.equal(m?.messageId, messageId);
    assert.equal(m?.md5OfBody, md5Hex('{"a":1}'));
    assert.equal(m?.md5OfMessageAttributes, md5OfAttributes(attrs));
    assert.equal(m?.attributes['ApproximateReceiveCount'], '1');
    assert.equal(m?.attributes['SentTimestamp'], String(clock.now()));
    assert.deepEqual(m?.messageAttributes['Blob']?.BinaryValue, Buffer.from('hi'));
    assert.deepEqual(await svc.broker.receive(q.arn, 10), []);
    await svc.broker.changeVisibility(q.arn, m!.receiptHandle, 0);
    const [again] = await svc.broker.receive(q.arn, 10, { visibilityTimeoutSeconds: 5 });
    assert.equal(again?.attributes['ApproximateReceiveCount'], '2');
    clock.advance(5000);
    const [third] = await svc.broker.receive(q.arn, 10);
    await svc.broker.deleteMessages(q.arn, [third!.receiptHandle]);
    clock.advance(60_000);
    assert.deepEqual(await svc.broker.receive(q.arn, 10), []);
  });
});

test('QueueBroker: onAvailable fires for sends and ended visibility timeouts; unsubscribe stops it', async () => {
  await withBroker(async (svc, clock) => {
    const q = await svc.createQueue('us-east-1', 'n', false, {}, {});
    let calls = 0;
    const off = svc.broker.onAvailable(q.arn, () => calls++);
    await svc.broker.send(q.arn, { body: 'x' });
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 1);
    await svc.broker.receive(q.arn, 1, { visibilityTimeoutSeconds: 10 });
    clock.advance(10_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 2);
    off();
    await svc.broker.send(q.arn, { body: 'y' });
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 2);
  });
});

test('QueueBroker: receive with waitMs waits for a send; more than 10 messages per receive are allowed', async () => {
  await withBroker(async (svc) => {
    const q = await svc.createQueue('us-east-1', 'w', false, {}, {});
    const waiting = svc.broker.receive(q.arn, 100, { waitMs: 20_000 });
    await svc.broker.send(q.arn, { body: 'first' });
    assert.deepEqual((await waiting).map((m) => m.body), ['first']);
    for (let i = 0; i < 25; i++) await svc.broker.send(q.arn, { body: String(i) });
    assert.equal((await svc.broker.receive(q.arn, 100)).length, 25);
  });
});

test('QueueBroker: FIFO sends keep group order and report MessageGroupId and SequenceNumber', async () => {
  await withBroker(async (svc) => {
    const q = await svc.createQueue('us-east-1', 'x.fifo', true, { FifoQueue: 'true' }, {});
    for (const b of ['1', '2', '3']) await svc.broker.send(q.arn, { body: b, messageGroupId: 'g' });
    const got = await svc.broker.receive(q.arn, 10);
    assert.deepEqual(got.map((m) => m.body), ['1', '2', '3']);
    assert.equal(got[0]?.attributes['MessageGroupId'], 'g');
    assert.match(got[0]!.attributes['SequenceNumber']!, /^\d{20}$/);
  });
});

test('SQS: CreateQueue of a name deleted less than 60 s ago (on the clock) is QueueDeletedRecently; at 60 s it succeeds', async () => {
  await withBroker(async (svc, clock) => {
    const q = await svc.createQueue('us-east-1', 'again', false, {}, {});
    await svc.deleteQueue(q);
    clock.advance(59_999);
    await assert.rejects(svc.createQueue('us-east-1', 'again', false, {}, {}), (e: unknown) => {
      assert.ok(e instanceof AwsError);
      assert.equal(e.code, 'QueueDeletedRecently');
      assert.equal(e.message, 'You must wait 60 seconds after deleting a queue before you can create another with the same name.');
      return true;
    });
    // Another name, and the same name in another region, are free.
    await svc.createQueue('us-east-1', 'again-2', false, {}, {});
    await svc.createQueue('eu-west-1', 'again', false, {}, {});
    clock.advance(1);
    assert.equal((await svc.createQueue('us-east-1', 'again', false, {}, {})).name, 'again');
  });
});

test('SQS FIFO: a ReceiveRequestAttemptId replays its messages for 5 minutes, resetting their visibility; after that it is a new receive', async () => {
  await withBroker(async (svc, clock) => {
    const q = await svc.createQueue('us-east-1', 'replay.fifo', true, { FifoQueue: 'true', ContentBasedDeduplication: 'true', VisibilityTimeout: '600' }, {});
    await svc.broker.send(q.arn, { body: 'one', messageGroupId: 'g' });
    const first = await svc.receive(q, 10, 100_000, 0, undefined, 'a');
    assert.equal(first.length, 1);
    clock.advance(90_000);
    const again = await svc.receive(q, 10, 100_000, 0, undefined, 'a');
    assert.deepEqual(again.map((m) => m.id), first.map((m) => m.id));
    assert.equal(again[0]!.receiveCount, 1);
    assert.equal(again[0]!.visibleAt, clock.now() + 100_000, 'the retry restarts the visibility timeout');
    // Still invisible to anyone else.
    assert.deepEqual(await svc.receive(q, 10, 100_000, 0, undefined, 'b'), []);
    clock.advance(60_000);
    assert.equal((await svc.receive(q, 10, 100_000, 0, undefined, 'a')).length, 1);
    clock.advance(300_000 - 150_000 + 1);
    // 5 minutes after the first receive (and with the message visible again) the id is forgotten: a new receive.
    const later = await svc.receive(q, 10, 100_000, 0, undefined, 'a');
    assert.equal(later.length, 1);
    assert.equal(later[0]!.receiveCount, 2);
  });
});
