// Compatibility: task tokens and activity tasks issued before a kill -9 still complete their executions after restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateActivityCommand, CreateStateMachineCommand, GetActivityTaskCommand, GetExecutionHistoryCommand,
  SendTaskHeartbeatCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand, type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { removeServer, startServer } from '../helpers/server.js';
import { finished, sfnClient, SM_ROLE, until } from '../helpers/states.js';
import { lambdaClient, ROLE } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';



const history = async (c: SFNClient, arn: string): Promise<HistoryEvent[]> => (await c.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }))).events!;
const types = (h: HistoryEvent[]): string[] => h.map((e) => e.type!);

test('Durability: a waitForTaskToken token issued before kill -9 completes the execution through SendTaskSuccess after restart', async () => {
  const first = await startServer();
  try {
    const c1 = sfnClient(first.url);
    await lambdaClient(first.url).send(
      new CreateFunctionCommand({ FunctionName: 'enqueue', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zip({ 'index.js': 'exports.handler = async () => ({ queued: true });' }) } }),
    );
    const definition = {
      StartAt: 'Approve',
      States: {
        Approve: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: { FunctionName: 'enqueue', Payload: { 'token.$': '$$.Task.Token' } }, ResultPath: '$.approval', Next: 'After' },
        After: { Type: 'Pass', Result: 'done', ResultPath: '$.after', End: true },
      },
    };
    const sm = await c1.send(new CreateStateMachineCommand({ name: 'approve', definition: JSON.stringify(definition), roleArn: SM_ROLE }));
    const s = await c1.send(new StartExecutionCommand({ stateMachineArn: sm.stateMachineArn, input: '{"order":7}' }));
    const before = await until(() => history(c1, s.executionArn!), (h) => types(h).includes('TaskSubmitted'), 60_000);
    assert.ok(types(before).includes('TaskSubmitted'), `no TaskSubmitted: ${types(before).join(',')}`);
    const token = JSON.parse(before.find((e) => e.type === 'TaskScheduled')!.taskScheduledEventDetails!.parameters!).Payload.token as string;

    assert.equal((await first.stop('SIGKILL')).signal, 'SIGKILL');
    const second = await startServer({ dataDir: first.dataDir });
    try {
      const c2 = sfnClient(second.url);
      await c2.send(new SendTaskHeartbeatCommand({ taskToken: token }));
      await c2.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));
      const d = await finished(c2, s.executionArn, 60_000);
      assert.equal(d.status, 'SUCCEEDED', d.cause);
      assert.deepEqual(JSON.parse(d.output!), { order: 7, approval: { approved: true }, after: 'done' });
      const h = await history(c2, s.executionArn!);
      // The function ran once (one TaskScheduled/TaskSubmitted) and the history continues where it stopped.
      assert.deepEqual(types(h), ['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSubmitted', 'TaskSucceeded', 'TaskStateExited', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
      assert.deepEqual(h.map((e) => e.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // The token is spent: a second SendTaskSuccess is refused.
      await assert.rejects(c2.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })), (e: Error) => e.name === 'TaskDoesNotExist');
    } finally {
      await second.stop();
    }
  } finally {
    if (first.proc.exitCode === null && first.proc.signalCode === null) await first.stop();
    await removeServer(first);
  }
});

