// Compatibility: AWS's own durable-execution SDK (npm @aws/durable-execution-sdk-js) in a Node.js function on selfless:
// steps checkpoint, a wait holds no environment, a callback is completed from outside, Get*/List*/Stop answer as the
// model says, and a kill -9 of the server mid-invocation is re-driven from the last checkpoint to completion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateFunctionCommand,
  GetDurableExecutionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  ListDurableExecutionsByFunctionCommand,
  PutFunctionConcurrencyCommand,
  SendDurableExecutionCallbackFailureCommand,
  SendDurableExecutionCallbackSuccessCommand,
  StopDurableExecutionCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { liveServer, removeDir, removeServer, startServer } from '../helpers/server.js';
import { lambdaClient, ROLE } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';
import { createDurable, ended, history, until } from '../helpers/durable.js';

const server = liveServer({ env: { SELFLESS_ISOLATION: 'process' } });

test('Durable functions: DurableConfig is kept and shown; durability is chosen at creation; an unqualified invoke is refused', async () => {
  const lambda = lambdaClient(server().url);
  await createDurable(lambda, 'cfg');
  const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'cfg' }));
  assert.deepEqual(c.DurableConfig, { ExecutionTimeout: 900, RetentionPeriodInDays: 3 });
  const u = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'cfg', DurableConfig: { RetentionPeriodInDays: 7 } }));
  assert.deepEqual(u.DurableConfig, { ExecutionTimeout: 900, RetentionPeriodInDays: 7 });
  await assert.rejects(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'cfg', DurableConfig: { RetentionPeriodInDays: 91 } })), /ValidationException|less than or equal to 90/);
  await lambda.send(new CreateFunctionCommand({ FunctionName: 'plain', Runtime: 'nodejs20.x' as never, Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zip({ 'index.js': 'exports.handler = async () => 1;' }) } }));
  await assert.rejects(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'plain', DurableConfig: { ExecutionTimeout: 60 } })), (e: Error) => e.name === 'InvalidParameterValueException');
  await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'cfg', Payload: Buffer.from('{"x":1}') })), (e: Error) => e.name === 'InvalidParameterValueException' && /qualified/.test(e.message));
});

test('Durable functions: steps and a wait through the real SDK; a synchronous invoke answers the result; history records each operation', async () => {
  const lambda = lambdaClient(server().url);
  await createDurable(lambda, 'steps');
  const t0 = Date.now();
  const r = await lambda.send(new InvokeCommand({ FunctionName: 'steps', Qualifier: '$LATEST', Payload: Buffer.from(JSON.stringify({ x: 20, wait: 2 })), DurableExecutionName: 'first' }));
  assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
  assert.deepEqual(JSON.parse(Buffer.from(r.Payload!).toString()), { a: 21, b: 42 });
  assert.ok(Date.now() - t0 >= 2000, 'the wait of 2 s was waited');
  const arn = r.DurableExecutionArn!;
  assert.match(arn, /^arn:aws:lambda:us-east-1:000000000000:function:steps:\$LATEST\/durable-execution\/first\/[0-9a-f-]+$/);
  const e = await lambda.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn }));
  assert.equal(e.Status, 'SUCCEEDED');
  assert.equal(e.DurableExecutionName, 'first');
  assert.equal(e.Version, '$LATEST');
  assert.deepEqual(JSON.parse(e.InputPayload!), { x: 20, wait: 2 });
  assert.deepEqual(JSON.parse(e.Result!), { a: 21, b: 42 });
  assert.ok(e.EndTimestamp instanceof Date && e.StartTimestamp instanceof Date && e.EndTimestamp >= e.StartTimestamp);
  const events = await history(lambda, arn);
  const types: string[] = events.map((x) => x.EventType ?? '');
  assert.equal(types[0], 'ExecutionStarted');
  assert.equal(types.at(-1), 'ExecutionSucceeded');
  for (const t of ['StepSucceeded', 'WaitStarted', 'WaitSucceeded']) assert.ok(types.includes(t), `${t} in ${types.join(',')}`);
  // One invocation up to the wait, one after it: the wait itself ran no code.
  assert.equal(types.filter((t) => t === 'InvocationCompleted').length, 2, types.join(','));
  const add = events.find((x) => x.EventType === 'StepSucceeded' && x.Name === 'add')!;
  assert.equal(add.StepSucceededDetails?.Result?.Payload, '21');
  assert.deepEqual(events.map((x) => x.EventId), events.map((_, i) => i + 1));
  // Without IncludeExecutionData the payloads stay out.
  const bare = await history(lambda, arn, false);
  assert.equal(bare.find((x) => x.EventType === 'StepSucceeded')?.StepSucceededDetails?.Result?.Payload, undefined);
  // A name is unique per function.
  await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'steps', Qualifier: '$LATEST', InvocationType: 'Event', Payload: Buffer.from('{"x":1}'), DurableExecutionName: 'first' })), (x: Error) => x.name === 'DurableExecutionAlreadyStartedException');
});

