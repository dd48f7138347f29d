// DynamoDB keys: the order-preserving encoding of N/S/B sort keys, and the TTL sweeper on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { Leases } from '../../src/store/leases.js';
import { encodeNumber, encodeScalar } from '../../src/services/dynamodb/keys.js';
import { Items } from '../../src/services/dynamodb/items.js';
import { Tables } from '../../src/services/dynamodb/tables.js';
import { parseCreateTable } from '../../src/services/dynamodb/table-def.js';
import { TtlSweeper } from '../../src/services/dynamodb/items.js';

test('DynamoDB keys: numbers encode so that text order is numeric order, and equal numbers encode alike', () => {
  const nums = ['-1e10', '-123.45', '-12', '-1.2', '-1.1', '-1', '-0.001', '0', '0.001', '0.5', '1', '1.05', '1.5', '9', '10', '11', '99.99', '100', '1e10', '1.5e20'];
  const enc = nums.map(encodeNumber);
  const sorted = [...enc].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  assert.deepEqual(sorted, enc);
  assert.equal(encodeNumber('1'), encodeNumber('1.00'));
  assert.equal(encodeNumber('10'), encodeNumber('1E1'));
  assert.equal(encodeNumber('-0'), encodeNumber('0'));
});

test('DynamoDB keys: binary keys encode as hex so that byte order is kept; strings stay as they are', () => {
  const bytes = [[0], [0, 1], [1], [127], [128], [255, 0]].map((b) => encodeScalar({ B: Buffer.from(b).toString('base64') }));
  assert.deepEqual([...bytes].sort(), bytes);
  assert.equal(encodeScalar({ S: 'héllo' }), 'héllo');
});

test('DynamoDB TTL: the sweeper deletes items whose TTL attribute passed, with their index rows, and leaves the others', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ddb-ttl-'));
  const store = new SqliteStore(dir);
  try {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const leases = new Leases(store, clock, 'node-a');
    await leases.init();
    const tables = new Tables({ store, clock, accountId: '000000000000' });
    await tables.init();
    const items = new Items(store);
    const def = await tables.create('us-east-1', parseCreateTable({
      TableName: 'ttl', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }, { AttributeName: 'g', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], GlobalSecondaryIndexes: [{ IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
    }));
    const now = clock.now() / 1000;
    const put = (id: string, exp?: number): Promise<void> =>
      items.tx([{ def, key: { id: { S: id } } }], async () => ({ changes: [{ def, key: { id: { S: id } }, old: undefined, next: { id: { S: id }, g: { S: 'x' }, ...(exp ? { exp: { N: String(exp) } } : {}) } }], result: undefined }));
    await put('old', now - 10);
    await put('soon', now + 30);
    await put('none');
    def.ttl = { attr: 'exp', enabled: true };
    await tables.save('us-east-1', def);
    await items.reindexTtl(def);
    const sweeper = new TtlSweeper({ tables, items, clock, leases, log: () => undefined });
    assert.equal(await sweeper.sweep(), 1);
    assert.equal(await items.get(def, { id: { S: 'old' } }), undefined);
    assert.ok(await items.get(def, { id: { S: 'soon' } }));
    const idx = await items.read(def, { index: def.gsis[0]!, pk: 'x', forward: true }, 10);
    assert.deepEqual(idx.map((r) => (r.item['id'] as { S: string }).S).sort(), ['none', 'soon']);
    clock.advance(60_000);
    assert.equal(await sweeper.sweep(), 1);
    assert.equal(await items.get(def, { id: { S: 'soon' } }), undefined);
    // Another node does not sweep while this one holds the lease.
    const other = new TtlSweeper({ tables, items, clock, leases: new Leases(store, clock, 'node-b'), log: () => undefined });
    await put('late', clock.now() / 1000 - 1);
    assert.equal(await other.sweep(), 0);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