test('Durability: activity tasks survive kill -9: a handed-out task completes by its token, a queued one is handed out after restart', async () => {
  const first = await startServer();
  try {
    const c1 = sfnClient(first.url);
    const act = await c1.send(new CreateActivityCommand({ name: 'review' }));
    const definition = { StartAt: 'Review', States: { Review: { Type: 'Task', Resource: act.activityArn, TimeoutSeconds: 600, End: true } } };
    const sm = await c1.send(new CreateStateMachineCommand({ name: 'reviews', definition: JSON.stringify(definition), roleArn: SM_ROLE }));
    const e1 = await c1.send(new StartExecutionCommand({ stateMachineArn: sm.stateMachineArn, name: 'picked', input: '{"doc":1}' }));
    const t1 = await c1.send(new GetActivityTaskCommand({ activityArn: act.activityArn, workerName: 'w1' }));
    assert.deepEqual(JSON.parse(t1.input!), { doc: 1 });
    const e2 = await c1.send(new StartExecutionCommand({ stateMachineArn: sm.stateMachineArn, name: 'queued', input: '{"doc":2}' }));
    await until(() => history(c1, e2.executionArn!), (h) => types(h).includes('ActivityScheduled'), 60_000);

    assert.equal((await first.stop('SIGKILL')).signal, 'SIGKILL');
    const second = await startServer({ dataDir: first.dataDir });
    try {
      const c2 = sfnClient(second.url);
      // Only the task nobody had picked up is handed out again, with its original input.
      const t2 = await c2.send(new GetActivityTaskCommand({ activityArn: act.activityArn, workerName: 'w2' }));
      assert.deepEqual(JSON.parse(t2.input!), { doc: 2 });
      assert.notEqual(t2.taskToken, t1.taskToken);
      await c2.send(new SendTaskSuccessCommand({ taskToken: t1.taskToken, output: '{"ok":1}' }));
      await c2.send(new SendTaskSuccessCommand({ taskToken: t2.taskToken, output: '{"ok":2}' }));
      for (const [e, ok] of [[e1, 1], [e2, 2]] as const) {
        const d = await finished(c2, e.executionArn, 60_000);
        assert.equal(d.status, 'SUCCEEDED', d.cause);
        assert.deepEqual(JSON.parse(d.output!), { ok });
        assert.deepEqual(types(await history(c2, e.executionArn!)), ['ExecutionStarted', 'TaskStateEntered', 'ActivityScheduled', 'ActivityStarted', 'ActivitySucceeded', 'TaskStateExited', 'ExecutionSucceeded']);
      }
    } finally {
      await second.stop();
    }
  } finally {
    if (first.proc.exitCode === null && first.proc.signalCode === null) await first.stop();
    await removeServer(first);
  }
});

test('Durability: a Lambda task in progress at kill -9 runs again after restart (at-least-once), recorded as a second attempt of the same state', async () => {
  const first = await startServer();
  try {
    const c1 = sfnClient(first.url);
    await lambdaClient(first.url).send(
      new CreateFunctionCommand({
        FunctionName: 'slow', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Timeout: 30,
        Code: { ZipFile: await zip({ 'index.js': 'exports.handler = async (e) => { await new Promise((r) => setTimeout(r, 3000)); return { done: e.n }; };' }) },
      }),
    );
    const definition = { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'slow', 'Payload.$': '$' }, OutputPath: '$.Payload', End: true } } };
    const sm = await c1.send(new CreateStateMachineCommand({ name: 'slow-work', definition: JSON.stringify(definition), roleArn: SM_ROLE }));
    const s = await c1.send(new StartExecutionCommand({ stateMachineArn: sm.stateMachineArn, input: '{"n":5}' }));
    const before = await until(() => history(c1, s.executionArn!), (h) => types(h).includes('TaskStarted'), 60_000);
    assert.ok(!types(before).includes('TaskSucceeded'), 'the task finished before the kill; the test needs it in progress');
    assert.equal((await first.stop('SIGKILL')).signal, 'SIGKILL');
    const second = await startServer({ dataDir: first.dataDir });
    try {
      const c2 = sfnClient(second.url);
      const d = await finished(c2, s.executionArn, 60_000);
      assert.equal(d.status, 'SUCCEEDED', d.cause);
      assert.deepEqual(JSON.parse(d.output!), { done: 5 });
      const h = await history(c2, s.executionArn!);
      assert.deepEqual(types(h), ['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited', 'ExecutionSucceeded']);
      assert.deepEqual(h.map((e) => e.id), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.deepEqual(h.map((e) => e.previousEventId), [0, 0, 2, 3, 4, 5, 6, 7, 8]);
    } finally {
      await second.stop();
    }
  } finally {
    if (first.proc.exitCode === null && first.proc.signalCode === null) await first.stop();
    await removeServer(first);
  }
});
