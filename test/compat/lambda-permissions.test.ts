// Compatibility: resource-based policies (AddPermission, GetPolicy, RemovePermission) with the SDK and the CLI v1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddPermissionCommand,
  CreateAliasCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  PublishVersionCommand,
  RemovePermissionCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { liveServer } from '../helpers/server.js';
import { awsCli } from '../helpers/aws-cli.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';

const server = liveServer();
let cached: LambdaClient | undefined;
const client = (): LambdaClient => (cached ??= lambdaClient(server().url));
const ARN = 'arn:aws:lambda:us-east-1:000000000000:function';
const fail = (p: Promise<unknown>) =>
  p.then(
    () => ({ name: 'no error', message: '', status: 0 }),
    (e: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => ({ name: e.name, message: e.message, status: e.$metadata?.httpStatusCode }),
  );
const fnCode = { 'index.js': 'exports.handler = async () => 1;' };

test('Permissions: AddPermission answers the statement and GetPolicy the document as AWS writes them', async () => {
  await createFunction(client(), 'pol', fnCode);
  const before = await client().send(new GetFunctionConfigurationCommand({ FunctionName: 'pol' }));
  const added = await client().send(
    new AddPermissionCommand({ FunctionName: 'pol', StatementId: 's3', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceArn: 'arn:aws:s3:::bucket', SourceAccount: '000000000000' }),
  );
  assert.equal(
    added.Statement,
    `{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"${ARN}:pol","Condition":{"StringEquals":{"AWS:SourceAccount":"000000000000"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::bucket"}}}`,
  );
  await client().send(new AddPermissionCommand({ FunctionName: 'pol', StatementId: 'acct', Action: 'lambda:*', Principal: '111122223333' }));
  await client().send(new AddPermissionCommand({ FunctionName: `${ARN}:pol`, StatementId: 'role', Action: 'lambda:GetFunction', Principal: 'arn:aws:iam::111122223333:role/r' }));
  await client().send(
    new AddPermissionCommand({ FunctionName: 'pol', StatementId: 'url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE', PrincipalOrgID: 'o-1234567890' }),
  );
  await client().send(new AddPermissionCommand({ FunctionName: 'pol', StatementId: 'alexa', Action: 'lambda:InvokeFunction', Principal: 'alexa-appkit.amazon.com', EventSourceToken: 'amzn1.ask.skill.x' }));
  const got = await client().send(new GetPolicyCommand({ FunctionName: 'pol' }));
  const doc = JSON.parse(got.Policy!);
  assert.equal(got.Policy!.slice(0, 46), '{"Version":"2012-10-17","Id":"default","Statem');
  assert.deepEqual(doc.Statement.map((s: { Sid: string }) => s.Sid), ['s3', 'acct', 'role', 'url', 'alexa']);
  assert.deepEqual(doc.Statement[1].Principal, { AWS: 'arn:aws:iam::111122223333:root' });
  assert.deepEqual(doc.Statement[2].Principal, { AWS: 'arn:aws:iam::111122223333:role/r' });
  assert.equal(doc.Statement[3].Principal, '*');
  assert.deepEqual(doc.Statement[3].Condition, { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE', 'aws:PrincipalOrgID': 'o-1234567890' } });
  assert.deepEqual(doc.Statement[4].Condition, { StringEquals: { 'lambda:EventSourceToken': 'amzn1.ask.skill.x' } });
  // The policy's revision is the function's, and each change gives it a new one.
  const after = await client().send(new GetFunctionConfigurationCommand({ FunctionName: 'pol' }));
  assert.equal(got.RevisionId, after.RevisionId);
  assert.notEqual(before.RevisionId, after.RevisionId);
  await client().send(new RemovePermissionCommand({ FunctionName: 'pol', StatementId: 'acct', RevisionId: got.RevisionId }));
  const removed = await client().send(new GetPolicyCommand({ FunctionName: 'pol' }));
  assert.deepEqual(JSON.parse(removed.Policy!).Statement.map((s: { Sid: string }) => s.Sid), ['s3', 'role', 'url', 'alexa']);
  assert.notEqual(removed.RevisionId, got.RevisionId);
});

test('Permissions: bad input gets AWS’s errors, statuses and messages', async () => {
  await createFunction(client(), 'polerr', fnCode);
  const add = (x: Record<string, unknown>) =>
    fail(client().send(new AddPermissionCommand({ FunctionName: 'polerr', StatementId: 'a', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', ...x } as never)));
  assert.deepEqual(await add({ StatementId: 'example.com' }), {
    name: 'ValidationException',
    status: 400,
    message: "1 validation error detected: Value 'example.com' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)",
  });
  assert.deepEqual(await add({ Principal: 'invalid.nonaws.com' }), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: 'The provided principal was invalid. Please check the principal and try again.',
  });
  assert.deepEqual(await add({ Qualifier: '$LATEST' }), { name: 'InvalidParameterValueException', status: 400, message: 'We currently do not support adding policies for $LATEST.' });
  assert.deepEqual(await add({ FunctionName: 'polerr:x', Qualifier: '1' }), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: 'The derived qualifier from the function name does not match the specified qualifier.',
  });
  assert.deepEqual(await add({ FunctionName: 'nope' }), { name: 'ResourceNotFoundException', status: 404, message: `Function not found: ${ARN}:nope` });
  assert.deepEqual(await add({ Qualifier: '42' }), { name: 'ResourceNotFoundException', status: 404, message: `Function not found: ${ARN}:polerr:42` });
  assert.deepEqual(await add({ FunctionName: 'polerr:missing' }), { name: 'ResourceNotFoundException', status: 404, message: `Cannot find alias arn: ${ARN}:polerr:missing` });
  assert.equal((await add({ RevisionId: 'stale' })).status, 412);
  assert.equal((await add({ RevisionId: 'stale' })).message, 'The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id');
  assert.equal((await add({})).name, 'no error');
  assert.deepEqual(await add({}), {
    name: 'ResourceConflictException',
    status: 409,
    message: 'The statement id (a) provided already exists. Please provide a new statement id, or remove the existing statement.',
  });
  // 20 KB per policy: the statement that would pass it is refused and nothing is written.
  const long = `arn:aws:s3:::${'b'.repeat(1000)}`;
  let last: { name: string; message: string; status: number | undefined } = { name: 'no error', message: '', status: 0 };
  for (let i = 0; i < 30 && last.name === 'no error'; i++) last = await add({ StatementId: `big${i}`, SourceArn: long });
  assert.equal(last.name, 'PolicyLengthExceededException');
  assert.match(last.message, /^The final policy size \(\d+\) is bigger than the limit \(20480\)\.$/);
  const doc = JSON.parse((await client().send(new GetPolicyCommand({ FunctionName: 'polerr' }))).Policy!);
  assert.ok(JSON.stringify(doc).length <= 20480);
  const remove = (sid: string, x: Record<string, unknown> = {}) => fail(client().send(new RemovePermissionCommand({ FunctionName: 'polerr', StatementId: sid, ...x } as never)));
  assert.deepEqual(await remove('none'), { name: 'ResourceNotFoundException', status: 404, message: 'Statement none is not found in resource policy.' });
  assert.equal((await remove('a', { RevisionId: 'stale' })).name, 'PreconditionFailedException');
  assert.deepEqual(await remove('a', { FunctionName: 'nope' }), { name: 'ResourceNotFoundException', status: 404, message: `No policy found for: ${ARN}:nope` });
  await createFunction(client(), 'polnone', fnCode);
  assert.deepEqual(await remove('a', { FunctionName: 'polnone' }), { name: 'ResourceNotFoundException', status: 404, message: 'No policy is associated with the given resource.' });
  for (const q of [{ FunctionName: 'polnone' }, { FunctionName: 'nope' }, { FunctionName: 'polerr', Qualifier: '77' }]) {
    assert.deepEqual(await fail(client().send(new GetPolicyCommand(q))), { name: 'ResourceNotFoundException', status: 404, message: 'The resource you requested does not exist.' });
  }
});

test('Permissions: versions and aliases have policies of their own, with the qualified ARN, gone with them', async () => {
  await createFunction(client(), 'polq', fnCode);
  const v1 = await client().send(new PublishVersionCommand({ FunctionName: 'polq' }));
  const alias = await client().send(new CreateAliasCommand({ FunctionName: 'polq', Name: 'live', FunctionVersion: '1' }));
  await client().send(new AddPermissionCommand({ FunctionName: 'polq', StatementId: 'sns', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com', Qualifier: 'live', RevisionId: alias.RevisionId }));
  await client().send(new AddPermissionCommand({ FunctionName: 'polq:1', StatementId: 'sns', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com' }));
  const aliasPolicy = await client().send(new GetPolicyCommand({ FunctionName: 'polq', Qualifier: 'live' }));
  assert.equal(JSON.parse(aliasPolicy.Policy!).Statement[0].Resource, `${ARN}:polq:live`);
  assert.notEqual(aliasPolicy.RevisionId, alias.RevisionId, 'the alias got a new revision');
  const versionPolicy = await client().send(new GetPolicyCommand({ FunctionName: `${ARN}:polq:1` }));
  assert.equal(JSON.parse(versionPolicy.Policy!).Statement[0].Resource, `${ARN}:polq:1`);
  assert.notEqual(versionPolicy.RevisionId, v1.RevisionId);
  const noneOnLatest = await fail(client().send(new GetPolicyCommand({ FunctionName: 'polq' })));
  assert.equal(noneOnLatest.name, 'ResourceNotFoundException', 'the unqualified function has no policy of its own');
  await client().send(new DeleteAliasCommand({ FunctionName: 'polq', Name: 'live' }));
  await client().send(new CreateAliasCommand({ FunctionName: 'polq', Name: 'live', FunctionVersion: '1' }));
  assert.equal((await fail(client().send(new GetPolicyCommand({ FunctionName: 'polq', Qualifier: 'live' })))).name, 'ResourceNotFoundException');
  // A deleted function takes its policies with it; a new function of that name starts without.
  await client().send(new DeleteFunctionCommand({ FunctionName: 'polq' }));
  await createFunction(client(), 'polq', fnCode);
  await client().send(new PublishVersionCommand({ FunctionName: 'polq' }));
  assert.equal((await fail(client().send(new GetPolicyCommand({ FunctionName: 'polq', Qualifier: '1' })))).name, 'ResourceNotFoundException');
});

test('Permissions: the CLI v1 adds, reads and removes permissions', async () => {
  await createFunction(client(), 'polcli', fnCode);
  const url = server().url;
  const add = await awsCli(1, url, ['lambda', 'add-permission', '--function-name', 'polcli', '--statement-id', 'events', '--action', 'lambda:InvokeFunction', '--principal', 'events.amazonaws.com', '--source-arn', 'arn:aws:events:us-east-1:000000000000:rule/r']);
  assert.equal(add.code, 0, add.stderr);
  assert.equal(JSON.parse(add.json().Statement).Condition.ArnLike['AWS:SourceArn'], 'arn:aws:events:us-east-1:000000000000:rule/r');
  const get = await awsCli(1, url, ['lambda', 'get-policy', '--function-name', 'polcli']);
  assert.equal(get.code, 0, get.stderr);
  assert.equal(JSON.parse(get.json().Policy).Statement[0].Sid, 'events');
  const dup = await awsCli(1, url, ['lambda', 'add-permission', '--function-name', 'polcli', '--statement-id', 'events', '--action', 'lambda:InvokeFunction', '--principal', 'events.amazonaws.com']);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /ResourceConflictException.*The statement id \(events\) provided already exists/);
  const rm = await awsCli(1, url, ['lambda', 'remove-permission', '--function-name', 'polcli', '--statement-id', 'events']);
  assert.equal(rm.code, 0, rm.stderr);
  const gone = await awsCli(1, url, ['lambda', 'get-policy', '--function-name', 'polcli']);
  assert.match(gone.stderr, /ResourceNotFoundException.*The resource you requested does not exist\./);
});