test('Durable functions: an hour-long wait holds no environment: with reserved concurrency 1 another execution runs meanwhile; Stop ends the waiting one', async () => {
  const lambda = lambdaClient(server().url);
  await createDurable(lambda, 'sleeper', { executionTimeout: 7200 });
  await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'sleeper', ReservedConcurrentExecutions: 1 }));
  const long = await lambda.send(new InvokeCommand({ FunctionName: 'sleeper', Qualifier: '$LATEST', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ x: 1, wait: 3600 })) }));
  assert.equal(long.StatusCode, 202);
  const arn = long.DurableExecutionArn!;
  // The invocation that reached the wait has completed: the execution now exists only as rows in the store.
  await until('the first invocation to end at the wait', async () => {
    const types = (await history(lambda, arn)).map((x) => x.EventType);
    return types.includes('WaitStarted') && types.includes('InvocationCompleted') ? true : undefined;
  });
  const other = await lambda.send(new InvokeCommand({ FunctionName: 'sleeper', Qualifier: '$LATEST', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ x: 5 })) }));
  const done = await ended(lambda, other.DurableExecutionArn!);
  assert.equal(done.Status, 'SUCCEEDED');
  assert.deepEqual(JSON.parse(done.Result!), { a: 6, b: 12 });
  const running = await lambda.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'sleeper', Statuses: ['RUNNING'] }));
  assert.deepEqual(running.DurableExecutions?.map((x) => x.DurableExecutionArn), [arn]);
  const all = await lambda.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'sleeper', MaxItems: 1 }));
  assert.equal(all.DurableExecutions?.length, 1);
  assert.ok(all.NextMarker, 'a second page');
  const page2 = await lambda.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'sleeper', MaxItems: 1, Marker: all.NextMarker }));
  assert.notEqual(page2.DurableExecutions?.[0]?.DurableExecutionArn, all.DurableExecutions?.[0]?.DurableExecutionArn);
  const stopped = await lambda.send(new StopDurableExecutionCommand({ DurableExecutionArn: arn, Error: { ErrorType: 'Operator', ErrorMessage: 'no longer needed' } }));
  assert.ok(stopped.StopTimestamp instanceof Date);
  const s = await lambda.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn }));
  assert.equal(s.Status, 'STOPPED');
  assert.equal(s.Error?.ErrorMessage, 'no longer needed');
  assert.equal((await history(lambda, arn)).at(-1)?.EventType, 'ExecutionStopped');
  await assert.rejects(lambda.send(new StopDurableExecutionCommand({ DurableExecutionArn: arn })), (x: Error) => x.name === 'InvalidParameterValueException');
  await assert.rejects(lambda.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'no-such-function' })), (x: Error) => x.name === 'ResourceNotFoundException');
  await assert.rejects(lambda.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn.replace(/[0-9a-f-]+$/, '00000000-0000-0000-0000-000000000000') })), (x: Error) => x.name === 'ResourceNotFoundException');
});

test('Durable functions: a callback completed from outside with SendDurableExecutionCallbackSuccess resumes the execution', async () => {
  const lambda = lambdaClient(server().url);
  await createDurable(lambda, 'approver');
  const inv = await lambda.send(new InvokeCommand({ FunctionName: 'approver', Qualifier: '$LATEST', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ x: 2, callback: true })) }));
  const arn = inv.DurableExecutionArn!;
  const callbackId = await until('the callback to start', async () => (await history(lambda, arn)).find((x) => x.EventType === 'CallbackStarted')?.CallbackStartedDetails?.CallbackId);
  assert.equal((await lambda.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn }))).Status, 'RUNNING');
  await lambda.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: callbackId, Result: Buffer.from('approved') }));
  const e = await ended(lambda, arn);
  assert.equal(e.Status, 'SUCCEEDED', JSON.stringify(e.Error));
  assert.deepEqual(JSON.parse(e.Result!), { a: 3, b: 6, cb: 'approved' });
  assert.ok((await history(lambda, arn)).some((x) => x.EventType === 'CallbackSucceeded'));
  // A completed callback cannot be completed again.
  await assert.rejects(lambda.send(new SendDurableExecutionCallbackFailureCommand({ CallbackId: callbackId, Error: { ErrorMessage: 'late' } })), (x: Error) => x.name === 'InvalidParameterValueException');
});

