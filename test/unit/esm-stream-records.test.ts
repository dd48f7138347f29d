// Unit: the wire shapes of stream mappings: DynamoDB event records in AWS's member order, what filters see, the
// partial batch response rules for sequence numbers, the DynamoDB failure record, windows and parent/child order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventRecord, failureRecord, filterView, laneOf, streamItemFailures, windowOf } from '../../src/services/lambda/esm/stream-records.js';
import { readyShards } from '../../src/services/lambda/esm/stream-poller.js';
import { SHARED } from '../helpers/server.js';

const SAMPLE = join(SHARED, 'corpus', 'lambda-events', 'dynamodb-event.json');
const noCorpus = existsSync(SAMPLE) ? false : "AWS's sample events are in ../shared/corpus, absent in this checkout";
const DDB_STREAM = 'arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2026-01-01T00:00:00.000';

test('Stream records: a DynamoDB record keeps the stream record and adds the region and stream ARN in AWS’s order', { skip: noCorpus }, () => {
  const sample = JSON.parse(readFileSync(SAMPLE, 'utf8')).Records[0];
  const { awsRegion: _r, eventSourceARN: _a, ...streamRecord } = sample;
  const r = eventRecord(
    { sequenceNumber: sample.dynamodb.SequenceNumber, approximateArrivalMs: 0, partitionKey: 'k', sizeBytes: 1, record: streamRecord },
    { source: 'aws:dynamodb', streamArn: sample.eventSourceARN, region: 'us-east-1', shardId: 's', roleArn: 'x' },
  );
  assert.deepEqual(r, sample);
  assert.deepEqual(Object.keys(r).filter((k) => k !== 'userIdentity'), Object.keys(sample).filter((k) => k !== 'userIdentity'));
});

test('Stream records: Kinesis filters see the data decoded from JSON, and no data when it is not JSON; DynamoDB filters see the record', () => {
  const rec = (data: string) => ({ sequenceNumber: '1', approximateArrivalMs: 0, partitionKey: 'k', sizeBytes: 1, record: { partitionKey: 'k', data: Buffer.from(data).toString('base64') } });
  assert.deepEqual(filterView(rec('{"a":1}'), 'aws:kinesis'), { partitionKey: 'k', data: { a: 1 } });
  assert.deepEqual(filterView(rec('plain'), 'aws:kinesis'), { partitionKey: 'k' });
  const ddb = { eventName: 'INSERT', dynamodb: { Keys: {} } };
  assert.deepEqual(filterView({ ...rec(''), record: ddb }, 'aws:dynamodb'), ddb);
});

test('Stream records: batchItemFailures names sequence numbers; the lowest one is where the retry starts', () => {
  const seqs = ['10', '20', '30'];
  assert.deepEqual(streamItemFailures(undefined, seqs), { kind: 'none' });
  assert.deepEqual(streamItemFailures(null, seqs), { kind: 'none' });
  assert.deepEqual(streamItemFailures({}, seqs), { kind: 'none' });
  assert.deepEqual(streamItemFailures({ batchItemFailures: [] }, seqs), { kind: 'none' });
  assert.deepEqual(streamItemFailures({ batchItemFailures: [{ itemIdentifier: '30' }, { itemIdentifier: '20' }] }, seqs), { kind: 'from', index: 1 });
  assert.deepEqual(streamItemFailures({ batchItemFailures: [{ itemIdentifier: '' }] }, seqs), { kind: 'all' });
  assert.deepEqual(streamItemFailures({ batchItemFailures: [{ itemIdentifier: null }] }, seqs), { kind: 'all' });
  assert.deepEqual(streamItemFailures({ batchItemFailures: [{ id: '20' }] }, seqs), { kind: 'all' });
  assert.deepEqual(streamItemFailures({ batchItemFailures: [{ itemIdentifier: '99' }] }, seqs), { kind: 'all' });
});

test('Stream records: a discarded DynamoDB batch is described as DDBStreamBatchInfo', () => {
  const recs = [1, 2].map((n) => ({ sequenceNumber: String(n), approximateArrivalMs: Date.UTC(2026, 0, 1, 0, 0, n), partitionKey: 'k', sizeBytes: 1, record: {} }));
  const f = failureRecord({ requestId: 'r', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f', condition: 'RetryAttemptsExhausted', invokeCount: 3, response: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' }, nowMs: Date.UTC(2026, 0, 1, 0, 1), source: 'aws:dynamodb', shardId: 'shard-1', streamArn: DDB_STREAM, records: recs });
  assert.deepEqual(f, {
    requestContext: { requestId: 'r', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-01-01T00:01:00.000Z',
    DDBStreamBatchInfo: {
      shardId: 'shard-1',
      startSequenceNumber: '1',
      endSequenceNumber: '2',
      approximateArrivalOfFirstRecord: '2026-01-01T00:00:01.000Z',
      approximateArrivalOfLastRecord: '2026-01-01T00:00:02.000Z',
      batchSize: 2,
      streamArn: DDB_STREAM,
    },
  });
});

test('Stream records: windows align to their length, lanes are stable per key, and children wait for every listed parent', () => {
  assert.deepEqual(windowOf(Date.UTC(2026, 0, 1, 0, 5, 30), 120), { startMs: Date.UTC(2026, 0, 1, 0, 4), endMs: Date.UTC(2026, 0, 1, 0, 6) });
  assert.equal(laneOf('key-1', 4), laneOf('key-1', 4));
  assert.ok(new Set(Array.from({ length: 50 }, (_, i) => laneOf(`k${i}`, 4))).size > 1, 'keys spread over lanes');
  const shards = [{ shardId: 'p1' }, { shardId: 'p2' }, { shardId: 'c', parentShardId: 'p1', adjacentParentShardId: 'p2' }, { shardId: 'orphan', parentShardId: 'trimmed' }];
  assert.deepEqual(readyShards(shards, new Set()).map((s) => s.shardId), ['p1', 'p2', 'orphan']);
  assert.deepEqual(readyShards(shards, new Set(['p1'])).map((s) => s.shardId), ['p2', 'orphan'], 'a merge waits for both parents');
  assert.deepEqual(readyShards(shards, new Set(['p1', 'p2'])).map((s) => s.shardId), ['c', 'orphan']);
});
