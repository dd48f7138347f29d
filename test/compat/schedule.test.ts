// Compatibility: EventBridge scheduled rules through the AWS CLI and SDK (AWSEvents.* JSON protocol): rule and
// target management, AWS's validation, and a rate(1 minute) rule that really fires its Lambda and SQS targets.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LambdaClient, PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsCli, hasV2 } from '../helpers/aws-cli.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { sqsClient } from '../helpers/sqs.js';
import { removeDir, startServer, type Running, SHARED, removeServer } from '../helpers/server.js';

let server: Running;
let lambda: LambdaClient;
let sqs: SQSClient;
const SAMPLE = join(SHARED, 'corpus', 'lambda-events', 'ecr-image-push-event.json');

before(async () => {
  server = await startServer();
  lambda = lambdaClient(server.url);
  sqs = sqsClient(server.url);
});
after(async () => {
  lambda.destroy();
  sqs.destroy();
  await server.stop();
  await removeServer(server);
});

const cli = (args: string[]) => awsCli(2, server.url, args);
const skip = hasV2() ? false : 'AWS CLI v2 is not installed; .ci/run installs it';

test('Schedules: a rate(1 minute) rule invokes its Lambda target asynchronously with the Scheduled Event, and its SQS target with Input', { skip }, async () => {
  const q = (await sqs.send(new CreateQueueCommand({ QueueName: 'sched-out' }))).QueueUrl!;
  const direct = (await sqs.send(new CreateQueueCommand({ QueueName: 'sched-direct' }))).QueueUrl!;
  await createFunction(lambda, 'sched-fn', { 'index.js': 'exports.handler = async (e) => e;' });
  await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'sched-fn', DestinationConfig: { OnSuccess: { Destination: 'arn:aws:sqs:us-east-1:000000000000:sched-out' } } }));
  const put = await cli(['events', 'put-rule', '--name', 'every-minute', '--schedule-expression', 'rate(1 minute)']);
  assert.equal(put.code, 0, put.stderr);
  assert.equal(put.json().RuleArn, 'arn:aws:events:us-east-1:000000000000:rule/every-minute');
  const targets = await cli([
    'events',
    'put-targets',
    '--rule',
    'every-minute',
    '--targets',
    JSON.stringify([
      { Id: 'fn', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:sched-fn' },
      { Id: 'q', Arn: 'arn:aws:sqs:us-east-1:000000000000:sched-direct', Input: '{"fixed":true}' },
    ]),
  ]);
  assert.equal(targets.code, 0, targets.stderr);
  assert.deepEqual(targets.json(), { FailedEntryCount: 0, FailedEntries: [] });
  const started = Date.now();
  let record: any;
  while (!record && Date.now() - started < 90_000) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q, WaitTimeSeconds: 10 }));
    if (r.Messages?.[0]) record = JSON.parse(r.Messages[0].Body!);
  }
  assert.ok(record, 'the rule fired within 90 s');
  const event = record.responsePayload;
  assert.equal(event['detail-type'], 'Scheduled Event');
  assert.equal(event.source, 'aws.events');
  assert.equal(event.account, '000000000000');
  assert.equal(event.region, 'us-east-1');
  assert.deepEqual(event.resources, ['arn:aws:events:us-east-1:000000000000:rule/every-minute']);
  assert.deepEqual(event.detail, {});
  assert.match(event.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  if (existsSync(SAMPLE)) assert.deepEqual(Object.keys(event), Object.keys(JSON.parse(readFileSync(SAMPLE, 'utf8'))), 'the envelope of AWS’s sample EventBridge event');
  const d = await sqs.send(new ReceiveMessageCommand({ QueueUrl: direct, WaitTimeSeconds: 5 }));
  assert.equal(d.Messages?.[0]?.Body, '{"fixed":true}');
  const rm = await cli(['events', 'remove-targets', '--rule', 'every-minute', '--ids', 'fn', 'q']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal((await cli(['events', 'delete-rule', '--name', 'every-minute'])).code, 0);
});

