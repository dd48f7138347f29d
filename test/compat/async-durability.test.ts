// Durability: kill -9 during a stream of async invokes and queue traffic (consumed by an event source mapping)
// loses no acknowledged event: after a restart every acknowledged one is processed at least once (counted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateEventSourceMappingCommand, GetEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { sqsClient } from '../helpers/sqs.js';
import { removeDir, startServer, removeServer } from '../helpers/server.js';

const COUNTER = {
  'index.js': `const fs = require('fs');
exports.handler = async (event) => {
  await new Promise((r) => setTimeout(r, 100));
  const lines = event.Records ? event.Records.map((r) => 'q' + r.body) : ['a' + event.n];
  fs.appendFileSync(process.env.OUT, lines.join('\\n') + '\\n');
  return {};
};`,
};

function seen(file: string): Set<string> {
  return new Set(existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
}

test('Durability: after kill -9 mid-stream, every acknowledged async invoke and SQS message is processed at least once', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'selfless-dur-'));
  const out = join(outDir, 'seen.txt');
  // The function counts into a host file (so plain processes, not the sandbox's private /tmp).
  // Few events in flight and a slow function, so that a backlog is waiting when the server is killed.
  const first = await startServer({ env: { SELFLESS_ASYNC_CONCURRENCY: '2', SELFLESS_ISOLATION: 'process' } });
  const lambda = lambdaClient(first.url);
  const sqs = sqsClient(first.url);
  await createFunction(lambda, 'counter', COUNTER, { env: { OUT: out } });
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'dur', Attributes: { VisibilityTimeout: '2' } }))).QueueUrl!;
  const esm = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'counter', EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:dur', BatchSize: 10, ScalingConfig: { MaximumConcurrency: 2 } }));
  for (let i = 0; i < 100 && (await lambda.send(new GetEventSourceMappingCommand({ UUID: esm.UUID }))).State !== 'Enabled'; i++) await new Promise((r) => setTimeout(r, 50));

  const acked = new Set<string>();
  let next = 0;
  let killed = false;
  const KILL_AFTER = 400;
  // 16 writers each alternate async invokes and queue sends until the server dies under them.
  const writer = async (): Promise<void> => {
    while (!killed) {
      const n = next++;
      try {
        if (n % 2 === 0) {
          const r = await fetch(`${first.url}/2015-03-31/functions/counter/invocations`, {
            method: 'POST',
            headers: { 'x-amz-invocation-type': 'Event' },
            body: JSON.stringify({ n }),
          });
          if (r.status === 202) acked.add(`a${n}`);
        } else {
          await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: String(n) }));
          acked.add(`q${n}`);
        }
      } catch {
        /* the server died mid-request: not acknowledged */
      }
      if (acked.size >= KILL_AFTER && !killed) {
        killed = true;
        await first.stop('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, writer));
  const before = seen(out).size;
  lambda.destroy();
  sqs.destroy();

  const second = await startServer({ dataDir: first.dataDir, env: { SELFLESS_ASYNC_CONCURRENCY: '2', SELFLESS_ISOLATION: 'process' } });
  try {
    const deadline = Date.now() + 120_000;
    let missing: string[] = [];
    for (;;) {
      const s = seen(out);
      missing = [...acked].filter((k) => !s.has(k));
      if (missing.length === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const asyncAcked = [...acked].filter((k) => k.startsWith('a')).length;
    // The count, for the report: acknowledged, processed before the kill, and missing after the restart.
    console.log(`durability: ${acked.size} acknowledged (${asyncAcked} async invokes, ${acked.size - asyncAcked} SQS messages); ${before} processed before kill -9; missing after restart: ${missing.length}`);
    assert.ok(acked.size >= KILL_AFTER);
    assert.ok(before < acked.size, 'a backlog was waiting at the kill, so the restart had work to recover');
    assert.deepEqual(missing, [], 'every acknowledged event was processed at least once');
  } finally {
    await second.stop();
    await removeServer(first);
    removeDir(outDir);
  }
});
