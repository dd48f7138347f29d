// Compatibility: S3 through the AWS CLI v1 and v2 (`aws s3 cp/sync/ls/rm`, a 100 MB multipart copy, `s3api` errors),
// SNS and EventBridge through the CLI v2, and boto3, byte for byte.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createReadStream, mkdtempSync, mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveServer, removeDir } from '../helpers/server.js';
import { awsCli, hasV2 } from '../helpers/aws-cli.js';

const server = liveServer();
const cli = (args: string[], cwd?: string) => awsCli(1, server().url, args, cwd);
const noV2 = hasV2() ? false : 'the AWS CLI v2 is not installed at /usr/bin/aws (.ci/run installs Debian\'s awscli)';
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'selfless-s3cli-'));
});
after(() => removeDir(dir));

async function fileMd5(path: string): Promise<string> {
  const h = createHash('md5');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

async function roundTrip(version: 1 | 2): Promise<void> {
  const cli = (args: string[], cwd?: string) => awsCli(version, server().url, args, cwd);
  const bucket = `cli-bucket-v${version}`;
  const dir = mkdtempSync(join(tmpdir(), `selfless-s3cli-v${version}-`));
  assert.equal((await cli(['s3', 'mb', `s3://${bucket}`])).code, 0);
  const src = join(dir, 'src');
  mkdirSync(join(src, 'nested', 'deeper'), { recursive: true });
  const files: Record<string, Buffer> = { 'a.txt': Buffer.from('alpha\n'), 'nested/b.bin': randomBytes(200_000), 'nested/deeper/c d.json': Buffer.from('{"c":1}') };
  for (const [k, v] of Object.entries(files)) writeFileSync(join(src, k), v);
  const cp = await cli(['s3', 'cp', join(src, 'a.txt'), `s3://${bucket}/single/a.txt`]);
  assert.equal(cp.code, 0, cp.stderr);
  const down = join(dir, 'down-a.txt');
  assert.equal((await cli(['s3', 'cp', `s3://${bucket}/single/a.txt`, down])).code, 0);
  assert.deepEqual(readFileSync(down), files['a.txt']);
  const sync = await cli(['s3', 'sync', src, `s3://${bucket}/tree`]);
  assert.equal(sync.code, 0, sync.stderr);
  const ls = await cli(['s3', 'ls', '--recursive', `s3://${bucket}/tree/`]);
  assert.equal(ls.code, 0, ls.stderr);
  for (const k of Object.keys(files)) assert.match(ls.stdout, new RegExp(`tree/${k.replace('.', '\\.')}`));
  const top = await cli(['s3', 'ls', `s3://${bucket}/`]);
  assert.match(top.stdout, /PRE single\//);
  assert.match(top.stdout, /PRE tree\//);
  // A second sync has nothing to do.
  const again = await cli(['s3', 'sync', src, `s3://${bucket}/tree`]);
  assert.equal(again.stdout.trim(), '');
  const back = join(dir, 'back');
  assert.equal((await cli(['s3', 'sync', `s3://${bucket}/tree`, back])).code, 0);
  for (const [k, v] of Object.entries(files)) assert.deepEqual(readFileSync(join(back, k)), v, k);
  const rm = await cli(['s3', 'rm', '--recursive', `s3://${bucket}/tree`]);
  assert.equal(rm.code, 0, rm.stderr);
  assert.doesNotMatch((await cli(['s3', 'ls', `s3://${bucket}/`])).stdout, /tree/);
  const missing = await cli(['s3api', 'head-object', '--bucket', bucket, '--key', 'tree/a.txt']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /404/);
  const nb = await cli(['s3api', 'get-object', '--bucket', 'no-such-bucket-here', '--key', 'k', join(dir, 'x')]);
  assert.match(nb.stderr, /NoSuchBucket/);
  void readdirSync;
  removeDir(dir);
}

test('aws s3 (CLI v1): mb, cp up and down, ls, sync both ways and rm round trip files byte for byte', () => roundTrip(1));
test('aws s3 (CLI v2): mb, cp up and down, ls, sync both ways and rm round trip files byte for byte', { skip: noV2 }, () => roundTrip(2));

test('aws sns and aws events (CLI v2): a topic and a rule deliver to an SQS queue; a missing topic is NotFound', { skip: noV2 }, async () => {
  const v2 = (args: string[]) => awsCli(2, server().url, args);
  const q = (await v2(['sqs', 'create-queue', '--queue-name', 'cli-v2-q'])).json().QueueUrl as string;
  const arn = (await v2(['sqs', 'get-queue-attributes', '--queue-url', q, '--attribute-names', 'QueueArn'])).json().Attributes.QueueArn as string;
  const topic = (await v2(['sns', 'create-topic', '--name', 'cli-v2-t'])).json().TopicArn as string;
  const sub = await v2(['sns', 'subscribe', '--topic-arn', topic, '--protocol', 'sqs', '--notification-endpoint', arn, '--attributes', 'RawMessageDelivery=true']);
  assert.equal(sub.code, 0, sub.stderr);
  assert.match((await v2(['sns', 'publish', '--topic-arn', topic, '--message', 'via-sns'])).json().MessageId, /^[0-9a-f-]{36}$/);
  const rule = await v2(['events', 'put-rule', '--name', 'cli-v2-r', '--event-pattern', '{"source":["cli"]}']);
  assert.equal(rule.code, 0, rule.stderr);
  assert.equal((await v2(['events', 'put-targets', '--rule', 'cli-v2-r', '--targets', `Id=q,Arn=${arn}`])).json().FailedEntryCount, 0);
  const put = (await v2(['events', 'put-events', '--entries', JSON.stringify([{ Source: 'cli', DetailType: 't', Detail: '{"via":"events"}' }])])).json();
  assert.equal(put.FailedEntryCount, 0);
  const bodies: string[] = [];
  for (let i = 0; i < 10 && bodies.length < 2; i++) {
    const r = (await v2(['sqs', 'receive-message', '--queue-url', q, '--max-number-of-messages', '10', '--wait-time-seconds', '1'])).stdout;
    for (const m of r ? (JSON.parse(r).Messages ?? []) : []) bodies.push(m.Body as string);
  }
  assert.ok(bodies.includes('via-sns'), bodies.join());
  assert.ok(bodies.some((b) => b.includes('"via":"events"')), bodies.join());
  const missing = await v2(['sns', 'publish', '--topic-arn', 'arn:aws:sns:us-east-1:000000000000:nope', '--message', 'x']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /NotFound/);
});

test('aws s3 cp: a 100 MB file goes up as a multipart upload and comes back identical', async () => {
  assert.equal((await cli(['s3', 'mb', 's3://cli-big'])).code, 0);
  const big = join(dir, 'big.bin');
  const fh = await open(big, 'w');
  const block = randomBytes(1024 * 1024);
  for (let i = 0; i < 100; i++) {
    block[0] = i;
    await fh.write(block);
  }
  await fh.close();
  const up = await cli(['s3', 'cp', big, 's3://cli-big/big.bin']);
  assert.equal(up.code, 0, up.stderr);
  const head = (await cli(['s3api', 'head-object', '--bucket', 'cli-big', '--key', 'big.bin'])).json();
  assert.equal(head.ContentLength, 100 * 1024 * 1024);
  assert.match(head.ETag, /-\d+"$/, 'uploaded in parts');
  const out = join(dir, 'big.out');
  const down = await cli(['s3', 'cp', 's3://cli-big/big.bin', out]);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(await fileMd5(out), await fileMd5(big));
});

test('boto3: put_object, get_object, list_objects_v2 and delete_object round trip', async () => {
  const script = `
import boto3, sys, hashlib
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')
s3.create_bucket(Bucket='boto-bucket')
data = bytes(range(256)) * 1000
r = s3.put_object(Bucket='boto-bucket', Key='k/é.bin', Body=data, Metadata={'m': 'v'})
g = s3.get_object(Bucket='boto-bucket', Key='k/é.bin')
body = g['Body'].read()
assert body == data, 'bytes differ'
assert g['Metadata'] == {'m': 'v'}
assert r['ETag'] == '"%s"' % hashlib.md5(data).hexdigest()
keys = [o['Key'] for o in s3.list_objects_v2(Bucket='boto-bucket')['Contents']]
assert keys == ['k/é.bin'], keys
s3.delete_object(Bucket='boto-bucket', Key='k/é.bin')
try:
    s3.get_object(Bucket='boto-bucket', Key='k/é.bin')
    raise SystemExit('no error')
except s3.exceptions.NoSuchKey:
    pass
print('ok')
`;
  const { stdout } = await promisify(execFile)('python3', ['-c', script, server().url], { env: { ...process.env, AWS_MAX_ATTEMPTS: '1' } });
  assert.equal(stdout.trim(), 'ok');
});
