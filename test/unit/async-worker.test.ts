// Unit: the async invoke worker on a fake clock: AWS's retry delays (and the SELFLESS_ASYNC_RETRY_DELAY_SECONDS
// base), throttle backoff until MaximumEventAgeInSeconds, reserved concurrency, destinations, DLQ, and restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { AwsError } from '../../src/lib/errors.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { AsyncWorker, type AsyncPolicy } from '../../src/services/lambda/async/worker.js';
import { ASYNC_MIGRATIONS } from '../../src/services/lambda/async/event-store.js';
import type { OutgoingMessage, QueueBroker } from '../../src/services/sqs/broker.js';

type Behaviour = (payload: any) => { error?: boolean; throttle?: boolean; result?: unknown };

function fakeQueues(sent: { arn: string; msg: OutgoingMessage }[], refuse?: (arn: string) => Error | undefined): QueueBroker {
  return {
    queue: () => undefined,
    queueByUrl: () => undefined,
    send: async (arn, msg) => {
      const refused = refuse?.(arn);
      if (refused) throw refused;
      sent.push({ arn, msg });
      return { messageId: 'm', md5OfBody: 'md5' };
    },
    receive: async () => [],
    deleteMessages: async () => undefined,
    changeVisibility: async () => undefined,
    onAvailable: () => () => undefined,
  };
}

async function setup(o: { behaviour: Behaviour; policy?: Partial<AsyncPolicy>; reserved?: number; dir?: string; retryDelaySeconds?: number; clock?: FakeClock; refuse?: (arn: string) => Error | undefined }) {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'async-'));
  const clock = o.clock ?? new FakeClock();
  const store = new SqliteStore(dir);
  const invocations: { at: number; payload: any; requestId: string }[] = [];
  const sent: { arn: string; msg: OutgoingMessage }[] = [];
  const invoker = {
    resolve: (_r: string, name: string) => ({ fn: { name, reserved: o.reserved }, version: '$LATEST', config: {}, region: 'us-east-1', qualifier: undefined, invokedArn: '' }),
    invoke: async (i: { payload: Buffer; requestId: string }) => {
      const payload = JSON.parse(i.payload.toString());
      invocations.push({ at: clock.now(), payload, requestId: i.requestId });
      const b = o.behaviour(payload);
      if (b.throttle) throw new AwsError('TooManyRequestsException', 'Rate Exceeded.');
      return {
        payload: Buffer.from(JSON.stringify(b.error ? { errorType: 'Error', errorMessage: 'boom' } : (b.result ?? null))),
        functionError: b.error ? ('Unhandled' as const) : undefined,
        executedVersion: '$LATEST',
        streamed: false,
        coldStart: false,
      };
    },
  };
  const worker = new AsyncWorker({
    clock,
    store,
    invoker: invoker as never,
    accountId: '123456789012',
    queues: fakeQueues(sent, o.refuse),
    policy: () => ({ maxRetries: 2, maxAgeSeconds: 21600, ...o.policy }),
    retryDelaySeconds: o.retryDelaySeconds ?? 60,
    perFunctionConcurrency: 4,
    log: () => undefined,
  });
  await worker.init();
  return { dir, clock, store, worker, invocations, sent };
}

/** Lets promise chains and group commits (setImmediate) run. */
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

