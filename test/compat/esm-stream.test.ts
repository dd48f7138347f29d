// Compatibility: Kinesis and DynamoDB Streams event source mappings through @aws-sdk/client-lambda, client-kinesis,
// client-dynamodb and client-sqs: AWS's event records, bisect to a poison record with an OnFailure queue, validation.
// Each test skips itself while the server has no Kinesis (or DynamoDB Streams) service wired in.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateEventSourceMappingCommand, GetEventSourceMappingCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, ListStreamsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { sqsClient } from '../helpers/sqs.js';
import { removeDir, startServer, type Running, SHARED, removeServer } from '../helpers/server.js';
import { until, recorded as events } from '../helpers/wait.js';

let server: Running;
let lambda: LambdaClient;
let kinesis: KinesisClient;
let dynamodb: DynamoDBClient;
let sqs: SQSClient;
let hasKinesis = false;
const outDir = mkdtempSync(join(tmpdir(), 'selfless-esm-stream-'));
const CORPUS = join(SHARED, 'corpus', 'lambda-events');
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

before(async () => {
  // The recorder functions write what they receive to a host file, which a sandboxed function cannot see.
  server = await startServer({ env: { SELFLESS_ISOLATION: 'process' } });
  lambda = lambdaClient(server.url);
  kinesis = new KinesisClient({ endpoint: server.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  dynamodb = new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  sqs = sqsClient(server.url);
  hasKinesis = await kinesis.send(new ListStreamsCommand({})).then(
    () => true,
    () => false,
  );
});
after(async () => {
  for (const c of [lambda, kinesis, dynamodb, sqs]) c.destroy();
  await server.stop();
  await removeServer(server);
  removeDir(outDir);
});

/** Appends each event to a file; throws when a Kinesis record's data says "poison". */
const RECORDER = {
  'index.js': `const fs = require('fs');
exports.handler = async (event) => {
  fs.appendFileSync(process.env.OUT, JSON.stringify(event) + '\\n');
  for (const r of event.Records) if (r.kinesis && Buffer.from(r.kinesis.data, 'base64').toString().includes('poison')) throw new Error('poison');
  return {};
};`,
};



async function stream(name: string): Promise<string> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  return until(`${name} ACTIVE`, async () => {
    const s = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!;
    return s.StreamStatus === 'ACTIVE' ? s.StreamARN : undefined;
  });
}

const enabled = (uuid: string) => until('Enabled', async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State === 'Enabled');
const data = (r: any): string => Buffer.from(r.kinesis.data, 'base64').toString();
const skipWithoutKinesis = (t: TestContext): boolean => {
  if (!hasKinesis) t.skip('this server has no Kinesis service');
  return !hasKinesis;
};

test('Kinesis mapping: records reach the function as AWS’s Kinesis event, in order, from TRIM_HORIZON', async (t) => {
  if (skipWithoutKinesis(t)) return;
  const out = join(outDir, 'kinesis.jsonl');
  const arn = await stream('esm-k1');
  await kinesis.send(new PutRecordsCommand({ StreamName: 'esm-k1', Records: ['a', 'b'].map((x) => ({ PartitionKey: 'pk', Data: Buffer.from(x) })) }));
  await createFunction(lambda, 'esm-k1-fn', RECORDER, { env: { OUT: out } });
  const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-k1-fn', EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 10 }));
  assert.equal(m.State, 'Creating');
  assert.equal(m.StartingPosition, 'TRIM_HORIZON');
  assert.equal(m.MaximumRetryAttempts, -1);
  await enabled(m.UUID!);
  await kinesis.send(new PutRecordsCommand({ StreamName: 'esm-k1', Records: ['c'].map((x) => ({ PartitionKey: 'pk', Data: Buffer.from(x) })) }));
  const recs = await until('3 records', () => {
    const all = events(out).flatMap((e) => e.Records);
    return all.length >= 3 ? all : undefined;
  });
  assert.deepEqual(recs.map(data), ['a', 'b', 'c']);
  const r = recs[0];
  // Field by field against AWS's sample where ../shared is present (absent in a fresh clone).
  if (existsSync(CORPUS)) {
    const sample = JSON.parse(readFileSync(join(CORPUS, 'kinesis-event.json'), 'utf8')).Records[0];
    assert.deepEqual(Object.keys(r).sort(), Object.keys(sample).sort());
    assert.deepEqual(Object.keys(r.kinesis).sort(), Object.keys(sample.kinesis).sort());
  }
  assert.equal(r.eventSource, 'aws:kinesis');
  assert.equal(r.eventName, 'aws:kinesis:record');
  assert.equal(r.eventVersion, '1.0');
  assert.equal(r.eventSourceARN, arn);
  assert.equal(r.eventID, `shardId-000000000000:${r.kinesis.sequenceNumber}`);
  assert.equal(r.kinesis.partitionKey, 'pk');
  await until('LastProcessingResult OK', async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID }))).LastProcessingResult === 'OK');
});

