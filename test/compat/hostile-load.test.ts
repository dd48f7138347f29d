// Hostile conditions (issue 22 item 4), the stateful half: SIGTERM in the middle of a stream of SendMessage and
// Invoke calls drains and loses nothing acknowledged; a full data volume (a 64 MB tmpfs) refuses writes with a 503
// ServiceUnavailable in each protocol's shape, keeps serving reads, corrupts nothing and takes writes again once space
// is freed, without a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GetFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueUrlCommand, ListQueuesCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { removeDir, removeServer, startServer } from '../helpers/server.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { sqsClient } from '../helpers/sqs.js';
import { s3Client } from '../helpers/s3.js';

const onPg = process.env['SELFLESS_TEST_STORE'] === 'postgres';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const COUNTER = {
  'index.js': `const fs = require('fs');
exports.handler = async (event) => {
  fs.appendFileSync(process.env.OUT, event.id + '\\n');
  return { id: event.id };
};`,
};

const lines = (file: string): Set<string> => new Set(existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

/** Every message body of a queue (received and deleted until `want` are all seen or the bound passes). */
async function drain(sqs: SQSClient, queueUrl: string, want: ReadonlySet<string>, ms = 60_000): Promise<Set<string>> {
  const got = new Set<string>();
  const end = Date.now() + ms;
  while (Date.now() < end && [...want].some((w) => !got.has(w))) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of r.Messages ?? []) {
      got.add(m.Body!);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
  return got;
}

test('Hostile: SIGTERM under a stream of SendMessage and Invoke calls drains, exits 0, and every acknowledged message and event is there after restart', async (t) => {
  const outDir = mkdtempSync(join(tmpdir(), 'selfless-term-'));
  const out = join(outDir, 'seen.txt');
  const env = { SELFLESS_ISOLATION: 'process', SELFLESS_ASYNC_CONCURRENCY: '2' };
  const first = await startServer({ env });
  const lambda = lambdaClient(first.url);
  const sqs = sqsClient(first.url);
  await createFunction(lambda, 'counter', COUNTER, { env: { OUT: out } });
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'term' }))).QueueUrl!;
  const acked = { sent: new Set<string>(), async: new Set<string>(), sync: new Set<string>() };
  let next = 0;
  let signalled = false;
  let answeredAfterSignal = 0;
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  const total = (): number => acked.sent.size + acked.async.size + acked.sync.size;
  // 16 writers alternate SendMessage, async Invoke and sync Invoke until the server is gone under them.
  const writer = async (): Promise<void> => {
    for (let failures = 0; failures < 3; ) {
      const n = next++;
      const id = `m${n}`;
      const wasSignalled = signalled;
      try {
        if (n % 3 === 0) {
          await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: id }));
          acked.sent.add(id);
        } else {
          const r = await lambda.send(new InvokeCommand({ FunctionName: 'counter', InvocationType: n % 3 === 1 ? 'Event' : 'RequestResponse', Payload: Buffer.from(JSON.stringify({ id })) }));
          if (n % 3 === 1 && r.StatusCode === 202) acked.async.add(id);
          if (n % 3 === 2 && r.StatusCode === 200 && !r.FunctionError) acked.sync.add(id);
        }
        if (wasSignalled) answeredAfterSignal++;
      } catch {
        failures++;
        await sleep(50);
      }
      if (total() >= 300 && !signalled) {
        signalled = true;
        exit = first.stop('SIGTERM');
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, writer));
  const stopped = await exit!;
  lambda.destroy();
  sqs.destroy();
  assert.deepEqual(stopped, { code: 0, signal: null }, `a clean exit within the stop bound:\n${first.output().slice(-2000)}`);
  assert.doesNotMatch(first.output(), /internal error|unexpected error/);

  const second = await startServer({ dataDir: first.dataDir, env });
  const sqs2 = sqsClient(second.url);
  try {
    const got = await drain(sqs2, queueUrl, acked.sent);
    const lostMessages = [...acked.sent].filter((m) => !got.has(m));
    assert.deepEqual(lostMessages, [], `every acknowledged SendMessage (${acked.sent.size}) is in the queue`);
    const end = Date.now() + 120_000;
    let seen = lines(out);
    while (Date.now() < end && [...acked.async].some((a) => !seen.has(a))) {
      await sleep(250);
      seen = lines(out);
    }
    assert.deepEqual([...acked.async].filter((a) => !seen.has(a)), [], `every acknowledged async Invoke (${acked.async.size}) ran`);
    assert.deepEqual([...acked.sync].filter((a) => !seen.has(a)), [], `every answered sync Invoke (${acked.sync.size}) ran`);
    // Recorded for docs/reliability.md: how much was answered between the signal and the exit.
    t.diagnostic(`SIGTERM: ${total()} acknowledged (${acked.sent.size} sent, ${acked.async.size} async, ${acked.sync.size} sync), ${answeredAfterSignal} answered after the signal, 0 lost`);
  } finally {
    sqs2.destroy();
    await second.stop();
    await removeServer(second);
    removeDir(outDir);
  }
});

