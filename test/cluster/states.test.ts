// Cluster: Step Functions and schedules on three `selfless start --store postgres://…` nodes sharing one database —
// takeover of an execution after kill -9 of its node, task tokens and activity tasks completed through other
// nodes, and a rate() schedule that fires once per period cluster-wide.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateActivityCommand, CreateStateMachineCommand, DescribeExecutionCommand, GetActivityTaskCommand, GetExecutionHistoryCommand,
  ListExecutionsCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, StartExecutionCommand, StopExecutionCommand, type SFNClient,
} from '@aws-sdk/client-sfn';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { startCluster, type Cluster } from '../helpers/server.js';
import { pgUnavailable } from '../helpers/pg.js';
import { finished, sfnClient, SM_ROLE, until } from '../helpers/states.js';
import { lambdaClient, ROLE } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';

const skip = await pgUnavailable();
/** Test-only: a rate() minute lasts 2 s on these nodes (see RulesDeps.rateMinuteMs), so periods pass quickly. */
const MINUTE_MS = 2000;

let cluster: Cluster;
let a: SFNClient;
let b: SFNClient;
let c: SFNClient;

before(async () => {
  if (skip) return;
  cluster = await startCluster(3, { env: { SELFLESS_TEST_RATE_MINUTE_MS: String(MINUTE_MS) } });
  [a, b, c] = cluster.nodes.map((n) => sfnClient(n.url)) as [SFNClient, SFNClient, SFNClient];
});
after(async () => {
  if (skip) return;
  for (const x of [a, b, c]) x?.destroy();
  await cluster?.stop();
});

const create = async (client: SFNClient, name: string, definition: object): Promise<string> =>
  (await client.send(new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: SM_ROLE }))).stateMachineArn!;

test('Cluster: a machine created on A starts on B and is described and listed on C', { skip }, async () => {
  const arn = await create(a, 'everywhere', { StartAt: 'P', States: { P: { Type: 'Pass', Result: { n: 1 }, End: true } } });
  const s = await b.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'one', input: '{}' }));
  const d = await finished(c, s.executionArn);
  assert.equal(d.status, 'SUCCEEDED');
  assert.deepEqual(JSON.parse(d.output!), { n: 1 });
  const list = await c.send(new ListExecutionsCommand({ stateMachineArn: arn }));
  assert.deepEqual(list.executions!.map((e) => e.name), ['one']);
});

test('Cluster: StopExecution on C aborts an execution running on A', { skip }, async () => {
  const arn = await create(a, 'stoppable', { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 600, End: true } } });
  const s = await a.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' }));
  await c.send(new StopExecutionCommand({ executionArn: s.executionArn, error: 'Halt', cause: 'from C' }));
  const d = await finished(b, s.executionArn);
  assert.equal(d.status, 'ABORTED');
  assert.equal(d.error, 'Halt');
  const types = (await b.send(new GetExecutionHistoryCommand({ executionArn: s.executionArn }))).events!.map((e) => e.type);
  assert.deepEqual(types, ['ExecutionStarted', 'WaitStateEntered', 'ExecutionAborted']);
});

test('Cluster: a .waitForTaskToken token issued by an execution on A is completed through C', { skip }, async () => {
  // The function and the execution are on A; the token is read from the history on B and sent back through C.
  const lambda = lambdaClient(cluster.nodes[0]!.url);
  try {
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'noop', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zip({ 'index.js': 'exports.handler = async () => ({ queued: true });' }) } }));
    const arn = await create(a, 'approve', {
      StartAt: 'Ask',
      States: { Ask: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: { FunctionName: 'noop', Payload: { 'token.$': '$$.Task.Token' } }, ResultPath: '$.answer', End: true } },
    });
    const s = await a.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"item":"x"}' }));
    const h = await until(() => b.send(new GetExecutionHistoryCommand({ executionArn: s.executionArn })), (x) => x.events!.some((e) => e.type === 'TaskSubmitted'), 60_000);
    const sched = h.events!.find((e) => e.type === 'TaskScheduled')!;
    const token = JSON.parse(sched.taskScheduledEventDetails!.parameters!).Payload.token as string;
    await c.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"ok":true}' }));
    const d = await finished(b, s.executionArn);
    assert.equal(d.status, 'SUCCEEDED', d.cause);
    assert.deepEqual(JSON.parse(d.output!), { item: 'x', answer: { ok: true } });
    await assert.rejects(b.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })), (e: Error) => e.name === 'TaskDoesNotExist');
  } finally {
    lambda.destroy();
  }
});

