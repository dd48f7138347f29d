// Cluster: Lambda on three nodes sharing one PostgreSQL database: configuration seen by every node, reserved
// concurrency held cluster-wide, async events taken over after a kill -9, one poller per event source mapping.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  CreateEventSourceMappingCommand,
  GetFunctionCommand,
  GetProvisionedConcurrencyConfigCommand,
  PublishLayerVersionCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  PutFunctionConcurrencyCommand,
  UpdateFunctionCodeCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startCluster, type Cluster } from '../helpers/server.js';
import { pgUnavailable } from '../helpers/pg.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';
import { until } from '../helpers/wait.js';

const skip = await pgUnavailable();

const answer = (text: string): string => `exports.handler = async () => (${JSON.stringify(text)});`;

/** Appends `<start> <end> <pid of the node>` per invocation (or the event's id) to $OUT, after sleeping $SLEEP ms. */
const RECORDER = `const fs = require('fs');
exports.handler = async (event) => {
  const start = Date.now();
  await new Promise((r) => setTimeout(r, Number(process.env.SLEEP || 0)));
  const ids = event.Records ? event.Records.map((r) => r.body) : [event.id ?? ''];
  for (const id of ids) fs.appendFileSync(process.env.OUT, start + ' ' + Date.now() + ' ' + process.ppid + ' ' + id + '\\n');
  return 'ok';
};`;

const lines = (file: string): string[][] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(' ')) : []);


const text = (p: Uint8Array | undefined): string => Buffer.from(p ?? []).toString('utf8');

