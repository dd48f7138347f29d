// Unit: stream event source mappings on a fake clock with an in-memory ShardStreamSource and a fake invoker: event
// shape, checkpoints, wake-ups, bisect to the poison record, retries then OnFailure, partial batch responses,
// parallel lanes in key order, parents before children, filters, tumbling windows and checkpoint fencing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePattern } from '../../src/lib/event-pattern.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { AwsError } from '../../src/lib/errors.js';
import type { ShardPosition, ShardStreamSource, StreamRecordRead } from '../../src/lib/shard-stream.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { LocalNotifier } from '../../src/store/notifier.js';
import { ESM_MIGRATIONS } from '../../src/services/lambda/esm/esm.js';
import { Checkpoints, StreamPoller } from '../../src/services/lambda/esm/stream-poller.js';
import { Leases } from '../../src/store/leases.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { freshPgDatabase, pgUnavailable } from '../helpers/pg.js';
import type { Membership } from '../../src/store/nodes.js';
import type { StreamMappingConfig } from '../../src/services/lambda/esm/stream-shard.js';

const STREAM = 'arn:aws:kinesis:us-east-1:123456789012:stream/s';
const ROLE = 'arn:aws:iam::123456789012:role/r';
const DLQ = 'arn:aws:sqs:us-east-1:123456789012:failures';

interface MemShard {
  shardId: string;
  parentShardId?: string;
  closed: boolean;
  records: StreamRecordRead[];
}

/** A Kinesis-like stream in memory; `put` appends a record with JSON data and wakes readers. */
function memorySource(clock: FakeClock, notifier: LocalNotifier) {
  const shards: MemShard[] = [];
  let seq = 49590000000000000000n;
  const addShard = (shardId: string, parentShardId?: string): MemShard => {
    const s: MemShard = { shardId, ...(parentShardId ? { parentShardId } : {}), closed: false, records: [] };
    shards.push(s);
    return s;
  };
  const put = (shardId: string, partitionKey: string, data: unknown, arrivalMs = clock.now()): StreamRecordRead => {
    const s = shards.find((x) => x.shardId === shardId)!;
    const sequenceNumber = String((seq += 1000n));
    const b64 = Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64');
    const r: StreamRecordRead = {
      sequenceNumber,
      approximateArrivalMs: arrivalMs,
      partitionKey,
      sizeBytes: b64.length,
      record: { kinesisSchemaVersion: '1.0', partitionKey, sequenceNumber, data: b64, approximateArrivalTimestamp: arrivalMs / 1000 },
    };
    s.records.push(r);
    notifier.notify(`kinesis:${STREAM}`);
    return r;
  };
  const indexOf = (s: MemShard, from: ShardPosition): number => {
    switch (from.type) {
      case 'TRIM_HORIZON':
        return 0;
      case 'LATEST':
        return s.records.length;
      case 'AT_TIMESTAMP': {
        const i = s.records.findIndex((r) => r.approximateArrivalMs >= from.timestampMs);
        return i < 0 ? s.records.length : i;
      }
      case 'AT_SEQUENCE_NUMBER':
      case 'AFTER_SEQUENCE_NUMBER': {
        const n = BigInt(from.sequenceNumber);
        const i = s.records.findIndex((r) => (from.type === 'AT_SEQUENCE_NUMBER' ? BigInt(r.sequenceNumber) >= n : BigInt(r.sequenceNumber) > n));
        return i < 0 ? s.records.length : i;
      }
    }
  };
  const reads: { shardId: string; from: ShardPosition }[] = [];
  const source: ShardStreamSource = {
    eventSource: 'aws:kinesis',
    owns: (arn) => arn.startsWith('arn:aws:kinesis:'),
    resolve: async (arn) => arn,
    shards: async () => shards.map((s) => ({ shardId: s.shardId, ...(s.parentShardId ? { parentShardId: s.parentShardId } : {}), ...(s.closed ? { endingSequenceNumber: s.records.at(-1)?.sequenceNumber ?? '0' } : {}) })),
    read: async (_arn, shardId, from, limit) => {
      reads.push({ shardId, from });
      const s = shards.find((x) => x.shardId === shardId);
      if (!s) throw new AwsError('ResourceNotFoundException', `Shard ${shardId} not found`);
      const i = indexOf(s, from);
      const records = s.records.slice(i, i + limit);
      const last = records.at(-1);
      return {
        records,
        next: last ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last.sequenceNumber } : from,
        millisBehindLatest: 0,
        shardEnded: s.closed && i + records.length >= s.records.length,
      };
    },
    wakeChannel: (arn) => `kinesis:${arn}`,
  };
  return { source, shards, addShard, put, reads };
}