test('Durable functions: a callback failed from outside fails the execution with that error', async () => {
  const lambda = lambdaClient(server().url);
  await createDurable(lambda, 'rejecter');
  const inv = await lambda.send(new InvokeCommand({ FunctionName: 'rejecter', Qualifier: '$LATEST', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ x: 2, callback: true })) }));
  const arn = inv.DurableExecutionArn!;
  const callbackId = await until('the callback to start', async () => (await history(lambda, arn)).find((x) => x.EventType === 'CallbackStarted')?.CallbackStartedDetails?.CallbackId);
  await lambda.send(new SendDurableExecutionCallbackFailureCommand({ CallbackId: callbackId, Error: { ErrorType: 'Rejected', ErrorMessage: 'request denied' } }));
  const e = await ended(lambda, arn);
  assert.equal(e.Status, 'FAILED');
  assert.match(e.Error?.ErrorMessage ?? '', /request denied/);
});

test('Durable functions: a failing step is retried by its retry strategy after its delay, each retry a new invocation', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'selfless-durable-'));
  try {
    const lambda = lambdaClient(server().url);
    await createDurable(lambda, 'flaky', { env: { OUT: join(outDir, 'notes.txt') } });
    const r = await lambda.send(new InvokeCommand({ FunctionName: 'flaky', Qualifier: '$LATEST', Payload: Buffer.from(JSON.stringify({ x: 1, flaky: 2 })) }));
    assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
    assert.deepEqual(JSON.parse(Buffer.from(r.Payload!).toString()), { a: 2, b: 4, f: 3 });
    const events = await history(lambda, r.DurableExecutionArn!);
    const flaky = events.filter((x) => x.Name === 'flaky');
    const failed = flaky.filter((x) => x.EventType === 'StepFailed');
    assert.equal(failed.length, 2, JSON.stringify(flaky));
    assert.deepEqual(failed.map((x) => x.StepFailedDetails?.RetryDetails?.CurrentAttempt), [1, 2]);
    assert.match(failed[0]!.StepFailedDetails?.Error?.Payload?.ErrorMessage ?? '', /attempt 1 fails/);
    assert.equal(flaky.filter((x) => x.EventType === 'StepSucceeded').length, 1);
    assert.ok(events.filter((x) => x.EventType === 'InvocationCompleted').length >= 3, 'each retry ran in an invocation of its own');
  } finally {
    removeDir(outDir);
  }
});

test('Durable functions: kill -9 of the server mid-invocation; after a restart the execution resumes from its last checkpoint and completes', { timeout: 180_000 }, async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'selfless-durable-'));
  const out = join(outDir, 'notes.txt');
  const notes = (): string[] => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []);
  const first = await startServer({ env: { SELFLESS_ISOLATION: 'process' } });
  let second: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    let lambda = lambdaClient(first.url);
    await createDurable(lambda, 'crashy', { env: { OUT: out } });
    const inv = await lambda.send(new InvokeCommand({ FunctionName: 'crashy', Qualifier: '$LATEST', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ x: 4, slow: 4000 })) }));
    const arn = inv.DurableExecutionArn!;
    // Step "add" is checkpointed; step "double" is running (slowly) when the server dies.
    await until('the second step to start', async () => (notes().includes('double-start') ? true : undefined));
    await first.stop('SIGKILL');
    second = await startServer({ dataDir: first.dataDir, env: { SELFLESS_ISOLATION: 'process' } });
    lambda = lambdaClient(second.url);
    const e = await ended(lambda, arn, 120_000);
    assert.equal(e.Status, 'SUCCEEDED', JSON.stringify(e.Error));
    assert.deepEqual(JSON.parse(e.Result!), { a: 5, b: 10 });
    const n = notes();
    assert.equal(n.filter((x) => x === 'add').length, 1, `the checkpointed step ran once: ${n.join(',')}`);
    assert.ok(n.filter((x) => x === 'double-start').length >= 2, `the interrupted step ran again: ${n.join(',')}`);
    const types = (await history(lambda, arn)).map((x) => x.EventType);
    assert.equal(types.filter((t) => t === 'StepSucceeded').length, 2, types.join(','));
  } finally {
    await (second ?? first).stop();
    await removeServer(first);
    removeDir(outDir);
  }
});