test('Cluster: an activity task scheduled by an execution on A is received by GetActivityTask on C, once', { skip }, async () => {
  const act = await a.send(new CreateActivityCommand({ name: 'cluster-worker' }));
  const arn = await create(a, 'act', { StartAt: 'T', States: { T: { Type: 'Task', Resource: act.activityArn, End: true } } });
  // Pollers on B and C wait before the task exists; exactly one of them gets it.
  const polls = [b, c].map((x, i) => x.send(new GetActivityTaskCommand({ activityArn: act.activityArn, workerName: `w${i}` })));
  const s = await a.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"job":7}' }));
  const first = await Promise.race(polls);
  assert.deepEqual(JSON.parse(first.input!), { job: 7 });
  await c.send(new SendTaskSuccessCommand({ taskToken: first.taskToken, output: '{"done":true}' }));
  const d = await finished(c, s.executionArn);
  assert.equal(d.status, 'SUCCEEDED', d.cause);
  const h = (await c.send(new GetExecutionHistoryCommand({ executionArn: s.executionArn }))).events!;
  assert.deepEqual(h.map((e) => e.type).slice(2, 5), ['ActivityScheduled', 'ActivityStarted', 'ActivitySucceeded']);
  // The other poller got nothing (it ends empty after its long poll, or gets a later task: start one for it).
  const s2 = await a.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"job":8}' }));
  const all = await Promise.all(polls);
  const tokens = all.map((t) => t.taskToken);
  assert.notEqual(tokens[0], tokens[1], 'a task is handed out once');
  const second = all.find((t) => t.taskToken !== first.taskToken)!;
  assert.deepEqual(JSON.parse(second.input!), { job: 8 });
  await b.send(new SendTaskSuccessCommand({ taskToken: second.taskToken, output: '{}' }));
  assert.equal((await finished(a, s2.executionArn)).status, 'SUCCEEDED');
});

test('Cluster: heartbeats sent through C keep alive an activity task of an execution on A; without them it times out', { skip }, async () => {
  const act = await a.send(new CreateActivityCommand({ name: 'cluster-heartbeat' }));
  const arn = await create(a, 'hb', { StartAt: 'T', States: { T: { Type: 'Task', Resource: act.activityArn, HeartbeatSeconds: 2, TimeoutSeconds: 60, End: true } } });
  const kept = await a.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' }));
  const task = await b.send(new GetActivityTaskCommand({ activityArn: act.activityArn, workerName: 'hb' }));
  // Three heartbeat periods pass; a beat every 0.5 s through C resets A's heartbeat timer each time.
  for (let i = 0; i < 12; i++) {
    await c.send(new SendTaskHeartbeatCommand({ taskToken: task.taskToken }));
    await new Promise((r) => setTimeout(r, 500));
  }
  await c.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: '{"alive":true}' }));
  const d = await finished(a, kept.executionArn);
  assert.equal(d.status, 'SUCCEEDED', d.cause);
  assert.deepEqual(JSON.parse(d.output!), { alive: true });
  // The same task without beats: A times it out after its 2 s.
  const lapsed = await a.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' }));
  await b.send(new GetActivityTaskCommand({ activityArn: act.activityArn, workerName: 'hb' }));
  const e = await finished(c, lapsed.executionArn);
  assert.equal(e.status, 'FAILED');
  assert.equal(e.error, 'States.HeartbeatTimeout');
});

