// Compatibility: Terraform's hashicorp/aws provider applies, re-plans without drift, updates and destroys a Lambda stack.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateEventSourceMappingCommand,
  GetAliasCommand,
  GetEventSourceMappingCommand,
  GetFunctionCodeSigningConfigCommand,
  GetFunctionCommand,
  GetFunctionEventInvokeConfigCommand,
  GetFunctionUrlConfigCommand,
  GetLayerVersionByArnCommand,
  GetPolicyCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  ListEventSourceMappingsCommand,
  ListTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { CreateStateMachineCommand, DescribeStateMachineCommand, ListStateMachineAliasesCommand, ListStateMachineVersionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { removeDir, removeServer, ROOT, startServer, type Running } from '../helpers/server.js';
import { terraform, terraformSkip, terraformStack, type Terraform } from '../helpers/terraform.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { sqsClient } from '../helpers/sqs.js';
import { sfnClient } from '../helpers/states.js';
import { awsCli } from '../helpers/aws-cli.js';
import { zip } from '../helpers/zip.js';
import { call } from '../fixtures/gateway/http.js';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'terraform', 'main.tf');
const skip = terraformSkip;

let server: Running;
let lambda: LambdaClient;
let sfn: SFNClient;
let events: EventBridgeClient;
let work: string;
let tf: Terraform;

before(async () => {
  server = await startServer();
  lambda = lambdaClient(server.url);
  sfn = sfnClient(server.url);
  events = new EventBridgeClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  work = mkdtempSync(join(tmpdir(), 'selfless-tf-'));
  tf = terraform(work, server);
});
after(async () => {
  await server.stop();
  await removeServer(server);
  removeDir(work);
});

const errName = (p: Promise<unknown>): Promise<string> => p.then(() => 'no error', (e: { name: string }) => e.name);
const payload = (b?: Uint8Array): unknown => JSON.parse(Buffer.from(b ?? []).toString('utf8'));