interface Invocation {
  event: any;
  /** Data of each record, decoded from base64 JSON. */
  data: any[];
}

type Respond = (inv: Invocation) => unknown | Promise<unknown>;

/** A fake invoker: records each event; `respond` returns the response, or `{ error: true }` for a function error. */
function fakeInvoker(respond: Respond) {
  const calls: Invocation[] = [];
  const invoker = {
    resolve: () => ({ fn: { name: 'f' }, version: '$LATEST', config: { Role: ROLE }, region: 'us-east-1', qualifier: undefined, invokedArn: '' }),
    invoke: async (i: { payload: Buffer }) => {
      const event = JSON.parse(i.payload.toString());
      const inv = { event, data: event.Records.map((r: any) => JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString())) };
      calls.push(inv);
      const out = (await respond(inv)) as any;
      const failed = out !== null && typeof out === 'object' && out.error === true;
      return {
        payload: Buffer.from(JSON.stringify(failed ? { errorType: 'Error', errorMessage: 'boom' } : (out ?? null))),
        ...(failed ? { functionError: 'Unhandled' as const } : {}),
        executedVersion: '$LATEST',
        streamed: false,
        coldStart: false,
      };
    },
  };
  return { invoker, calls };
}

function config(over: Partial<StreamMappingConfig> = {}): StreamMappingConfig {
  return {
    uuid: 'm1',
    region: 'us-east-1',
    functionName: 'f',
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
    batchSize: 100,
    batchingWindowSeconds: 0,
    reportBatchItemFailures: false,
    filters: [],
    source: 'aws:kinesis',
    streamArn: STREAM,
    startingPosition: { type: 'TRIM_HORIZON' },
    parallelization: 1,
    maxRetries: -1,
    maxRecordAgeSeconds: -1,
    bisect: false,
    tumblingWindowSeconds: 0,
    ...over,
  };
}

/** A store, clock, source and a poller factory; `close` stops everything and removes the store. */
async function harness(respond: Respond, refuse?: () => Error | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'esm-stream-'));
  const store = new SqliteStore(dir);
  await store.migrate('lambda_esm', ESM_MIGRATIONS);
  const clock = new FakeClock();
  const notifier = new LocalNotifier();
  const mem = memorySource(clock, notifier);
  const { invoker, calls } = fakeInvoker(respond);
  const checkpoints = new Checkpoints(store);
  const delivered: { destination: string; body: any }[] = [];
  const pollers: StreamPoller[] = [];
  const poller = (over: Partial<StreamMappingConfig> = {}, cluster?: { leases: Leases; membership: Membership }) => {
    const p = new StreamPoller(
      {
        clock,
        invoker: invoker as never,
        source: mem.source,
        checkpoints,
        deliver: async (destination, body) => {
          const refused = refuse?.();
          if (refused) throw refused;
          delivered.push({ destination, body: JSON.parse(body) });
        },
        log: () => undefined,
        notifier,
        ...(cluster ? { cluster } : {}),
      },
      config(over),
    );
    pollers.push(p);
    p.start();
    return p;
  };
  /** Lets promise chains run; with `stepMs`, also moves the clock that much per round (timers fire). */
  const settle = async (rounds = 30, stepMs = 0): Promise<void> => {
    for (let i = 0; i < rounds; i++) {
      for (let j = 0; j < 10; j++) await new Promise((r) => setImmediate(r));
      if (stepMs > 0) clock.advance(stepMs);
    }
  };
  const close = async (): Promise<void> => {
    for (const p of pollers) await p.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { store, clock, mem, calls, checkpoints, delivered, poller, settle, close, pollers };
}

