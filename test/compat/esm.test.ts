// Compatibility: SQS event source mappings through @aws-sdk/client-lambda, @aws-sdk/client-sqs and the AWS CLI:
// AWS's SQS event shape, partial batch failures with redrive, filters, state transitions, validation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  GetEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsCli, hasV2 } from '../helpers/aws-cli.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { sqsClient } from '../helpers/sqs.js';
import { removeDir, startServer, type Running, SHARED, removeServer } from '../helpers/server.js';
import { until, recorded as events } from '../helpers/wait.js';

let server: Running;
let lambda: LambdaClient;
let sqs: SQSClient;
const outDir = mkdtempSync(join(tmpdir(), 'selfless-esm-'));
const CORPUS = join(SHARED, 'corpus', 'lambda-events', 'sqs-event.json');

before(async () => {
  // The recorder functions write what they receive to a host file, which a sandboxed function cannot see.
  server = await startServer({ env: { SELFLESS_ISOLATION: 'process' } });
  lambda = lambdaClient(server.url);
  sqs = sqsClient(server.url);
});
after(async () => {
  lambda.destroy();
  sqs.destroy();
  await server.stop();
  await removeServer(server);
  removeDir(outDir);
});

const arnOf = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;

/** A function that appends each event it gets to a file, and reports the messages whose body says "bad" as failed. */
const RECORDER = {
  'index.js': `const fs = require('fs');
exports.handler = async (event) => {
  fs.appendFileSync(process.env.OUT, JSON.stringify(event) + '\\n');
  return { batchItemFailures: event.Records.filter((r) => r.body.includes('bad')).map((r) => ({ itemIdentifier: r.messageId })) };
};`,
};



async function counts(url: string): Promise<{ visible: number; inflight: number }> {
  const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes!;
  return { visible: Number(a['ApproximateNumberOfMessages']), inflight: Number(a['ApproximateNumberOfMessagesNotVisible']) };
}