/** Mounts a tmpfs of `mb` MB on a fresh directory, or says why it cannot. */
function tmpfs(mb: number): { dir: string; unmount: () => void } | string {
  const dir = mkdtempSync(join(tmpdir(), 'selfless-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmdirSync(dir);
    return `cannot mount a tmpfs (${(r.stderr || r.error?.message || 'mount failed').trim()}); needs root`;
  }
  return {
    dir,
    unmount: () => {
      spawnSync('umount', ['-l', dir]);
      rmdirSync(dir);
    },
  };
}

/** Fills the volume: appends to `file` until ENOSPC, in big then small chunks. */
function fill(file: string): void {
  const fd = openSync(file, 'a');
  try {
    for (const size of [1 << 20, 4096, 512]) {
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

const tmpFiles = (dir: string): string[] => {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.tmp')) found.push(p);
    }
  };
  walk(dir);
  return found;
};

/** The error of a call expected to be refused for lack of space (any success or other error fails the test). */
async function refused(what: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (e) {
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    assert.equal(err.name, 'ServiceUnavailable', `${what}: ${err.name}: ${err.message}`);
    assert.equal(err.$metadata?.httpStatusCode, 503, what);
    assert.match(err.message ?? '', /no space left on the server's data volume/, what);
    return;
  }
  assert.fail(`${what} succeeded on a full volume`);
}

const mounted = onPg ? 'SQLite-only: with --store postgres the database is not on the data volume' : tmpfs(64);

test('Hostile: a full data volume refuses writes with 503 ServiceUnavailable, keeps serving reads, corrupts nothing, and takes writes again once space is freed', { skip: typeof mounted === 'string' && mounted }, async () => {
  if (typeof mounted === 'string') return;
  const dataDir = join(mounted.dir, 'data');
  const filler = join(mounted.dir, 'filler');
  const env = { SELFLESS_ISOLATION: 'process' };
  mkdirSync(dataDir);
  let server = await startServer({ dataDir, env });
  let sqs = sqsClient(server.url);
  let lambda = lambdaClient(server.url);
  let s3 = s3Client(server.url);
  const big = randomBytes(3 << 20);
  try {
    const q = (await sqs.send(new CreateQueueCommand({ QueueName: 'full' }))).QueueUrl!;
    for (let i = 0; i < 5; i++) await sqs.send(new SendMessageCommand({ QueueUrl: q, MessageBody: `before-${i}` }));
    await createFunction(lambda, 'f-before', { 'index.js': 'exports.handler = async () => "before";' });
    await s3.send(new CreateBucketCommand({ Bucket: 'full-bucket' }));
    await s3.send(new PutObjectCommand({ Bucket: 'full-bucket', Key: 'keep', Body: 'kept' }));

    fill(filler);
    // SQLite may reuse WAL space it already has: sends fit there until it runs out, then every write is refused.
    let refusedAt = -1;
    for (let i = 0; i < 200 && refusedAt < 0; i++) {
      try {
        await sqs.send(new SendMessageCommand({ QueueUrl: q, MessageBody: `x${i}-${'a'.repeat(100_000)}` }));
      } catch (e) {
        refusedAt = i;
        await refused('SendMessage', () => Promise.reject(e));
      }
    }
    assert.ok(refusedAt >= 0, 'SendMessage is refused once the volume is full');
    fill(filler);
    await refused('CreateQueue', () => sqs.send(new CreateQueueCommand({ QueueName: 'full-2' })));
    await refused('CreateFunction', () => createFunction(lambda, 'f-during', { 'index.js': `exports.handler = async () => "${'x'.repeat(1000)}";` }));
    await refused('PutObject (small)', () => s3.send(new PutObjectCommand({ Bucket: 'full-bucket', Key: 'small', Body: 'x'.repeat(5000) })));
    await refused('PutObject (3 MB, spooled)', () => s3.send(new PutObjectCommand({ Bucket: 'full-bucket', Key: 'big', Body: big })));
    assert.deepEqual(tmpFiles(dataDir), [], 'no temp file left behind by a refused write');

    // Reads keep working.
    assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: 'full' }))).QueueUrl, q);
    assert.ok((await sqs.send(new ListQueuesCommand({}))).QueueUrls?.includes(q));
    assert.equal((await lambda.send(new GetFunctionCommand({ FunctionName: 'f-before' }))).Configuration?.FunctionName, 'f-before');
    assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: 'full-bucket', Key: 'keep' }))).Body!.transformToString(), 'kept');
    assert.deepEqual((await s3.send(new ListObjectsV2Command({ Bucket: 'full-bucket' }))).Contents?.map((o) => o.Key), ['keep']);

    // Space is freed: writes work again, in the same process.
    unlinkSync(filler);
    await sqs.send(new SendMessageCommand({ QueueUrl: q, MessageBody: 'after' }));
    await sqs.send(new CreateQueueCommand({ QueueName: 'full-2' }));
    await createFunction(lambda, 'f-after', { 'index.js': 'exports.handler = async () => "after";' });
    await s3.send(new PutObjectCommand({ Bucket: 'full-bucket', Key: 'big', Body: big }));
    const r = await lambda.send(new InvokeCommand({ FunctionName: 'f-after' }));
    assert.equal(Buffer.from(r.Payload!).toString(), '"after"');

    // After a restart everything acknowledged is intact and the database passes SQLite's integrity check.
    sqs.destroy();
    lambda.destroy();
    s3.destroy();
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
    const check = spawnSync('python3', ['-c', 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])', join(dataDir, 'selfless.db')], { encoding: 'utf8' });
    if (check.status === 0) assert.equal(check.stdout.trim(), 'ok');
    server = await startServer({ dataDir, env });
    sqs = sqsClient(server.url);
    lambda = lambdaClient(server.url);
    s3 = s3Client(server.url);
    const want = new Set([...Array.from({ length: 5 }, (_, i) => `before-${i}`), 'after']);
    const got = await drain(sqs, q, want, 30_000);
    assert.deepEqual([...want].filter((w) => !got.has(w)), [], 'every acknowledged message is there');
    for (const f of ['f-before', 'f-after']) assert.equal((await lambda.send(new GetFunctionCommand({ FunctionName: f }))).Configuration?.FunctionName, f);
    const back = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'full-bucket', Key: 'big' }))).Body!.transformToByteArray());
    assert.ok(back.equals(big), 'the 3 MB object written after space was freed reads back intact');
  } finally {
    sqs.destroy();
    lambda.destroy();
    s3.destroy();
    await server.stop();
    await removeServer(server);
    mounted.unmount();
  }
});
