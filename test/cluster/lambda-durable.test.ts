// Cluster: durable executions on two nodes sharing one PostgreSQL database: executions started on either node are
// driven by one node at a time (each step's code runs once), and a callback sent to the other node resumes them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, SendDurableExecutionCallbackSuccessCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { startCluster, type Cluster } from '../helpers/server.js';
import { pgUnavailable } from '../helpers/pg.js';
import { lambdaClient } from '../helpers/lambda.js';
import { createDurable, ended, history, until } from '../helpers/durable.js';

const skip = await pgUnavailable();

describe('Durable functions cluster (two nodes on one PostgreSQL)', { skip }, () => {
  let cluster: Cluster;
  let a: LambdaClient;
  let b: LambdaClient;
  const outDir = mkdtempSync(join(tmpdir(), 'selfless-durable-cluster-'));
  const out = join(outDir, 'notes.txt');
  const notes = (): string[] => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []);
  before(async () => {
    cluster = await startCluster(2, { env: { SELFLESS_ISOLATION: 'process' } });
    [a, b] = cluster.nodes.map((n) => lambdaClient(n.url)) as [LambdaClient, LambdaClient];
    await createDurable(a, 'shared', { env: { OUT: out } });
  });
  after(async () => {
    await cluster?.stop();
    rmSync(outDir, { recursive: true, force: true });
  });

  test('executions started on both nodes run each step once and all complete', { timeout: 120_000 }, async () => {
    const arns: string[] = [];
    for (let i = 0; i < 6; i++) {
      const client = i % 2 === 0 ? a : b;
      const r = await client.send(new InvokeCommand({ FunctionName: 'shared', Qualifier: '$LATEST', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ x: 100 + i, wait: 1 })) }));
      arns.push(r.DurableExecutionArn!);
    }
    for (const [i, arn] of arns.entries()) {
      const e = await ended(a, arn, 60_000);
      assert.equal(e.Status, 'SUCCEEDED', JSON.stringify(e.Error));
      assert.deepEqual(JSON.parse(e.Result!), { a: 101 + i, b: 2 * (101 + i) });
    }
    const n = notes();
    assert.equal(n.filter((x) => x === 'add').length, 6, n.join(','));
    assert.equal(n.filter((x) => x === 'double-end').length, 6, n.join(','));
  });

  test('a callback sent to the other node resumes the execution', { timeout: 60_000 }, async () => {
    const r = await a.send(new InvokeCommand({ FunctionName: 'shared', Qualifier: '$LATEST', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ x: 1, callback: true })) }));
    const arn = r.DurableExecutionArn!;
    const id = await until('the callback to start', async () => (await history(b, arn)).find((x) => x.EventType === 'CallbackStarted')?.CallbackStartedDetails?.CallbackId);
    await b.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: id, Result: Buffer.from('from-b') }));
    const e = await ended(b, arn);
    assert.equal(e.Status, 'SUCCEEDED', JSON.stringify(e.Error));
    assert.deepEqual(JSON.parse(e.Result!), { a: 2, b: 4, cb: 'from-b' });
  });
});