test('Terraform: the hashicorp/aws provider applies a Lambda stack, plans no changes, updates it in place and destroys it', { skip, timeout: 15 * 60_000 }, async () => {
  const stack = terraformStack(work, FIXTURE);
  writeFileSync(join(stack, 'fn.zip'), await zip({ 'index.js': 'const greet = require("greet"); exports.handler = async () => ({ msg: greet(process.env.GREETING) });' }));
  writeFileSync(join(stack, 'layer.zip'), await zip({ 'nodejs/node_modules/greet/index.js': 'module.exports = (n) => `${n} from the layer`;' }));

  tf.expectCode(await tf.run(['init', '-input=false']), 0, 'terraform init');
  tf.expectCode(await tf.run(['apply', '-auto-approve', '-input=false', '-parallelism=4']), 0, 'terraform apply');

  // What Terraform made is there, as written.
  const fn = await lambda.send(new GetFunctionCommand({ FunctionName: 'tf-fn' }));
  assert.equal(fn.Configuration?.MemorySize, 128);
  assert.equal(fn.Configuration?.Description, 'first');
  assert.deepEqual(fn.Configuration?.Environment?.Variables, { GREETING: 'hello' });
  assert.deepEqual(fn.Tags, { stage: 'one' });
  const layerArn = fn.Configuration?.Layers?.[0]?.Arn ?? '';
  assert.equal((await lambda.send(new GetLayerVersionByArnCommand({ Arn: layerArn }))).Description, 'shared code');
  assert.equal((await lambda.send(new GetAliasCommand({ FunctionName: 'tf-fn', Name: 'live' }))).FunctionVersion, '1');
  const invoked = await lambda.send(new InvokeCommand({ FunctionName: 'tf-fn', Qualifier: 'live', Payload: Buffer.from('{}') }));
  assert.equal(invoked.FunctionError, undefined, Buffer.from(invoked.Payload ?? []).toString());
  assert.deepEqual(payload(invoked.Payload), { msg: 'hello from the layer' });
  const [esm] = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'tf-fn' }))).EventSourceMappings ?? [];
  assert.equal(esm?.BatchSize, 5);
  assert.deepEqual((await lambda.send(new ListTagsCommand({ Resource: esm!.EventSourceMappingArn! }))).Tags, { stage: 'one' });
  const url = await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'tf-fn' }));
  assert.equal(url.AuthType, 'NONE');
  // By its host name, as a browser would reach it (Node does not resolve *.localhost, so the Host header says it).
  const viaUrl = await call(`${server.url}/`, { host: new URL(url.FunctionUrl!).host });
  assert.equal(viaUrl.status, 200, viaUrl.text);
  assert.deepEqual(viaUrl.json(), { msg: 'hello from the layer' });
  const eic = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'tf-fn' }));
  assert.equal(eic.MaximumRetryAttempts, 1);
  assert.match(eic.DestinationConfig?.OnFailure?.Destination ?? '', /:tf-dlq$/);
  assert.equal((await lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'tf-fn', Qualifier: 'live' }))).RequestedProvisionedConcurrentExecutions, 1);
  const policy = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: 'tf-fn' }))).Policy ?? '{}') as { Statement: { Sid: string }[] };
  // The provider itself adds the public-access statement a URL of auth type NONE needs.
  assert.deepEqual(policy.Statement.map((s) => s.Sid).sort(), ['AllowEvents', 'FunctionURLAllowPublicAccess']);
  const sqs = sqsClient(server.url);
  const workUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'tf-work' }))).QueueUrl;
  const attrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: workUrl, AttributeNames: ['All'] }))).Attributes ?? {};
  assert.deepEqual(JSON.parse(attrs['RedrivePolicy'] ?? '{}'), { deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:tf-dlq', maxReceiveCount: 3 });
  assert.equal((JSON.parse(attrs['Policy'] ?? '{}') as { Statement: { Sid: string }[] }).Statement[0]?.Sid, 'AllowEvents');
  const sm = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:tf-flow' }));
  assert.equal(sm.status, 'ACTIVE');
  assert.equal((await events.send(new DescribeRuleCommand({ Name: 'tf-tick' }))).Description, 'calls the function');
  assert.match((await events.send(new ListTargetsByRuleCommand({ Rule: 'tf-tick' }))).Targets?.[0]?.Arn ?? '', /:function:tf-fn$/);
  const groups = (await awsCli(1, server.url, ['logs', 'describe-log-groups', '--log-group-name-prefix', '/aws/lambda/tf-fn'])).json() as { logGroups: { retentionInDays?: number }[] };
  assert.equal(groups.logGroups[0]?.retentionInDays, 7);

  // Everything reads back as written: a second plan has nothing to do.
  tf.expectCode(await tf.run(['plan', '-detailed-exitcode', '-input=false', '-parallelism=4']), 0, 'terraform plan after apply');

  // In place: new memory, description, environment and tags publish version 2; the alias moves to it and routes a
  // quarter of its traffic to version 1.
  const changed = { memory: '256', description: 'second', greeting: 'howdy', stage: 'two', routed: 'true' };
  const update = await tf.run(['apply', '-auto-approve', '-input=false', '-parallelism=4'], changed);
  tf.expectCode(update, 0, 'terraform apply (update)');
  assert.match(update.out, /0 added, \d+ changed, 0 destroyed/);
  const fn2 = await lambda.send(new GetFunctionCommand({ FunctionName: 'tf-fn' }));
  assert.equal(fn2.Configuration?.MemorySize, 256);
  assert.equal(fn2.Configuration?.Description, 'second');
  assert.deepEqual(fn2.Tags, { stage: 'two' });
  const alias = await lambda.send(new GetAliasCommand({ FunctionName: 'tf-fn', Name: 'live' }));
  assert.equal(alias.FunctionVersion, '2');
  assert.deepEqual(alias.RoutingConfig?.AdditionalVersionWeights, { '1': 0.25 });
  assert.deepEqual((await lambda.send(new ListTagsCommand({ Resource: esm!.EventSourceMappingArn! }))).Tags, { stage: 'two' });
  const latest = await lambda.send(new InvokeCommand({ FunctionName: 'tf-fn', Payload: Buffer.from('{}') }));
  assert.deepEqual(payload(latest.Payload), { msg: 'howdy from the layer' });
  tf.expectCode(await tf.run(['plan', '-detailed-exitcode', '-input=false', '-parallelism=4'], changed), 0, 'terraform plan after the update');

  tf.expectCode(await tf.run(['destroy', '-auto-approve', '-input=false', '-parallelism=4'], changed), 0, 'terraform destroy');
  assert.equal(await errName(lambda.send(new GetFunctionCommand({ FunctionName: 'tf-fn' }))), 'ResourceNotFoundException');
  assert.equal(await errName(lambda.send(new GetLayerVersionByArnCommand({ Arn: layerArn }))), 'ResourceNotFoundException');
  assert.equal(await errName(lambda.send(new GetEventSourceMappingCommand({ UUID: esm!.UUID! }))), 'ResourceNotFoundException');
  assert.equal(await errName(sqs.send(new GetQueueUrlCommand({ QueueName: 'tf-work' }))), 'QueueDoesNotExist');
  assert.equal(await errName(sqs.send(new GetQueueUrlCommand({ QueueName: 'tf-dlq' }))), 'QueueDoesNotExist');
  assert.equal(await errName(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: sm.stateMachineArn }))), 'StateMachineDoesNotExist');
  assert.equal(await errName(events.send(new DescribeRuleCommand({ Name: 'tf-tick' }))), 'ResourceNotFoundException');
  const gone = (await awsCli(1, server.url, ['logs', 'describe-log-groups', '--log-group-name-prefix', '/aws/lambda/tf-fn'])).json() as { logGroups: unknown[] };
  assert.deepEqual(gone.logGroups, []);
});

