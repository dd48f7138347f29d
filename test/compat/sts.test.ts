// Compatibility: STS through @aws-sdk/client-sts (query protocol) against a live server: GetCallerIdentity,
// AssumeRole against the role's trust policy and limits, GetSessionToken, and the temporary credentials in use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateAccessKeyCommand, CreatePolicyCommand, CreateRoleCommand, CreateUserCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { liveServer } from '../helpers/server.js';

const server = liveServer();
type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
const TEST: Creds = { accessKeyId: 'test', secretAccessKey: 'test' };
const sts = (credentials: Creds = TEST): STSClient => new STSClient({ endpoint: server().url, region: 'us-east-1', credentials, maxAttempts: 1 });
const iam = (): IAMClient => new IAMClient({ endpoint: server().url, region: 'us-east-1', credentials: TEST, maxAttempts: 1 });
const trust = (principal: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...extra }] });

async function fails(p: Promise<unknown>, code: string, status: number, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: { name: string; message: string; $metadata: { httpStatusCode?: number } }) => {
    assert.equal(e.name, code);
    assert.equal(e.$metadata.httpStatusCode, status);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('STS: GetCallerIdentity of the root key names the account root', async () => {
  const id = await sts().send(new GetCallerIdentityCommand({}));
  assert.equal(id.Account, '000000000000');
  assert.equal(id.Arn, 'arn:aws:iam::000000000000:root');
  assert.equal(id.UserId, '000000000000');
});

test('STS: AssumeRole of a role that trusts the account answers ASIA credentials and the assumed-role user, within MaxSessionDuration', async () => {
  const role = (await iam().send(new CreateRoleCommand({ RoleName: 'deployer', AssumeRolePolicyDocument: trust({ AWS: 'arn:aws:iam::000000000000:root' }), MaxSessionDuration: 7200 }))).Role!;
  const before = Date.now();
  const r = await sts().send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'build-42', DurationSeconds: 7200, Tags: [{ Key: 'team', Value: 'a' }] }));
  assert.match(r.Credentials!.AccessKeyId!, /^ASIA[A-Z2-7]{16}$/);
  assert.equal(r.Credentials!.SecretAccessKey!.length, 40);
  assert.ok(r.Credentials!.SessionToken!.length > 100);
  const exp = r.Credentials!.Expiration!.getTime();
  assert.ok(exp >= before + 7200_000 - 2000 && exp <= Date.now() + 7200_000 + 1000, `expiration ${r.Credentials!.Expiration!.toISOString()}`);
  assert.equal(r.AssumedRoleUser!.Arn, 'arn:aws:sts::000000000000:assumed-role/deployer/build-42');
  assert.equal(r.AssumedRoleUser!.AssumedRoleId, `${role.RoleId}:build-42`);
  assert.ok((await iam().send(new GetRoleCommand({ RoleName: 'deployer' }))).Role!.RoleLastUsed?.LastUsedDate instanceof Date);
  await fails(sts().send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'x1', DurationSeconds: 7201 })), 'ValidationError', 400,
    'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  await fails(sts().send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'x1', DurationSeconds: 899 })), 'ValidationError', 400,
    "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900");
  await fails(sts().send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'bad name' })), 'ValidationError', 400,
    "1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
});

test('STS: AssumeRole is AccessDenied for a role that does not trust the caller and for a role that does not exist', async () => {
  const role = (await iam().send(new CreateRoleCommand({ RoleName: 'lambda-only', AssumeRolePolicyDocument: trust({ Service: 'lambda.amazonaws.com' }) }))).Role!;
  await fails(sts().send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 's1' })), 'AccessDenied', 403,
    `User: arn:aws:iam::000000000000:root is not authorized to perform: sts:AssumeRole on resource: ${role.Arn}`);
  const denied = (await iam().send(new CreateRoleCommand({ RoleName: 'deny-all', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [
    { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }, { Effect: 'Deny', Principal: { AWS: '000000000000' }, Action: 'sts:*' }] }) }))).Role!;
  await fails(sts().send(new AssumeRoleCommand({ RoleArn: denied.Arn!, RoleSessionName: 's1' })), 'AccessDenied', 403, /is not authorized to perform: sts:AssumeRole/);
  await fails(sts().send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::000000000000:role/none', RoleSessionName: 's1' })), 'AccessDenied', 403,
    'User: arn:aws:iam::000000000000:root is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role/none');
});

test('STS: session policies (inline and by ARN) are checked: a malformed one is MalformedPolicyDocument, an unknown ARN is refused', async () => {
  const role = (await iam().send(new CreateRoleCommand({ RoleName: 'scoped', AssumeRolePolicyDocument: trust({ AWS: '000000000000' }) }))).Role!;
  const p = (await iam().send(new CreatePolicyCommand({ PolicyName: 'session-p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }) }))).Policy!;
  const ok = await sts().send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'scoped-1', PolicyArns: [{ arn: p.Arn! }],
    Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }) }));
  assert.ok(ok.PackedPolicySize! > 0);
  await fails(sts().send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'scoped-2', Policy: '{"Version": "2012-10-17", "Statement": ' })), 'MalformedPolicyDocumentException', 400, 'This policy contains invalid Json');
  await fails(sts().send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'scoped-3', PolicyArns: [{ arn: 'arn:aws:iam::000000000000:policy/none' }] })), 'ValidationError', 400,
    'Policy arn:aws:iam::000000000000:policy/none does not exist or is not attachable.');
});

test('STS: GetSessionToken of the root key answers temporary credentials for at most an hour', async () => {
  const r = await sts().send(new GetSessionTokenCommand({ DurationSeconds: 7200 }));
  assert.match(r.Credentials!.AccessKeyId!, /^ASIA[A-Z2-7]{16}$/);
  assert.ok(r.Credentials!.Expiration!.getTime() <= Date.now() + 3600_000 + 1000);
  await fails(sts().send(new GetSessionTokenCommand({ DurationSeconds: 100 })), 'ValidationError', 400, /Member must have value greater than or equal to 900$/);
});

test('STS: GetCallerIdentity signed with a user\'s access key names the user, and with AssumeRole credentials the assumed role', async () => {
  await iam().send(new CreateUserCommand({ UserName: 'caller-u', Path: '/ci/' }));
  const k = (await iam().send(new CreateAccessKeyCommand({ UserName: 'caller-u' }))).AccessKey!;
  const me = await sts({ accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! }).send(new GetCallerIdentityCommand({}));
  assert.equal(me.Arn, 'arn:aws:iam::000000000000:user/ci/caller-u');
  assert.match(me.UserId!, /^AIDA/);
  const role = (await iam().send(new CreateRoleCommand({ RoleName: 'used', AssumeRolePolicyDocument: trust({ AWS: me.Arn }) }))).Role!;
  const r = await sts({ accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! }).send(new AssumeRoleCommand({ RoleArn: role.Arn!, RoleSessionName: 'in-use' }));
  const c = r.Credentials!;
  const as = await sts({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }).send(new GetCallerIdentityCommand({}));
  assert.equal(as.Arn, 'arn:aws:sts::000000000000:assumed-role/used/in-use');
  assert.equal(as.UserId, `${role.RoleId}:in-use`);
});
