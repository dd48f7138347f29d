// Kinesis through the AWS CLI v1 and boto3: tags, consumers, encryption and monitoring settings, and records that
// survive a SIGKILL of the server.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { awsCli } from '../helpers/aws-cli.js';
import { liveServer, removeServer, startServer } from '../helpers/server.js';

const server = liveServer();
const cli = async (...args: string[]): Promise<any> => {
  const r = await awsCli(1, server().url, ['kinesis', ...args]);
  assert.equal(r.code, 0, `aws kinesis ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim() ? r.json() : {};
};
const cliErr = async (...args: string[]): Promise<string> => {
  const r = await awsCli(1, server().url, ['kinesis', ...args]);
  assert.notEqual(r.code, 0, `aws kinesis ${args.join(' ')} should fail`);
  return r.stderr;
};

function boto(url: string, code: string): Promise<string> {
  const script = `import boto3, json\nc = boto3.client('kinesis', endpoint_url='${url}', region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')\n${code}`;
  return new Promise((res, rej) => execFile('python3', ['-c', script], (e, out, err) => (e ? rej(new Error(err)) : res(out.trim()))));
}

test('Kinesis CLI: stream tags, the TagResource family, encryption and enhanced monitoring are stored and reported', async () => {
  await cli('create-stream', '--stream-name', 'tagged', '--shard-count', '1');
  await cli('wait', 'stream-exists', '--stream-name', 'tagged');
  await cli('add-tags-to-stream', '--stream-name', 'tagged', '--tags', 'team=core,env=dev,z=1');
  await cli('remove-tags-from-stream', '--stream-name', 'tagged', '--tag-keys', 'z');
  assert.deepEqual((await cli('list-tags-for-stream', '--stream-name', 'tagged')).Tags, [{ Key: 'env', Value: 'dev' }, { Key: 'team', Value: 'core' }]);
  const page = await cli('list-tags-for-stream', '--stream-name', 'tagged', '--limit', '1');
  assert.deepEqual([page.Tags.length, page.HasMoreTags], [1, true]);
  const arn = 'arn:aws:kinesis:us-east-1:000000000000:stream/tagged';
  await cli('tag-resource', '--resource-arn', arn, '--tags', 'owner=me');
  await cli('untag-resource', '--resource-arn', arn, '--tag-keys', 'env');
  assert.deepEqual((await cli('list-tags-for-resource', '--resource-arn', arn)).Tags.map((t: any) => t.Key).sort(), ['owner', 'team']);

  await cli('start-stream-encryption', '--stream-name', 'tagged', '--encryption-type', 'KMS', '--key-id', 'alias/aws/kinesis');
  let d = (await cli('describe-stream-summary', '--stream-name', 'tagged')).StreamDescriptionSummary;
  assert.deepEqual([d.EncryptionType, d.KeyId], ['KMS', 'alias/aws/kinesis']);
  assert.equal((await cli('put-record', '--stream-name', 'tagged', '--partition-key', 'p', '--data', 'eA==')).EncryptionType, 'KMS');
  await cli('stop-stream-encryption', '--stream-name', 'tagged', '--encryption-type', 'KMS', '--key-id', 'alias/aws/kinesis');
  assert.equal((await cli('describe-stream-summary', '--stream-name', 'tagged')).StreamDescriptionSummary.EncryptionType, 'NONE');

  const en = await cli('enable-enhanced-monitoring', '--stream-name', 'tagged', '--shard-level-metrics', 'IncomingBytes', 'OutgoingRecords');
  assert.deepEqual([en.CurrentShardLevelMetrics, en.DesiredShardLevelMetrics], [[], ['IncomingBytes', 'OutgoingRecords']]);
  const dis = await cli('disable-enhanced-monitoring', '--stream-name', 'tagged', '--shard-level-metrics', 'IncomingBytes');
  assert.deepEqual(dis.DesiredShardLevelMetrics, ['OutgoingRecords']);
  d = (await cli('describe-stream', '--stream-name', 'tagged')).StreamDescription;
  assert.deepEqual(d.EnhancedMonitoring, [{ ShardLevelMetrics: ['OutgoingRecords'] }]);
  assert.match(await cliErr('describe-stream', '--stream-name', 'missing'), /ResourceNotFoundException.*Stream missing under account 000000000000 not found\./);
});

test('Kinesis boto3: consumers register with AWS-formed ARNs, are described by ARN or name, listed, and block DeleteStream', async () => {
  const out = await boto(server().url, `
c.create_stream(StreamName='fan', ShardCount=1)
c.get_waiter('stream_exists').wait(StreamName='fan', WaiterConfig={'Delay': 1})
arn = c.describe_stream_summary(StreamName='fan')['StreamDescriptionSummary']['StreamARN']
reg = c.register_stream_consumer(StreamARN=arn, ConsumerName='app1')['Consumer']
c.register_stream_consumer(StreamARN=arn, ConsumerName='app2')
by_arn = c.describe_stream_consumer(ConsumerARN=reg['ConsumerARN'])['ConsumerDescription']
by_name = c.describe_stream_consumer(StreamARN=arn, ConsumerName='app1')['ConsumerDescription']
names = [x['ConsumerName'] for x in c.list_stream_consumers(StreamARN=arn)['Consumers']]
try:
    c.register_stream_consumer(StreamARN=arn, ConsumerName='app1'); dup = 'none'
except c.exceptions.ResourceInUseException:
    dup = 'ResourceInUseException'
try:
    c.delete_stream(StreamName='fan'); blocked = 'no'
except c.exceptions.ResourceInUseException:
    blocked = 'yes'
count = c.describe_stream_summary(StreamARN=arn)['StreamDescriptionSummary']['ConsumerCount']
c.deregister_stream_consumer(StreamARN=arn, ConsumerName='app2')
try:
    c.describe_stream_consumer(StreamARN=arn, ConsumerName='app2'); gone = 'no'
except c.exceptions.ResourceNotFoundException:
    gone = 'yes'
c.delete_stream(StreamName='fan', EnforceConsumerDeletion=True)
print(json.dumps({'arn': reg['ConsumerARN'], 'status': by_arn['ConsumerStatus'], 'same': by_arn['ConsumerARN'] == by_name['ConsumerARN'], 'stream': by_arn['StreamARN'],
  'names': names, 'dup': dup, 'blocked': blocked, 'count': count, 'gone': gone}))
`);
  const r = JSON.parse(out);
  assert.match(r.arn, /^arn:aws:kinesis:us-east-1:000000000000:stream\/fan\/consumer\/app1:\d{10}$/);
  assert.equal(r.status, 'ACTIVE');
  assert.equal(r.same, true);
  assert.equal(r.stream, 'arn:aws:kinesis:us-east-1:000000000000:stream/fan');
  assert.deepEqual(r.names, ['app1', 'app2']);
  assert.deepEqual([r.dup, r.blocked, r.count, r.gone], ['ResourceInUseException', 'yes', 2, 'yes']);
});

test('Kinesis boto3: records put and acknowledged before a SIGKILL are all there, in order, after a restart', async () => {
  const first = await startServer();
  try {
    const seqs = JSON.parse(await boto(first.url, `
c.create_stream(StreamName='durable', ShardCount=2)
out = []
for i in range(20):
    out.append(c.put_record(StreamName='durable', PartitionKey='k%d' % (i % 3), Data=('r%d' % i).encode())['SequenceNumber'])
res = c.put_records(StreamName='durable', Records=[{'PartitionKey': 'batch', 'Data': b'b%d' % i} for i in range(50)])
assert res['FailedRecordCount'] == 0
print(json.dumps(out))
`)) as string[];
    assert.equal(seqs.length, 20);
    assert.equal((await first.stop('SIGKILL')).signal, 'SIGKILL');
    const second = await startServer({ dataDir: first.dataDir });
    try {
      const got = JSON.parse(await boto(second.url, `
out = {}
for s in c.list_shards(StreamName='durable')['Shards']:
    it = c.get_shard_iterator(StreamName='durable', ShardId=s['ShardId'], ShardIteratorType='TRIM_HORIZON')['ShardIterator']
    r = c.get_records(ShardIterator=it, Limit=1000)
    out[s['ShardId']] = [[x['Data'].decode(), x['SequenceNumber']] for x in r['Records']]
print(json.dumps(out))
`)) as Record<string, [string, string][]>;
      const all = Object.values(got).flat();
      assert.equal(all.length, 70);
      for (const recs of Object.values(got)) {
        for (let i = 1; i < recs.length; i++) assert.ok(BigInt(recs[i - 1]![1]) < BigInt(recs[i]![1]), 'sequence numbers increase within a shard');
        const singles = recs.map(([d]) => d).filter((d) => d.startsWith('r')).map((d) => Number(d.slice(1)));
        assert.deepEqual(singles, [...singles].sort((a, b) => a - b), 'records of a shard keep their put order');
      }
      assert.deepEqual(new Set(all.map(([, s]) => s)).size, 70);
      for (const s of seqs) assert.ok(all.some(([, x]) => x === s), `acknowledged record ${s} is there`);
    } finally {
      await second.stop();
    }
  } finally {
    await removeServer(first);
  }
});
