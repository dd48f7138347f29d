// Unit: the event source mapping API for stream sources, on a fake clock with a one-shard in-memory stream: AWS's
// validation and messages, the GetEventSourceMapping shape and defaults, state transitions, LATEST, and delete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { AwsError } from '../../src/lib/errors.js';
import type { ShardStreamSource, StreamRecordRead } from '../../src/lib/shard-stream.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { LocalNotifier } from '../../src/store/notifier.js';
import { EventSourceMappings } from '../../src/services/lambda/esm/esm.js';
import { esmRoutes } from '../../src/services/lambda/esm/api-esm.js';

const STREAM = 'arn:aws:kinesis:us-east-1:123456789012:stream/s';
const SHARD = 'shardId-000000000000';

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'esm-stream-api-'));
  const store = new SqliteStore(dir);
  const clock = new FakeClock();
  const notifier = new LocalNotifier();
  const records: StreamRecordRead[] = [];
  let seq = 1000;
  const put = (data: unknown): void => {
    const sequenceNumber = String(++seq);
    const b64 = Buffer.from(JSON.stringify(data)).toString('base64');
    records.push({ sequenceNumber, approximateArrivalMs: clock.now(), partitionKey: 'k', sizeBytes: b64.length, record: { kinesisSchemaVersion: '1.0', partitionKey: 'k', sequenceNumber, data: b64, approximateArrivalTimestamp: clock.now() / 1000 } });
    notifier.notify(`kinesis:${STREAM}`);
  };
  const source: ShardStreamSource = {
    eventSource: 'aws:kinesis',
    owns: (arn) => arn.startsWith('arn:aws:kinesis:'),
    resolve: async (arn) => (arn === STREAM ? arn : undefined),
    shards: async () => [{ shardId: SHARD }],
    read: async (_a, _s, from, limit) => {
      const first = (f: (r: StreamRecordRead) => boolean): number => {
        const i = records.findIndex(f);
        return i < 0 ? records.length : i;
      };
      const start =
        from.type === 'TRIM_HORIZON' ? 0
        : from.type === 'AT_TIMESTAMP' ? first((r) => r.approximateArrivalMs >= from.timestampMs)
        : from.type === 'AFTER_SEQUENCE_NUMBER' ? first((r) => Number(r.sequenceNumber) > Number(from.sequenceNumber))
        : records.length;
      const out = records.slice(start, start + limit);
      return { records: out, next: out.length ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: out.at(-1)!.sequenceNumber } : from, millisBehindLatest: 0, shardEnded: false };
    },
    wakeChannel: (arn) => `kinesis:${arn}`,
  };
  const invoked: any[] = [];
  const invoker = {
    resolve: (_r: string, name: string) => {
      if (name !== 'f') throw new AwsError('ResourceNotFoundException', `Function not found: ${name}`);
      return { fn: { name: 'f' }, version: '$LATEST', config: { Role: 'arn:aws:iam::123456789012:role/r' }, region: 'us-east-1', qualifier: undefined, invokedArn: '' };
    },
    invoke: async (i: { payload: Buffer }) => {
      invoked.push(JSON.parse(i.payload.toString()));
      return { payload: Buffer.from('null'), executedVersion: '$LATEST', streamed: false, coldStart: false };
    },
  };
  const mappings = new EventSourceMappings({ store, clock, accountId: '123456789012', invoker: invoker as never, queues: {} as never, streams: [source], notifier, log: () => undefined });
  await mappings.load();
  mappings.start();
  const routes = esmRoutes({ mappings, invoker: invoker as never, queues: {} as never, clock, accountId: '123456789012' });
  const call = async (op: string, body?: unknown, params: Record<string, string> = {}): Promise<{ status?: number; body: any }> => {
    const r = routes.find((x) => x.op === op)!;
    const req = { requestId: 'r', region: 'us-east-1', accountId: '123456789012', method: r.method, path: r.path, params, query: new URLSearchParams(), headers: {}, body: Buffer.from(body === undefined ? '' : JSON.stringify(body)), baseUrl: '', signal: new AbortController().signal, header: () => undefined };
    const res = await r.handler(req as never);
    return { status: res.status, body: res.body };
  };
  const fails = async (body: unknown, code: string, message: string | RegExp): Promise<void> => {
    await assert.rejects(call('CreateEventSourceMapping', body), (e: unknown) => {
      assert.ok(e instanceof AwsError, String(e));
      assert.equal(e.code, code);
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    });
  };
  const settle = async (rounds = 20): Promise<void> => {
    for (let i = 0; i < rounds; i++) for (let j = 0; j < 10; j++) await new Promise((r) => setImmediate(r));
  };
  const close = async (): Promise<void> => {
    await mappings.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { store, clock, put, invoked, call, fails, settle, close };
}

