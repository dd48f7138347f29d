// DynamoDB against a live server with @aws-sdk/client-dynamodb and lib-dynamodb's document client.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, GetItemCommand, ListTablesCommand,
  ListTagsOfResourceCommand, PutItemCommand, QueryCommand as RawQueryCommand, ScanCommand as RawScanCommand, UpdateItemCommand, TagResourceCommand, TransactWriteItemsCommand, UpdateTableCommand, UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand, BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, TransactGetCommand,
  TransactWriteCommand, UpdateCommand, paginateScan,
} from '@aws-sdk/lib-dynamodb';
import { liveServer } from '../helpers/server.js';

const server = liveServer();
const ddb = (): DynamoDBClient => new DynamoDBClient({ endpoint: server().url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
const doc = (): DynamoDBDocumentClient => DynamoDBDocumentClient.from(ddb());
const err = async (p: Promise<unknown>): Promise<{ name: string; message: string; raw: Record<string, unknown> }> => {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message, raw: e as Record<string, unknown> };
  }
  throw new Error('expected an error');
};
const simple = (name: string, extra: Partial<CreateTableCommandInput> = {}): CreateTableCommandInput => ({
  TableName: name, BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }], ...extra,
});

test('DynamoDB tables: CreateTable checks attribute definitions with DynamoDB messages; Describe, List pages, Update, tags, TTL, Delete', async () => {
  const c = ddb();
  const undef = await err(c.send(new CreateTableCommand({ TableName: 'bad', AttributeDefinitions: [{ AttributeName: 'x', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' })));
  assert.equal(undef.name, 'ValidationException');
  assert.equal(undef.message, 'One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [id], AttributeDefinitions: [x]');
  const unused = await err(c.send(new CreateTableCommand({ TableName: 'bad', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }, { AttributeName: 'x', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' })));
  assert.equal(unused.message, 'One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions');
  const created = await c.send(new CreateTableCommand(simple('tables-a', { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' }, Tags: [{ Key: 'team', Value: 'x' }] })));
  assert.equal(created.TableDescription?.TableArn, 'arn:aws:dynamodb:us-east-1:000000000000:table/tables-a');
  assert.equal((await err(c.send(new CreateTableCommand(simple('tables-a'))))).name, 'ResourceInUseException');
  const d = (await c.send(new DescribeTableCommand({ TableName: 'tables-a' }))).Table!;
  assert.equal(d.TableStatus, 'ACTIVE');
  assert.equal(d.ItemCount, 0);
  assert.equal(d.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
  assert.equal(d.StreamSpecification?.StreamViewType, 'NEW_IMAGE');
  assert.match(d.LatestStreamArn ?? '', /^arn:aws:dynamodb:us-east-1:000000000000:table\/tables-a\/stream\//);
  assert.match(d.TableId ?? '', /^[0-9a-f-]{36}$/);
  assert.ok(d.CreationDateTime instanceof Date);
  for (const n of ['tables-b', 'tables-c']) await c.send(new CreateTableCommand(simple(n)));
  const p1 = await c.send(new ListTablesCommand({ Limit: 2 }));
  assert.deepEqual(p1.TableNames, ['tables-a', 'tables-b']);
  assert.equal(p1.LastEvaluatedTableName, 'tables-b');
  const p2 = await c.send(new ListTablesCommand({ Limit: 2, ExclusiveStartTableName: p1.LastEvaluatedTableName }));
  assert.ok(p2.TableNames?.includes('tables-c') && !p2.TableNames.includes('tables-a'));
  const up = await c.send(new UpdateTableCommand({ TableName: 'tables-b', BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 } }));
  assert.equal(up.TableDescription?.ProvisionedThroughput?.WriteCapacityUnits, 4);
  await c.send(new TagResourceCommand({ ResourceArn: created.TableDescription!.TableArn, Tags: [{ Key: 'env', Value: 'dev' }] }));
  const tags = await c.send(new ListTagsOfResourceCommand({ ResourceArn: created.TableDescription!.TableArn }));
  assert.deepEqual(tags.Tags?.map((t) => `${t.Key}=${t.Value}`).sort(), ['env=dev', 'team=x']);
  await c.send(new UpdateTimeToLiveCommand({ TableName: 'tables-a', TimeToLiveSpecification: { Enabled: true, AttributeName: 'exp' } }));
  assert.deepEqual((await c.send(new DescribeTimeToLiveCommand({ TableName: 'tables-a' }))).TimeToLiveDescription, { TimeToLiveStatus: 'ENABLED', AttributeName: 'exp' });
  assert.equal((await c.send(new DeleteTableCommand({ TableName: 'tables-c' }))).TableDescription?.TableStatus, 'DELETING');
  const gone = await err(c.send(new DescribeTableCommand({ TableName: 'tables-c' })));
  assert.equal(gone.name, 'ResourceNotFoundException');
  assert.equal(gone.message, 'Requested resource not found: Table: tables-c not found');
});

test('DynamoDB items: a round trip with condition, update, projection and key condition expressions and every ReturnValues', async () => {
  await ddb().send(new CreateTableCommand(simple('items')));
  const d = doc();
  await d.send(new PutCommand({ TableName: 'items', Item: { pk: 'u1', sk: 1, name: 'Ann', tags: new Set(['a', 'b']), labels: new Set(['x', 'y']), nested: { nums: [1, 2], deep: { x: 'y' } } }, ConditionExpression: 'attribute_not_exists(pk)' }));
  const dup = await err(d.send(new PutCommand({ TableName: 'items', Item: { pk: 'u1', sk: 1 }, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })));
  assert.equal(dup.name, 'ConditionalCheckFailedException');
  assert.equal(dup.message, 'The conditional request failed');
  assert.equal((dup.raw['Item'] as Record<string, { S?: string }>)['name']?.S, 'Ann');
  const got = await d.send(new GetCommand({ TableName: 'items', Key: { pk: 'u1', sk: 1 }, ProjectionExpression: '#n, nested.deep.x, nested.nums[1]', ExpressionAttributeNames: { '#n': 'name' }, ConsistentRead: true }));
  assert.deepEqual(got.Item, { name: 'Ann', nested: { deep: { x: 'y' }, nums: [2] } });
  const upd = await d.send(new UpdateCommand({
    TableName: 'items', Key: { pk: 'u1', sk: 1 }, UpdateExpression: 'SET #n = :n, visits = if_not_exists(visits, :zero) + :one REMOVE nested.deep ADD tags :t DELETE labels :old',
    ConditionExpression: 'begins_with(#n, :p) AND size(tags) = :two', ExpressionAttributeNames: { '#n': 'name' },
    ExpressionAttributeValues: { ':n': 'Bea', ':zero': 0, ':one': 1, ':t': new Set(['c']), ':old': new Set(['x']), ':p': 'A', ':two': 2 }, ReturnValues: 'UPDATED_NEW',
  }));
  assert.deepEqual(upd.Attributes, { name: 'Bea', visits: 1, tags: new Set(['a', 'b', 'c']), labels: new Set(['y']) });
  const old = await d.send(new UpdateCommand({ TableName: 'items', Key: { pk: 'u1', sk: 1 }, UpdateExpression: 'SET visits = visits + :one', ExpressionAttributeValues: { ':one': 1 }, ReturnValues: 'UPDATED_OLD' }));
  assert.deepEqual(old.Attributes, { visits: 1 });
  const all = await d.send(new UpdateCommand({ TableName: 'items', Key: { pk: 'u2', sk: 5 }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': 'x' }, ReturnValues: 'ALL_NEW' }));
  assert.deepEqual(all.Attributes, { pk: 'u2', sk: 5, a: 'x' });
  for (let i = 2; i <= 6; i++) await d.send(new PutCommand({ TableName: 'items', Item: { pk: 'u1', sk: i, odd: i % 2 === 1 } }));
  const q = await d.send(new QueryCommand({ TableName: 'items', KeyConditionExpression: 'pk = :u AND sk BETWEEN :a AND :b', FilterExpression: 'odd = :t', ExpressionAttributeValues: { ':u': 'u1', ':a': 2, ':b': 5, ':t': true }, ScanIndexForward: false }));
  assert.deepEqual(q.Items?.map((i) => i['sk']), [5, 3]);
  assert.equal(q.ScannedCount, 4);
  // Limit counts items read before the filter, as DynamoDB does.
  const lim = await d.send(new QueryCommand({ TableName: 'items', KeyConditionExpression: 'pk = :u AND sk > :a', FilterExpression: 'odd = :t', ExpressionAttributeValues: { ':u': 'u1', ':a': 1, ':t': true }, Limit: 2 }));
  assert.deepEqual([lim.Items?.map((i) => i['sk']), lim.ScannedCount, lim.LastEvaluatedKey], [[3], 2, { pk: 'u1', sk: 3 }]);
  const cnt = await d.send(new QueryCommand({ TableName: 'items', KeyConditionExpression: 'pk = :u', ExpressionAttributeValues: { ':u': 'u1' }, Select: 'COUNT' }));
  assert.deepEqual([cnt.Count, cnt.Items], [6, undefined]);
  const del = await d.send(new DeleteCommand({ TableName: 'items', Key: { pk: 'u2', sk: 5 }, ConditionExpression: 'a = :a', ExpressionAttributeValues: { ':a': 'x' }, ReturnValues: 'ALL_OLD' }));
  assert.equal(del.Attributes?.['a'], 'x');
  assert.equal((await d.send(new GetCommand({ TableName: 'items', Key: { pk: 'u2', sk: 5 } }))).Item, undefined);
  assert.equal((await err(d.send(new PutCommand({ TableName: 'items', Item: { pk: 'u9', sk: 1 }, ReturnValues: 'ALL_NEW' })))).message, 'ReturnValues can only be ALL_OLD or NONE');
  assert.equal((await err(d.send(new UpdateCommand({ TableName: 'items', Key: { pk: 'u1', sk: 1 }, UpdateExpression: 'SET pk = :a', ExpressionAttributeValues: { ':a': 'x' } })))).message,
    'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key');
});

test('DynamoDB items: key and size validation answer with DynamoDB messages', async () => {
  const c = ddb();
  const msg = async (p: Promise<unknown>): Promise<string> => (await err(p)).message;
  assert.equal(await msg(c.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'a' } } }))), 'The provided key element does not match the schema');
  assert.equal(await msg(c.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'a' }, sk: { S: '1' } } }))), 'The provided key element does not match the schema');
  assert.equal(await msg(c.send(new PutItemCommand({ TableName: 'items', Item: { sk: { N: '1' } } }))), 'One or more parameter values were invalid: Missing the key pk in the item');
  assert.equal(await msg(c.send(new PutItemCommand({ TableName: 'items', Item: { pk: { N: '1' }, sk: { N: '1' } } }))), 'One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N');
  assert.equal(await msg(c.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 'big' }, sk: { N: '1' }, blob: { S: 'x'.repeat(400 * 1024) } } }))), 'Item size has exceeded the maximum allowed size');
  const missing = await err(c.send(new GetItemCommand({ TableName: 'nope', Key: { pk: { S: 'a' } } })));
  assert.deepEqual([missing.name, missing.message], ['ResourceNotFoundException', 'Requested resource not found']);
});

test('DynamoDB GSI: a sparse global index is queried by its own key and kept in step with updates and deletes', async () => {
  await ddb().send(new CreateTableCommand(simple('gsi', {
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }, { AttributeName: 'status', AttributeType: 'S' }, { AttributeName: 'at', AttributeType: 'N' }],
    GlobalSecondaryIndexes: [{ IndexName: 'byStatus', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }, { AttributeName: 'at', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
  })));
  const d = doc();
  for (let i = 1; i <= 6; i++) await d.send(new PutCommand({ TableName: 'gsi', Item: { pk: `o${i}`, sk: 0, at: 100 - i, extra: 'e', ...(i <= 4 ? { status: i % 2 ? 'open' : 'done' } : {}) } }));
  const open = await d.send(new QueryCommand({ TableName: 'gsi', IndexName: 'byStatus', KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'open' } }));
  assert.deepEqual(open.Items, [{ pk: 'o3', sk: 0, status: 'open', at: 97 }, { pk: 'o1', sk: 0, status: 'open', at: 99 }]);
  await d.send(new UpdateCommand({ TableName: 'gsi', Key: { pk: 'o1', sk: 0 }, UpdateExpression: 'SET #s = :d', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':d': 'done' } }));
  await d.send(new DeleteCommand({ TableName: 'gsi', Key: { pk: 'o2', sk: 0 } }));
  const done = await d.send(new QueryCommand({ TableName: 'gsi', IndexName: 'byStatus', KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'done' } }));
  assert.deepEqual(done.Items?.map((i) => i['pk']), ['o4', 'o1']);
  const ix = (await ddb().send(new DescribeTableCommand({ TableName: 'gsi' }))).Table?.GlobalSecondaryIndexes?.[0];
  assert.equal(ix?.ItemCount, 3);
  const bad = await err(d.send(new PutCommand({ TableName: 'gsi', Item: { pk: 'o9', sk: 0, status: 5 } })));
  assert.equal(bad.message, 'One or more parameter values were invalid: Type mismatch for Index Key status Expected: S Actual: N IndexName: byStatus');
  assert.equal((await err(d.send(new QueryCommand({ TableName: 'gsi', IndexName: 'nope', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'x' } })))).message, 'The table does not have the specified index: nope');
});

