// Compatibility: EventBridge buses through @aws-sdk/client-eventbridge and the AWS CLI v1: PutEvents matched by
// pattern rules on a custom bus and delivered to Lambda, Step Functions and SQS (with input transformers), bus to
// bus, dead-letter queues, archives and replays, Step Functions' own status change events, AWS's errors, and an
// acknowledged PutEvents surviving kill -9.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateArchiveCommand, CreateEventBusCommand, DeleteEventBusCommand, DeleteRuleCommand, DescribeArchiveCommand, DescribeEventBusCommand, DescribeReplayCommand,
  EventBridgeClient, ListEventBusesCommand, ListRuleNamesByTargetCommand, ListTagsForResourceCommand, PutEventsCommand, PutRuleCommand, PutTargetsCommand,
  StartReplayCommand, TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { PutFunctionEventInvokeConfigCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { awsCli } from '../helpers/aws-cli.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { removeServer, type Running, SHARED, startServer } from '../helpers/server.js';
import { sqsClient } from '../helpers/sqs.js';
import { SM_ROLE, sfnClient, until } from '../helpers/states.js';

let running: Running;
const server = (): Running => running;
let eb: EventBridgeClient;
let sqs: SQSClient;
let lambda: LambdaClient;
let sfn: SFNClient;
const ACCOUNT = '000000000000';
const arn = (svc: string, rest: string) => `arn:aws:${svc}:us-east-1:${ACCOUNT}:${rest}`;
const SAMPLE = join(SHARED, 'corpus', 'lambda-events', 'autoscaling-event-launch-successful.json');

const ebClient = (url: string) => new EventBridgeClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
before(async () => {
  running = await startServer();
  eb = ebClient(server().url);
  sqs = sqsClient(server().url);
  lambda = lambdaClient(server().url);
  sfn = sfnClient(server().url);
});
after(async () => {
  for (const c of [eb, sqs, lambda, sfn]) c.destroy();
  await running.stop();
  await removeServer(running);
});

async function queue(name: string, client = sqs): Promise<string> {
  return (await client.send(new CreateQueueCommand({ QueueName: name, ...(name.endsWith('.fifo') ? { Attributes: { FifoQueue: 'true' } } : {}) }))).QueueUrl!;
}

/** Receives until one message arrives (or 30 s pass). */
async function receiveOne(url: string, client = sqs, attrs = false) {
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    const r = await client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 2, ...(attrs ? { MessageAttributeNames: ['All'] } : {}) }));
    if (r.Messages?.[0]) return r.Messages[0];
  }
  return undefined;
}