test('ESM: a mapping goes Creating → Enabled, delivers AWS’s SQS event, and with partial batch failures redrives only the failed messages', async () => {
  const out = join(outDir, 'partial.jsonl');
  const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'esm-dlq' }))).QueueUrl!;
  const srcUrl = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: 'esm-src',
        Attributes: { VisibilityTimeout: '1', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf('esm-dlq'), maxReceiveCount: 2 }) },
      }),
    )
  ).QueueUrl!;
  await createFunction(lambda, 'esm-recorder', RECORDER, { env: { OUT: out } });
  const created = await lambda.send(
    new CreateEventSourceMappingCommand({ FunctionName: 'esm-recorder', EventSourceArn: arnOf('esm-src'), BatchSize: 5, FunctionResponseTypes: ['ReportBatchItemFailures'] }),
  );
  assert.equal(created.$metadata.httpStatusCode, 202);
  assert.equal(created.State, 'Creating');
  assert.equal(created.StateTransitionReason, 'USER_INITIATED');
  assert.equal(created.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:esm-recorder');
  assert.equal(created.EventSourceMappingArn, `arn:aws:lambda:us-east-1:000000000000:event-source-mapping:${created.UUID}`);
  assert.match(created.UUID!, /^[0-9a-f-]{36}$/);
  await until('Enabled', async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID }))).State === 'Enabled');

  const bodies = ['good-1', 'bad-1', 'good-2', 'good-3', 'bad-2', 'good-4', 'good-5'];
  for (const b of bodies) {
    await sqs.send(new SendMessageCommand({ QueueUrl: srcUrl, MessageBody: b, MessageAttributes: { kind: { DataType: 'String', StringValue: b.split('-')[0] } } }));
  }
  // Both bad messages end in the DLQ after maxReceiveCount=2 receives; nothing stays in the source queue.
  const dead = await until('2 messages in the DLQ', async () => {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    return (r.Messages?.length ?? 0) > 0 ? r.Messages : undefined;
  });
  const deadBodies = dead.map((m) => m.Body).sort();
  const more = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 3 }));
  deadBodies.push(...(more.Messages ?? []).map((m) => m.Body));
  assert.deepEqual(deadBodies.sort(), ['bad-1', 'bad-2']);
  await until('source queue empty', async () => {
    const c = await counts(srcUrl);
    return c.visible === 0 && c.inflight === 0;
  });
  const seen = events(out).flatMap((e) => e.Records);
  for (const b of bodies) assert.ok(seen.some((r) => r.body === b), `${b} was delivered`);
  for (const b of ['bad-1', 'bad-2']) assert.equal(seen.filter((r) => r.body === b).length, 2, `${b} delivered once per receive (maxReceiveCount 2)`);
  for (const b of bodies.filter((x) => x.startsWith('good'))) assert.equal(seen.filter((r) => r.body === b).length, 1, `${b} succeeded once and was deleted`);

  const rec = seen.find((r) => r.body === 'good-1');
  assert.deepEqual(Object.keys(rec), [
    'messageId',
    'receiptHandle',
    'body',
    'attributes',
    'messageAttributes',
    'md5OfBody',
    'md5OfMessageAttributes',
    'eventSource',
    'eventSourceARN',
    'awsRegion',
  ]);
  assert.equal(rec.eventSource, 'aws:sqs');
  assert.equal(rec.eventSourceARN, arnOf('esm-src'));
  assert.equal(rec.awsRegion, 'us-east-1');
  assert.equal(rec.attributes.ApproximateReceiveCount, '1');
  assert.deepEqual(Object.keys(rec.attributes).sort(), ['ApproximateFirstReceiveTimestamp', 'ApproximateReceiveCount', 'SenderId', 'SentTimestamp']);
  assert.deepEqual(rec.messageAttributes, { kind: { stringValue: 'good', stringListValues: [], binaryListValues: [], dataType: 'String' } });
  if (existsSync(CORPUS)) {
    // The same members as AWS's sample SQS event (per record, attributes and message attribute values).
    const sample = JSON.parse(readFileSync(CORPUS, 'utf8')).Records[0];
    assert.deepEqual(Object.keys(rec).sort(), Object.keys(sample).sort());
    assert.deepEqual(Object.keys(rec.attributes).sort(), Object.keys(sample.attributes).sort());
    assert.deepEqual(Object.keys(rec.messageAttributes.kind).sort(), Object.keys(sample.messageAttributes.Attribute1).sort());
  }
  await lambda.send(new DeleteEventSourceMappingCommand({ UUID: created.UUID }));
});

test('ESM: FilterCriteria delivers only matching messages and deletes the rest; Enabled=false goes Disabling → Disabled and stops delivery', async () => {
  const out = join(outDir, 'filter.jsonl');
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: 'esm-filter' }))).QueueUrl!;
  await createFunction(lambda, 'esm-filtered', RECORDER, { env: { OUT: out } });
  const m = await lambda.send(
    new CreateEventSourceMappingCommand({
      FunctionName: 'esm-filtered',
      EventSourceArn: arnOf('esm-filter'),
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ body: { kind: ['order'], amount: [{ numeric: ['>', 10] }] } }) }] },
    }),
  );
  assert.deepEqual(m.FilterCriteria, { Filters: [{ Pattern: '{"body":{"kind":["order"],"amount":[{"numeric":[">",10]}]}}' }] });
  await until('Enabled', async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID }))).State === 'Enabled');
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: [
        { Id: 'a', MessageBody: JSON.stringify({ kind: 'order', amount: 50 }) },
        { Id: 'b', MessageBody: JSON.stringify({ kind: 'order', amount: 5 }) },
        { Id: 'c', MessageBody: JSON.stringify({ kind: 'refund', amount: 50 }) },
        { Id: 'd', MessageBody: 'not json' },
      ],
    }),
  );
  await until('queue drained', async () => {
    const c = await counts(url);
    return c.visible === 0 && c.inflight === 0;
  });
  const bodies = events(out).flatMap((e) => e.Records.map((r: any) => JSON.parse(r.body)));
  assert.deepEqual(bodies, [{ kind: 'order', amount: 50 }]);

  const upd = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID, Enabled: false }));
  assert.equal(upd.State, 'Disabling');
  await until('Disabled', async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID }))).State === 'Disabled');
  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify({ kind: 'order', amount: 99 }) }));
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await counts(url)).visible, 1, 'a disabled mapping does not consume');
  const again = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID, Enabled: true }));
  assert.equal(again.State, 'Enabling');
  await until('the message is consumed after re-enabling', async () => (await counts(url)).visible === 0 && (await counts(url)).inflight === 0);
  const del = await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
  assert.equal(del.State, 'Deleting');
  await until('gone', async () => {
    try {
      await lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID }));
      return undefined;
    } catch (e: any) {
      return e.name === 'ResourceNotFoundException';
    }
  });
});