const recordIds = (inv: Invocation): number[] => inv.data.map((d: any) => d.n);

test('Stream mapping: records arrive as AWS Kinesis event records and the checkpoint follows each batch', async () => {
  const h = await harness(() => ({}));
  h.mem.addShard('shardId-000000000000');
  const r1 = h.mem.put('shardId-000000000000', 'k', { n: 1 });
  h.mem.put('shardId-000000000000', 'k', { n: 2 });
  const p = h.poller();
  await h.settle();
  assert.equal(h.calls.length, 1);
  const rec = h.calls[0]!.event.Records[0];
  assert.deepEqual(rec, {
    kinesis: r1.record,
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${r1.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: ROLE,
    awsRegion: 'us-east-1',
    eventSourceARN: STREAM,
  });
  assert.deepEqual(recordIds(h.calls[0]!), [1, 2]);
  await p.stop();
  // A new poller (a restart, another node) resumes after the checkpoint: nothing is delivered twice.
  h.mem.put('shardId-000000000000', 'k', { n: 3 });
  h.poller();
  await h.settle();
  assert.deepEqual(h.calls.map(recordIds), [[1, 2], [3]]);
  await h.close();
});

test('Stream mapping: a new record wakes the shard through the notifier without waiting for the idle poll', async () => {
  const h = await harness(() => ({}));
  h.mem.addShard('shardId-000000000000');
  h.poller();
  await h.settle();
  h.mem.put('shardId-000000000000', 'k', { n: 1 });
  await h.settle();
  assert.deepEqual(h.calls.map(recordIds), [[1]], 'delivered with the clock standing still');
  await h.close();
});

test('Stream mapping: BisectBatchOnFunctionError halves a failing batch down to the poison record, which goes to OnFailure', async () => {
  const h = await harness((inv) => (inv.data.some((d: any) => d.poison) ? { error: true } : {}));
  h.mem.addShard('shardId-000000000000');
  const recs = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => h.mem.put('shardId-000000000000', `k${n}`, { n, ...(n === 4 ? { poison: true } : {}) }));
  h.poller({ bisect: true, maxRetries: 0, onFailure: DLQ });
  await h.settle(40, 1000);
  assert.deepEqual(h.calls.map(recordIds), [[1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4], [1, 2], [3, 4], [3], [4], [5, 6, 7, 8]]);
  assert.equal(h.delivered.length, 1);
  const f = h.delivered[0]!;
  assert.equal(f.destination, DLQ);
  assert.equal(f.body.requestContext.condition, 'RetryAttemptsExhausted');
  assert.equal(f.body.requestContext.functionArn, 'arn:aws:lambda:us-east-1:123456789012:function:f');
  assert.deepEqual(f.body.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
  assert.equal(f.body.version, '1.0');
  assert.deepEqual(f.body.KinesisBatchInfo, {
    shardId: 'shardId-000000000000',
    startSequenceNumber: recs[3]!.sequenceNumber,
    endSequenceNumber: recs[3]!.sequenceNumber,
    approximateArrivalOfFirstRecord: new Date(recs[3]!.approximateArrivalMs).toISOString(),
    approximateArrivalOfLastRecord: new Date(recs[3]!.approximateArrivalMs).toISOString(),
    batchSize: 1,
    streamArn: STREAM,
  });
  const cp = await h.checkpoints.get('m1', 'shardId-000000000000');
  assert.deepEqual(cp?.position, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: recs[7]!.sequenceNumber });
  await h.close();
});