test('Schedules: rules are described, listed, disabled, enabled and deleted as EventBridge does', { skip }, async () => {
  assert.equal((await cli(['events', 'put-rule', '--name', 'nightly', '--schedule-expression', 'cron(0 3 * * ? *)', '--description', 'backup'])).code, 0);
  assert.equal((await cli(['events', 'put-rule', '--name', 'weekly', '--schedule-expression', 'cron(0 9 ? * MON#1 *)', '--state', 'DISABLED'])).code, 0);
  const d = await cli(['events', 'describe-rule', '--name', 'nightly']);
  assert.deepEqual(d.json(), {
    Name: 'nightly',
    Arn: 'arn:aws:events:us-east-1:000000000000:rule/nightly',
    ScheduleExpression: 'cron(0 3 * * ? *)',
    State: 'ENABLED',
    Description: 'backup',
    EventBusName: 'default',
    CreatedBy: '000000000000',
  });
  assert.equal((await cli(['events', 'disable-rule', '--name', 'nightly'])).code, 0);
  assert.equal((await cli(['events', 'describe-rule', '--name', 'nightly'])).json().State, 'DISABLED');
  assert.equal((await cli(['events', 'enable-rule', '--name', 'weekly'])).code, 0);
  const list = await cli(['events', 'list-rules', '--name-prefix', 'n']);
  assert.deepEqual(list.json().Rules.map((r: any) => [r.Name, r.State]), [['nightly', 'DISABLED']]);
  const page1 = await awsCli(2, server.url, ['events', 'list-rules', '--limit', '1', '--no-paginate']);
  assert.equal(page1.json().Rules.length, 1);
  assert.ok(page1.json().NextToken);
  await cli(['events', 'put-targets', '--rule', 'weekly', '--targets', 'Id=a,Arn=arn:aws:lambda:us-east-1:000000000000:function:x']);
  const lt = await cli(['events', 'list-targets-by-rule', '--rule', 'weekly']);
  assert.deepEqual(lt.json().Targets, [{ Id: 'a', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:x' }]);
  const blocked = await cli(['events', 'delete-rule', '--name', 'weekly']);
  assert.notEqual(blocked.code, 0);
  assert.match(blocked.stderr, /ValidationException.*has targets/);
  assert.equal((await cli(['events', 'delete-rule', '--name', 'weekly', '--force'])).code, 0);
  const gone = await cli(['events', 'describe-rule', '--name', 'weekly']);
  assert.match(gone.stderr, /ResourceNotFoundException.*Rule weekly does not exist on EventBus default/);
});

test('Schedules: schedule expressions and requests are validated as AWS does', { skip }, async () => {
  for (const expr of ['rate(1 minutes)', 'rate(0 hours)', 'cron(0 10 * * * *)', 'cron(0 10 * *)', 'cron(0 25 * * ? *)', 'every day']) {
    const r = await cli(['events', 'put-rule', '--name', 'bad', '--schedule-expression', expr]);
    assert.notEqual(r.code, 0, expr);
    assert.match(r.stderr, /ValidationException.*Parameter ScheduleExpression is not valid/, expr);
  }
  const none = await cli(['events', 'put-rule', '--name', 'none']);
  assert.match(none.stderr, /ValidationException.*EventPattern or ScheduleExpression must be specified/);
  const badName = await cli(['events', 'put-rule', '--name', 'has space', '--schedule-expression', 'rate(1 day)']);
  assert.match(badName.stderr, /ValidationException.*failed to satisfy constraint/);
  const noRule = await cli(['events', 'put-targets', '--rule', 'missing', '--targets', 'Id=a,Arn=arn:aws:lambda:us-east-1:000000000000:function:x']);
  assert.match(noRule.stderr, /ResourceNotFoundException/);
  const badPattern = await cli(['events', 'put-rule', '--name', 'pat', '--event-pattern', '{"source": "x"}']);
  assert.match(badPattern.stderr, /InvalidEventPatternException/);
});

test('Schedules: @aws-sdk/client-eventbridge puts, describes and lists rules and targets', async () => {
  const { EventBridgeClient, PutRuleCommand, DescribeRuleCommand, PutTargetsCommand, ListTargetsByRuleCommand, DeleteRuleCommand, RemoveTargetsCommand } = await import(
    '@aws-sdk/client-eventbridge'
  );
  const eb = new EventBridgeClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  try {
    const put = await eb.send(new PutRuleCommand({ Name: 'sdk-rule', ScheduleExpression: 'rate(7 days)', State: 'DISABLED' }));
    assert.equal(put.RuleArn, 'arn:aws:events:us-east-1:000000000000:rule/sdk-rule');
    const d = await eb.send(new DescribeRuleCommand({ Name: 'sdk-rule' }));
    assert.equal(d.State, 'DISABLED');
    assert.equal(d.ScheduleExpression, 'rate(7 days)');
    const t = await eb.send(new PutTargetsCommand({ Rule: 'sdk-rule', Targets: [{ Id: 'x', Arn: 'arn:aws:sqs:us-east-1:000000000000:q', InputPath: '$.detail' }] }));
    assert.equal(t.FailedEntryCount, 0);
    assert.deepEqual((await eb.send(new ListTargetsByRuleCommand({ Rule: 'sdk-rule' }))).Targets, [{ Id: 'x', Arn: 'arn:aws:sqs:us-east-1:000000000000:q', InputPath: '$.detail' }]);
    await assert.rejects(eb.send(new PutRuleCommand({ Name: 'sdk-bad', ScheduleExpression: 'cron(* * * * * *)' })), (e: any) => {
      assert.equal(e.name, 'ValidationException');
      assert.equal(e.message, 'Parameter ScheduleExpression is not valid.');
      return true;
    });
    await eb.send(new RemoveTargetsCommand({ Rule: 'sdk-rule', Ids: ['x'] }));
    await eb.send(new DeleteRuleCommand({ Name: 'sdk-rule' }));
    await assert.rejects(eb.send(new DescribeRuleCommand({ Name: 'sdk-rule' })), (e: any) => e.name === 'ResourceNotFoundException');
  } finally {
    eb.destroy();
  }
});
