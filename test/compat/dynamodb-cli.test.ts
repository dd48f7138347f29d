// DynamoDB through boto3 and the aws CLI, and its durability across a SIGKILL restart.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { awsCli } from '../helpers/aws-cli.js';
import { liveServer, removeServer, startServer } from '../helpers/server.js';

const server = liveServer();

function python(script: string, endpoint: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', script], { env: { ...process.env, ENDPOINT: endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1' } }, (e, out, errOut) =>
      e ? reject(new Error(`${e.message}\n${errOut}`)) : resolve(out));
  });
}

test('DynamoDB with boto3: the resource API creates a table, writes through batch_writer, queries with Key conditions and catches ConditionalCheckFailed', async () => {
  const out = await python(`
import os, boto3
from boto3.dynamodb.conditions import Key, Attr
from botocore.exceptions import ClientError
ddb = boto3.resource('dynamodb', endpoint_url=os.environ['ENDPOINT'])
t = ddb.create_table(TableName='py-orders', KeySchema=[{'AttributeName': 'c', 'KeyType': 'HASH'}, {'AttributeName': 'n', 'KeyType': 'RANGE'}],
  AttributeDefinitions=[{'AttributeName': 'c', 'AttributeType': 'S'}, {'AttributeName': 'n', 'AttributeType': 'N'}], BillingMode='PAY_PER_REQUEST')
t.wait_until_exists()
with t.batch_writer() as b:
    for i in range(60):
        b.put_item(Item={'c': 'cust%d' % (i % 3), 'n': i, 'total': i * 10})
r = t.query(KeyConditionExpression=Key('c').eq('cust1') & Key('n').gte(50), FilterExpression=Attr('total').lt(580))
print(sorted(int(i['n']) for i in r['Items']))
try:
    t.put_item(Item={'c': 'cust1', 'n': 1}, ConditionExpression='attribute_not_exists(c)')
except ClientError as e:
    print(e.response['Error']['Code'], e.response['Error']['Message'])
print(ddb.meta.client.describe_table(TableName='py-orders')['Table']['ItemCount'])
`, server().url);
  assert.deepEqual(out.trim().split('\n'), ['[52, 55]', 'ConditionalCheckFailedException The conditional request failed', '60']);
});

test('DynamoDB with the aws CLI: create-table, put-item, scan and a missing table error', async () => {
  const url = server().url;
  const mk = await awsCli(1, url, ['dynamodb', 'create-table', '--table-name', 'cli-t', '--attribute-definitions', 'AttributeName=id,AttributeType=S', '--key-schema', 'AttributeName=id,KeyType=HASH', '--billing-mode', 'PAY_PER_REQUEST']);
  assert.equal(mk.code, 0, mk.stderr);
  assert.equal(mk.json().TableDescription.TableName, 'cli-t');
  assert.equal((await awsCli(1, url, ['dynamodb', 'put-item', '--table-name', 'cli-t', '--item', '{"id":{"S":"a"},"v":{"N":"1"}}'])).code, 0);
  const scan = await awsCli(1, url, ['dynamodb', 'scan', '--table-name', 'cli-t']);
  assert.deepEqual(scan.json().Items, [{ id: { S: 'a' }, v: { N: '1' } }]);
  const missing = await awsCli(1, url, ['dynamodb', 'describe-table', '--table-name', 'nope-t']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /ResourceNotFoundException.*Requested resource not found: Table: nope-t not found/);
});

test('DynamoDB durability: acknowledged items, index rows and tables survive a SIGKILL restart', async () => {
  let s = await startServer();
  const dataDir = s.dataDir;
  try {
    const c = (): DynamoDBClient => new DynamoDBClient({ endpoint: s.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    const mk = await awsCli(1, s.url, ['dynamodb', 'create-table', '--table-name', 'dur', '--attribute-definitions', 'AttributeName=id,AttributeType=S', 'AttributeName=g,AttributeType=S',
      '--key-schema', 'AttributeName=id,KeyType=HASH', '--billing-mode', 'PAY_PER_REQUEST', '--global-secondary-indexes', 'IndexName=byG,KeySchema=[{AttributeName=g,KeyType=HASH}],Projection={ProjectionType=ALL}']);
    assert.equal(mk.code, 0, mk.stderr);
    await Promise.all(Array.from({ length: 50 }, (_, i) => c().send(new PutItemCommand({ TableName: 'dur', Item: { id: { S: `i${i}` }, g: { S: i % 2 ? 'odd' : 'even' } } }))));
    await s.stop('SIGKILL');
    s = await startServer({ dataDir });
    assert.equal((await c().send(new GetItemCommand({ TableName: 'dur', Key: { id: { S: 'i49' } } }))).Item?.['g']?.S, 'odd');
    const q = await c().send(new QueryCommand({ TableName: 'dur', IndexName: 'byG', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': { S: 'even' } } }));
    assert.equal(q.Count, 25);
    assert.equal((await c().send(new DescribeTableCommand({ TableName: 'dur' }))).Table?.ItemCount, 50);
  } finally {
    await s.stop();
    await removeServer({ dataDir });
  }
});