test('Stream mapping: a failing batch blocks its shard for MaximumRetryAttempts retries with backoff, then goes to OnFailure and the shard moves on', async () => {
  const h = await harness((inv) => (inv.data.some((d: any) => d.bad) ? { error: true } : {}));
  h.mem.addShard('shardId-000000000000');
  h.mem.put('shardId-000000000000', 'k', { n: 1, bad: true });
  h.mem.put('shardId-000000000000', 'k', { n: 2, bad: true });
  const start = h.clock.now();
  h.poller({ maxRetries: 2, onFailure: DLQ });
  await h.settle();
  assert.equal(h.calls.length, 1, 'no retry before the backoff');
  h.mem.put('shardId-000000000000', 'k', { n: 3 });
  await h.settle(20, 1000);
  assert.deepEqual(h.calls.map(recordIds), [[1, 2], [1, 2], [1, 2], [3]], 'the first try and 2 retries, in order, before the next record');
  assert.ok(h.clock.now() - start >= 3000, 'retries waited 1 s then 2 s');
  assert.equal(h.delivered.length, 1);
  assert.equal(h.delivered[0]!.body.requestContext.approximateInvokeCount, 3);
  assert.equal(h.delivered[0]!.body.KinesisBatchInfo.batchSize, 2);
  await h.close();
});

test('Stream mapping: MaximumRecordAgeInSeconds discards records that aged out while retrying', async () => {
  const h = await harness(() => ({ error: true }));
  h.mem.addShard('shardId-000000000000');
  h.mem.put('shardId-000000000000', 'k', { n: 1 });
  h.poller({ maxRecordAgeSeconds: 60, onFailure: DLQ });
  await h.settle(120, 1000);
  assert.equal(h.delivered.length, 1);
  assert.equal(h.delivered[0]!.body.requestContext.condition, 'RecordAgeExceeded');
  const n = h.calls.length;
  await h.settle(10, 1000);
  assert.equal(h.calls.length, n, 'the discarded record is not retried any more');
  await h.close();
});

test('Stream mapping: ReportBatchItemFailures checkpoints before the first failed item and retries from it', async () => {
  let checkpointAtRetry: unknown;
  let h: Awaited<ReturnType<typeof harness>>;
  h = await harness(async (inv) => {
    if (h.calls.length === 1) {
      const failed = inv.event.Records.filter((r: any) => [3, 5].includes(JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString()).n));
      return { batchItemFailures: failed.map((r: any) => ({ itemIdentifier: r.kinesis.sequenceNumber })) };
    }
    if (h.calls.length === 2) checkpointAtRetry = (await h.checkpoints.get('m1', 'shardId-000000000000'))?.position;
    return { batchItemFailures: [] };
  });
  h.mem.addShard('shardId-000000000000');
  const recs = [1, 2, 3, 4, 5].map((n) => h.mem.put('shardId-000000000000', 'k', { n }));
  h.poller({ reportBatchItemFailures: true });
  await h.settle(20, 1000);
  assert.deepEqual(h.calls.map(recordIds), [[1, 2, 3, 4, 5], [3, 4, 5]]);
  assert.deepEqual(checkpointAtRetry, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: recs[1]!.sequenceNumber });
  await h.close();
});

test('Stream mapping: ParallelizationFactor runs batches of one shard concurrently, keeping each partition key in order', async () => {
  let inflight = 0;
  let most = 0;
  const h = await harness(async () => {
    most = Math.max(most, ++inflight);
    await new Promise((r) => setImmediate(r));
    inflight--;
    return {};
  });
  h.mem.addShard('shardId-000000000000');
  for (let i = 0; i < 40; i++) h.mem.put('shardId-000000000000', `key-${i % 8}`, { n: i, key: i % 8 });
  h.poller({ parallelization: 4, batchSize: 3 });
  await h.settle(20, 1000);
  const seen = h.calls.flatMap((c) => c.data);
  assert.equal(seen.length, 40, 'every record once');
  for (let k = 0; k < 8; k++) {
    const ns = seen.filter((d: any) => d.key === k).map((d: any) => d.n);
    assert.deepEqual(ns, [...ns].sort((a, b) => a - b), `key ${k} in order`);
  }
  assert.ok(most > 1, 'more than one batch of the shard in flight');
  await h.close();
});

