// Compatibility: EventBridge Scheduler (the `scheduler` API) with @aws-sdk/client-scheduler and the CLI v1: one-time
// schedules firing once into SQS and Lambda, deletion after completion, dead-letter queues, groups, tags and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  ListTagsForResourceCommand,
  SchedulerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { CreateQueueCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { liveServer } from '../helpers/server.js';
import { awsCli } from '../helpers/aws-cli.js';
import { sqsClient } from '../helpers/sqs.js';
import { snsClient } from '../helpers/sns.js';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { createFunction, lambdaClient } from '../helpers/lambda.js';

const server = liveServer();
let clients: { scheduler: SchedulerClient; sqs: SQSClient } | undefined;
const c = () =>
  (clients ??= {
    scheduler: new SchedulerClient({ endpoint: server().url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 }),
    sqs: sqsClient(server().url),
  });
const ROLE = 'arn:aws:iam::000000000000:role/scheduler';
const queueArn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
const fail = (p: Promise<unknown>) =>
  p.then(
    () => ({ name: 'no error', message: '', status: 0 as number | undefined }),
    (e: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => ({ name: e.name, message: e.message, status: e.$metadata?.httpStatusCode }),
  );
/** `at()` of a UTC wall time `s` seconds from now. */
const atIn = (s: number) => `at(${new Date(Date.now() + s * 1000).toISOString().slice(0, 19)})`;

async function queue(name: string): Promise<string> {
  return (await c().sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
}
async function receive(url: string, n: number, waitSeconds = 20): Promise<Message[]> {
  const out: Message[] = [];
  const deadline = Date.now() + waitSeconds * 1000;
  while (out.length < n && Date.now() < deadline) {
    const r = await c().sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, MessageAttributeNames: ['All'] }));
    out.push(...(r.Messages ?? []));
  }
  return out;
}
const schedule = (name: string, extra: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput => ({
  Name: name,
  ScheduleExpression: 'rate(1 hour)',
  FlexibleTimeWindow: { Mode: 'OFF' },
  Target: { Arn: queueArn('nowhere'), RoleArn: ROLE },
  ...extra,
});

test('Scheduler: a one-time at() schedule fires once into SQS with its context attributes, then deletes itself', async () => {
  const url = await queue('sched-once');
  const created = await c().scheduler.send(
    new CreateScheduleCommand(
      schedule('once', {
        ScheduleExpression: atIn(2),
        ActionAfterCompletion: 'DELETE',
        Target: { Arn: queueArn('sched-once'), RoleArn: ROLE, Input: '{"arn":"<aws.scheduler.schedule-arn>","at":"<aws.scheduler.scheduled-time>","id":"<aws.scheduler.execution-id>","n":<aws.scheduler.attempt-number>}' },
      }),
    ),
  );
  assert.equal(created.ScheduleArn, 'arn:aws:scheduler:us-east-1:000000000000:schedule/default/once');
  const got = await c().scheduler.send(new GetScheduleCommand({ Name: 'once' }));
  assert.equal(got.State, 'ENABLED');
  assert.equal(got.ScheduleExpressionTimezone, 'UTC');
  assert.deepEqual(got.Target?.RetryPolicy, { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 });
  assert.ok(got.CreationDate instanceof Date);
  const [m] = await receive(url, 1);
  assert.ok(m, 'the schedule fired');
  const body = JSON.parse(m.Body!);
  assert.equal(body.arn, created.ScheduleArn);
  assert.match(body.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(body.id, /^[0-9a-f-]{36}$/);
  assert.equal(body.n, 1);
  // Deleted after completion, and never fired again.
  let gone = '';
  for (let i = 0; i < 50 && gone !== 'ResourceNotFoundException'; i++) gone = (await fail(c().scheduler.send(new GetScheduleCommand({ Name: 'once' })))).name;
  assert.equal(gone, 'ResourceNotFoundException');
  assert.equal((await receive(url, 1, 3)).length, 0);
});

test('Scheduler: a Lambda target is invoked asynchronously with the schedule’s Input', async () => {
  const lambda = lambdaClient(server().url);
  await createFunction(lambda, 'sched-fn', { 'index.js': 'exports.handler = async (e) => ({ got: e });' });
  const url = await queue('sched-fn-ok');
  await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'sched-fn', DestinationConfig: { OnSuccess: { Destination: queueArn('sched-fn-ok') } } }));
  await c().scheduler.send(
    new CreateScheduleCommand(schedule('to-lambda', { ScheduleExpression: atIn(1), Target: { Arn: 'arn:aws:lambda:us-east-1:000000000000:function:sched-fn', RoleArn: ROLE, Input: '{"hello":"world"}' } })),
  );
  const [m] = await receive(url, 1, 40);
  assert.ok(m, 'the function ran');
  const rec = JSON.parse(m.Body!);
  assert.deepEqual(rec.requestPayload, { hello: 'world' });
  assert.deepEqual(rec.responsePayload, { got: { hello: 'world' } });
  // Without ActionAfterCompletion the completed schedule stays.
  assert.equal((await c().scheduler.send(new GetScheduleCommand({ Name: 'to-lambda' }))).Name, 'to-lambda');
});