test('Stream mapping API: bad parameters get AWS’s errors', async () => {
  const h = await setup();
  const base = { FunctionName: 'f', EventSourceArn: STREAM };
  await h.fails(base, 'InvalidParameterValueException', "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.");
  // In AWS's order (recorded: test_create_event_source_validation / invalid_starting_position).
  await h.fails({ ...base, StartingPosition: 'EARLIEST' }, 'ValidationException', /Value 'EARLIEST' at 'startingPosition' failed to satisfy constraint: Member must satisfy enum value set: \[LATEST, AT_TIMESTAMP, TRIM_HORIZON\]/);
  await h.fails({ ...base, StartingPosition: 'AT_TIMESTAMP' }, 'InvalidParameterValueException', 'Need to specify a timestamp');
  await h.fails({ ...base, StartingPosition: 'LATEST', BatchSize: 10001 }, 'ValidationException', /Value '10001' at 'batchSize' failed to satisfy constraint: Member must have value less than or equal to 10000/);
  await h.fails({ ...base, StartingPosition: 'LATEST', ParallelizationFactor: 11 }, 'ValidationException', /'parallelizationFactor'/);
  await h.fails({ ...base, StartingPosition: 'LATEST', MaximumRetryAttempts: -2 }, 'ValidationException', /'maximumRetryAttempts' failed to satisfy constraint: Member must have value greater than or equal to -1/);
  await h.fails({ ...base, StartingPosition: 'LATEST', TumblingWindowInSeconds: 901 }, 'ValidationException', /'tumblingWindowInSeconds'/);
  await h.fails({ ...base, StartingPosition: 'LATEST', MaximumBatchingWindowInSeconds: 301 }, 'ValidationException', /'maximumBatchingWindowInSeconds'/);
  await h.fails({ ...base, StartingPosition: 'LATEST', MaximumRecordAgeInSeconds: 30 }, 'InvalidParameterValueException', /MaximumRecordAgeInSeconds/);
  await h.fails({ ...base, StartingPosition: 'LATEST', FunctionResponseTypes: ['Nope'] }, 'ValidationException', /functionResponseTypes/);
  await h.fails({ ...base, StartingPosition: 'LATEST', DestinationConfig: { OnFailure: { Destination: 'arn:aws:lambda:us-east-1:123456789012:function:g' } } }, 'InvalidParameterValueException', /destination/);
  await h.fails({ ...base, StartingPosition: 'LATEST', FilterCriteria: { Filters: [{ Pattern: '{"data": 1}' }] } }, 'InvalidParameterValueException', /^Invalid filter pattern definition/);
  await h.fails({ ...base, EventSourceArn: `${STREAM}-missing`, StartingPosition: 'LATEST' }, 'InvalidParameterValueException', `Stream not found: ${STREAM}-missing`);
  await h.fails({ ...base, FunctionName: 'nope', StartingPosition: 'LATEST' }, 'ResourceNotFoundException', /nope/);
  await h.close();
});

