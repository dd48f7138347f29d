// Unit: the SNS delivery worker on a fake clock: a message given up on goes to the subscription's dead-letter queue,
// and its work item is completed only once the dead-letter queue has it (a full disk there is retried, not dropped).
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
import { DeliveryWorker } from '../../src/services/sns/delivery.js';
import { queueOf } from '../../src/services/sns/intake.js';
import type { Subscription } from '../../src/services/sns/model.js';
import type { OutgoingMessage, QueueBroker } from '../../src/services/sqs/broker.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:t';
const DLQ = 'arn:aws:sqs:us-east-1:123456789012:dlq';
const diskFull = (): Error => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

async function setup(refuseDlq: () => Error | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'sns-delivery-'));
  const store = new SqliteStore(dir);
  const clock = new FakeClock();
  const notifier = new LocalNotifier();
  const work = new WorkQueues(store, notifier, clock, 'local');
  await work.init();
  const sent: { arn: string; msg: OutgoingMessage }[] = [];
  const sub: Subscription = {
    arn: `${TOPIC}:sub-1`,
    topicArn: TOPIC,
    protocol: 'sqs',
    // The endpoint queue is gone: a client failure, so the message is given up on at once.
    endpoint: 'arn:aws:sqs:us-east-1:123456789012:gone',
    owner: '123456789012',
    confirmed: true,
    token: 't',
    attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ }), RawMessageDelivery: 'true' },
  };
  const queues: QueueBroker = {
    queue: (arn) => (arn === DLQ ? { arn, url: 'http://q/dlq', fifo: false, visibilityTimeoutSeconds: 30 } : undefined),
    queueByUrl: () => undefined,
    send: async (arn, msg) => {
      if (arn !== DLQ) throw new AwsError('QueueDoesNotExist', 'The specified queue does not exist.');
      const refused = refuseDlq();
      if (refused) throw refused;
      sent.push({ arn, msg });
      return { messageId: 'm', md5OfBody: 'md5' };
    },
    receive: async () => [],
    deleteMessages: async () => undefined,
    changeVisibility: async () => undefined,
    onAvailable: () => () => undefined,
  };
  const worker = new DeliveryWorker({
    clock,
    work,
    notifier,
    source: {
      subscription: async (arn) => (arn === sub.arn ? sub : undefined),
      topic: async () => undefined,
      sign: () => 'sig',
      signingCertUrl: () => 'https://cert',
      unsubscribeUrl: () => 'https://unsubscribe',
      subscribeUrl: () => 'https://subscribe',
    },
    lambda: {} as never,
    queues: queues as never,
    log: () => undefined,
    authMode: 'dev',
    shared: false,
  });
  const q = queueOf(sub.arn);
  await work.add(q, [{ id: 'w-1', payload: Buffer.from(JSON.stringify({ kind: 'notify', sub: sub.arn, msg: { id: 'msg-1', topicArn: TOPIC, message: 'hello', timestamp: 0, attributes: {} }, retries: 0 })) }]);
  const settle = async (): Promise<void> => {
    // The journal commits on its writer thread: real time, not only promise turns.
    for (let i = 0; i < 30; i++) await new Promise((r) => setTimeout(r, 5));
  };
  const close = async (): Promise<void> => {
    await worker.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { clock, work, worker, sent, q, settle, close };
}

test('SNS delivery: a message given up on stays queued while its dead-letter queue refuses it for a full disk, and is completed once the DLQ has it', async () => {
  let refusals = 2;
  const t = await setup(() => (refusals-- > 0 ? diskFull() : undefined));
  t.worker.start();
  await t.settle();
  assert.equal(t.sent.length, 0);
  assert.equal(await t.work.count(t.q), 1, 'not completed: the dead-letter message is not durable');
  t.clock.advance(1000);
  await t.settle();
  assert.equal(t.sent.length, 0, 'refused a second time');
  assert.equal(await t.work.count(t.q), 1);
  t.clock.advance(2000);
  await t.settle();
  assert.equal(t.sent.length, 1, 'the dead-letter queue took it once there was space');
  assert.equal(t.sent[0]!.msg.body, 'hello');
  assert.equal(await t.work.count(t.q), 0, 'and only then was the work item completed');
  await t.close();
});

test('SNS delivery: a dead-letter queue that does not exist (a 4xx) drops the message and completes the item', async () => {
  const t = await setup(() => new AwsError('QueueDoesNotExist', 'The specified queue does not exist.'));
  t.worker.start();
  await t.settle();
  assert.equal(t.sent.length, 0);
  assert.equal(await t.work.count(t.q), 0);
  await t.close();
});
