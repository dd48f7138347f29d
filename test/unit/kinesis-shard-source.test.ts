// Unit: Kinesis's ShardStreamSource and iterators on a temp SQLite store and a fake clock: shard lineage after
// resharding, reads from every position, the end of a closed shard, retention, iterator expiry and the wake hint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { LocalNotifier } from '../../src/store/notifier.js';
import { Streams } from '../../src/services/kinesis/streams.js';
import { Records } from '../../src/services/kinesis/records.js';
import { Consumers } from '../../src/services/kinesis/consumers.js';
import { evenRanges, hashKeyOf, HASH_MAX, sequenceOf, parseSequence } from '../../src/services/kinesis/keys.js';

const ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/s';

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'kinesis-'));
  const store = new SqliteStore(dir);
  const clock = new FakeClock();
  const notifier = new LocalNotifier();
  const streams = new Streams({ store, clock, notifier, accountId: '000000000000' });
  await streams.init();
  const records = new Records(streams, store.journal);
  const consumers = new Consumers(streams);
  t.after(async () => {
    await store.journal.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const put = async (...keys: string[]) => records.put(await streams.find('us-east-1', { name: 's' }), keys.map((k) => ({ partitionKey: k, data: Buffer.from(k) })));
  return { store, clock, notifier, streams, records, consumers, source: records.source(), put };
}
const datas = (r: { records: readonly { record: unknown }[] }): string[] => r.records.map((x) => Buffer.from((x.record as { data: string }).data, 'base64').toString());

test('Kinesis keys: even ranges cover 0..2^128-1 without gaps, MD5 hash keys and sequence numbers round-trip', () => {
  for (const n of [1, 2, 3, 7, 500]) {
    const r = evenRanges(n);
    assert.equal(r[0]!.start, 0n);
    assert.equal(r[n - 1]!.end, HASH_MAX);
    for (let i = 1; i < n; i++) assert.equal(r[i]!.start, r[i - 1]!.end + 1n);
  }
  assert.equal(hashKeyOf('a'), 0x0cc175b9c0f1b6a831c399e269772661n);
  assert.deepEqual(parseSequence(sequenceOf(12, 345)), { shardIndex: 12, counter: 345 });
  assert.equal(sequenceOf(3, 1).length, 56);
  assert.ok(BigInt(sequenceOf(1, 0)) > BigInt(sequenceOf(0, 10 ** 12)), "a child's numbers exceed its parent's");
});

test('ShardStreamSource: owns Kinesis ARNs, resolves a consumer ARN to its stream, lists parents before children with ending numbers', async (t) => {
  const { streams, consumers, source, put } = await setup(t);
  await streams.create('us-east-1', { name: 's', shardCount: 1, mode: 'PROVISIONED', tags: {} });
  assert.equal(source.eventSource, 'aws:kinesis');
  assert.ok(source.owns(ARN));
  assert.ok(!source.owns('arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026'));
  const c = await consumers.register('us-east-1', ARN, 'app', {});
  assert.equal(await source.resolve(c.arn), ARN);
  assert.equal(await source.resolve('arn:aws:kinesis:us-east-1:000000000000:stream/none'), undefined);
  await put('a', 'b');
  await streams.split('us-east-1', { name: 's' }, 'shardId-000000000000', (1n << 127n).toString());
  await streams.merge('us-east-1', { arn: ARN }, 'shardId-000000000001', 'shardId-000000000002');
  const shards = await source.shards(ARN);
  assert.deepEqual(shards.map((s) => [s.shardId, s.parentShardId, s.adjacentParentShardId]), [
    ['shardId-000000000000', undefined, undefined],
    ['shardId-000000000001', 'shardId-000000000000', undefined],
    ['shardId-000000000002', 'shardId-000000000000', undefined],
    ['shardId-000000000003', 'shardId-000000000001', 'shardId-000000000002'],
  ]);
  assert.equal(shards[0]!.endingSequenceNumber, sequenceOf(0, 2));
  assert.equal(shards[3]!.endingSequenceNumber, undefined);
});

test('ShardStreamSource: reads in order from each position, resumes after the last record, and ends a closed shard', async (t) => {
  const { streams, clock, source, put } = await setup(t);
  await streams.create('us-east-1', { name: 's', shardCount: 1, mode: 'PROVISIONED', tags: {} });
  const latest = await source.read(ARN, 'shardId-000000000000', { type: 'LATEST' }, 10);
  assert.deepEqual(latest.records, []);
  await put('a');
  clock.advance(1000);
  await put('b', 'c');
  const first = await source.read(ARN, 'shardId-000000000000', { type: 'TRIM_HORIZON' }, 2);
  assert.deepEqual(datas(first), ['a', 'b']);
  assert.equal(first.millisBehindLatest, 0);
  assert.deepEqual(first.next, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: first.records[1]!.sequenceNumber });
  const rec = first.records[0]!;
  assert.deepEqual(rec.record, { kinesisSchemaVersion: '1.0', partitionKey: 'a', sequenceNumber: rec.sequenceNumber, data: 'YQ==', approximateArrivalTimestamp: Date.UTC(2026, 0, 1) / 1000 });
  assert.equal(rec.sizeBytes, 1);
  const oneBehind = await source.read(ARN, 'shardId-000000000000', { type: 'TRIM_HORIZON' }, 1);
  assert.equal(oneBehind.millisBehindLatest, 1000);
  // A LATEST read taken before the puts resumes at what came after it, not at the new tip.
  assert.deepEqual(datas(await source.read(ARN, 'shardId-000000000000', latest.next, 10)), ['a', 'b', 'c']);
  assert.deepEqual(datas(await source.read(ARN, 'shardId-000000000000', first.next, 10)), ['c']);
  assert.deepEqual(datas(await source.read(ARN, 'shardId-000000000000', { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: first.records[1]!.sequenceNumber }, 10)), ['b', 'c']);
  assert.deepEqual(datas(await source.read(ARN, 'shardId-000000000000', { type: 'AT_TIMESTAMP', timestampMs: clock.now() }, 10)), ['b', 'c']);

  await streams.split('us-east-1', { name: 's' }, 'shardId-000000000000', '1');
  const rest = await source.read(ARN, 'shardId-000000000000', first.next, 10);
  assert.deepEqual([datas(rest), rest.shardEnded], [['c'], true]);
  const notYet = await source.read(ARN, 'shardId-000000000000', { type: 'TRIM_HORIZON' }, 2);
  assert.equal(notYet.shardEnded, false);
});

