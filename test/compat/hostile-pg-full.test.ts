// Hostile conditions (issue 22 item 4) on PostgreSQL: selfless's database lives in a tablespace on a 24 MB tmpfs; once
// the volume is full, PostgreSQL refuses to extend a relation (SQLSTATE 53100, disk_full) and every protocol answers a
// write with AWS's 503 ServiceUnavailable, reads keep working, and writes work again once space is freed, without a
// restart. Needs root (mount) and a PostgreSQL server on this machine (the tablespace is a local directory); it runs in
// the PostgreSQL pass of the suite. The tablespace, database and mount are removed whatever happens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { GetFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueUrlCommand, ListQueuesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, ListTopicsCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { pgUnavailable } from '../helpers/pg.js';
import { removeDir, startServer, type Running } from '../helpers/server.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { sqsClient } from '../helpers/sqs.js';
import { snsClient } from '../helpers/sns.js';
import { s3Client } from '../helpers/s3.js';
import { hex } from '../../src/lib/ids.js';

const ADMIN = process.env['SELFLESS_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const onPg = process.env['SELFLESS_TEST_STORE'] === 'postgres';

function why(): string | undefined {
  if (!onPg) return 'runs in the PostgreSQL pass (SELFLESS_TEST_STORE=postgres)';
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs';
  const u = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  if (u.status !== 0) return 'no local postgres user to own the tablespace directory';
  const host = new URL(ADMIN).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return `PostgreSQL at ${host} is not on this machine: its tablespace cannot be a local tmpfs`;
  return undefined;
}
const skip = why() ?? (await pgUnavailable());

const idOf = (user: string, flag: '-u' | '-g'): string => spawnSync('id', [flag, user], { encoding: 'utf8' }).stdout.trim();

/** Fills the volume: appends to `file` until ENOSPC, in big then small chunks. */
function fill(file: string): void {
  const fd = openSync(file, 'a');
  try {
    for (const size of [1 << 20, 8192, 512]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw e;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Tries a write (a fresh payload each time, large enough to need new pages) until it is refused; the first refusal
 * must be the 503 ServiceUnavailable answer. Returns how many attempts still fitted in pages PostgreSQL already had.
 */
async function refused(what: string, call: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 50; i++) {
    try {
      await call(i);
    } catch (e) {
      const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      assert.equal(err.name, 'ServiceUnavailable', `${what}: ${err.name}: ${err.message}`);
      assert.equal(err.$metadata?.httpStatusCode, 503, what);
      assert.match(err.message ?? '', /no space left on the server's data volume/, what);
      return i;
    }
  }
  return assert.fail(`${what} still succeeded after 50 attempts on a full volume`);
}

const noise = (n: number): string => randomBytes(n).toString('base64').slice(0, n);

test('Hostile (PostgreSQL): a full tablespace refuses writes with 503 ServiceUnavailable in every protocol, keeps serving reads, and takes writes again once space is freed', { skip, timeout: 300_000 }, async (t) => {
  const name = `selfless_full_${hex(6)}`;
  const dir = mkdtempSync(join(tmpdir(), 'selfless-pgfull-'));
  const filler = join(dir, 'filler');
  const admin = new pg.Client({ connectionString: ADMIN });
  let mounted = false;
  let server: Running | undefined;
  await admin.connect();
  try {
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=24m,mode=0700,uid=${idOf('postgres', '-u')},gid=${idOf('postgres', '-g')}`, 'tmpfs', dir], { encoding: 'utf8' });
    if (m.status !== 0) return t.skip(`cannot mount a tmpfs: ${(m.stderr || m.error?.message || 'mount failed').trim()}`);
    mounted = true;
    try {
      await admin.query(`CREATE TABLESPACE ${name} LOCATION '${dir}'`);
    } catch (e) {
      return t.skip(`cannot create a tablespace on the tmpfs: ${e instanceof Error ? e.message : String(e)}`);
    }
    await admin.query(`CREATE DATABASE ${name} TABLESPACE ${name}`);
    const u = new URL(ADMIN);
    u.pathname = `/${name}`;
    server = await startServer({ store: u.toString() });
    const sqs = sqsClient(server.url);
    const sns = snsClient(server.url);
    const lambda = lambdaClient(server.url);
    const s3 = s3Client(server.url);
    try {
      const q = (await sqs.send(new CreateQueueCommand({ QueueName: 'full' }))).QueueUrl!;
      for (let i = 0; i < 5; i++) await sqs.send(new SendMessageCommand({ QueueUrl: q, MessageBody: `before-${i}` }));
      const topic = (await sns.send(new CreateTopicCommand({ Name: 'full-topic' }))).TopicArn!;
      await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:000000000000:full' }));
      await createFunction(lambda, 'f-before', { 'index.js': 'exports.handler = async () => "before";' });
      await s3.send(new CreateBucketCommand({ Bucket: 'full-bucket' }));
      await s3.send(new PutObjectCommand({ Bucket: 'full-bucket', Key: 'keep', Body: 'kept' }));

      fill(filler);
      const fitted: Record<string, number> = {};
      // JSON (SQS), query/XML (SNS), rest-json (Lambda), rest-xml (S3): each write is bigger than a page.
      fitted['SendMessage'] = await refused('SendMessage (JSON)', (i) => sqs.send(new SendMessageCommand({ QueueUrl: q, MessageBody: `x${i}-${noise(100_000)}` })));
      fitted['Publish'] = await refused('Publish (query)', (i) => sns.send(new PublishCommand({ TopicArn: topic, Message: `p${i}-${noise(100_000)}` })));
      fitted['CreateFunction'] = await refused('CreateFunction (rest-json)', (i) => createFunction(lambda, `f-during-${i}`, { 'index.js': `exports.handler = async () => 1; // ${noise(200_000)}` }));
      fitted['PutObject'] = await refused('PutObject (rest-xml)', (i) => s3.send(new PutObjectCommand({ Bucket: 'full-bucket', Key: `during-${i}`, Body: randomBytes(200_000) })));
      t.diagnostic(`writes that still fitted in existing pages before the first refusal: ${JSON.stringify(fitted)}`);

      // Reads keep working.
      assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: 'full' }))).QueueUrl, q);
      assert.ok((await sqs.send(new ListQueuesCommand({}))).QueueUrls?.includes(q));
      assert.ok((await sns.send(new ListTopicsCommand({}))).Topics?.some((x) => x.TopicArn === topic));
      assert.equal((await lambda.send(new GetFunctionCommand({ FunctionName: 'f-before' }))).Configuration?.FunctionName, 'f-before');
      assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: 'full-bucket', Key: 'keep' }))).Body!.transformToString(), 'kept');
      assert.ok((await s3.send(new ListObjectsV2Command({ Bucket: 'full-bucket' }))).Contents?.some((o) => o.Key === 'keep'));

      // Space is freed: writes work again, in the same process.
      unlinkSync(filler);
      await sqs.send(new SendMessageCommand({ QueueUrl: q, MessageBody: 'after' }));
      await sns.send(new PublishCommand({ TopicArn: topic, Message: 'published-after' }));
      await createFunction(lambda, 'f-after', { 'index.js': 'exports.handler = async () => "after";' });
      const big = randomBytes(3 << 20);
      await s3.send(new PutObjectCommand({ Bucket: 'full-bucket', Key: 'big', Body: big }));
      const r = await lambda.send(new InvokeCommand({ FunctionName: 'f-after' }));
      assert.equal(Buffer.from(r.Payload!).toString(), '"after"');
      const back = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'full-bucket', Key: 'big' }))).Body!.transformToByteArray());
      assert.ok(back.equals(big), 'the 3 MB object written after space was freed reads back intact');

      // Nothing acknowledged is lost: the messages sent before and after are all in the queue (the publish too).
      const want = new Set([...Array.from({ length: 5 }, (_, i) => `before-${i}`), 'after', 'published-after']);
      const got = new Set<string>();
      const end = Date.now() + 30_000;
      while ([...want].some((w) => !got.has(w)) && Date.now() < end) {
        for (const msg of (await sqs.send(new ReceiveMessageCommand({ QueueUrl: q, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? []) {
          const body = msg.Body!;
          got.add(body.startsWith('{') ? String((JSON.parse(body) as { Message?: string }).Message) : body);
        }
      }
      assert.deepEqual([...want].filter((w) => !got.has(w)), [], 'every acknowledged message is in the queue');
    } finally {
      for (const c of [sqs, sns, lambda, s3]) c.destroy();
    }
  } finally {
    if (server) {
      await server.stop();
      removeDir(server.dataDir);
    }
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.query(`DROP TABLESPACE IF EXISTS ${name}`).catch(() => undefined);
    await admin.end();
    if (mounted) spawnSync('umount', ['-l', dir]);
    rmdirSync(dir);
  }
});