test('Stream mapping API: a mapping goes Creating → Enabled with AWS’s defaults, reads from LATEST and reports its last result', async () => {
  const h = await setup();
  h.put({ n: 0 });
  h.clock.advance(1);
  const created = await h.call('CreateEventSourceMapping', { FunctionName: 'f', EventSourceArn: STREAM, StartingPosition: 'LATEST' });
  assert.equal(created.status, 202);
  const { UUID, LastModified, EventSourceMappingArn, ...rest } = created.body;
  assert.ok(typeof LastModified === 'number' && typeof UUID === 'string');
  assert.equal(EventSourceMappingArn, `arn:aws:lambda:us-east-1:123456789012:event-source-mapping:${UUID}`);
  assert.deepEqual(rest, {
    BatchSize: 100,
    MaximumBatchingWindowInSeconds: 0,
    EventSourceArn: STREAM,
    FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
    State: 'Creating',
    StateTransitionReason: 'User action',
    FunctionResponseTypes: [],
    StartingPosition: 'LATEST',
    ParallelizationFactor: 1,
    LastProcessingResult: 'No records processed',
    DestinationConfig: { OnFailure: {} },
    MaximumRecordAgeInSeconds: -1,
    BisectBatchOnFunctionError: false,
    MaximumRetryAttempts: -1,
    TumblingWindowInSeconds: 0,
  });
  await h.settle();
  assert.equal((await h.call('GetEventSourceMapping', undefined, { UUID })).body.State, 'Enabled');
  h.clock.advance(1);
  h.put({ n: 1 });
  await h.settle();
  assert.deepEqual(h.invoked.map((e) => e.Records.length), [1], 'only what arrived after the mapping was created');
  assert.equal((await h.call('GetEventSourceMapping', undefined, { UUID })).body.LastProcessingResult, 'OK');
  await assert.rejects(h.call('CreateEventSourceMapping', { FunctionName: 'f', EventSourceArn: STREAM, StartingPosition: 'LATEST' }), (e: unknown) => e instanceof AwsError && e.code === 'ResourceConflictException' && e.message.includes(UUID));
  await h.close();
});

test('Stream mapping API: Update changes the stream settings through Updating, Enabled=false through Disabling, and Delete drops the checkpoints', async () => {
  const h = await setup();
  const { UUID } = (await h.call('CreateEventSourceMapping', { FunctionName: 'f', EventSourceArn: STREAM, StartingPosition: 'TRIM_HORIZON' })).body;
  await h.settle();
  const up = await h.call('UpdateEventSourceMapping', { MaximumRetryAttempts: 5, BisectBatchOnFunctionError: true, DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:123456789012:dlq' } } }, { UUID });
  assert.equal(up.body.State, 'Updating');
  assert.equal(up.body.MaximumRetryAttempts, 5);
  assert.equal(up.body.BisectBatchOnFunctionError, true);
  assert.deepEqual(up.body.DestinationConfig, { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:123456789012:dlq' } });
  await h.settle();
  assert.equal((await h.call('GetEventSourceMapping', undefined, { UUID })).body.State, 'Enabled');
  await assert.rejects(h.call('UpdateEventSourceMapping', { MaximumRecordAgeInSeconds: 59 }, { UUID }), (e: unknown) => e instanceof AwsError && e.code === 'InvalidParameterValueException');
  const off = await h.call('UpdateEventSourceMapping', { Enabled: false }, { UUID });
  assert.equal(off.body.State, 'Disabling');
  await h.settle();
  assert.equal((await h.call('GetEventSourceMapping', undefined, { UUID })).body.State, 'Disabled');
  h.put({ n: 1 });
  await h.settle();
  assert.equal(h.invoked.length, 0, 'a disabled mapping reads nothing');
  await h.call('UpdateEventSourceMapping', { Enabled: true }, { UUID });
  await h.settle();
  assert.equal(h.invoked.length, 1);
  assert.ok(await h.store.get('SELECT 1 FROM lambda_esm_shards WHERE uuid = ?', [UUID]), 'a checkpoint was written');
  assert.equal((await h.call('DeleteEventSourceMapping', undefined, { UUID })).body.State, 'Deleting');
  await h.settle();
  assert.equal(await h.store.get('SELECT 1 FROM lambda_esm_shards WHERE uuid = ?', [UUID]), undefined);
  await h.close();
});
