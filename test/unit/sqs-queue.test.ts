// SQS queue semantics on the domain with a fake clock: visibility, delays, redrive, FIFO groups, dedup, restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { AwsError } from '../../src/lib/errors.js';
import { SqsService, makeReceiptHandle } from '../../src/services/sqs/service.js';
import { SqliteStore } from '../../src/store/sqlite.js';

const ACCT = '000000000000';

async function open(dir: string, clock: FakeClock): Promise<{ svc: SqsService; store: SqliteStore }> {
  const store = new SqliteStore(dir);
  const svc = new SqsService({ store, clock, accountId: ACCT, endpointUrl: () => 'http://localhost:9000' });
  await svc.init();
  svc.start();
  return { svc, store };
}

async function withService(fn: (svc: SqsService, clock: FakeClock, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sqs-unit-'));
  const clock = new FakeClock();
  const { svc, store } = await open(dir, clock);
  try {
    await fn(svc, clock, dir);
  } finally {
    await svc.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const send = (svc: SqsService, q: Parameters<SqsService['sendOne']>[0], body: string, extra: Record<string, unknown> = {}) => svc.sendOne(q, { body, ...extra }, ACCT);
/** The approximate counts GetQueueAttributes reports. */
/** How many rows of the queue the store holds. */
const stored = async (svc: SqsService, q: { arn: string }) => Number((await svc.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM sqs_messages WHERE queue = ?', [q.arn]))?.n);
const counts = (svc: SqsService, q: Parameters<SqsService['counts']>[0]) => svc.counts(q);

test('SQS: a received message is invisible until its visibility timeout ends, then comes back with a higher receive count', async () => {
  await withService(async (svc, clock) => {
    const q = await svc.createQueue('us-east-1', 'vis', false, { VisibilityTimeout: '30' }, {});
    await send(svc, q, 'a');
    const [m] = await svc.receive(q, 10, 30_000, 0);
    assert.equal(m?.body, 'a');
    assert.equal(m?.receiveCount, 1);
    assert.deepEqual(await svc.receive(q, 10, 30_000, 0), []);
    assert.deepEqual(await counts(svc, q), { visible: 0, inflight: 1, delayed: 0 });
    clock.advance(29_999);
    assert.deepEqual(await svc.receive(q, 10, 30_000, 0), []);
    clock.advance(1);
    const [again] = await svc.receive(q, 10, 30_000, 0);
    assert.equal(again?.id, m!.id);
    assert.equal(again?.receiveCount, 2);
  });
});

test('SQS: DelaySeconds (per message and per queue) hides a message until the delay ends', async () => {
  await withService(async (svc, clock) => {
    const q = await svc.createQueue('us-east-1', 'delay', false, { DelaySeconds: '5' }, {});
    await send(svc, q, 'queue-delay');
    await send(svc, q, 'msg-delay', { delaySeconds: 10 });
    assert.deepEqual(await counts(svc, q), { visible: 0, inflight: 0, delayed: 2 });
    clock.advance(5000);
    assert.deepEqual((await svc.receive(q, 10, 30_000, 0)).map((m) => m.body), ['queue-delay']);
    clock.advance(5000);
    assert.deepEqual((await svc.receive(q, 10, 30_000, 0)).map((m) => m.body), ['msg-delay']);
  });
});

test('SQS: a long poll returns as soon as a message arrives, and empty when its wait ends', async () => {
  await withService(async (svc, clock) => {
    const q = await svc.createQueue('us-east-1', 'poll', false, {}, {});
    const waiting = svc.receive(q, 10, 30_000, 20_000);
    await send(svc, q, 'late');
    assert.deepEqual((await waiting).map((m) => m.body), ['late']);
    const empty = svc.receive(q, 10, 30_000, 20_000);
    clock.advance(20_000);
    assert.deepEqual(await empty, []);
  });
});

test('SQS: a long poll is woken when a visibility timeout ends', async () => {
  await withService(async (svc, clock) => {
    const q = await svc.createQueue('us-east-1', 'poll2', false, {}, {});
    await send(svc, q, 'x');
    await svc.receive(q, 1, 10_000, 0);
    const waiting = svc.receive(q, 1, 10_000, 20_000);
    clock.advance(10_000);
    const [m] = await waiting;
    assert.equal(m?.receiveCount, 2);
  });
});

test('SQS: after maxReceiveCount receives a message moves to the dead-letter queue with its id and body', async () => {
  await withService(async (svc, clock) => {
    const dlq = await svc.createQueue('us-east-1', 'dead', false, {}, {});
    const q = await svc.createQueue('us-east-1', 'src', false, { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }), VisibilityTimeout: '1' }, {});
    await send(svc, q, 'poison', { messageAttributes: { k: { DataType: 'String', StringValue: 'v' } } });
    for (let i = 0; i < 2; i++) {
      assert.equal((await svc.receive(q, 1, 1000, 0)).length, 1);
      clock.advance(1000);
    }
    assert.deepEqual(await svc.receive(q, 1, 1000, 0), []);
    const [moved] = await svc.receive(dlq, 1, 1000, 0);
    assert.equal(moved?.body, 'poison');
    assert.equal(moved?.attrs['k']?.StringValue, 'v');
    assert.equal(moved?.dlqSource, q.arn);
    assert.equal(moved?.receiveCount, 1);
  });
});

test('SQS: messages past MessageRetentionPeriod are dropped', async () => {
  await withService(async (svc, clock) => {
    const q = await svc.createQueue('us-east-1', 'ret', false, { MessageRetentionPeriod: '60' }, {});
    await send(svc, q, 'old');
    clock.advance(60_000);
    assert.deepEqual(await svc.receive(q, 10, 1000, 0), []);
    assert.deepEqual(await counts(svc, q), { visible: 0, inflight: 0, delayed: 0 });
    await svc.sweep();
    assert.equal(await stored(svc, q), 0);
  });
});

test('SQS FIFO: order within a group, one in-flight batch per group, other groups not blocked', async () => {
  await withService(async (svc, clock) => {
    const q = await svc.createQueue('us-east-1', 'f.fifo', true, { FifoQueue: 'true', ContentBasedDeduplication: 'true' }, {});
    for (const b of ['a1', 'a2', 'a3']) await send(svc, q, b, { groupId: 'A' });
    for (const b of ['b1', 'b2']) await send(svc, q, b, { groupId: 'B' });
    const first = await svc.receive(q, 2, 30_000, 0);
    assert.deepEqual(first.map((m) => m.body), ['a1', 'a2']);
    // Group A is locked while a1/a2 are in flight; B is served.
    const second = await svc.receive(q, 10, 30_000, 0);
    assert.deepEqual(second.map((m) => m.body), ['b1', 'b2']);
    assert.deepEqual(await svc.receive(q, 10, 30_000, 0), []);
    await svc.deleteMessage(q, makeReceiptHandle(first[0]!));
    assert.deepEqual(await svc.receive(q, 10, 30_000, 0), [], 'a2 still in flight keeps group A locked');
    await svc.deleteMessage(q, makeReceiptHandle(first[1]!));
    assert.deepEqual((await svc.receive(q, 10, 30_000, 0)).map((m) => m.body), ['a3']);
    // Sequence numbers grow in send order.
    const seqs = [...first, ...second].map((m) => BigInt(m.seqNumber!));
    assert.ok(seqs[0]! < seqs[1]!);
    void clock;
  });
});

test('SQS FIFO: a visibility timeout returns the group head first (order kept on redelivery)', async () => {
  await withService(async (svc, clock) => {
    const q = await svc.createQueue('us-east-1', 'o.fifo', true, { FifoQueue: 'true' }, {});
    await send(svc, q, '1', { groupId: 'g', dedupId: 'd1' });
    await send(svc, q, '2', { groupId: 'g', dedupId: 'd2' });
    const first = await svc.receive(q, 1, 5000, 0);
    assert.deepEqual(first.map((m) => m.body), ['1']);
    const stale = makeReceiptHandle(first[0]!);
    clock.advance(5000);
    const again = await svc.receive(q, 10, 5000, 0);
    assert.deepEqual(again.map((m) => m.body), ['1', '2']);
    // The first receive's handle expired with its visibility timeout: it may not delete the redelivered message.
    await assert.rejects(svc.deleteMessage(q, stale), (e: unknown) => e instanceof AwsError && e.code === 'ReceiptHandleIsInvalid');
    await svc.deleteMessage(q, makeReceiptHandle(again[0]!));
  });
});

test('SQS FIFO: deduplication within 5 minutes returns the first message id; after the window a new message is accepted', async () => {
  await withService(async (svc, clock) => {
    const q = await svc.createQueue('us-east-1', 'd.fifo', true, { FifoQueue: 'true', ContentBasedDeduplication: 'true' }, {});
    const a = await send(svc, q, 'same', { groupId: 'g' });
    const b = await send(svc, q, 'same', { groupId: 'g' });
    assert.equal(a.messageId, b.messageId);
    assert.equal(a.seqNumber, b.seqNumber);
    const c = await send(svc, q, 'same', { groupId: 'g', dedupId: 'explicit' });
    assert.notEqual(c.messageId, a.messageId);
    clock.advance(5 * 60_000);
    const d = await send(svc, q, 'same', { groupId: 'g' });
    assert.notEqual(d.messageId, a.messageId);
    assert.equal(await stored(svc, q), 3);
  });
});

test('SQS FIFO: MessageGroupId is required and dedup needs an id or content-based deduplication', async () => {
  await withService(async (svc) => {
    const q = await svc.createQueue('us-east-1', 'r.fifo', true, { FifoQueue: 'true' }, {});
    await assert.rejects(send(svc, q, 'x'), (e: unknown) => e instanceof AwsError && e.code === 'MissingParameter');
    await assert.rejects(send(svc, q, 'x', { groupId: 'g' }), (e: unknown) => e instanceof AwsError && e.code === 'InvalidParameterValue');
    await assert.rejects(send(svc, q, 'x', { groupId: 'g', dedupId: 'd', delaySeconds: 5 }), (e: unknown) => e instanceof AwsError && e.code === 'InvalidParameterValue');
  });
});

test('SQS: ChangeMessageVisibility to 0 makes a message visible at once; on a visible message it is MessageNotInflight', async () => {
  await withService(async (svc) => {
    const q = await svc.createQueue('us-east-1', 'cv', false, {}, {});
    await send(svc, q, 'x');
    const [m] = await svc.receive(q, 1, 30_000, 0);
    const h = makeReceiptHandle(m!);
    await svc.changeVisibility(q, h, 0);
    const [m2] = await svc.receive(q, 1, 30_000, 0);
    assert.equal(m2?.id, m!.id);
    await svc.changeVisibility(q, makeReceiptHandle(m2!), 0);
    await assert.rejects(svc.changeVisibility(q, makeReceiptHandle(m2!), 10), (e: unknown) => e instanceof AwsError && e.code === 'MessageNotInflight');
    await assert.rejects(svc.deleteMessage(q, 'garbage'), (e: unknown) => e instanceof AwsError && e.code === 'ReceiptHandleIsInvalid');
    const [m3] = await svc.receive(q, 1, 30_000, 0);
    await svc.changeVisibility(q, makeReceiptHandle(m3!), 43_200);
    await assert.rejects(svc.changeVisibility(q, makeReceiptHandle(m3!), 43_201), (e: unknown) => e instanceof AwsError && /beyond the limit/.test(e.message));
  });
});

test('SQS: queues, messages, receive counts and dedup entries survive a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sqs-unit-'));
  const clock = new FakeClock();
  try {
    let { svc, store } = await open(dir, clock);
    const q = await svc.createQueue('us-east-1', 'keep.fifo', true, { FifoQueue: 'true', VisibilityTimeout: '60' }, { team: 'x' });
    const first = await send(svc, q, 'one', { groupId: 'g', dedupId: 'd1', messageAttributes: { b: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1]).toString('base64') } } });
    await send(svc, q, 'two', { groupId: 'g', dedupId: 'd2' });
        const [got] = await svc.receive(q, 1, 60_000, 0);
    assert.equal(got?.body, 'one');
        await svc.close();
    await store.close();

    ({ svc, store } = await open(dir, clock));
    const q2 = svc.get('us-east-1', 'keep.fifo')!;
    assert.deepEqual(q2.tags, { team: 'x' });
    assert.equal(q2.attrs.VisibilityTimeout, 60);
    assert.deepEqual(await counts(svc, q2), { visible: 1, inflight: 1, delayed: 0 });
    assert.deepEqual(await svc.receive(q2, 10, 60_000, 0), [], 'group still locked by the in-flight head');
    assert.equal((await svc.sendOne(q2, { body: 'dup', groupId: 'g', dedupId: 'd1' }, ACCT)).messageId, first.messageId);
    clock.advance(60_000);
    const again = await svc.receive(q2, 10, 60_000, 0);
    assert.deepEqual(again.map((m) => [m.body, m.receiveCount]), [['one', 2], ['two', 1]]);
    assert.deepEqual([...again[0]!.attrs['b']!.BinaryValue!], [0, 1]);
    await svc.close();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQS FIFO: DeduplicationScope messageGroup deduplicates per group; a FIFO source redrives to a FIFO dead-letter queue', async () => {
  await withService(async (svc, clock) => {
    const q = await svc.createQueue('us-east-1', 'g.fifo', true, { FifoQueue: 'true', DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' }, {});
    const a = await send(svc, q, 'x', { groupId: 'A', dedupId: 'same' });
    const b = await send(svc, q, 'x', { groupId: 'B', dedupId: 'same' });
    assert.notEqual(a.messageId, b.messageId);
    assert.equal((await send(svc, q, 'x', { groupId: 'A', dedupId: 'same' })).messageId, a.messageId);

    const dlq = await svc.createQueue('us-east-1', 'dead.fifo', true, { FifoQueue: 'true' }, {});
    await assert.rejects(
      svc.createQueue('us-east-1', 'mixed', false, { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }) }, {}),
      (e: unknown) => e instanceof AwsError && e.code === 'InvalidParameterValue',
    );
    const src = await svc.createQueue('us-east-1', 'src.fifo', true, { FifoQueue: 'true', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }) }, {});
    await send(svc, src, 'p1', { groupId: 'g', dedupId: '1' });
    await send(svc, src, 'p2', { groupId: 'g', dedupId: '2' });
    assert.deepEqual((await svc.receive(src, 10, 1000, 0)).map((m) => m.body), ['p1', 'p2']);
    clock.advance(1000);
    assert.deepEqual(await svc.receive(src, 10, 1000, 0), []);
    const dead = await svc.receive(dlq, 10, 1000, 0);
    assert.deepEqual(dead.map((m) => [m.body, m.groupId]), [['p1', 'g'], ['p2', 'g']]);
    assert.ok(BigInt(dead[0]!.seqNumber!) < BigInt(dead[1]!.seqNumber!));
  });
});