test('Async worker: a function error is retried after 1 then 2 minutes, then the OnFailure record and DLQ message are sent', async () => {
  const t = await setup({ behaviour: () => ({ error: true }), policy: { onFailure: 'arn:aws:sqs:us-east-1:123456789012:fail', deadLetter: 'arn:aws:sqs:us-east-1:123456789012:dlq' } });
  t.worker.start();
  const t0 = t.clock.now();
  await t.worker.enqueue('us-east-1', 'f', undefined, Buffer.from('{"n":1}'), 'req-1');
  await settle();
  assert.equal(t.invocations.length, 1);
  t.clock.advance(59_999);
  await settle();
  assert.equal(t.invocations.length, 1, 'no retry before one minute');
  t.clock.advance(1);
  await settle();
  assert.equal(t.invocations.length, 2);
  t.clock.advance(119_999);
  await settle();
  assert.equal(t.invocations.length, 2, 'the second retry waits two minutes');
  t.clock.advance(1);
  await settle();
  assert.deepEqual(t.invocations.map((i) => i.at - t0), [0, 60_000, 180_000]);
  assert.ok(t.invocations.every((i) => i.requestId === 'req-1'), 'retries keep the request id');
  const dlq = t.sent.find((s) => s.arn.endsWith(':dlq'))!;
  assert.equal(dlq.msg.body, '{"n":1}');
  assert.deepEqual(dlq.msg.messageAttributes, {
    RequestID: { DataType: 'String', StringValue: 'req-1' },
    ErrorCode: { DataType: 'Number', StringValue: '200' },
    ErrorMessage: { DataType: 'String', StringValue: 'boom' },
  });
  const rec = JSON.parse(t.sent.find((s) => s.arn.endsWith(':fail'))!.msg.body);
  assert.deepEqual(rec.requestContext, { requestId: 'req-1', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST', condition: 'RetriesExhausted', approximateInvokeCount: 3 });
  assert.equal(t.worker.pending(), 0);
  await t.worker.stop();
  await t.store.close();
  rmSync(t.dir, { recursive: true, force: true });
});

test('Async worker: SELFLESS_ASYNC_RETRY_DELAY_SECONDS=N makes the retries N then 2N seconds; MaximumRetryAttempts=0 means one attempt', async () => {
  const t = await setup({ behaviour: () => ({ error: true }), retryDelaySeconds: 2 });
  t.worker.start();
  const t0 = t.clock.now();
  await t.worker.enqueue('us-east-1', 'f', undefined, Buffer.from('{}'));
  await settle();
  for (let i = 0; i < 10; i++) {
    t.clock.advance(1000);
    await settle();
  }
  assert.deepEqual(t.invocations.map((i) => i.at - t0), [0, 2000, 6000]);
  const u = await setup({ behaviour: () => ({ error: true }), policy: { maxRetries: 0 } });
  u.worker.start();
  await u.worker.enqueue('us-east-1', 'f', undefined, Buffer.from('{}'));
  await settle();
  u.clock.advance(600_000);
  await settle();
  assert.equal(u.invocations.length, 1);
  for (const x of [t, u]) {
    await x.worker.stop();
    await x.store.close();
    rmSync(x.dir, { recursive: true, force: true });
  }
});

test('Async worker: throttles back off from 1 s (not counted as retries) until MaximumEventAgeInSeconds, then EventAgeExceeded', async () => {
  const t = await setup({ behaviour: () => ({ throttle: true }), policy: { maxAgeSeconds: 60, onFailure: 'arn:aws:sqs:us-east-1:123456789012:fail' } });
  t.worker.start();
  const t0 = t.clock.now();
  await t.worker.enqueue('us-east-1', 'f', undefined, Buffer.from('{}'), 'req-t');
  await settle();
  for (let i = 0; i < 120; i++) {
    t.clock.advance(1000);
    await settle();
  }
  // 0, +1, +2, +4, +8, +16 s (31 s); the next backoff (32 s) would pass the 60 s age.
  assert.deepEqual(t.invocations.map((i) => (i.at - t0) / 1000), [0, 1, 3, 7, 15, 31]);
  const rec = JSON.parse(t.sent[0]!.msg.body);
  assert.equal(rec.requestContext.condition, 'EventAgeExceeded');
  assert.equal(rec.requestContext.approximateInvokeCount, 0, 'throttled attempts never reached the function');
  await t.worker.stop();
  await t.store.close();
  rmSync(t.dir, { recursive: true, force: true });
});

test('Async worker: success goes to OnSuccess; reserved concurrency 0 sends events straight to the failure path', async () => {
  const t = await setup({ behaviour: (p) => ({ result: { doubled: p.n * 2 } }), policy: { onSuccess: 'arn:aws:sqs:us-east-1:123456789012:ok' } });
  t.worker.start();
  await t.worker.enqueue('us-east-1', 'f', undefined, Buffer.from('{"n":21}'));
  await settle();
  const rec = JSON.parse(t.sent[0]!.msg.body);
  assert.equal(rec.requestContext.condition, 'Success');
  assert.deepEqual(rec.responsePayload, { doubled: 42 });
  assert.deepEqual(rec.responseContext, { statusCode: 200, executedVersion: '$LATEST' });
  const z = await setup({ behaviour: () => ({}), reserved: 0, policy: { deadLetter: 'arn:aws:sqs:us-east-1:123456789012:dlq' } });
  z.worker.start();
  await z.worker.enqueue('us-east-1', 'f', undefined, Buffer.from('{}'));
  await settle();
  assert.equal(z.invocations.length, 0);
  assert.equal(z.sent[0]!.msg.messageAttributes?.['ErrorCode']?.StringValue, '429');
  for (const x of [t, z]) {
    await x.worker.stop();
    await x.store.close();
    rmSync(x.dir, { recursive: true, force: true });
  }
});

test('Async worker: accepted events survive a restart and run after it; finished ones do not run again', async () => {
  const clock = new FakeClock();
  const a = await setup({ behaviour: () => ({}), clock });
  // Not started: events are accepted (committed) but not yet run, like a crash right after the 202.
  for (let n = 0; n < 5; n++) await a.worker.enqueue('us-east-1', 'f', undefined, Buffer.from(JSON.stringify({ n })));
  await a.worker.stop();
  await a.store.close();
  const b = await setup({ behaviour: () => ({}), dir: a.dir, clock });
  b.worker.start();
  await b.worker.started;
  await settle();
  assert.deepEqual(b.invocations.map((i) => i.payload.n).sort(), [0, 1, 2, 3, 4]);
  await b.worker.stop();
  await b.store.close();
  const c = await setup({ behaviour: () => ({}), dir: a.dir, clock });
  c.worker.start();
  await c.worker.started;
  await settle();
  assert.equal(c.invocations.length, 0);
  await c.worker.stop();
  await c.store.close();
  rmSync(a.dir, { recursive: true, force: true });
});

test('Async worker: events accepted by a selfless with the old request-id-keyed table run after the upgrade, in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'async-'));
  const clock = new FakeClock();
  const old = new SqliteStore(dir);
  await old.migrate('async', ASYNC_MIGRATIONS.filter((m) => m.version === 1));
  for (const [seq, id] of [[2, 'b-second'], [1, 'z-first']] as const) {
    await old.run('INSERT INTO async_events (id, region, function_name, qualifier, payload, enqueued_at, next_at, seq) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)', [id, 'us-east-1', 'f', Buffer.from(JSON.stringify({ seq })), clock.now(), clock.now(), seq]);
  }
  await old.close();
  const c = await setup({ behaviour: () => ({}), dir, clock });
  c.worker.start();
  await c.worker.started;
  await settle();
  assert.deepEqual(c.invocations.map((i) => [i.requestId, i.payload.seq]), [['z-first', 1], ['b-second', 2]]);
  await c.worker.stop();
  await c.store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('Async worker: an event waiting for its retry when the node stopped runs at its retry time after the restart', async () => {
  const clock = new FakeClock();
  const a = await setup({ behaviour: () => ({ error: true }), clock });
  a.worker.start();
  const t0 = clock.now();
  await a.worker.enqueue('us-east-1', 'f', undefined, Buffer.from('{"n":7}'), 'req-r');
  await settle();
  assert.equal(a.invocations.length, 1);
  await a.worker.stop();
  await a.store.close();
  const b = await setup({ behaviour: () => ({}), dir: a.dir, clock });
  b.worker.start();
  await b.worker.started;
  await settle();
  assert.equal(b.invocations.length, 0, 'not before its retry time');
  clock.advance(60_000);
  // The claim goes through the store's writer thread: wait for it (bounded) rather than for turns of the loop.
  for (let i = 0; i < 200 && b.invocations.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(b.invocations.map((i) => [i.at - t0, i.requestId]), [[60_000, 'req-r']]);
  await b.worker.stop();
  await b.store.close();
  rmSync(a.dir, { recursive: true, force: true });
});

/** What SQLite throws when the disk is full (the code isStorageFull recognises). */
const diskFull = (): Error => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

test('Async worker: an OnSuccess record refused by a full disk is retried until durable; the event is done only then, and the function runs once', async () => {
  let refusals = 3;
  const t = await setup({ behaviour: () => ({ result: { ok: 1 } }), policy: { onSuccess: 'arn:aws:sqs:us-east-1:123456789012:ok' }, refuse: () => (refusals-- > 0 ? diskFull() : undefined) });
  t.worker.start();
  await t.worker.enqueue('us-east-1', 'f', undefined, Buffer.from('{"n":1}'), 'req-1');
  await settle();
  assert.equal(t.invocations.length, 1);
  assert.equal(t.sent.length, 0);
  assert.equal(t.worker.pending(), 1, 'the event is not done while its destination record is not durable');
  // Retries after 1, 2 and 4 s.
  for (const step of [1000, 2000, 4000]) {
    t.clock.advance(step);
    await settle();
  }
  assert.equal(t.sent.length, 1, 'the record was delivered once the disk took it');
  assert.equal(JSON.parse(t.sent[0]!.msg.body).requestContext.condition, 'Success');
  await settle();
  assert.equal(t.worker.pending(), 0);
  assert.equal(t.invocations.length, 1, 'the function is not invoked again for a delivery retry');
  await t.worker.stop();
  await t.store.close();
  rmSync(t.dir, { recursive: true, force: true });
});

test('Async worker: a DLQ message refused by a full disk when the worker stops leaves the event to run again after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'async-'));
  const t = await setup({ dir, behaviour: () => ({ error: true }), policy: { maxRetries: 0, deadLetter: 'arn:aws:sqs:us-east-1:123456789012:dlq' }, refuse: () => diskFull() });
  t.worker.start();
  await t.worker.enqueue('us-east-1', 'f', undefined, Buffer.from('{"n":2}'), 'req-2');
  await settle();
  assert.equal(t.invocations.length, 1);
  assert.equal(t.worker.pending(), 1, 'not done: the dead-letter message is not durable');
  await t.worker.stop();
  await t.store.close();
  const u = await setup({ dir, behaviour: () => ({ error: true }), policy: { maxRetries: 0, deadLetter: 'arn:aws:sqs:us-east-1:123456789012:dlq' } });
  u.worker.start();
  await u.worker.started;
  await settle();
  assert.equal(u.invocations.length, 1, 'the event ran again after the restart');
  assert.equal(u.sent.filter((s) => s.arn.endsWith(':dlq')).length, 1, 'and its dead-letter message was sent');
  await settle();
  assert.equal(u.worker.pending(), 0);
  await u.worker.stop();
  await u.store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('Async worker: a destination that does not exist (a 4xx) drops the record at once, as AWS does, and the event is done', async () => {
  const t = await setup({
    behaviour: () => ({ result: null }),
    policy: { onSuccess: 'arn:aws:sqs:us-east-1:123456789012:gone' },
    refuse: () => new AwsError('QueueDoesNotExist', 'The specified queue does not exist.'),
  });
  t.worker.start();
  await t.worker.enqueue('us-east-1', 'f', undefined, Buffer.from('{}'));
  await settle();
  assert.equal(t.invocations.length, 1);
  assert.equal(t.worker.pending(), 0);
  await t.worker.stop();
  await t.store.close();
  rmSync(t.dir, { recursive: true, force: true });
});