test('PutEvents: a pattern rule on a custom bus delivers the event to a function (AWS’s envelope), a state machine and an SQS queue through input transformers', async () => {
  await eb.send(new CreateEventBusCommand({ Name: 'orders' }));
  const out = await queue('ev-fn-out');
  const direct = await queue('ev-direct');
  await createFunction(lambda, 'ev-fn', { 'index.js': 'exports.handler = async (e) => e;' });
  await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'ev-fn', DestinationConfig: { OnSuccess: { Destination: arn('sqs', 'ev-fn-out') } } }));
  const sm = await sfn.send(new CreateStateMachineCommand({ name: 'ev-sm', roleArn: SM_ROLE, definition: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }) }));
  const rule = await eb.send(new PutRuleCommand({ Name: 'big-orders', EventBusName: 'orders', EventPattern: JSON.stringify({ source: ['shop'], detail: { amount: [{ numeric: ['>', 100] }] } }) }));
  assert.equal(rule.RuleArn, arn('events', 'rule/orders/big-orders'));
  const t = await eb.send(new PutTargetsCommand({
    Rule: 'big-orders', EventBusName: 'orders', Targets: [
      { Id: 'fn', Arn: arn('lambda', 'function:ev-fn') },
      { Id: 'sm', Arn: sm.stateMachineArn!, InputTransformer: { InputPathsMap: { id: '$.detail.id', amount: '$.detail.amount' }, InputTemplate: '{"order": <id>, "amount": <amount>, "rule": "<aws.events.rule-name>"}' } },
      { Id: 'q', Arn: arn('sqs', 'ev-direct'), InputTransformer: { InputPathsMap: { id: '$.detail.id' }, InputTemplate: '"Order <id> is big"' } },
    ],
  }));
  assert.deepEqual([t.FailedEntryCount, t.FailedEntries], [0, []]);
  const small = await eb.send(new PutEventsCommand({ Entries: [{ EventBusName: 'orders', Source: 'shop', DetailType: 'Order Placed', Detail: JSON.stringify({ id: 'o-1', amount: 5 }) }] }));
  assert.equal(small.FailedEntryCount, 0);
  const put = await eb.send(new PutEventsCommand({ Entries: [{ EventBusName: arn('events', 'event-bus/orders'), Source: 'shop', DetailType: 'Order Placed', Detail: JSON.stringify({ id: 'o-2', amount: 500 }), Resources: ['arn:aws:shop:::order/o-2'] }] }));
  assert.equal(put.FailedEntryCount, 0);
  const id = put.Entries![0]!.EventId!;
  assert.match(id, /^[0-9a-f-]{36}$/);

  const record = JSON.parse((await receiveOne(out))!.Body!);
  const event = record.responsePayload;
  assert.deepEqual(Object.keys(event), ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail']);
  if (existsSync(SAMPLE)) assert.deepEqual(Object.keys(event), Object.keys(JSON.parse(readFileSync(SAMPLE, 'utf8'))), 'the envelope of AWS’s sample EventBridge event');
  assert.equal(event.version, '0');
  assert.equal(event.id, id);
  assert.equal(event['detail-type'], 'Order Placed');
  assert.equal(event.source, 'shop');
  assert.equal(event.account, ACCOUNT);
  assert.equal(event.region, 'us-east-1');
  assert.match(event.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(event.resources, ['arn:aws:shop:::order/o-2']);
  assert.deepEqual(event.detail, { id: 'o-2', amount: 500 });

  assert.equal((await receiveOne(direct))!.Body, '"Order o-2 is big"');
  const execs = await until(() => sfn.send(new ListExecutionsCommand({ stateMachineArn: sm.stateMachineArn })), (x) => (x.executions?.length ?? 0) > 0);
  assert.equal(execs.executions?.length, 1, 'only the big order started an execution');
  const d = await sfn.send(new DescribeExecutionCommand({ executionArn: execs.executions![0]!.executionArn }));
  assert.deepEqual(JSON.parse(d.input!), { order: 'o-2', amount: 500, rule: 'big-orders' });
});

test('PutEvents: a rule whose target is another bus passes the event on; ListRuleNamesByTarget names the rules of a target', async () => {
  await eb.send(new CreateEventBusCommand({ Name: 'downstream' }));
  const q = await queue('ev-downstream');
  await eb.send(new PutRuleCommand({ Name: 'to-downstream', EventPattern: JSON.stringify({ source: [{ prefix: 'app.' }] }) }));
  await eb.send(new PutTargetsCommand({ Rule: 'to-downstream', Targets: [{ Id: 'bus', Arn: arn('events', 'event-bus/downstream') }] }));
  await eb.send(new PutRuleCommand({ Name: 'collect', EventBusName: 'downstream', EventPattern: JSON.stringify({ 'detail-type': ['Ping'] }) }));
  await eb.send(new PutTargetsCommand({ Rule: 'collect', EventBusName: 'downstream', Targets: [{ Id: 'q', Arn: arn('sqs', 'ev-downstream') }] }));
  const put = await eb.send(new PutEventsCommand({ Entries: [{ Source: 'app.web', DetailType: 'Ping', Detail: '{"n":1}' }] }));
  const m = JSON.parse((await receiveOne(q))!.Body!);
  assert.equal(m.id, put.Entries![0]!.EventId);
  assert.deepEqual(m.detail, { n: 1 });
  const names = await eb.send(new ListRuleNamesByTargetCommand({ TargetArn: arn('events', 'event-bus/downstream') }));
  assert.deepEqual(names.RuleNames, ['to-downstream']);
  const none = await eb.send(new ListRuleNamesByTargetCommand({ TargetArn: arn('sqs', 'ev-downstream') }));
  assert.deepEqual(none.RuleNames, [], 'rules of the default bus only');
  const onBus = await eb.send(new ListRuleNamesByTargetCommand({ TargetArn: arn('sqs', 'ev-downstream'), EventBusName: 'downstream' }));
  assert.deepEqual(onBus.RuleNames, ['collect']);
});