test('Stream mapping: a child shard is read only after its parent is finished', async () => {
  const order: string[] = [];
  const h = await harness((inv) => {
    order.push(...inv.event.Records.map((r: any) => r.eventID.split(':')[0]));
    return {};
  });
  const parent = h.mem.addShard('shardId-000000000000');
  h.mem.addShard('shardId-000000000001', 'shardId-000000000000');
  h.mem.put('shardId-000000000001', 'k', { n: 10 });
  h.mem.put('shardId-000000000000', 'k', { n: 1 });
  const p = h.poller({ batchSize: 1 });
  await h.settle(10, 1000);
  assert.deepEqual(order, ['shardId-000000000000'], 'the open parent only');
  assert.deepEqual(p.activeShards(), ['shardId-000000000000']);
  parent.closed = true;
  h.mem.put('shardId-000000000000', 'k', { n: 2 });
  await h.settle(10, 1000);
  assert.deepEqual(order, ['shardId-000000000000', 'shardId-000000000000', 'shardId-000000000001']);
  assert.equal((await h.checkpoints.get('m1', 'shardId-000000000000'))?.ended, true);
  await h.close();
});

test('Stream mapping: FilterCriteria on the decoded data drops what does not match, and the checkpoint passes it', async () => {
  const h = await harness(() => ({}));
  h.mem.addShard('shardId-000000000000');
  h.mem.put('shardId-000000000000', 'k', { n: 1, keep: true });
  h.mem.put('shardId-000000000000', 'k', { n: 2, keep: false });
  h.mem.put('shardId-000000000000', 'k', 'not json');
  const last = h.mem.put('shardId-000000000000', 'k', { n: 4, keep: true });
  h.poller({ filters: [parsePattern('{"data":{"keep":[true]}}')] });
  await h.settle();
  assert.deepEqual(h.calls.map(recordIds), [[1, 4]]);
  assert.deepEqual((await h.checkpoints.get('m1', 'shardId-000000000000'))?.position, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last.sequenceNumber });
  await h.close();
});

test('Stream mapping: a tumbling window passes the returned state to the next batch and ends with a final invocation', async () => {
  const h = await harness((inv) => {
    if (inv.event.isFinalInvokeForWindow) return {};
    return { state: { count: (inv.event.state.count ?? 0) + inv.event.Records.length } };
  });
  h.mem.addShard('shardId-000000000000');
  const t0 = Math.floor(h.clock.now() / 60_000) * 60_000;
  h.mem.put('shardId-000000000000', 'k', { n: 1 }, t0 + 1000);
  h.mem.put('shardId-000000000000', 'k', { n: 2 }, t0 + 2000);
  h.poller({ tumblingWindowSeconds: 60, batchSize: 1 });
  await h.settle();
  h.mem.put('shardId-000000000000', 'k', { n: 3 }, t0 + 61_000);
  await h.settle();
  const ev = h.calls.map((c) => c.event);
  assert.deepEqual(ev.map((e) => [recordIds({ event: e, data: e.Records.map((r: any) => JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString())) }), e.state, e.isFinalInvokeForWindow]), [
    [[1], {}, false],
    [[2], { count: 1 }, false],
    [[], { count: 2 }, true],
    [[3], {}, false],
  ]);
  assert.deepEqual(ev[0].window, { start: new Date(t0).toISOString().replace('.000Z', 'Z'), end: new Date(t0 + 60_000).toISOString().replace('.000Z', 'Z') });
  assert.equal(ev[0].shardId, 'shardId-000000000000');
  assert.equal(ev[0].eventSourceARN, STREAM);
  assert.equal(ev[0].isWindowTerminatedEarly, false);
  await h.close();
});