test('DynamoDB transactions: a failed condition cancels every write with reasons in order; tokens are idempotent; concurrent conditional writes have one winner', async () => {
  await ddb().send(new CreateTableCommand(simple('txn')));
  const d = doc();
  await d.send(new PutCommand({ TableName: 'txn', Item: { pk: 'acct', sk: 1, balance: 10 } }));
  const cancel = await err(d.send(new TransactWriteCommand({
    TransactItems: [
      { Update: { TableName: 'txn', Key: { pk: 'acct', sk: 1 }, UpdateExpression: 'SET balance = balance - :n', ConditionExpression: 'balance >= :n', ExpressionAttributeValues: { ':n': 50 } } },
      { Put: { TableName: 'txn', Item: { pk: 'acct', sk: 2, balance: 50 } } },
    ],
  })));
  assert.equal(cancel.name, 'TransactionCanceledException');
  assert.equal(cancel.message, 'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]');
  assert.deepEqual((cancel.raw['CancellationReasons'] as { Code: string }[]).map((r) => r.Code), ['ConditionalCheckFailed', 'None']);
  assert.equal((await d.send(new GetCommand({ TableName: 'txn', Key: { pk: 'acct', sk: 2 } }))).Item, undefined);
  const move = {
    ClientRequestToken: 'tok-1',
    TransactItems: [
      { Update: { TableName: 'txn', Key: { pk: 'acct', sk: 1 }, UpdateExpression: 'SET balance = balance - :n', ConditionExpression: 'balance >= :n', ExpressionAttributeValues: { ':n': 4 } } },
      { Put: { TableName: 'txn', Item: { pk: 'acct', sk: 2, balance: 4 } } },
      { ConditionCheck: { TableName: 'txn', Key: { pk: 'acct', sk: 1 }, ConditionExpression: 'attribute_exists(pk)' } },
    ],
  };
  assert.equal((await err(d.send(new TransactWriteCommand(move)))).message, 'Transaction request cannot include multiple operations on one item');
  move.TransactItems.pop();
  await d.send(new TransactWriteCommand(move));
  await d.send(new TransactWriteCommand(move));
  const got = await d.send(new TransactGetCommand({ TransactItems: [{ Get: { TableName: 'txn', Key: { pk: 'acct', sk: 1 } } }, { Get: { TableName: 'txn', Key: { pk: 'acct', sk: 2 } } }] }));
  assert.deepEqual(got.Responses?.map((r) => r.Item?.['balance']), [6, 4]);
  const changed = { ...move, TransactItems: [move.TransactItems[1]!] };
  assert.equal((await err(d.send(new TransactWriteCommand(changed)))).name, 'IdempotentParameterMismatchException');
  const racers = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => d.send(new PutCommand({ TableName: 'txn', Item: { pk: 'lock', sk: 0, by: i }, ConditionExpression: 'attribute_not_exists(pk)' }))));
  assert.equal(racers.filter((r) => r.status === 'fulfilled').length, 1);
  const counters = await Promise.all(Array.from({ length: 20 }, () => d.send(new UpdateCommand({ TableName: 'txn', Key: { pk: 'ctr', sk: 0 }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': 1 }, ReturnValues: 'UPDATED_NEW' }))));
  assert.deepEqual(counters.map((c) => c.Attributes?.['n']).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
});

test('DynamoDB batches and pages: a 1,000-item table written by BatchWriteItem scans in pages and in parallel segments exactly once', async () => {
  await ddb().send(new CreateTableCommand(simple('big')));
  const d = doc();
  for (let b = 0; b < 40; b++) {
    await d.send(new BatchWriteCommand({ RequestItems: { big: Array.from({ length: 25 }, (_, i) => ({ PutRequest: { Item: { pk: `p${(b * 25 + i) % 37}`, sk: b * 25 + i, pad: 'x'.repeat(100) } } })) } }));
  }
  const dupes = await err(d.send(new BatchWriteCommand({ RequestItems: { big: [{ PutRequest: { Item: { pk: 'a', sk: 1 } } }, { DeleteRequest: { Key: { pk: 'a', sk: 1 } } }] } })));
  assert.equal(dupes.message, 'Provided list of item keys contains duplicates');
  const seen: number[] = [];
  let pages = 0;
  for await (const page of paginateScan({ client: d }, { TableName: 'big', Limit: 150 })) {
    pages++;
    for (const it of page.Items ?? []) seen.push(it['sk'] as number);
  }
  assert.equal(seen.length, 1000);
  assert.equal(new Set(seen).size, 1000);
  assert.ok(pages >= 7, `pages ${pages}`);
  const segs = await Promise.all([0, 1, 2, 3].map(async (s) => {
    const out: number[] = [];
    for await (const page of paginateScan({ client: d }, { TableName: 'big', Segment: s, TotalSegments: 4 })) for (const it of page.Items ?? []) out.push(it['sk'] as number);
    return out;
  }));
  assert.equal(new Set(segs.flat()).size, 1000);
  assert.equal(segs.flat().length, 1000);
  assert.ok(segs.every((s) => s.length > 0));
  const bg = await d.send(new BatchGetCommand({ RequestItems: { big: { Keys: [{ pk: 'p0', sk: 0 }, { pk: 'p1', sk: 1 }, { pk: 'zz', sk: 5 }], ProjectionExpression: 'sk' } } }));
  assert.deepEqual(bg.Responses?.['big']?.map((i) => i['sk']).sort(), [0, 1]);
  assert.deepEqual(bg.UnprocessedKeys, {});
  const filtered = await d.send(new ScanCommand({ TableName: 'big', FilterExpression: 'sk < :n', ExpressionAttributeValues: { ':n': 10 }, ReturnConsumedCapacity: 'TOTAL' }));
  assert.equal(filtered.Count, 10);
  assert.equal(filtered.ScannedCount, 1000);
  assert.equal(filtered.ConsumedCapacity?.TableName, 'big');
});

test('DynamoDB legacy parameters: Expected, AttributeUpdates, KeyConditions, QueryFilter and ScanFilter act as their expressions', async () => {
  const c = ddb();
  await c.send(new CreateTableCommand(simple('legacy')));
  for (let i = 1; i <= 4; i++) await c.send(new PutItemCommand({ TableName: 'legacy', Item: { pk: { S: 'k' }, sk: { N: String(i) }, color: { S: i % 2 ? 'red' : 'blue' } } }));
  const clash = await err(c.send(new PutItemCommand({ TableName: 'legacy', Item: { pk: { S: 'k' }, sk: { N: '1' } }, Expected: { pk: { Exists: false } } })));
  assert.equal(clash.name, 'ConditionalCheckFailedException');
  await c.send(new UpdateItemCommand({ TableName: 'legacy', Key: { pk: { S: 'k' }, sk: { N: '1' } }, AttributeUpdates: { color: { Action: 'PUT', Value: { S: 'green' } }, n: { Action: 'ADD', Value: { N: '5' } } },
    Expected: { color: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: 'red' }] } } }));
  const q = await c.send(new RawQueryCommand({ TableName: 'legacy', KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: 'k' }] }, sk: { ComparisonOperator: 'LE', AttributeValueList: [{ N: '3' }] } },
    QueryFilter: { color: { ComparisonOperator: 'NE', AttributeValueList: [{ S: 'blue' }] } } }));
  assert.deepEqual(q.Items?.map((i) => [i['sk']?.N, i['color']?.S, i['n']?.N]), [['1', 'green', '5'], ['3', 'red', undefined]]);
  const s = await c.send(new RawScanCommand({ TableName: 'legacy', ConditionalOperator: 'OR', ScanFilter: { color: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: 'green' }] }, sk: { ComparisonOperator: 'GT', AttributeValueList: [{ N: '3' }] } } }));
  assert.deepEqual(s.Items?.map((i) => i['sk']?.N).sort(), ['1', '4']);
  const mixed = await err(c.send(new RawQueryCommand({ TableName: 'legacy', KeyConditionExpression: 'pk = :k', ExpressionAttributeValues: { ':k': { S: 'k' } }, QueryFilter: { color: { ComparisonOperator: 'NULL' } } })));
  assert.equal(mixed.message, 'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {QueryFilter} Expression parameters: {KeyConditionExpression}');
});