test('Kinesis records: retention hides records older than the period (and the sweep deletes them), and a shard iterator expires after 5 minutes', async (t) => {
  const { streams, clock, records, source, put } = await setup(t);
  await streams.create('us-east-1', { name: 's', shardCount: 1, mode: 'PROVISIONED', tags: {} });
  await put('old');
  clock.advance(23 * 3_600_000);
  await put('new');
  assert.deepEqual(datas(await source.read(ARN, 'shardId-000000000000', { type: 'TRIM_HORIZON' }, 10)), ['old', 'new']);
  clock.advance(2 * 3_600_000);
  assert.deepEqual(datas(await source.read(ARN, 'shardId-000000000000', { type: 'TRIM_HORIZON' }, 10)), ['new']);
  assert.equal(await records.trim(), 1, 'the sweep deletes the expired record');
  assert.equal(await records.trim(), 0);

  const s = await streams.find('us-east-1', { name: 's' });
  const it = await records.iterator(s, 'shardId-000000000000', { type: 'TRIM_HORIZON' });
  clock.advance(299_000);
  assert.equal((await records.getRecords('us-east-1', it, 10)).records.length, 1);
  clock.advance(2_000);
  await assert.rejects(records.getRecords('us-east-1', it, 10), (e: Error & { code?: string }) =>
    e.code === 'ExpiredIteratorException' && /^Iterator expired\. The iterator was created at time \w{3} \w{3} \d{2} [\d:]{8} UTC \d{4} while right now it is .* and this is longer than the duration of 300000 milliseconds\.$/.test(e.message));
});

test('Kinesis records: a put hints kinesis:records after it commits, with the stream ARN', async (t) => {
  const { streams, notifier, source, put, store } = await setup(t);
  await streams.create('us-east-1', { name: 's', shardCount: 2, mode: 'PROVISIONED', tags: {} });
  assert.equal(source.wakeChannel(ARN), 'kinesis:records');
  const heard = new Promise<{ payload: string; count: number }>((resolve) => {
    notifier.listen('kinesis:records', (payload) => {
      void store.get<{ n: number }>('SELECT COUNT(*) AS n FROM kinesis_records').then((r) => resolve({ payload, count: Number(r?.n) }));
    });
  });
  await put('a', 'b', 'c');
  assert.deepEqual(await heard, { payload: ARN, count: 3 });
});
