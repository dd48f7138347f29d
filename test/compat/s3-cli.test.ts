// Compatibility: S3 through the AWS CLI v1 (`aws s3 cp/sync/ls/rm`, a 100 MB multipart copy, `s3api` errors) and
// boto3, byte for byte.
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
import { awsCli } from '../helpers/aws-cli.js';

const server = liveServer();
const cli = (args: string[], cwd?: string) => awsCli(1, server().url, args, cwd);
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

test('aws s3: mb, cp up and down, ls, sync both ways and rm round trip files byte for byte', async () => {
  assert.equal((await cli(['s3', 'mb', 's3://cli-bucket'])).code, 0);
  const src = join(dir, 'src');
  mkdirSync(join(src, 'nested', 'deeper'), { recursive: true });
  const files: Record<string, Buffer> = { 'a.txt': Buffer.from('alpha\n'), 'nested/b.bin': randomBytes(200_000), 'nested/deeper/c d.json': Buffer.from('{"c":1}') };
  for (const [k, v] of Object.entries(files)) writeFileSync(join(src, k), v);
  const cp = await cli(['s3', 'cp', join(src, 'a.txt'), 's3://cli-bucket/single/a.txt']);
  assert.equal(cp.code, 0, cp.stderr);
  const down = join(dir, 'down-a.txt');
  assert.equal((await cli(['s3', 'cp', 's3://cli-bucket/single/a.txt', down])).code, 0);
  assert.deepEqual(readFileSync(down), files['a.txt']);
  const sync = await cli(['s3', 'sync', src, 's3://cli-bucket/tree']);
  assert.equal(sync.code, 0, sync.stderr);
  const ls = await cli(['s3', 'ls', '--recursive', 's3://cli-bucket/tree/']);
  assert.equal(ls.code, 0, ls.stderr);
  for (const k of Object.keys(files)) assert.match(ls.stdout, new RegExp(`tree/${k.replace('.', '\\.')}`));
  const top = await cli(['s3', 'ls', 's3://cli-bucket/']);
  assert.match(top.stdout, /PRE single\//);
  assert.match(top.stdout, /PRE tree\//);
  // A second sync has nothing to do.
  const again = await cli(['s3', 'sync', src, 's3://cli-bucket/tree']);
  assert.equal(again.stdout.trim(), '');
  const back = join(dir, 'back');
  assert.equal((await cli(['s3', 'sync', 's3://cli-bucket/tree', back])).code, 0);
  for (const [k, v] of Object.entries(files)) assert.deepEqual(readFileSync(join(back, k)), v, k);
  const rm = await cli(['s3', 'rm', '--recursive', 's3://cli-bucket/tree']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.doesNotMatch((await cli(['s3', 'ls', 's3://cli-bucket/'])).stdout, /tree/);
  const missing = await cli(['s3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'tree/a.txt']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /404/);
  const nb = await cli(['s3api', 'get-object', '--bucket', 'no-such-bucket-here', '--key', 'k', join(dir, 'x')]);
  assert.match(nb.stderr, /NoSuchBucket/);
  void readdirSync;
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