test('Lambda: a function without code signing answers GetFunctionCodeSigningConfig with its name and an empty ARN; an unknown one is not found', async () => {
  await createFunction(lambda, 'unsigned', { 'index.js': 'exports.handler = async () => 1;' });
  const r = await lambda.send(new GetFunctionCodeSigningConfigCommand({ FunctionName: 'unsigned' }));
  assert.equal(r.FunctionName, 'unsigned');
  assert.equal(r.CodeSigningConfigArn, '');
  assert.equal(await errName(lambda.send(new GetFunctionCodeSigningConfigCommand({ FunctionName: 'nobody' }))), 'ResourceNotFoundException');
});

test('Lambda: an event source mapping keeps the tags it was created with, and TagResource/UntagResource change them by its ARN', async () => {
  await createFunction(lambda, 'tagged-consumer', { 'index.js': 'exports.handler = async () => 1;' });
  const sqs = sqsClient(server.url);
  const q = await sqs.send(new CreateQueueCommand({ QueueName: 'tagged-source' }));
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
  const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'tagged-consumer', EventSourceArn: arn, Tags: { team: 'a', keep: 'yes' } }));
  const esmArn = m.EventSourceMappingArn!;
  assert.deepEqual((await lambda.send(new ListTagsCommand({ Resource: esmArn }))).Tags, { team: 'a', keep: 'yes' });
  await lambda.send(new TagResourceCommand({ Resource: esmArn, Tags: { team: 'b' } }));
  await lambda.send(new UntagResourceCommand({ Resource: esmArn, TagKeys: ['keep'] }));
  assert.deepEqual((await lambda.send(new ListTagsCommand({ Resource: esmArn }))).Tags, { team: 'b' });
  const unknown = esmArn.replace(/[0-9a-f]{12}$/, '000000000000');
  assert.equal(await errName(lambda.send(new ListTagsCommand({ Resource: unknown }))), 'ResourceNotFoundException');
});

test('Step Functions: a state machine lists no versions and no aliases; aliases of an unknown machine are not found', async () => {
  const made = await sfn.send(
    new CreateStateMachineCommand({ name: 'unversioned', roleArn: 'arn:aws:iam::000000000000:role/sfn-role', definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }) }),
  );
  assert.deepEqual((await sfn.send(new ListStateMachineVersionsCommand({ stateMachineArn: made.stateMachineArn }))).stateMachineVersions, []);
  assert.deepEqual((await sfn.send(new ListStateMachineAliasesCommand({ stateMachineArn: made.stateMachineArn }))).stateMachineAliases, []);
  const missing = 'arn:aws:states:us-east-1:000000000000:stateMachine:nothing';
  assert.equal(await errName(sfn.send(new ListStateMachineAliasesCommand({ stateMachineArn: missing }))), 'StateMachineDoesNotExist');
  assert.equal(await errName(sfn.send(new ListStateMachineVersionsCommand({ stateMachineArn: 'not-an-arn' }))), 'InvalidArn');
});

test('Logs: retention policies are set and removed, a period AWS does not offer is refused, and log group tags are kept by name and by ARN', async () => {
  const cli = (args: string[]) => awsCli(1, server.url, ['logs', ...args]);
  assert.equal((await cli(['create-log-group', '--log-group-name', 'kept', '--tags', 'team=a'])).code, 0);
  const retention = async (): Promise<number | undefined> =>
    ((await cli(['describe-log-groups', '--log-group-name-prefix', 'kept'])).json() as { logGroups: { retentionInDays?: number }[] }).logGroups[0]?.retentionInDays;
  assert.equal((await cli(['put-retention-policy', '--log-group-name', 'kept', '--retention-in-days', '14'])).code, 0);
  assert.equal(await retention(), 14);
  const bad = await cli(['put-retention-policy', '--log-group-name', 'kept', '--retention-in-days', '2']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /InvalidParameterException.*retentionInDays.*Member must satisfy enum value set: \[1, 3, 5, 7, 14,/s);
  assert.equal((await cli(['delete-retention-policy', '--log-group-name', 'kept'])).code, 0);
  assert.equal(await retention(), undefined);
  const missing = await cli(['put-retention-policy', '--log-group-name', 'absent', '--retention-in-days', '1']);
  assert.match(missing.stderr, /ResourceNotFoundException/);

  const arn = 'arn:aws:logs:us-east-1:000000000000:log-group:kept';
  assert.deepEqual((await cli(['list-tags-for-resource', '--resource-arn', arn])).json(), { tags: { team: 'a' } });
  assert.equal((await cli(['tag-resource', '--resource-arn', arn, '--tags', 'stage=dev'])).code, 0);
  assert.equal((await cli(['untag-resource', '--resource-arn', arn, '--tag-keys', 'team'])).code, 0);
  assert.deepEqual((await cli(['list-tags-log-group', '--log-group-name', 'kept'])).json(), { tags: { stage: 'dev' } });
});