test('Kinesis mapping: BisectBatchOnFunctionError isolates the poison record, whose batch info goes to the OnFailure queue', async (t) => {
  if (skipWithoutKinesis(t)) return;
  const out = join(outDir, 'bisect.jsonl');
  const arn = await stream('esm-k2');
  const qUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'esm-k2-failures' }))).QueueUrl!;
  await createFunction(lambda, 'esm-k2-fn', RECORDER, { env: { OUT: out } });
  await kinesis.send(new PutRecordsCommand({ StreamName: 'esm-k2', Records: ['ok-1', 'ok-2', 'poison', 'ok-3'].map((x) => ({ PartitionKey: x, Data: Buffer.from(x) })) }));
  const m = await lambda.send(
    new CreateEventSourceMappingCommand({
      FunctionName: 'esm-k2-fn',
      EventSourceArn: arn,
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:000000000000:esm-k2-failures' } },
    }),
  );
  assert.deepEqual(m.DestinationConfig, { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:000000000000:esm-k2-failures' } });
  const msg = await until('a failure record', async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: qUrl, WaitTimeSeconds: 1 }))).Messages?.[0]);
  const body = JSON.parse(msg.Body!);
  assert.equal(body.requestContext.condition, 'RetryAttemptsExhausted');
  assert.equal(body.KinesisBatchInfo.batchSize, 1);
  assert.equal(body.KinesisBatchInfo.streamArn, arn);
  assert.equal(body.KinesisBatchInfo.shardId, 'shardId-000000000000');
  const delivered = events(out).flatMap((e) => e.Records.map(data));
  for (const x of ['ok-1', 'ok-2', 'ok-3']) assert.ok(delivered.includes(x), `${x} delivered`);
});

test('Kinesis mapping: CreateEventSourceMapping refuses what AWS refuses', async (t) => {
  if (skipWithoutKinesis(t)) return;
  const arn = await stream('esm-k3');
  await createFunction(lambda, 'esm-k3-fn', RECORDER, { env: { OUT: join(outDir, 'none.jsonl') } });
  const refuse = async (input: Record<string, unknown>, code: string) => {
    await assert.rejects(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-k3-fn', EventSourceArn: arn, ...input } as never)), (e: any) => e.name === code);
  };
  await refuse({}, 'InvalidParameterValueException');
  await refuse({ StartingPosition: 'AT_TIMESTAMP' }, 'InvalidParameterValueException');
  await refuse({ StartingPosition: 'LATEST', MaximumRecordAgeInSeconds: 10 }, 'InvalidParameterValueException');
  await refuse({ StartingPosition: 'LATEST', ParallelizationFactor: 11 }, 'ValidationException');
  await refuse({ StartingPosition: 'LATEST', EventSourceArn: `${arn}-gone` }, 'InvalidParameterValueException');
});

test('DynamoDB Streams mapping: an item written after the mapping arrives as AWS’s DynamoDB event record', async (t) => {
  const created = await dynamodb
    .send(
      new CreateTableCommand({
        TableName: 'esm-ddb',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    )
    .catch(() => undefined);
  const streamArn = created?.TableDescription?.LatestStreamArn;
  if (!streamArn) return t.skip('this server has no DynamoDB Streams');
  const out = join(outDir, 'ddb.jsonl');
  await createFunction(lambda, 'esm-ddb-fn', RECORDER, { env: { OUT: out } });
  const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-ddb-fn', EventSourceArn: streamArn, StartingPosition: 'LATEST' }));
  await enabled(m.UUID!);
  await dynamodb.send(new PutItemCommand({ TableName: 'esm-ddb', Item: { id: { S: 'a' }, v: { N: '1' } } }));
  const r = await until('the INSERT record', () => events(out).flatMap((e) => e.Records)[0]);
  assert.equal(r.eventName, 'INSERT');
  assert.equal(r.eventSource, 'aws:dynamodb');
  assert.equal(r.eventSourceARN, streamArn);
  assert.equal(r.awsRegion, 'us-east-1');
  assert.deepEqual(r.dynamodb.Keys, { id: { S: 'a' } });
  assert.deepEqual(r.dynamodb.NewImage, { id: { S: 'a' }, v: { N: '1' } });
  const sample = existsSync(CORPUS) ? JSON.parse(readFileSync(join(CORPUS, 'dynamodb-event.json'), 'utf8')).Records[0] : undefined;
  for (const k of ['eventID', 'eventName', 'eventVersion', 'eventSource', 'awsRegion', 'dynamodb', 'eventSourceARN']) assert.ok(k in r && (!sample || k in sample), k);
});