test('Scheduler: an SNS topic target publishes the Input, which the topic delivers to its queue subscriber', async () => {
  const url = await queue('sched-topic-q');
  const sns = snsClient(server().url);
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'sched-topic' }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queueArn('sched-topic-q'), Attributes: { RawMessageDelivery: 'true' } }));
  sns.destroy();
  await c().scheduler.send(new CreateScheduleCommand(schedule('to-topic', { ScheduleExpression: atIn(1), Target: { Arn: TopicArn!, RoleArn: ROLE, Input: '{"via":"sns"}' } })));
  const [m] = await receive(url, 1);
  assert.ok(m, 'the schedule published to the topic');
  assert.deepEqual(JSON.parse(m.Body!), { via: 'sns' });
});

test('Scheduler: a fire the target refuses goes to the dead-letter queue once its retries are spent', async () => {
  const dlq = await queue('sched-dlq');
  await c().scheduler.send(
    new CreateScheduleCommand(
      schedule('to-missing', { ScheduleExpression: atIn(1), Target: { Arn: queueArn('does-not-exist'), RoleArn: ROLE, Input: 'payload', RetryPolicy: { MaximumRetryAttempts: 0 }, DeadLetterConfig: { Arn: queueArn('sched-dlq') } } }),
    ),
  );
  const [m] = await receive(dlq, 1);
  assert.ok(m, 'dead-lettered');
  assert.equal(m.Body, 'payload');
  assert.equal(m.MessageAttributes?.['EXHAUSTED_RETRY_CONDITION']?.StringValue, 'MaximumRetryAttempts');
  assert.equal(m.MessageAttributes?.['SCHEDULE_ARN']?.StringValue, 'arn:aws:scheduler:us-east-1:000000000000:schedule/default/to-missing');
});

test('Scheduler: groups are created, tagged, listed and deleted with their schedules; default always exists', async () => {
  const s = c().scheduler;
  const g = await s.send(new CreateScheduleGroupCommand({ Name: 'team', Tags: [{ Key: 'a', Value: '1' }] }));
  assert.equal(g.ScheduleGroupArn, 'arn:aws:scheduler:us-east-1:000000000000:schedule-group/team');
  assert.equal((await s.send(new GetScheduleGroupCommand({ Name: 'team' }))).State, 'ACTIVE');
  assert.equal((await s.send(new GetScheduleGroupCommand({ Name: 'default' }))).Name, 'default');
  await s.send(new TagResourceCommand({ ResourceArn: g.ScheduleGroupArn, Tags: [{ Key: 'b', Value: '2' }] }));
  await s.send(new UntagResourceCommand({ ResourceArn: g.ScheduleGroupArn, TagKeys: ['a'] }));
  assert.deepEqual((await s.send(new ListTagsForResourceCommand({ ResourceArn: g.ScheduleGroupArn }))).Tags, [{ Key: 'b', Value: '2' }]);
  await s.send(new CreateScheduleCommand(schedule('t1', { GroupName: 'team', ScheduleExpression: 'cron(0 9 ? * MON-FRI *)', ScheduleExpressionTimezone: 'Europe/Berlin' })));
  await s.send(new CreateScheduleCommand(schedule('t2', { GroupName: 'team', State: 'DISABLED' })));
  await s.send(new CreateScheduleCommand(schedule('t1')));
  const listed = await s.send(new ListSchedulesCommand({ GroupName: 'team' }));
  assert.deepEqual(listed.Schedules?.map((x) => [x.Name, x.State, x.Target?.Arn]), [['t1', 'ENABLED', queueArn('nowhere')], ['t2', 'DISABLED', queueArn('nowhere')]]);
  const paged = await s.send(new ListSchedulesCommand({ GroupName: 'team', MaxResults: 1, State: 'ENABLED' }));
  assert.deepEqual([paged.Schedules?.map((x) => x.Name), paged.NextToken], [['t1'], undefined]);
  const updated = await s.send(new UpdateScheduleCommand(schedule('t1', { GroupName: 'team', ScheduleExpression: 'rate(2 hours)', Description: 'x' })));
  assert.equal(updated.ScheduleArn, 'arn:aws:scheduler:us-east-1:000000000000:schedule/team/t1');
  const t1 = await s.send(new GetScheduleCommand({ Name: 't1', GroupName: 'team' }));
  assert.deepEqual([t1.ScheduleExpression, t1.ScheduleExpressionTimezone, t1.Description], ['rate(2 hours)', 'UTC', 'x']);
  assert.ok((await s.send(new ListScheduleGroupsCommand({}))).ScheduleGroups?.some((x) => x.Name === 'default'));
  await s.send(new DeleteScheduleGroupCommand({ Name: 'team' }));
  assert.equal((await fail(s.send(new GetScheduleCommand({ Name: 't1', GroupName: 'team' })))).name, 'ResourceNotFoundException');
  assert.equal((await s.send(new GetScheduleCommand({ Name: 't1' }))).GroupName, 'default', 'other groups keep theirs');
  assert.equal((await fail(s.send(new DeleteScheduleGroupCommand({ Name: 'default' })))).name, 'ValidationException');
  await s.send(new DeleteScheduleCommand({ Name: 't1' }));
});