test('Stream mapping: with a tumbling window a response without state fails the batch', async () => {
  const h = await harness(() => ({ nothing: 1 }));
  h.mem.addShard('shardId-000000000000');
  h.mem.put('shardId-000000000000', 'k', { n: 1 });
  h.poller({ tumblingWindowSeconds: 60, maxRetries: 1, onFailure: DLQ });
  await h.settle(10, 1000);
  assert.equal(h.calls.length, 2, 'tried and retried once');
  assert.equal(h.delivered[0]?.body.requestContext.condition, 'RetryAttemptsExhausted');
  await h.close();
});

test('Stream checkpoints: a reader that lost its shard to a newer claim cannot move the checkpoint (fencing)', async () => {
  const h = await harness(() => ({}));
  const pos = (s: string) => ({ position: { type: 'AFTER_SEQUENCE_NUMBER' as const, sequenceNumber: s }, ended: false });
  const first = await h.checkpoints.claim('m1', 's', { type: 'TRIM_HORIZON' });
  assert.deepEqual(first.checkpoint, { position: { type: 'TRIM_HORIZON' }, ended: false });
  assert.equal(await h.checkpoints.save('m1', 's', pos('1'), first.epoch), true);
  const second = await h.checkpoints.claim('m1', 's', { type: 'TRIM_HORIZON' });
  assert.deepEqual(second.checkpoint.position, pos('1').position, 'the new reader resumes where the old one was');
  assert.equal(await h.checkpoints.save('m1', 's', pos('2'), first.epoch), false, 'the old reader is fenced out');
  assert.equal(await h.checkpoints.save('m1', 's', pos('3'), second.epoch), true);
  assert.deepEqual((await h.checkpoints.get('m1', 's'))?.position, pos('3').position);
  await h.close();
});

test('Stream mapping in a cluster: each shard is read by one node at a time, and a stopped node\'s shard moves to the other', async () => {
  const h = await harness(() => ({}));
  let live = ['a', 'b'];
  const membership = { live: async () => live.map((nodeId) => ({ nodeId })) } as unknown as Membership;
  const la = new Leases(h.store, h.clock, 'a');
  await la.init();
  const lb = new Leases(h.store, h.clock, 'b');
  h.mem.addShard('shardId-000000000000');
  h.mem.addShard('shardId-000000000001');
  for (let i = 0; i < 4; i++) h.mem.put(`shardId-00000000000${i % 2}`, 'k', { n: i });
  const a = h.poller({}, { leases: la, membership });
  const b = h.poller({}, { leases: lb, membership });
  await h.settle(10, 1000);
  assert.equal(a.activeShards().length, 1, 'a fair share each');
  assert.equal(b.activeShards().length, 1);
  assert.notDeepEqual(a.activeShards(), b.activeShards());
  const seen = h.calls.flatMap((c) => c.data.map((d: any) => d.n)).sort();
  assert.deepEqual(seen, [0, 1, 2, 3], 'every record once');
  const moved = b.activeShards()[0]!;
  // A clean stop gives the leases back and leaves the membership.
  await b.stop();
  live = ['a'];
  h.mem.put(moved, 'k', { n: 9 });
  await h.settle(10, 1000);
  assert.deepEqual(a.activeShards(), ['shardId-000000000000', 'shardId-000000000001'].sort());
  assert.deepEqual(h.calls.flatMap((c) => c.data.map((d: any) => d.n)).sort(), [0, 1, 2, 3, 9], 'resumed from the checkpoint, nothing twice');
  await h.close();
});

