// DynamoDB Streams against a live server with @aws-sdk/client-dynamodb-streams: records per item change, TTL deletes.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CreateTableCommand, DeleteItemCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand, UpdateTimeToLiveCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, ListStreamsCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { liveServer } from '../helpers/server.js';

const server = liveServer();
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };
const ddb = (): DynamoDBClient => new DynamoDBClient({ endpoint: server().url, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
const str = (): DynamoDBStreamsClient => new DynamoDBStreamsClient({ endpoint: server().url, region: 'us-east-1', credentials: creds, maxAttempts: 1 });

async function readAll(arn: string, type: 'TRIM_HORIZON' | 'LATEST' = 'TRIM_HORIZON', iterator?: string): Promise<{ records: _Record[]; next?: string }> {
  const s = str();
  const d = await s.send(new DescribeStreamCommand({ StreamArn: arn }));
  let it = iterator ?? (await s.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: d.StreamDescription!.Shards![0]!.ShardId!, ShardIteratorType: type }))).ShardIterator;
  const records: _Record[] = [];
  for (let i = 0; i < 5 && it; i++) {
    const r = await s.send(new GetRecordsCommand({ ShardIterator: it, Limit: 2 }));
    records.push(...(r.Records ?? []));
    it = r.NextShardIterator;
    if (!r.Records?.length) break;
  }
  return { records, ...(it ? { next: it } : {}) };
}

test('DynamoDB Streams: INSERT, MODIFY and REMOVE records carry keys and both images in order, and LATEST sees only later changes', async () => {
  const c = ddb();
  const t = await c.send(new CreateTableCommand({
    TableName: 'streamed', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  }));
  const arn = t.TableDescription!.LatestStreamArn!;
  const listed = await str().send(new ListStreamsCommand({ TableName: 'streamed' }));
  assert.deepEqual(listed.Streams?.map((s) => s.StreamArn), [arn]);
  await c.send(new PutItemCommand({ TableName: 'streamed', Item: { id: { S: 'a' }, v: { N: '1' } } }));
  await c.send(new PutItemCommand({ TableName: 'streamed', Item: { id: { S: 'a' }, v: { N: '1' } } }));
  await c.send(new UpdateItemCommand({ TableName: 'streamed', Key: { id: { S: 'a' } }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': { N: '2' } } }));
  await c.send(new DeleteItemCommand({ TableName: 'streamed', Key: { id: { S: 'a' } } }));
  await c.send(new DeleteItemCommand({ TableName: 'streamed', Key: { id: { S: 'never' } } }));
  const { records, next } = await readAll(arn);
  assert.deepEqual(records.map((r) => r.eventName), ['INSERT', 'MODIFY', 'REMOVE']);
  assert.deepEqual(records[1]!.dynamodb?.Keys, { id: { S: 'a' } });
  assert.deepEqual([records[1]!.dynamodb?.OldImage?.['v'], records[1]!.dynamodb?.NewImage?.['v']], [{ N: '1' }, { N: '2' }]);
  assert.equal(records[2]!.dynamodb?.NewImage, undefined);
  assert.equal(records[0]!.eventSource, 'aws:dynamodb');
  assert.equal(records[0]!.dynamodb?.StreamViewType, 'NEW_AND_OLD_IMAGES');
  assert.ok(records[0]!.dynamodb?.ApproximateCreationDateTime instanceof Date);
  const seqs = records.map((r) => BigInt(r.dynamodb!.SequenceNumber!));
  assert.ok(seqs[0]! < seqs[1]! && seqs[1]! < seqs[2]!);
  assert.ok((records[0]!.dynamodb?.SizeBytes ?? 0) > 0);
  const latest = await readAll(arn, 'LATEST');
  await c.send(new PutItemCommand({ TableName: 'streamed', Item: { id: { S: 'b' } } }));
  const after = await readAll(arn, 'LATEST', latest.next);
  assert.deepEqual(after.records.map((r) => r.dynamodb?.Keys?.['id']?.S), ['b']);
  assert.deepEqual((await readAll(arn, 'TRIM_HORIZON', next)).records.map((r) => r.eventName), ['INSERT']);
  await c.send(new UpdateTableCommand({ TableName: 'streamed', StreamSpecification: { StreamEnabled: false } }));
  assert.equal((await str().send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription?.StreamStatus, 'DISABLED');
});

test('DynamoDB Streams: a TTL expiry is a REMOVE record by the service principal dynamodb.amazonaws.com', async () => {
  const c = ddb();
  const t = await c.send(new CreateTableCommand({
    TableName: 'ttl-streamed', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'OLD_IMAGE' },
  }));
  await c.send(new UpdateTimeToLiveCommand({ TableName: 'ttl-streamed', TimeToLiveSpecification: { Enabled: true, AttributeName: 'exp' } }));
  await c.send(new PutItemCommand({ TableName: 'ttl-streamed', Item: { id: { S: 'gone' }, exp: { N: String(Math.floor(Date.now() / 1000) - 60) } } }));
  const arn = t.TableDescription!.LatestStreamArn!;
  let removes: _Record[] = [];
  for (let i = 0; i < 40 && !removes.length; i++) {
    await new Promise((r) => setTimeout(r, 250));
    removes = (await readAll(arn)).records.filter((r) => r.eventName === 'REMOVE');
  }
  assert.equal(removes.length, 1);
  assert.deepEqual(removes[0]!.userIdentity, { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' });
  assert.equal(removes[0]!.dynamodb?.OldImage?.['id']?.S, 'gone');
});