test('ESM: AWS’s validation: batch window for BatchSize > 10, bad filter patterns, unknown queue, duplicates, unknown UUID', async () => {
  await sqs.send(new CreateQueueCommand({ QueueName: 'esm-val' }));
  await createFunction(lambda, 'esm-val-fn', RECORDER, { env: { OUT: join(outDir, 'val.jsonl') } });
  const reject = async (input: any, name: string, re: RegExp) =>
    assert.rejects(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-val-fn', EventSourceArn: arnOf('esm-val'), ...input })), (e: any) => {
      assert.equal(e.name, name, e.message);
      assert.match(e.message, re);
      return true;
    });
  await reject({ BatchSize: 100 }, 'InvalidParameterValueException', /batch window/);
  await reject({ BatchSize: 10001, MaximumBatchingWindowInSeconds: 1 }, 'ValidationException', /batchSize/);
  await reject({ FilterCriteria: { Filters: [{ Pattern: '{"body": "x"}' }] } }, 'InvalidParameterValueException', /Invalid filter pattern/);
  await reject({ FilterCriteria: { Filters: [{ Pattern: '{"body": [{"numeric": [">"]}]}' }] } }, 'InvalidParameterValueException', /Invalid filter pattern/);
  await reject({ ScalingConfig: { MaximumConcurrency: 1 } }, 'ValidationException', /maximumConcurrency/);
  await reject({ EventSourceArn: arnOf('no-such-queue') }, 'InvalidParameterValueException', /NonExistentQueue/);
  await reject({ FunctionName: 'no-such-fn' }, 'ResourceNotFoundException', /./);
  const ok = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-val-fn', EventSourceArn: arnOf('esm-val'), BatchSize: 100, MaximumBatchingWindowInSeconds: 2 }));
  assert.equal(ok.BatchSize, 100);
  await reject({}, 'ResourceConflictException', /already exists/);
  await assert.rejects(lambda.send(new GetEventSourceMappingCommand({ UUID: '00000000-0000-0000-0000-000000000000' })), (e: any) => {
    assert.equal(e.name, 'ResourceNotFoundException');
    assert.equal(e.$metadata.httpStatusCode, 404);
    return true;
  });
  const list = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'esm-val-fn' }));
  assert.deepEqual(list.EventSourceMappings?.map((x) => x.UUID), [ok.UUID]);
});

test('ESM: the AWS CLI creates, lists and deletes mappings', { skip: hasV2() ? false : 'AWS CLI v2 is not installed; .ci/run installs it' }, async () => {
  await sqs.send(new CreateQueueCommand({ QueueName: 'esm-cli' }));
  await createFunction(lambda, 'esm-cli-fn', RECORDER, { env: { OUT: join(outDir, 'cli.jsonl') } });
  for (const v of [1, 2] as const) {
    const c = await awsCli(v, server.url, ['lambda', 'create-event-source-mapping', '--function-name', 'esm-cli-fn', '--event-source-arn', arnOf('esm-cli'), '--batch-size', '3']);
    assert.equal(c.code, 0, c.stderr);
    const id = c.json().UUID as string;
    assert.equal(c.json().BatchSize, 3);
    const l = await awsCli(v, server.url, ['lambda', 'list-event-source-mappings', '--event-source-arn', arnOf('esm-cli')]);
    assert.equal(l.code, 0, l.stderr);
    assert.deepEqual(l.json().EventSourceMappings.map((x: any) => x.UUID), [id]);
    await until('Enabled', async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: id }))).State === 'Enabled');
    const d = await awsCli(v, server.url, ['lambda', 'delete-event-source-mapping', '--uuid', id]);
    assert.equal(d.code, 0, d.stderr);
    await until('gone', async () => (await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: arnOf('esm-cli') }))).EventSourceMappings?.length === 0);
  }
});