test('Stream checkpoints on PostgreSQL: claims bump the epoch and fence the old reader, as on SQLite', { skip: await pgUnavailable() }, async () => {
  const db = await freshPgDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'esm-stream-pg-'));
  const store = await PostgresStore.open(db.url, dir);
  try {
    await store.migrate('lambda_esm', ESM_MIGRATIONS);
    const cps = new Checkpoints(store);
    const pos = { type: 'AFTER_SEQUENCE_NUMBER' as const, sequenceNumber: '49590000000000000000000000001' };
    const a = await cps.claim('m', 's', { type: 'TRIM_HORIZON' });
    assert.equal(await cps.save('m', 's', { position: pos, ended: true, window: { startMs: 1, endMs: 2, state: { x: 1 } } }, a.epoch), true);
    const b = await cps.claim('m', 's', { type: 'TRIM_HORIZON' });
    assert.ok(b.epoch > a.epoch);
    assert.deepEqual(b.checkpoint, { position: pos, ended: true, window: { startMs: 1, endMs: 2, state: { x: 1 } } });
    assert.equal(await cps.save('m', 's', { position: { type: 'TRIM_HORIZON' }, ended: false }, a.epoch), false);
    assert.equal((await cps.all('m')).get('s')?.ended, true);
    await cps.forget('m');
    assert.equal(await cps.get('m', 's'), undefined);
  } finally {
    await store.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Stream mapping: the batching window waits for a fuller batch, and a full batch goes at once', async () => {
  const h = await harness(() => ({}));
  h.mem.addShard('shardId-000000000000');
  h.poller({ batchSize: 3, batchingWindowSeconds: 5 });
  await h.settle();
  h.mem.put('shardId-000000000000', 'k', { n: 1 });
  await h.settle();
  h.clock.advance(4000);
  await h.settle();
  assert.equal(h.calls.length, 0, 'inside the window with 1 of 3');
  h.clock.advance(1000);
  await h.settle();
  assert.deepEqual(h.calls.map(recordIds), [[1]], 'the window ended with a partial batch');
  for (const n of [2, 3, 4]) h.mem.put('shardId-000000000000', 'k', { n });
  await h.settle();
  assert.deepEqual(h.calls.map(recordIds), [[1], [2, 3, 4]], 'a full batch does not wait');
  await h.close();
});

test('Stream mapping: an OnFailure record refused by a full disk is retried; the checkpoint passes the discarded records only once it is delivered', async () => {
  let refusals = 3;
  const h = await harness(
    (inv) => (inv.data.some((d: any) => d.bad) ? { error: true } : {}),
    () => (refusals-- > 0 ? Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }) : undefined),
  );
  h.mem.addShard('shardId-000000000000');
  const bad = h.mem.put('shardId-000000000000', 'k', { n: 1, bad: true });
  h.poller({ maxRetries: 0, onFailure: DLQ });
  await h.settle();
  assert.equal(h.delivered.length, 0);
  const before = await h.checkpoints.get('m1', 'shardId-000000000000');
  assert.notDeepEqual(before?.position, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: bad.sequenceNumber }, 'no checkpoint past the record while its failure record is not durable');
  await h.settle(20, 1000);
  assert.equal(h.delivered.length, 1, 'delivered once the disk took it');
  assert.equal(h.delivered[0]!.body.requestContext.condition, 'RetryAttemptsExhausted');
  const cp = await h.checkpoints.get('m1', 'shardId-000000000000');
  assert.deepEqual(cp?.position, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: bad.sequenceNumber });
  assert.equal(h.calls.length, 1, 'the function is not invoked again for a delivery retry');
  await h.close();
});

test('Stream mapping: stopped while an OnFailure record cannot be written, the shard keeps its checkpoint and a restart reads the records again', async () => {
  const full = (): Error => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
  let refusing = true;
  const h = await harness((inv) => (inv.data.some((d: any) => d.bad) ? { error: true } : {}), () => (refusing ? full() : undefined));
  h.mem.addShard('shardId-000000000000');
  const bad = h.mem.put('shardId-000000000000', 'k', { n: 1, bad: true });
  const p = h.poller({ maxRetries: 0, onFailure: DLQ });
  await h.settle(5, 1000);
  await p.stop();
  const cp = await h.checkpoints.get('m1', 'shardId-000000000000');
  assert.notDeepEqual(cp?.position, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: bad.sequenceNumber });
  refusing = false;
  h.poller({ maxRetries: 0, onFailure: DLQ });
  await h.settle(10, 1000);
  assert.equal(h.delivered.length, 1, 'the restarted poller read the record again and delivered its failure record');
  assert.equal(h.calls.length, 2, 'at least once: the record was invoked again after the restart');
  await h.close();
});