test('PutEvents: a target that fails puts the event on its dead-letter queue with RULE_ARN, TARGET_ARN, ERROR_CODE and ERROR_MESSAGE', async () => {
  const dlq = await queue('ev-dlq');
  await eb.send(new PutRuleCommand({ Name: 'broken', EventPattern: JSON.stringify({ source: ['broken'] }) }));
  await eb.send(new PutTargetsCommand({ Rule: 'broken', Targets: [{ Id: 'gone', Arn: arn('sqs', 'no-such-queue'), DeadLetterConfig: { Arn: arn('sqs', 'ev-dlq') }, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 } }] }));
  const put = await eb.send(new PutEventsCommand({ Entries: [{ Source: 'broken', DetailType: 'X', Detail: '{}' }] }));
  const m = (await receiveOne(dlq, sqs, true))!;
  assert.ok(m, 'the event reached the dead-letter queue');
  assert.equal(JSON.parse(m.Body!).id, put.Entries![0]!.EventId);
  const a = m.MessageAttributes!;
  assert.equal(a['RULE_ARN']?.StringValue, arn('events', 'rule/broken'));
  assert.equal(a['TARGET_ARN']?.StringValue, arn('sqs', 'no-such-queue'));
  assert.equal(a['ERROR_CODE']?.StringValue, 'AWS.SimpleQueueService.NonExistentQueue');
  assert.ok(a['ERROR_MESSAGE']?.StringValue);
});

test('Archives: events of a bus are archived, and StartReplay sends them again to the rules with replay-name, ending COMPLETED', async () => {
  await eb.send(new CreateEventBusCommand({ Name: 'audit' }));
  const q = await queue('ev-replayed');
  const archive = await eb.send(new CreateArchiveCommand({ ArchiveName: 'audit-all', EventSourceArn: arn('events', 'event-bus/audit'), EventPattern: JSON.stringify({ source: ['audit'] }) }));
  assert.equal(archive.ArchiveArn, arn('events', 'archive/audit-all'));
  assert.equal(archive.State, 'ENABLED');
  const before = new Date(Date.now() - 2000);
  await eb.send(new PutEventsCommand({ Entries: [{ EventBusName: 'audit', Source: 'audit', DetailType: 'Login', Detail: '{"user":"a"}' }, { EventBusName: 'audit', Source: 'other', DetailType: 'Login', Detail: '{}' }] }));
  const described = await until(() => eb.send(new DescribeArchiveCommand({ ArchiveName: 'audit-all' })), (x) => x.EventCount === 1, 5000);
  assert.equal(described.EventCount, 1, 'only the matching event is archived');
  // The rule comes after the events: only the replay can bring them to it.
  await eb.send(new PutRuleCommand({ Name: 'logins', EventBusName: 'audit', EventPattern: JSON.stringify({ 'detail-type': ['Login'] }) }));
  await eb.send(new PutTargetsCommand({ Rule: 'logins', EventBusName: 'audit', Targets: [{ Id: 'q', Arn: arn('sqs', 'ev-replayed') }] }));
  await new Promise((r) => setTimeout(r, 1100));
  const start = await eb.send(new StartReplayCommand({ ReplayName: 'r1', EventSourceArn: archive.ArchiveArn, EventStartTime: before, EventEndTime: new Date(), Destination: { Arn: arn('events', 'event-bus/audit') } }));
  assert.equal(start.State, 'STARTING');
  const m = JSON.parse((await receiveOne(q))!.Body!);
  assert.equal(m['replay-name'], 'r1');
  assert.deepEqual(m.detail, { user: 'a' });
  const done = await until(() => eb.send(new DescribeReplayCommand({ ReplayName: 'r1' })), (x) => x.State === 'COMPLETED', 10_000);
  assert.equal(done.State, 'COMPLETED');
  await assert.rejects(eb.send(new StartReplayCommand({ ReplayName: 'r1', EventSourceArn: archive.ArchiveArn, EventStartTime: before, EventEndTime: new Date(), Destination: { Arn: arn('events', 'event-bus/audit') } })), (e: any) => e.name === 'ResourceAlreadyExistsException');
});