test('DynamoDB pages and LSIs: a Scan page stops after 1 MB with a LastEvaluatedKey, and a local index orders a partition by its own range key', async () => {
  await ddb().send(new CreateTableCommand(simple('lsi', {
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }, { AttributeName: 'rank', AttributeType: 'S' }],
    LocalSecondaryIndexes: [{ IndexName: 'byRank', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'rank', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
  })));
  const d = doc();
  for (let i = 0; i < 12; i++) await d.send(new PutCommand({ TableName: 'lsi', Item: { pk: 'p', sk: i, rank: String.fromCharCode(108 - i), blob: 'x'.repeat(100 * 1024) } }));
  const page = await d.send(new ScanCommand({ TableName: 'lsi', ProjectionExpression: 'sk' }));
  assert.ok((page.Count ?? 0) < 12 && (page.Count ?? 0) >= 10, `count ${page.Count}`);
  assert.ok(page.LastEvaluatedKey);
  const rest = await d.send(new ScanCommand({ TableName: 'lsi', ProjectionExpression: 'sk', ExclusiveStartKey: page.LastEvaluatedKey }));
  assert.equal((page.Count ?? 0) + (rest.Count ?? 0), 12);
  const q = await d.send(new QueryCommand({ TableName: 'lsi', IndexName: 'byRank', KeyConditionExpression: 'pk = :p AND #r < :r', ExpressionAttributeNames: { '#r': 'rank' }, ExpressionAttributeValues: { ':p': 'p', ':r': 'c' }, Limit: 1 }));
  assert.deepEqual(q.Items, [{ pk: 'p', sk: 11, rank: 'a' }]);
  assert.deepEqual(q.LastEvaluatedKey, { pk: 'p', sk: 11, rank: 'a' });
  const next = await d.send(new QueryCommand({ TableName: 'lsi', IndexName: 'byRank', KeyConditionExpression: 'pk = :p AND #r < :r', ExpressionAttributeNames: { '#r': 'rank' }, ExpressionAttributeValues: { ':p': 'p', ':r': 'c' }, ExclusiveStartKey: q.LastEvaluatedKey }));
  assert.deepEqual(next.Items?.map((i) => i['rank']), ['b']);
  const full = await d.send(new QueryCommand({ TableName: 'lsi', IndexName: 'byRank', Select: 'ALL_ATTRIBUTES', KeyConditionExpression: 'pk = :p AND #r = :r', ExpressionAttributeNames: { '#r': 'rank' }, ExpressionAttributeValues: { ':p': 'p', ':r': 'a' } }));
  assert.equal((full.Items?.[0]?.['blob'] as string).length, 100 * 1024);
});