test('Cluster: a Standard execution started on A finishes on another node after kill -9 of A, without duplicate or missing events', { skip }, async () => {
  const arn = await create(a, 'survivor', {
    StartAt: 'Wait',
    States: { Wait: { Type: 'Wait', Seconds: 3, Next: 'Done' }, Done: { Type: 'Pass', Result: 'ok', End: true } },
  });
  const s = await a.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' }));
  await until(() => b.send(new GetExecutionHistoryCommand({ executionArn: s.executionArn })), (h) => h.events!.some((e) => e.type === 'WaitStateEntered'));
  await cluster.nodes[0]!.stop('SIGKILL');
  // The lease lapses after 30 s; a sweep (every 5 s) on B or C then takes the execution over.
  const d = await until(() => b.send(new DescribeExecutionCommand({ executionArn: s.executionArn })), (x) => x.status !== 'RUNNING', 90_000);
  assert.equal(d.status, 'SUCCEEDED', d.cause);
  assert.equal(JSON.parse(d.output!), 'ok');
  const events = (await c.send(new GetExecutionHistoryCommand({ executionArn: s.executionArn, maxResults: 1000 }))).events!;
  assert.deepEqual(events.map((e) => e.id), events.map((_, i) => i + 1), 'event ids are 1..n with no gap or repeat');
  // The Wait in progress resumes its timer (it is not entered again).
  assert.deepEqual(events.map((e) => e.type), ['ExecutionStarted', 'WaitStateEntered', 'WaitStateExited', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
});

test('Cluster: a rate(1 minute) schedule with three nodes up fires once per period', { skip }, async () => {
  const { EventBridgeClient, PutRuleCommand, PutTargetsCommand, DeleteRuleCommand, RemoveTargetsCommand } = await import('@aws-sdk/client-eventbridge');
  // The nodes still running (A may have been killed above): every one arms the rule.
  const up = cluster.nodes.filter((n) => n.proc.exitCode === null && n.proc.signalCode === null);
  while (up.length < 3) up.push(await cluster.add());
  const eb = new EventBridgeClient({ endpoint: up[0]!.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  try {
    const { SQSClient, CreateQueueCommand, ReceiveMessageCommand, DeleteMessageBatchCommand } = await import('@aws-sdk/client-sqs');
    const sqs = new SQSClient({ endpoint: up[1]!.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'ticks' }));
    await eb.send(new PutRuleCommand({ Name: 'tick', ScheduleExpression: 'rate(1 minute)' }));
    await eb.send(new PutTargetsCommand({ Rule: 'tick', Targets: [{ Id: 't', Arn: 'arn:aws:sqs:us-east-1:000000000000:ticks' }] }));
    // Each fire is one Scheduled Event whose `time` is its period's; a period fired by two nodes would arrive twice.
    const times: string[] = [];
    const end = Date.now() + 60_000;
    while (new Set(times).size < 4 && Date.now() < end) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const m of r.Messages ?? []) times.push((JSON.parse(m.Body!) as { time: string }).time);
      if (r.Messages?.length) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: r.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
    }
    await eb.send(new RemoveTargetsCommand({ Rule: 'tick', Ids: ['t'] }));
    await eb.send(new DeleteRuleCommand({ Name: 'tick' }));
    // Fires still in flight when the rule went are counted too.
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }));
    for (const m of r.Messages ?? []) times.push((JSON.parse(m.Body!) as { time: string }).time);
    sqs.destroy();
    assert.ok(new Set(times).size >= 4, `fires seen: ${times.join(', ')}`);
    assert.equal(times.length, new Set(times).size, `each period fired on one node only: ${times.join(', ')}`);
  } finally {
    eb.destroy();
  }
});