test('Step Functions: execution status changes reach an SQS target through a rule on source aws.states', async () => {
  const q = await queue('ev-sfn-status');
  await eb.send(new PutRuleCommand({ Name: 'sfn-status', EventPattern: JSON.stringify({ source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'], detail: { status: ['SUCCEEDED'] } }) }));
  await eb.send(new PutTargetsCommand({ Rule: 'sfn-status', Targets: [{ Id: 'q', Arn: arn('sqs', 'ev-sfn-status') }] }));
  const sm = await sfn.send(new CreateStateMachineCommand({ name: 'ev-status-sm', roleArn: SM_ROLE, definition: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', Result: { ok: true }, End: true } } }) }));
  const ex = await sfn.send(new StartExecutionCommand({ stateMachineArn: sm.stateMachineArn, name: 'run-1', input: '{"a":1}' }));
  const e = JSON.parse((await receiveOne(q))!.Body!);
  assert.equal(e.source, 'aws.states');
  assert.equal(e['detail-type'], 'Step Functions Execution Status Change');
  assert.deepEqual(e.resources, [ex.executionArn]);
  assert.equal(e.detail.executionArn, ex.executionArn);
  assert.equal(e.detail.stateMachineArn, sm.stateMachineArn);
  assert.equal(e.detail.name, 'run-1');
  assert.equal(e.detail.status, 'SUCCEEDED');
  assert.equal(typeof e.detail.startDate, 'number');
  assert.equal(typeof e.detail.stopDate, 'number');
  assert.equal(e.detail.input, '{"a":1}');
  assert.equal(e.detail.output, '{"ok":true}');
});

test('Lambda: an async invoke destination that is an event bus gets the invocation record as detail, source lambda', async () => {
  const q = await queue('ev-lambda-dest');
  await createFunction(lambda, 'ev-dest-fn', { 'index.js': 'exports.handler = async (e) => ({ echoed: e });' });
  await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'ev-dest-fn', DestinationConfig: { OnSuccess: { Destination: arn('events', 'event-bus/default') } } }));
  await eb.send(new PutRuleCommand({ Name: 'lambda-results', EventPattern: JSON.stringify({ source: ['lambda'], 'detail-type': ['Lambda Function Invocation Result - Success'] }) }));
  await eb.send(new PutTargetsCommand({ Rule: 'lambda-results', Targets: [{ Id: 'q', Arn: arn('sqs', 'ev-lambda-dest') }] }));
  const { InvokeCommand } = await import('@aws-sdk/client-lambda');
  await lambda.send(new InvokeCommand({ FunctionName: 'ev-dest-fn', InvocationType: 'Event', Payload: Buffer.from('{"x":1}') }));
  const e = JSON.parse((await receiveOne(q))!.Body!);
  assert.equal(e.source, 'lambda');
  assert.equal(e['detail-type'], 'Lambda Function Invocation Result - Success');
  assert.equal(e.detail.requestContext.condition, 'Success');
  assert.deepEqual(e.detail.requestPayload, { x: 1 });
  assert.deepEqual(e.detail.responsePayload, { echoed: { x: 1 } });
});

test('PutEvents: entries fail one by one as AWS reports them; a request of more than 10 entries or 256 KB is refused', async () => {
  const r = await eb.send(new PutEventsCommand({
    Entries: [
      { DetailType: 'x', Detail: '{}' },
      { Source: 's', Detail: '{}' },
      { Source: 's', DetailType: 'x' },
      { Source: 's', DetailType: 'x', Detail: 'not json' },
      { Source: 's', DetailType: 'x', Detail: '{}', EventBusName: 'nope' },
      { Source: 'aws.s3', DetailType: 'x', Detail: '{}' },
      { Source: 's', DetailType: 'x', Detail: '{}' },
    ],
  }));
  assert.equal(r.FailedEntryCount, 6);
  assert.deepEqual(r.Entries!.slice(0, 6), [
    { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' },
    { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' },
    { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.' },
    { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
    { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus nope does not exist.' },
    { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
  ]);
  assert.ok(r.Entries![6]!.EventId);
  const eleven = Array.from({ length: 11 }, () => ({ Source: 's', DetailType: 'x', Detail: '{}' }));
  await assert.rejects(eb.send(new PutEventsCommand({ Entries: eleven })), (e: any) => e.name === 'ValidationException' && /at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10/.test(e.message));
  const big = JSON.stringify({ pad: 'x'.repeat(262_144) });
  await assert.rejects(eb.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'x', Detail: big }] })), (e: any) => e.name === 'ValidationException' && e.$metadata.httpStatusCode === 400);
});

test('EventBridge API: buses and rules answer AWS’s errors with status 400 and the right codes', async () => {
  const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e: any) => `${e.$metadata?.httpStatusCode} ${e.name}: ${e.message}`);
  assert.equal(await code(eb.send(new DescribeEventBusCommand({ Name: 'missing' }))), '400 ResourceNotFoundException: Event bus missing does not exist.');
  await eb.send(new CreateEventBusCommand({ Name: 'dup', Tags: [{ Key: 'team', Value: 'a' }] }));
  assert.equal(await code(eb.send(new CreateEventBusCommand({ Name: 'dup' }))), `400 ResourceAlreadyExistsException: Event bus ${arn('events', 'event-bus/dup')} already exists.`);
  assert.deepEqual((await eb.send(new ListTagsForResourceCommand({ ResourceARN: arn('events', 'event-bus/dup') }))).Tags, [{ Key: 'team', Value: 'a' }]);
  assert.match(await code(eb.send(new PutRuleCommand({ Name: 'r', EventBusName: 'missing', EventPattern: '{"source":["a"]}' }))), /^400 ResourceNotFoundException: Event bus missing does not exist\.$/);
  assert.match(await code(eb.send(new PutRuleCommand({ Name: 'r', EventBusName: 'dup', ScheduleExpression: 'rate(1 hour)' }))), /^400 ValidationException: ScheduleExpression is supported only on the default event bus\.$/);
  assert.match(await code(eb.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source":"a"}' }))), /^400 InvalidEventPatternException: Event pattern is not valid/);
  assert.match(await code(eb.send(new PutTargetsCommand({ Rule: 'absent', Targets: [{ Id: 'a', Arn: arn('sqs', 'q') }] }))), /^400 ResourceNotFoundException: Rule absent does not exist on EventBus default\.$/);
  await eb.send(new PutRuleCommand({ Name: 'many', EventBusName: 'dup', EventPattern: '{"source":["a"]}' }));
  const six = Array.from({ length: 6 }, (_, i) => ({ Id: `t${i}`, Arn: arn('sqs', `q${i}`) }));
  assert.match(await code(eb.send(new PutTargetsCommand({ Rule: 'many', EventBusName: 'dup', Targets: six }))), /^400 LimitExceededException/);
  assert.match(await code(eb.send(new PutTargetsCommand({ Rule: 'many', EventBusName: 'dup', Targets: [{ Id: 'a', Arn: arn('sqs', 'q'), Input: '{}', InputPath: '$.detail' }] }))), /^400 ValidationException: Only one of Input, InputPath, or InputTransformer must be provided\.$/);
  assert.match(await code(eb.send(new PutTargetsCommand({ Rule: 'many', EventBusName: 'dup', Targets: [{ Id: 'a', Arn: arn('sqs', 'q'), InputTransformer: { InputPathsMap: { a: '$.detail' }, InputTemplate: '{"x": <a>' } }] }))), /^400 ValidationException: Invalid InputTemplate for target a/);
  assert.match(await code(eb.send(new PutTargetsCommand({ Rule: 'many', EventBusName: 'dup', Targets: [{ Id: 'f', Arn: arn('sqs', 'q.fifo') }] }))), /^400 ValidationException: Parameter\(s\) SqsParameters must be specified for target: f\.$/);
  await eb.send(new PutTargetsCommand({ Rule: 'many', EventBusName: 'dup', Targets: [{ Id: 'a', Arn: arn('sqs', 'q') }] }));
  assert.match(await code(eb.send(new DeleteRuleCommand({ Name: 'many', EventBusName: 'dup' }))), /^400 ValidationException: Rule can't be deleted since it has targets\.$/);
  assert.match(await code(eb.send(new DeleteEventBusCommand({ Name: 'default' }))), /^400 ValidationException/);
  assert.match(await code(eb.send(new DescribeArchiveCommand({ ArchiveName: 'none' }))), /^400 ResourceNotFoundException: Archive none does not exist\.$/);
  const buses = await eb.send(new ListEventBusesCommand({ NamePrefix: 'd' }));
  assert.deepEqual(buses.EventBuses!.map((b) => b.Name), ['default', 'downstream', 'dup']);
  const page = await eb.send(new ListEventBusesCommand({ Limit: 1 }));
  assert.equal(page.EventBuses!.length, 1);
  assert.ok(page.NextToken);
  const yes = await eb.send(new TestEventPatternCommand({ EventPattern: '{"source":["a"],"detail":{"n":[{"numeric":[">=",3]}]}}', Event: JSON.stringify({ id: '1', account: ACCOUNT, source: 'a', time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: [], 'detail-type': 'x', detail: { n: 3 } }) }));
  assert.equal(yes.Result, true);
  const no = await eb.send(new TestEventPatternCommand({ EventPattern: '{"source":[{"prefix":"b"}]}', Event: JSON.stringify({ id: '1', account: ACCOUNT, source: 'a', time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: [], 'detail-type': 'x', detail: {} }) }));
  assert.equal(no.Result, false);
  assert.match(await code(eb.send(new TestEventPatternCommand({ EventPattern: '{"source":["a"]}', Event: '{"source":"a"}' }))), /^400 ValidationException: Parameter Event is not valid\.$/);
});

test('CLI v1: aws events put-rule, put-targets and put-events deliver to an SQS queue', async () => {
  const q = await queue('ev-cli');
  const cli = (args: string[]) => awsCli(1, server().url, ['events', ...args]);
  const rule = await cli(['put-rule', '--name', 'cli-rule', '--event-pattern', '{"source":["cli"]}']);
  assert.equal(rule.code, 0, rule.stderr);
  assert.equal(rule.json().RuleArn, arn('events', 'rule/cli-rule'));
  const t = await cli(['put-targets', '--rule', 'cli-rule', '--targets', JSON.stringify([{ Id: 'q', Arn: arn('sqs', 'ev-cli'), InputPath: '$.detail' }])]);
  assert.equal(t.code, 0, t.stderr);
  assert.deepEqual(t.json(), { FailedEntryCount: 0, FailedEntries: [] });
  const put = await cli(['put-events', '--entries', JSON.stringify([{ Source: 'cli', DetailType: 'Hello', Detail: '{"hello":"world"}' }])]);
  assert.equal(put.code, 0, put.stderr);
  assert.equal(put.json().FailedEntryCount, 0);
  assert.equal((await receiveOne(q))!.Body, '{"hello":"world"}');
  const bad = await cli(['put-rule', '--name', 'cli-bad', '--event-bus-name', 'nope', '--event-pattern', '{"source":["x"]}']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /ResourceNotFoundException.*Event bus nope does not exist/);
});

test('Durability: a PutEvents acknowledged before kill -9 still reaches its SQS target after a restart', async () => {
  const s1 = await startServer();
  let s2;
  try {
    const eb1 = ebClient(s1.url);
    const sqs1 = sqsClient(s1.url);
    const q = await queue('ev-durable', sqs1);
    await eb1.send(new PutRuleCommand({ Name: 'durable', EventPattern: '{"source":["durable"]}' }));
    await eb1.send(new PutTargetsCommand({ Rule: 'durable', Targets: [{ Id: 'q', Arn: arn('sqs', 'ev-durable') }] }));
    // Many events at once, killed right after the acknowledgement: some deliveries are still pending.
    const ids: string[] = [];
    const puts = await Promise.all(Array.from({ length: 20 }, (_, i) => eb1.send(new PutEventsCommand({ Entries: [{ Source: 'durable', DetailType: 'n', Detail: JSON.stringify({ i }) }] }))));
    for (const p of puts) ids.push(p.Entries![0]!.EventId!);
    await s1.stop('SIGKILL');
    eb1.destroy();
    sqs1.destroy();
    s2 = await startServer({ dataDir: s1.dataDir });
    const sqs2 = sqsClient(s2.url);
    const seen = new Set<string>();
    const end = Date.now() + 30_000;
    while (seen.size < ids.length && Date.now() < end) {
      const r = await sqs2.send(new ReceiveMessageCommand({ QueueUrl: q.replace(s1.url, s2.url), WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
      for (const m of r.Messages ?? []) seen.add(JSON.parse(m.Body!).id);
    }
    sqs2.destroy();
    assert.deepEqual([...ids].filter((id) => !seen.has(id)), [], 'every acknowledged event was delivered');
  } finally {
    if (s2) await s2.stop();
    await removeServer(s1);
  }
});