test('Scheduler: bad input gets AWS’s errors and statuses', async () => {
  const s = c().scheduler;
  await s.send(new CreateScheduleCommand(schedule('dup')));
  assert.deepEqual(await fail(s.send(new CreateScheduleCommand(schedule('dup')))), { name: 'ConflictException', status: 409, message: 'Schedule dup already exists.' });
  assert.deepEqual(await fail(s.send(new GetScheduleCommand({ Name: 'nope' }))), { name: 'ResourceNotFoundException', status: 404, message: 'Schedule nope does not exist.' });
  assert.deepEqual(await fail(s.send(new DeleteScheduleCommand({ Name: 'nope' }))), { name: 'ResourceNotFoundException', status: 404, message: 'Schedule nope does not exist.' });
  assert.deepEqual(await fail(s.send(new UpdateScheduleCommand(schedule('nope')))), { name: 'ResourceNotFoundException', status: 404, message: 'Schedule nope does not exist.' });
  for (const expr of ['rate(10 seconds)', 'cron(0 1 * * * *)', 'at(2021-12-31T23:59:59Z)']) {
    assert.deepEqual(await fail(s.send(new CreateScheduleCommand(schedule('bad', { ScheduleExpression: expr })))), { name: 'ValidationException', status: 400, message: `Invalid Schedule Expression ${expr}.` });
  }
  assert.equal((await fail(s.send(new CreateScheduleCommand(schedule('bad', { ScheduleExpressionTimezone: 'Mars/Olympus' }))))).name, 'ValidationException');
  assert.equal((await fail(s.send(new CreateScheduleCommand(schedule('bad', { FlexibleTimeWindow: { Mode: 'FLEXIBLE' } }))))).name, 'ValidationException');
  assert.deepEqual(await fail(s.send(new CreateScheduleCommand(schedule('bad', { GroupName: 'ghost' })))), { name: 'ResourceNotFoundException', status: 404, message: 'Schedule group ghost does not exist.' });
  assert.deepEqual(await fail(s.send(new CreateScheduleCommand(schedule('bad', { Target: { Arn: queueArn('q'), RoleArn: 'not-a-role' } })))), {
    name: 'ValidationException',
    status: 400,
    message: "1 validation error detected: Value 'not-a-role' at 'target.roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)?:iam::\\d{12}:role\\/[\\w+=,.@\\/-]+$",
  });
  assert.equal((await fail(s.send(new CreateScheduleGroupCommand({ Name: 'default' })))).name, 'ConflictException');
  await s.send(new DeleteScheduleCommand({ Name: 'dup' }));
});

test('Scheduler: the CLI v1 creates, reads, lists and deletes schedules', async () => {
  const url = server().url;
  const target = JSON.stringify({ Arn: queueArn('nowhere'), RoleArn: ROLE });
  const created = await awsCli(1, url, ['scheduler', 'create-schedule', '--name', 'cli', '--schedule-expression', 'cron(15 10 * * ? *)', '--schedule-expression-timezone', 'America/New_York', '--flexible-time-window', 'Mode=FLEXIBLE,MaximumWindowInMinutes=10', '--target', target]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.json().ScheduleArn, 'arn:aws:scheduler:us-east-1:000000000000:schedule/default/cli');
  const got = await awsCli(1, url, ['scheduler', 'get-schedule', '--name', 'cli']);
  assert.equal(got.code, 0, got.stderr);
  assert.deepEqual(got.json().FlexibleTimeWindow, { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 10 });
  const listed = await awsCli(1, url, ['scheduler', 'list-schedules', '--name-prefix', 'cl']);
  assert.deepEqual(listed.json().Schedules.map((x: { Name: string }) => x.Name), ['cli']);
  const dup = await awsCli(1, url, ['scheduler', 'create-schedule', '--name', 'cli', '--schedule-expression', 'rate(1 day)', '--flexible-time-window', 'Mode=OFF', '--target', target]);
  assert.match(dup.stderr, /ConflictException.*Schedule cli already exists\./);
  assert.equal((await awsCli(1, url, ['scheduler', 'delete-schedule', '--name', 'cli'])).code, 0);
  const gone = await awsCli(1, url, ['scheduler', 'get-schedule', '--name', 'cli']);
  assert.match(gone.stderr, /ResourceNotFoundException.*Schedule cli does not exist\./);
});
