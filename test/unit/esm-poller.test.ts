// Unit: the SQS poller on a fake clock with an in-memory QueueBroker: batching window and batch size, partial batch
// responses, filters deleting what does not match, and AWS's rules for reading batchItemFailures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/lib/clock.js';
import { AwsError } from '../../src/lib/errors.js';
import { parsePattern } from '../../src/lib/event-pattern.js';
import { itemFailures, SqsPoller, type PollerConfig } from '../../src/services/lambda/esm/sqs-poller.js';
import type { QueueBroker, ReceivedMessage } from '../../src/services/sqs/broker.js';

const ARN = 'arn:aws:sqs:us-east-1:123456789012:q';

/** A tiny queue: visible messages in order; received ones are hidden until deleted. */
function memoryBroker() {
  const msgs: { id: string; body: string; hidden: boolean }[] = [];
  const listeners = new Set<() => void>();
  let seq = 0;
  const broker: QueueBroker = {
    queue: () => ({ arn: ARN, url: 'u', fifo: false, visibilityTimeoutSeconds: 30 }),
    queueByUrl: () => undefined,
    send: async (_arn, m) => {
      msgs.push({ id: `m${++seq}`, body: m.body, hidden: false });
      for (const l of listeners) l();
      return { messageId: `m${seq}`, md5OfBody: 'md5' };
    },
    receive: async (_arn, max) => {
      const out: ReceivedMessage[] = [];
      for (const m of msgs) {
        if (out.length >= max) break;
        if (m.hidden) continue;
        m.hidden = true;
        out.push({ messageId: m.id, receiptHandle: `h-${m.id}`, body: m.body, md5OfBody: 'md5', attributes: { ApproximateReceiveCount: '1' }, messageAttributes: {} });
      }
      return out;
    },
    deleteMessages: async (_arn, handles) => {
      for (const h of handles) {
        const i = msgs.findIndex((m) => `h-${m.id}` === h);
        if (i >= 0) msgs.splice(i, 1);
      }
    },
    changeVisibility: async () => undefined,
    onAvailable: (_arn, l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return { broker, msgs };
}

function poller(clock: FakeClock, broker: QueueBroker, over: Partial<PollerConfig>, respond: (records: any[]) => unknown = () => ({}), exists: () => boolean = () => true) {
  const batches: string[][] = [];
  const results: string[] = [];
  const p = new SqsPoller(
    {
      clock,
      queues: broker,
      log: () => undefined,
      onResult: (_id: string, r: string) => results.push(r),
      invoker: {
        resolve: () => {
          if (!exists()) throw new AwsError('ResourceNotFoundException', 'Function not found: f');
          return {};
        },
        invoke: async (i: { payload: Buffer }) => {
          const records = JSON.parse(i.payload.toString()).Records;
          batches.push(records.map((r: any) => r.body));
          return { payload: Buffer.from(JSON.stringify(respond(records))), executedVersion: '$LATEST', streamed: false, coldStart: false };
        },
      } as never,
    },
    { uuid: 'u', queueArn: ARN, region: 'us-east-1', functionName: 'f', batchSize: 10, batchingWindowSeconds: 0, concurrency: 1, reportBatchItemFailures: false, filters: [], ...over },
  );
  return { p, batches, results };
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

test('ESM poller: the batching window waits for a fuller batch, and a full batch goes at once', async () => {
  const clock = new FakeClock();
  const { broker, msgs } = memoryBroker();
  const { p, batches } = poller(clock, broker, { batchSize: 5, batchingWindowSeconds: 10 });
  p.start();
  await broker.send(ARN, { body: 'a' });
  await broker.send(ARN, { body: 'b' });
  await settle();
  clock.advance(5000);
  await settle();
  assert.deepEqual(batches, [], 'still inside the window with 2 of 5');
  for (const b of ['c', 'd', 'e']) await broker.send(ARN, { body: b });
  await settle();
  assert.deepEqual(batches, [['a', 'b', 'c', 'd', 'e']], 'full batch before the window ends');
  await broker.send(ARN, { body: 'f' });
  await settle();
  clock.advance(9999);
  await settle();
  assert.equal(batches.length, 1);
  clock.advance(1);
  await settle();
  assert.deepEqual(batches[1], ['f'], 'the window expired with a partial batch');
  await settle();
  assert.equal(msgs.length, 0, 'successful batches are deleted');
  await p.stop();
});

test('ESM poller: with ReportBatchItemFailures only the reported messages stay; filters delete what does not match', async () => {
  const clock = new FakeClock();
  const { broker, msgs } = memoryBroker();
  const { p, batches } = poller(
    clock,
    broker,
    { reportBatchItemFailures: true, filters: [parsePattern('{"body":{"keep":[true]}}')] },
    (records) => ({ batchItemFailures: records.filter((r) => JSON.parse(r.body).fail).map((r) => ({ itemIdentifier: r.messageId })) }),
  );
  for (const b of [{ keep: true }, { keep: true, fail: true }, { keep: false }, 'plain text']) await broker.send(ARN, { body: typeof b === 'string' ? b : JSON.stringify(b) });
  p.start();
  await settle();
  assert.deepEqual(batches, [['{"keep":true}', '{"keep":true,"fail":true}']]);
  assert.deepEqual(msgs.map((m) => m.body), ['{"keep":true,"fail":true}'], 'only the failed item remains (invisible until its visibility timeout)');
  await p.stop();
});

test('ESM poller: batchItemFailures is read as AWS reads it', () => {
  const recs = [{ messageId: 'a' }, { messageId: 'b' }];
  const f = (v: unknown) => [...itemFailures(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), recs)].sort();
  assert.deepEqual(f(''), []);
  assert.deepEqual(f('null'), []);
  assert.deepEqual(f({}), []);
  assert.deepEqual(f({ batchItemFailures: [] }), []);
  assert.deepEqual(f({ batchItemFailures: null }), []);
  assert.deepEqual(f({ batchItemFailures: [{ itemIdentifier: 'b' }] }), ['b']);
  assert.deepEqual(f({ batchItemFailures: [{ itemIdentifier: 'zzz' }] }), ['a', 'b'], 'an unknown id fails the whole batch');
  assert.deepEqual(f({ batchItemFailures: [{ itemIdentifier: '' }] }), ['a', 'b']);
  assert.deepEqual(f({ batchItemFailures: [{ id: 'a' }] }), ['a', 'b'], 'a wrong key name fails the whole batch');
  assert.deepEqual(f('not json'), ['a', 'b']);
  assert.deepEqual(f({ batchItemFailures: 'a' }), ['a', 'b']);
});

test('ESM poller: while its function does not exist the mapping receives nothing, and it resumes within 5 s of the function existing', async () => {
  const clock = new FakeClock();
  const { broker, msgs } = memoryBroker();
  let exists = false;
  const { p, batches, results } = poller(clock, broker, {}, () => ({}), () => exists);
  p.start();
  await broker.send(ARN, { body: 'kept' });
  for (let i = 0; i < 5; i++) {
    clock.advance(1000);
    await settle();
  }
  assert.deepEqual(batches, []);
  assert.equal(msgs[0]?.hidden, false, 'never received');
  assert.deepEqual(results, ['PROBLEM: Function not found.']);
  exists = true;
  clock.advance(5000);
  await settle();
  assert.deepEqual(batches, [['kept']]);
  await p.stop();
});