test('SQS: an attribute or tag named __proto__ is kept as a plain name', async () => {
  await withService(async (svc) => {
    const q = await svc.createQueue('us-east-1', 'proto', false, {}, {});
    await send(svc, q, 'x', { messageAttributes: JSON.parse('{"__proto__":{"DataType":"String","StringValue":"v"}}') });
    const [m] = await svc.receive(q, 1, 1000, 0);
    assert.deepEqual(Object.keys(m!.attrs), ['__proto__']);
    assert.equal(Object.getOwnPropertyDescriptor(m!.attrs, '__proto__')?.value.StringValue, 'v');
  });
});

test('SQS FIFO: a long poll blocked by an in-flight group is woken when that group is settled', async () => {
  await withService(async (svc) => {
    const q = await svc.createQueue('us-east-1', 'wake.fifo', true, { FifoQueue: 'true', ContentBasedDeduplication: 'true' }, {});
    await send(svc, q, 'first', { groupId: 'g' });
    await send(svc, q, 'second', { groupId: 'g' });
    const [first] = await svc.receive(q, 1, 30_000, 0);
    const waiting = svc.receive(q, 1, 30_000, 20_000);
    await svc.deleteMessage(q, makeReceiptHandle(first!));
    assert.deepEqual((await waiting).map((m) => m.body), ['second']);
  });
});

test('SQS: a long poll on a queue deleted meanwhile ends at once, empty', { timeout: 10_000 }, async () => {
  await withService(async (svc) => {
    const q = await svc.createQueue('us-east-1', 'going', false, {}, {});
    const waiting = svc.receive(q, 1, 30_000, 20_000);
    await new Promise((r) => setImmediate(r));
    await svc.deleteQueue(q);
    assert.deepEqual(await waiting, []);
  });
});

test('SQS: a long poll is woken when a delayed message sent while it waits becomes visible', async () => {
  await withService(async (svc, clock) => {
    const q = await svc.createQueue('us-east-1', 'later', false, {}, {});
    const waiting = svc.receive(q, 1, 30_000, 20_000);
    await send(svc, q, 'in 2 s', { delaySeconds: 2 });
    await new Promise((r) => setImmediate(r));
    clock.advance(2_000);
    assert.deepEqual((await waiting).map((m) => m.body), ['in 2 s']);
  });
});