test('ESM: a FIFO source keeps each message group in order, and rejects BatchSize over 10', async () => {
  const out = join(outDir, 'fifo.jsonl');
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: 'esm-fifo.fifo', Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } }))).QueueUrl!;
  await createFunction(lambda, 'esm-fifo-fn', RECORDER, { env: { OUT: out } });
  await assert.rejects(
    lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-fifo-fn', EventSourceArn: arnOf('esm-fifo.fifo'), BatchSize: 20, MaximumBatchingWindowInSeconds: 1 })),
    (e: any) => e.name === 'InvalidParameterValueException',
  );
  const sent: Record<string, string[]> = { g1: [], g2: [] };
  for (let i = 0; i < 30; i++) {
    const g = i % 3 === 0 ? 'g2' : 'g1';
    const body = `${g}-${i}`;
    sent[g]!.push(body);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: g }));
  }
  const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-fifo-fn', EventSourceArn: arnOf('esm-fifo.fifo'), BatchSize: 3 }));
  await until('all delivered', () => (events(out).flatMap((e) => e.Records).length >= 30 ? true : undefined));
  const records = events(out).flatMap((e) => e.Records);
  assert.equal(records[0].attributes.MessageGroupId !== undefined, true);
  assert.ok(records[0].attributes.SequenceNumber);
  assert.ok(records[0].attributes.MessageDeduplicationId);
  for (const g of ['g1', 'g2']) assert.deepEqual(records.filter((r) => r.attributes.MessageGroupId === g).map((r) => r.body), sent[g], `${g} in order`);
  await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
});

test('ESM: DeleteFunction leaves the mapping (as on AWS); the queue is not consumed until a function of that name exists again', async () => {
  const out1 = join(outDir, 'orphan-1.jsonl');
  const out2 = join(outDir, 'orphan-2.jsonl');
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: 'esm-orphan' }))).QueueUrl!;
  await createFunction(lambda, 'esm-orphan-fn', RECORDER, { env: { OUT: out1 } });
  const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-orphan-fn', EventSourceArn: arnOf('esm-orphan'), BatchSize: 10 }));
  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'first' }));
  await until('first delivered', () => (events(out1).length >= 1 ? true : undefined));
  await lambda.send(new DeleteFunctionCommand({ FunctionName: 'esm-orphan-fn' }));
  const kept = await lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID }));
  assert.equal(kept.FunctionArn, m.FunctionArn);
  assert.equal(kept.State, 'Enabled');
  const listed = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: arnOf('esm-orphan') }));
  assert.deepEqual(listed.EventSourceMappings?.map((x) => x.UUID), [m.UUID]);
  await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: ['a', 'b', 'c'].map((b) => ({ Id: b, MessageBody: b })) }));
  // Longer than the idle poll (1 s): a poller still receiving would have the messages in flight by now.
  await new Promise((r) => setTimeout(r, 2500));
  assert.deepEqual(await counts(url), { visible: 3, inflight: 0 });
  await createFunction(lambda, 'esm-orphan-fn', RECORDER, { env: { OUT: out2 } });
  await until('delivered to the new function', () => (events(out2).flatMap((e) => e.Records).length >= 3 ? true : undefined));
  assert.deepEqual(events(out2).flatMap((e) => e.Records.map((r: any) => r.body)).sort(), ['a', 'b', 'c']);
  assert.equal(events(out2)[0].Records[0].attributes.ApproximateReceiveCount, '1', 'never received while the function was missing');
  assert.equal(events(out1).length, 1);
  await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
});
