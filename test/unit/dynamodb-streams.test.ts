// DynamoDB Streams as a ShardStreamSource (what Lambda's mappings read): positions, order, Lambda-shaped records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { LocalNotifier } from '../../src/store/notifier.js';
import { Items } from '../../src/services/dynamodb/items.js';
import { Streams } from '../../src/services/dynamodb/streams.js';
import { Tables } from '../../src/services/dynamodb/tables.js';
import { parseCreateTable } from '../../src/services/dynamodb/table-def.js';

test('DynamoDB Streams source: reads a shard from TRIM_HORIZON, after a sequence number and at LATEST, with Lambda-shaped records and a wake-up per write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ddb-streams-'));
  const store = new SqliteStore(dir);
  try {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const notifier = new LocalNotifier();
    const tables = new Tables({ store, clock, accountId: '000000000000' });
    await tables.init();
    const streams = new Streams({ store, tables, clock, notifier });
    const items = new Items(store, { clock, notify: (a) => streams.notify(a) });
    const def = await tables.create('us-east-1', parseCreateTable({
      TableName: 'src', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    }));
    const arn = def.stream!.arn!;
    assert.ok(streams.owns(arn));
    assert.equal(streams.owns(def.arn), false);
    assert.equal(await streams.resolve(arn), arn);
    let wakes = 0;
    notifier.listen(streams.wakeChannel(arn), () => void wakes++);
    const put = async (id: string, v: string): Promise<void> => {
      const key = { id: { S: id } };
      await items.tx([{ def, key }], async (q) => ({ changes: [{ def, key, old: await items.get(def, key, q), next: { id: { S: id }, v: { S: v } } }], result: undefined }));
      clock.advance(1000);
    };
    await put('a', '1');
    await put('b', '1');
    await put('a', '2');
    assert.equal(wakes, 3);
    const [shard] = await streams.shards(arn);
    const all = await streams.read(arn, shard!.shardId, { type: 'TRIM_HORIZON' }, 10);
    assert.deepEqual(all.records.map((r) => (r.record as { eventName: string }).eventName), ['INSERT', 'INSERT', 'MODIFY']);
    assert.deepEqual(all.records.map((r) => r.partitionKey), ['{"id":{"S":"a"}}', '{"id":{"S":"b"}}', '{"id":{"S":"a"}}']);
    const rec = all.records[2]!.record as { eventSource: string; dynamodb: { NewImage: unknown; OldImage?: unknown; SequenceNumber: string } };
    assert.equal(rec.eventSource, 'aws:dynamodb');
    assert.deepEqual(rec.dynamodb.NewImage, { id: { S: 'a' }, v: { S: '2' } });
    assert.equal(rec.dynamodb.OldImage, undefined);
    assert.equal(rec.dynamodb.SequenceNumber, all.records[2]!.sequenceNumber);
    const first = await streams.read(arn, shard!.shardId, { type: 'TRIM_HORIZON' }, 1);
    assert.equal(first.millisBehindLatest, 2000);
    const rest = await streams.read(arn, shard!.shardId, first.next, 10);
    assert.deepEqual(rest.records.map((r) => r.sequenceNumber), all.records.slice(1).map((r) => r.sequenceNumber));
    const at = await streams.read(arn, shard!.shardId, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: all.records[1]!.sequenceNumber }, 10);
    assert.equal(at.records.length, 2);
    const latest = await streams.read(arn, shard!.shardId, { type: 'LATEST' }, 10);
    assert.equal(latest.records.length, 0);
    await put('c', '1');
    const later = await streams.read(arn, shard!.shardId, latest.next, 10);
    assert.deepEqual(later.records.map((r) => r.partitionKey), ['{"id":{"S":"c"}}']);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