describe('Lambda on a three-node cluster', { skip, timeout: 300_000 }, () => {
  let cluster: Cluster;
  let clients: LambdaClient[];
  const dir = mkdtempSync(join(tmpdir(), 'selfless-cluster-lambda-'));

  before(async () => {
    // Functions append to files of this host: plain-process isolation (not the sandbox's private /tmp).
    cluster = await startCluster(3, { env: { SELFLESS_ISOLATION: 'process' } });
    clients = cluster.nodes.map((n) => lambdaClient(n.url));
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a function created on one node is invoked on the others at once', async () => {
    const [a, b, c] = clients as [LambdaClient, LambdaClient, LambdaClient];
    await createFunction(a, 'hello', { 'index.js': answer('v1') });
    const got = await b.send(new GetFunctionCommand({ FunctionName: 'hello' }));
    assert.equal(got.Configuration?.FunctionName, 'hello');
    for (const x of [b, c]) assert.equal(text((await x.send(new InvokeCommand({ FunctionName: 'hello' }))).Payload), '"v1"');
  });

  test('new code uploaded on one node is what the next invoke on another node runs', async () => {
    const [a, b] = clients as [LambdaClient, LambdaClient];
    await createFunction(a, 'versioned', { 'index.js': answer('old') });
    assert.equal(text((await b.send(new InvokeCommand({ FunctionName: 'versioned' }))).Payload), '"old"');
    await a.send(new UpdateFunctionCodeCommand({ FunctionName: 'versioned', ZipFile: await zip({ 'index.js': answer('new') }) }));
    // The update's answer shows the InProgress revision (as AWS); A's settled one is what B must come to report.
    const updated = (await a.send(new GetFunctionCommand({ FunctionName: 'versioned' }))).Configuration!;
    // The change reaches B by notification (milliseconds): wait until B reports the new revision, then invoke there.
    await until('the new revision on B', async () => ((await b.send(new GetFunctionCommand({ FunctionName: 'versioned' }))).Configuration?.RevisionId === updated.RevisionId ? true : undefined), 10_000);
    assert.equal(text((await b.send(new InvokeCommand({ FunctionName: 'versioned' }))).Payload), '"new"');
  });

  test('versions of one layer published on three nodes at once get distinct numbers 1..9', async () => {
    const content = { ZipFile: await zip({ 'nodejs/l.js': 'module.exports = 1;' }) };
    const published = await Promise.all(
      [0, 1, 2].flatMap((i) => [0, 1, 2].map(() => clients[i]!.send(new PublishLayerVersionCommand({ LayerName: 'shared-layer', Content: content })))),
    );
    assert.deepEqual(published.map((p) => p.Version).sort((a, b) => a! - b!), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('reserved concurrency 2 holds across nodes: of 20 concurrent invokes at most 2 run at a time, the rest are throttled', async () => {
    const [a] = clients as [LambdaClient];
    const out = join(dir, 'slow.txt');
    await createFunction(a, 'slow', { 'index.js': RECORDER }, { timeout: 30, env: { OUT: out, SLEEP: '1500' } });
    await a.send(new PutFunctionConcurrencyCommand({ FunctionName: 'slow', ReservedConcurrentExecutions: 2 }));
    for (const x of clients) {
      await until('the reservation on every node', async () => ((await x.send(new GetFunctionCommand({ FunctionName: 'slow' }))).Concurrency?.ReservedConcurrentExecutions === 2 ? true : undefined), 10_000);
    }
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        try {
          await clients[i % 3]!.send(new InvokeCommand({ FunctionName: 'slow', Payload: Buffer.from(JSON.stringify({ id: `s${i}` })) }));
          return 'ok';
        } catch (e) {
          const err = e as { name?: string; Reason?: string };
          return `${err.name}:${err.Reason}`;
        }
      }),
    );
    const ok = results.filter((r) => r === 'ok').length;
    assert.ok(ok >= 1 && ok <= 20);
    for (const r of results) if (r !== 'ok') assert.equal(r, 'TooManyRequestsException:ReservedFunctionConcurrentInvocationLimitExceeded');
    assert.ok(ok < 20, 'some invokes were throttled');
    const runs = lines(out).map(([s, e]) => [Number(s), Number(e)] as const);
    assert.equal(runs.length, ok);
    // At no start of a run were more than 2 runs going on (the start included).
    for (const [s] of runs) assert.ok(runs.filter(([s2, e2]) => s2 <= s && e2 > s).length <= 2, `more than 2 runs at ${s}`);
  });

  test('provisioned concurrency set on one node is provisioned by one node and reported READY by every node', async () => {
    const [a] = clients as [LambdaClient];
    await createFunction(a, 'warm', { 'index.js': answer('warm') });
    const v = await a.send(new PublishVersionCommand({ FunctionName: 'warm' }));
    await a.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'warm', Qualifier: v.Version, ProvisionedConcurrentExecutions: 1 }));
    for (const x of clients) {
      await until('READY on every node', async () => ((await x.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'warm', Qualifier: v.Version }))).Status === 'READY' ? true : undefined), 60_000);
    }
    const db = new pg.Client({ connectionString: cluster.storeUrl });
    await db.connect();
    try {
      const leases = await db.query("SELECT owner FROM store_leases WHERE substr(name, 1, 5) = 'prov:'");
      assert.equal(leases.rowCount, 1, 'one node holds the configuration');
    } finally {
      await db.end();
    }
  });

  test('async events accepted by a node that is killed (-9) all run on the other nodes', async () => {
    const [a] = clients as [LambdaClient];
    const out = join(dir, 'async.txt');
    await createFunction(a, 'backlog', { 'index.js': RECORDER }, { timeout: 30, env: { OUT: out, SLEEP: '300' } });
    // One at a time, so that most of the backlog is still waiting when A dies.
    await a.send(new PutFunctionConcurrencyCommand({ FunctionName: 'backlog', ReservedConcurrentExecutions: 1 }));
    const ids = Array.from({ length: 30 }, (_, i) => `e${i}`);
    for (const id of ids) {
      const r = await a.send(new InvokeCommand({ FunctionName: 'backlog', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ id })) }));
      assert.equal(r.StatusCode, 202);
    }
    await cluster.nodes[0]!.stop('SIGKILL');
    const seen = await until(
      'every event to run',
      () => {
        const s = new Set(lines(out).map((l) => l[3]));
        return ids.every((id) => s.has(id)) ? s : undefined;
      },
      120_000,
    );
    assert.deepEqual([...seen].filter((x) => x !== undefined && ids.includes(x)).sort(), [...ids].sort());
  });

  test('an SQS event source mapping is polled by one node, and all its messages are processed', async () => {
    const live = cluster.nodes.filter((n) => n.proc.exitCode === null && n.proc.signalCode === null);
    const b = lambdaClient(live[0]!.url);
    const sqs = new SQSClient({ endpoint: live[0]!.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const out = join(dir, 'esm.txt');
    await createFunction(b, 'consumer', { 'index.js': RECORDER }, { env: { OUT: out } });
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: 'feed' }))).QueueUrl!;
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
    await b.send(new CreateEventSourceMappingCommand({ FunctionName: 'consumer', EventSourceArn: arn, BatchSize: 10 }));
    const bodies = Array.from({ length: 50 }, (_, i) => `m${i}`);
    for (let i = 0; i < bodies.length; i += 10) {
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: bodies.slice(i, i + 10).map((m, j) => ({ Id: `x${j}`, MessageBody: m })) }));
    }
    const rows = await until('every message to be processed', () => {
      const r = lines(out);
      const s = new Set(r.map((l) => l[3]));
      return bodies.every((m) => s.has(m)) ? r : undefined;
    });
    assert.equal(new Set(rows.map((l) => l[2])).size, 1, 'one node ran every batch');
    const db = new pg.Client({ connectionString: cluster.storeUrl });
    await db.connect();
    try {
      const leases = await db.query("SELECT owner FROM store_leases WHERE substr(name, 1, 4) = 'esm:'");
      assert.equal(leases.rowCount, 1, 'one lease for the one mapping');
    } finally {
      await db.end();
    }
  });
});
