// Unit: EventBridge's delivery worker on a fake clock: a failing target is retried with backoff up to its
// RetryPolicy, then its event goes to the dead-letter queue with AWS's attributes; a non-retryable error goes there at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { AwsError } from '../../src/lib/errors.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { LocalNotifier } from '../../src/store/notifier.js';
import { WorkQueues } from '../../src/store/work.js';
import { DeliveryWorker } from '../../src/services/events/delivery.js';
import { DELIVERY_QUEUE, type Delivery } from '../../src/services/events/model.js';
import type { OutgoingMessage } from '../../src/services/sqs/index.js';

async function setup(send: (d: Delivery) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'ev-del-'));
  const store = new SqliteStore(dir);
  const clock = new FakeClock();
  const work = new WorkQueues(store, new LocalNotifier(), clock, 'n1');
  await work.init();
  const dlq: { arn: string; msg: OutgoingMessage }[] = [];
  const worker = new DeliveryWorker({ clock, work, shared: false, concurrency: 4, send, sendToQueue: async (arn, msg) => void dlq.push({ arn, msg }), log: () => undefined });
  const d = (over: Partial<Delivery['target']>): Delivery => ({
    region: 'us-east-1', ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/r', ruleName: 'r', ingestion: clock.now(), retries: 0,
    event: { id: 'e-1', detail: {} }, target: { Id: 't', Arn: 'arn:aws:lambda:us-east-1:123456789012:function:f', DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:123456789012:dlq' }, ...over },
  });
  const add = (x: Delivery) => work.add(DELIVERY_QUEUE, [{ id: `w-${Math.random()}`, payload: Buffer.from(JSON.stringify(x)) }]);
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      // A completion may ride the next group commit (a lazy write): the loop is kept alive while it does.
      await Promise.race([worker.idle(), new Promise((r) => setTimeout(r, 200))]);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const done = async () => {
    await worker.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { clock, work, worker, dlq, d, add, settle, done };
}

test('Event delivery: a throttled target is retried with backoff, then dead-lettered after MaximumRetryAttempts', async () => {
  let calls = 0;
  const s = await setup(async () => {
    calls++;
    throw new AwsError('TooManyRequestsException', 'Rate exceeded', { status: 429 });
  });
  s.worker.start();
  await s.add(s.d({ RetryPolicy: { MaximumRetryAttempts: 2 } }));
  await s.settle();
  assert.equal(calls, 1);
  s.clock.advance(1000);
  await s.settle();
  assert.equal(calls, 2);
  s.clock.advance(2000);
  await s.settle();
  assert.equal(calls, 3);
  assert.equal(s.dlq.length, 1);
  const a = s.dlq[0]!.msg.messageAttributes!;
  assert.equal(a['ERROR_CODE']?.StringValue, 'TooManyRequestsException');
  assert.equal(a['EXHAUSTED_RETRY_CONDITION']?.StringValue, 'MaximumRetryAttempts');
  assert.equal(a['RULE_ARN']?.StringValue, 'arn:aws:events:us-east-1:123456789012:rule/r');
  assert.equal(a['TARGET_ARN']?.StringValue, 'arn:aws:lambda:us-east-1:123456789012:function:f');
  assert.equal(JSON.parse(s.dlq[0]!.msg.body).id, 'e-1');
  assert.equal(await s.work.count(DELIVERY_QUEUE), 0);
  await s.done();
});

test('Event delivery: a target that does not exist is not retried: its event goes to the dead-letter queue at once', async () => {
  let calls = 0;
  const s = await setup(async () => {
    calls++;
    throw new AwsError('ResourceNotFoundException', 'Function not found', { status: 404 });
  });
  s.worker.start();
  await s.add(s.d({}));
  await s.settle();
  assert.equal(calls, 1);
  assert.equal(s.dlq.length, 1);
  assert.equal(s.dlq[0]!.msg.messageAttributes!['ERROR_CODE']?.StringValue, 'ResourceNotFoundException');
  assert.equal(s.dlq[0]!.msg.messageAttributes!['EXHAUSTED_RETRY_CONDITION'], undefined);
  await s.done();
});

test('Event delivery: a delivered event completes its work item', async () => {
  const got: Delivery[] = [];
  const s = await setup(async (d) => void got.push(d));
  await s.add(s.d({}));
  s.worker.start();
  await s.settle();
  assert.equal(got.length, 1);
  assert.equal(await s.work.count(DELIVERY_QUEUE), 0);
  await s.done();
});
