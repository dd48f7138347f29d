// Kinesis Data Streams against a live server with @aws-sdk/client-kinesis: streams, records, iterators, resharding.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  CreateStreamCommand, DecreaseStreamRetentionPeriodCommand, DescribeLimitsCommand, DeleteStreamCommand, DescribeStreamCommand, DescribeStreamSummaryCommand,
  GetRecordsCommand, GetShardIteratorCommand, IncreaseStreamRetentionPeriodCommand, KinesisClient, ListShardsCommand, ListStreamsCommand,
  MergeShardsCommand, PutRecordCommand, PutRecordsCommand, SplitShardCommand, UpdateShardCountCommand, waitUntilStreamExists,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
// The SDK's default handler for Kinesis is HTTP/2 (for SubscribeToShard); the endpoint speaks HTTP/1.1.
import { liveServer } from '../helpers/server.js';

const server = liveServer();
const kin = (): KinesisClient => new KinesisClient({ endpoint: server().url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
const err = async (p: Promise<unknown>): Promise<{ name: string; message: string }> => {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error('expected an error');
};
const text = (d: Uint8Array | undefined): string => Buffer.from(d ?? []).toString('utf8');
const bytes = (s: string): Uint8Array => Buffer.from(s, 'utf8');

async function readAll(c: KinesisClient, StreamName: string, ShardId: string, type: ShardIteratorType = 'TRIM_HORIZON', extra: Record<string, unknown> = {}): Promise<string[]> {
  let it = (await c.send(new GetShardIteratorCommand({ StreamName, ShardId, ShardIteratorType: type, ...extra }))).ShardIterator;
  const out: string[] = [];
  for (let i = 0; it && i < 20; i++) {
    const r = await c.send(new GetRecordsCommand({ ShardIterator: it }));
    out.push(...(r.Records ?? []).map((x) => text(x.Data)));
    if (!r.Records?.length) break;
    it = r.NextShardIterator;
  }
  return out;
}

test('Kinesis: CreateStream splits the hash key space evenly, the waiter sees ACTIVE, and ON_DEMAND streams get 4 shards', async () => {
  const c = kin();
  await c.send(new CreateStreamCommand({ StreamName: 'three', ShardCount: 3 }));
  await waitUntilStreamExists({ client: c, maxWaitTime: 20, minDelay: 1 }, { StreamName: 'three' });
  const d = (await c.send(new DescribeStreamCommand({ StreamName: 'three' }))).StreamDescription!;
  assert.equal(d.StreamStatus, 'ACTIVE');
  assert.equal(d.StreamARN, 'arn:aws:kinesis:us-east-1:000000000000:stream/three');
  assert.equal(d.RetentionPeriodHours, 24);
  assert.deepEqual(d.Shards!.map((s) => [s.ShardId, s.HashKeyRange!.StartingHashKey, s.HashKeyRange!.EndingHashKey]), [
    ['shardId-000000000000', '0', '113427455640312821154458202477256070484'],
    ['shardId-000000000001', '113427455640312821154458202477256070485', '226854911280625642308916404954512140969'],
    ['shardId-000000000002', '226854911280625642308916404954512140970', '340282366920938463463374607431768211455'],
  ]);
  assert.match(d.Shards![0]!.SequenceNumberRange!.StartingSequenceNumber!, /^\d{56}$/);
  const page = await c.send(new DescribeStreamCommand({ StreamARN: d.StreamARN, Limit: 2 }));
  assert.equal(page.StreamDescription!.Shards!.length, 2);
  assert.equal(page.StreamDescription!.HasMoreShards, true);

  await c.send(new CreateStreamCommand({ StreamName: 'od', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
  const sum = (await c.send(new DescribeStreamSummaryCommand({ StreamName: 'od' }))).StreamDescriptionSummary!;
  assert.equal(sum.OpenShardCount, 4);
  assert.equal(sum.StreamModeDetails?.StreamMode, 'ON_DEMAND');
  assert.equal(sum.ConsumerCount, 0);
  const list = await c.send(new ListStreamsCommand({}));
  assert.ok(list.StreamNames!.includes('three') && list.StreamNames!.includes('od'));
  assert.equal(list.StreamSummaries!.find((s) => s.StreamName === 'od')?.StreamARN, 'arn:aws:kinesis:us-east-1:000000000000:stream/od');
  assert.deepEqual(await c.send(new DescribeLimitsCommand({})).then((l) => [l.ShardLimit, l.OpenShardCount, l.OnDemandStreamCount]), [500, 7, 1]);
  const one = await c.send(new ListStreamsCommand({ Limit: 1 }));
  assert.equal(one.HasMoreStreams, true);
  assert.equal((await c.send(new ListStreamsCommand({ NextToken: one.NextToken }))).StreamNames![0], list.StreamNames![1]);
});

test('Kinesis: records come back in order through every iterator type, with increasing 56-digit sequence numbers', async () => {
  const c = kin();
  await c.send(new CreateStreamCommand({ StreamName: 'ord', ShardCount: 1 }));
  const seqs: string[] = [];
  for (const v of ['a', 'b', 'c']) seqs.push((await c.send(new PutRecordCommand({ StreamName: 'ord', PartitionKey: `k${v}`, Data: bytes(v) }))).SequenceNumber!);
  for (const s of seqs) assert.match(s, /^\d{56}$/);
  assert.ok(BigInt(seqs[0]!) < BigInt(seqs[1]!) && BigInt(seqs[1]!) < BigInt(seqs[2]!));
  assert.deepEqual(await readAll(c, 'ord', 'shardId-000000000000'), ['a', 'b', 'c']);
  assert.deepEqual(await readAll(c, 'ord', 'shardId-000000000000', 'AT_SEQUENCE_NUMBER', { StartingSequenceNumber: seqs[1] }), ['b', 'c']);
  assert.deepEqual(await readAll(c, 'ord', 'shardId-000000000000', 'AFTER_SEQUENCE_NUMBER', { StartingSequenceNumber: seqs[1] }), ['c']);

  const latest = (await c.send(new GetShardIteratorCommand({ StreamName: 'ord', ShardId: 'shardId-000000000000', ShardIteratorType: 'LATEST' }))).ShardIterator;
  const empty = await c.send(new GetRecordsCommand({ ShardIterator: latest }));
  assert.deepEqual(empty.Records, []);
  assert.equal(empty.MillisBehindLatest, 0);
  await c.send(new PutRecordCommand({ StreamName: 'ord', PartitionKey: 'kd', Data: bytes('d') }));
  const after = await c.send(new GetRecordsCommand({ ShardIterator: empty.NextShardIterator }));
  assert.deepEqual(after.Records!.map((r) => text(r.Data)), ['d']);
  assert.equal(after.Records![0]!.PartitionKey, 'kd');
  assert.ok(after.Records![0]!.ApproximateArrivalTimestamp instanceof Date);

  const t = after.Records![0]!.ApproximateArrivalTimestamp!;
  assert.deepEqual(await readAll(c, 'ord', 'shardId-000000000000', 'AT_TIMESTAMP', { Timestamp: t }), ['d']);
  const limited = await c.send(new GetRecordsCommand({ ShardIterator: (await c.send(new GetShardIteratorCommand({ StreamName: 'ord', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator, Limit: 2 }));
  assert.deepEqual(limited.Records!.map((r) => text(r.Data)), ['a', 'b']);
  assert.ok(limited.MillisBehindLatest! >= 0);
  assert.deepEqual((await c.send(new GetRecordsCommand({ ShardIterator: limited.NextShardIterator }))).Records!.map((r) => text(r.Data)), ['c', 'd']);
});

test('Kinesis: partition keys route by MD5 to the shard holding the hash key, ExplicitHashKey overrides it, PutRecords answers per record', async () => {
  const c = kin();
  await c.send(new CreateStreamCommand({ StreamName: 'route', ShardCount: 2 }));
  // MD5("a") = 0cc175b9… < 2^127, MD5("b") = 92eb5ffe… ≥ 2^127.
  assert.equal((await c.send(new PutRecordCommand({ StreamName: 'route', PartitionKey: 'a', Data: bytes('1') }))).ShardId, 'shardId-000000000000');
  assert.equal((await c.send(new PutRecordCommand({ StreamName: 'route', PartitionKey: 'b', Data: bytes('2') }))).ShardId, 'shardId-000000000001');
  assert.equal((await c.send(new PutRecordCommand({ StreamName: 'route', PartitionKey: 'a', ExplicitHashKey: '340282366920938463463374607431768211455', Data: bytes('3') }))).ShardId, 'shardId-000000000001');
  const big = await err(c.send(new PutRecordCommand({ StreamName: 'route', PartitionKey: 'a', ExplicitHashKey: '340282366920938463463374607431768211456', Data: bytes('x') })));
  assert.equal(big.name, 'InvalidArgumentException');
  const res = await c.send(new PutRecordsCommand({ StreamName: 'route', Records: [{ PartitionKey: 'a', Data: bytes('4') }, { PartitionKey: 'b', Data: bytes('5') }, { PartitionKey: 'a', Data: bytes('6') }] }));
  assert.equal(res.FailedRecordCount, 0);
  assert.deepEqual(res.Records!.map((r) => r.ShardId), ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000000']);
  assert.ok(BigInt(res.Records![0]!.SequenceNumber!) < BigInt(res.Records![2]!.SequenceNumber!));
  assert.deepEqual(await readAll(c, 'route', 'shardId-000000000000'), ['1', '4', '6']);
  assert.deepEqual(await readAll(c, 'route', 'shardId-000000000001'), ['2', '3', '5']);

  const tooMany = await err(c.send(new PutRecordsCommand({ StreamName: 'route', Records: Array.from({ length: 501 }, () => ({ PartitionKey: 'a', Data: bytes('x') })) })));
  assert.equal(tooMany.name, 'ValidationException');
  assert.match(tooMany.message, /^1 validation error detected: Value '.*' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500$/s);
  const huge = await err(c.send(new PutRecordCommand({ StreamName: 'route', PartitionKey: 'a', Data: new Uint8Array(1024 * 1024 + 1) })));
  assert.equal(huge.name, 'ValidationException');
  const mb = new Uint8Array(1000 * 1000);
  const batch = await err(c.send(new PutRecordsCommand({ StreamName: 'route', Records: Array.from({ length: 6 }, () => ({ PartitionKey: 'a', Data: mb })) })));
  assert.equal(batch.name, 'InvalidArgumentException');
  assert.equal(batch.message, 'Records size exceeds 5 MB limit');
});

test('Kinesis: SplitShard and MergeShards close parents at an EndingSequenceNumber, and readers go from parents to children', async () => {
  const c = kin();
  await c.send(new CreateStreamCommand({ StreamName: 'reshard', ShardCount: 1 }));
  await c.send(new PutRecordCommand({ StreamName: 'reshard', PartitionKey: 'a', Data: bytes('before') }));
  await c.send(new SplitShardCommand({ StreamName: 'reshard', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '170141183460469231731687303715884105728' }));
  const shards = (await c.send(new ListShardsCommand({ StreamName: 'reshard' }))).Shards!;
  assert.deepEqual(shards.map((s) => [s.ShardId, s.ParentShardId]), [['shardId-000000000000', undefined], ['shardId-000000000001', 'shardId-000000000000'], ['shardId-000000000002', 'shardId-000000000000']]);
  assert.match(shards[0]!.SequenceNumberRange!.EndingSequenceNumber!, /^\d{56}$/);
  assert.equal(shards[1]!.HashKeyRange!.EndingHashKey, '170141183460469231731687303715884105727');
  assert.ok(BigInt(shards[1]!.SequenceNumberRange!.StartingSequenceNumber!) > BigInt(shards[0]!.SequenceNumberRange!.EndingSequenceNumber!));
  assert.equal((await c.send(new PutRecordCommand({ StreamName: 'reshard', PartitionKey: 'a', Data: bytes('after') }))).ShardId, 'shardId-000000000001');
  const filtered = async (ShardFilter: NonNullable<ConstructorParameters<typeof ListShardsCommand>[0]>['ShardFilter']): Promise<string[]> =>
    (await c.send(new ListShardsCommand({ StreamName: 'reshard', ShardFilter }))).Shards!.map((s) => s.ShardId!);
  assert.deepEqual(await filtered({ Type: 'AT_TRIM_HORIZON' }), ['shardId-000000000000']);
  assert.deepEqual(await filtered({ Type: 'FROM_TRIM_HORIZON' }), ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
  assert.deepEqual(await filtered({ Type: 'AT_LATEST' }), ['shardId-000000000001', 'shardId-000000000002']);
  assert.deepEqual(await filtered({ Type: 'AFTER_SHARD_ID', ShardId: 'shardId-000000000001' }), ['shardId-000000000002']);
  assert.deepEqual(await filtered({ Type: 'FROM_TIMESTAMP', Timestamp: new Date() }), ['shardId-000000000001', 'shardId-000000000002']);
  assert.equal((await err(filtered({ Type: 'AFTER_SHARD_ID' }))).name, 'InvalidArgumentException');
  // Like AWS, the shard's number alone names it.
  assert.deepEqual(await readAll(c, 'reshard', '1'), ['after']);

  // The closed parent reads to its end: no NextShardIterator, and its children named.
  const it = (await c.send(new GetShardIteratorCommand({ StreamName: 'reshard', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
  const last = await c.send(new GetRecordsCommand({ ShardIterator: it }));
  assert.deepEqual(last.Records!.map((r) => text(r.Data)), ['before']);
  assert.equal(last.NextShardIterator, undefined);
  assert.deepEqual(last.ChildShards!.map((x) => [x.ShardId, x.ParentShards]), [['shardId-000000000001', ['shardId-000000000000']], ['shardId-000000000002', ['shardId-000000000000']]]);
  assert.deepEqual(await readAll(c, 'reshard', 'shardId-000000000001'), ['after']);

  const closed = await err(c.send(new SplitShardCommand({ StreamName: 'reshard', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '5' })));
  assert.equal(closed.name, 'ResourceInUseException');
  const outside = await err(c.send(new SplitShardCommand({ StreamName: 'reshard', ShardToSplit: 'shardId-000000000001', NewStartingHashKey: '0' })));
  assert.equal(outside.name, 'InvalidArgumentException');

  await c.send(new MergeShardsCommand({ StreamName: 'reshard', ShardToMerge: 'shardId-000000000001', AdjacentShardToMerge: 'shardId-000000000002' }));
  const open = (await c.send(new ListShardsCommand({ StreamName: 'reshard', ShardFilter: { Type: 'AT_LATEST' } }))).Shards!;
  assert.deepEqual(open.map((s) => [s.ShardId, s.ParentShardId, s.AdjacentParentShardId, s.HashKeyRange!.StartingHashKey, s.HashKeyRange!.EndingHashKey]), [
    ['shardId-000000000003', 'shardId-000000000001', 'shardId-000000000002', '0', '340282366920938463463374607431768211455'],
  ]);
  const pg = await c.send(new ListShardsCommand({ StreamName: 'reshard', MaxResults: 2 }));
  assert.equal(pg.Shards!.length, 2);
  const rest = await c.send(new ListShardsCommand({ NextToken: pg.NextToken }));
  assert.deepEqual(rest.Shards!.map((s) => s.ShardId), ['shardId-000000000002', 'shardId-000000000003']);
  const both = await err(c.send(new ListShardsCommand({ StreamName: 'reshard', NextToken: pg.NextToken })));
  assert.equal(both.name, 'InvalidArgumentException');

  const up = await c.send(new UpdateShardCountCommand({ StreamName: 'reshard', TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' }));
  assert.deepEqual([up.CurrentShardCount, up.TargetShardCount], [1, 2]);
  const now = (await c.send(new ListShardsCommand({ StreamName: 'reshard', ShardFilter: { Type: 'AT_LATEST' } }))).Shards!;
  assert.deepEqual(now.map((s) => s.ParentShardId), ['shardId-000000000003', 'shardId-000000000003']);
  assert.equal((await err(c.send(new UpdateShardCountCommand({ StreamName: 'reshard', TargetShardCount: 5, ScalingType: 'UNIFORM_SCALING' })))).name, 'InvalidArgumentException');
});

test("Kinesis: AWS's errors for missing streams, duplicates, bad arguments and constraint violations", async () => {
  const c = kin();
  const nf = await err(c.send(new DescribeStreamCommand({ StreamName: 'foo' })));
  assert.deepEqual(nf, { name: 'ResourceNotFoundException', message: 'Stream foo under account 000000000000 not found.' });
  assert.equal((await err(c.send(new PutRecordCommand({ StreamName: 'foo', PartitionKey: 'a', Data: bytes('x') })))).message, 'Stream foo under account 000000000000 not found.');
  await c.send(new CreateStreamCommand({ StreamName: 'dup', ShardCount: 1 }));
  assert.deepEqual(await err(c.send(new CreateStreamCommand({ StreamName: 'dup', ShardCount: 1 }))), { name: 'ResourceInUseException', message: 'Stream dup under account 000000000000 already exists.' });
  const bad = await err(c.send(new CreateStreamCommand({ StreamName: 'x y', ShardCount: 1 })));
  assert.equal(bad.name, 'ValidationException');
  assert.equal(bad.message, "1 validation error detected: Value 'x y' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  assert.equal((await err(c.send(new CreateStreamCommand({ StreamName: 'zero', ShardCount: 0 })))).message, "1 validation error detected: Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1");
  assert.equal((await err(c.send(new CreateStreamCommand({ StreamName: 'many', ShardCount: 501 })))).name, 'LimitExceededException');
  assert.equal((await err(c.send(new GetShardIteratorCommand({ StreamName: 'dup', ShardId: 'shardId-000000000009', ShardIteratorType: 'LATEST' })))).name, 'ResourceNotFoundException');
  assert.equal((await err(c.send(new GetShardIteratorCommand({ StreamName: 'dup', ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_SEQUENCE_NUMBER' })))).name, 'InvalidArgumentException');
  assert.equal((await err(c.send(new GetShardIteratorCommand({ StreamName: 'dup', ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: '12345' })))).name, 'InvalidArgumentException');
  assert.equal((await err(c.send(new GetRecordsCommand({ ShardIterator: 'bm90IGFuIGl0ZXJhdG9y' })))).name, 'InvalidArgumentException');
  assert.equal((await err(c.send(new DescribeStreamCommand({})))).name, 'InvalidArgumentException');
  assert.equal((await err(c.send(new DescribeStreamCommand({ StreamName: 'dup', StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/other' })))).name, 'InvalidArgumentException');
  assert.equal((await err(c.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'dup', RetentionPeriodHours: 9000 })))).message, 'Maximum allowed retention period is 8760 hours. Requested retention period (9000 hours) is too long.');
  await c.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'dup', RetentionPeriodHours: 48 }));
  assert.equal((await err(c.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'dup', RetentionPeriodHours: 24 })))).name, 'InvalidArgumentException');
  await c.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: 'dup', RetentionPeriodHours: 24 }));
  assert.equal((await c.send(new DescribeStreamSummaryCommand({ StreamName: 'dup' }))).StreamDescriptionSummary!.RetentionPeriodHours, 24);
  await c.send(new DeleteStreamCommand({ StreamName: 'dup' }));
  assert.equal((await err(c.send(new DescribeStreamCommand({ StreamName: 'dup' })))).name, 'ResourceNotFoundException');
  const log = server().output();
  assert.ok(!/\n\s+at /.test(log), 'no stack trace in the server log');
});
