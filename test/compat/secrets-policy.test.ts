// Secrets Manager resource policies and KMS key policies against a live enforce-mode server with the AWS SDK:
// Put/Get/Delete/ValidateResourcePolicy, BlockPublicPolicy, a Deny in the secret's policy, a key policy that must
// allow, and PutKeyPolicy's lockout safety check.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateSecretCommand, DeleteResourcePolicyCommand, GetResourcePolicyCommand, GetSecretValueCommand, PutResourcePolicyCommand, SecretsManagerClient,
  ValidateResourcePolicyCommand,
} from '@aws-sdk/client-secrets-manager';
import { execFile } from 'node:child_process';
import { AddPermissionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { createFunction, createLambdaRole } from '../helpers/lambda.js';
import { removeServer, startServer, type Running } from '../helpers/server.js';
import { failure } from '../helpers/errors.js';

const ACCOUNT = '000000000000';
let s: Running;
before(async () => {
  s = await startServer({ args: ['--auth', 'enforce'] });
});
after(async () => {
  await s.stop();
  await removeServer(s);
});

type Keys = { accessKeyId: string; secretAccessKey: string };
const ROOT: Keys = { accessKeyId: 'test', secretAccessKey: 'test' };
const client = <T>(C: new (c: object) => T, keys: Keys): T => new C({ endpoint: s.url, region: 'us-east-1', credentials: keys, maxAttempts: 1 });
const doc = (statements: object[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements });

async function user(name: string, policy?: object): Promise<Keys> {
  const iam = client(IAMClient, ROOT);
  await iam.send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify(policy) }));
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
}

test('Secrets policy: Put/Get/Delete/ValidateResourcePolicy; BlockPublicPolicy refuses a public policy; a malformed one is refused', async () => {
  const sm = client(SecretsManagerClient, ROOT);
  const made = await sm.send(new CreateSecretCommand({ Name: 'policy/one', SecretString: 'v' }));
  assert.equal((await sm.send(new GetResourcePolicyCommand({ SecretId: 'policy/one' }))).ResourcePolicy, undefined);
  const policy = doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/reader` }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }]);
  const put = await sm.send(new PutResourcePolicyCommand({ SecretId: 'policy/one', ResourcePolicy: policy, BlockPublicPolicy: true }));
  assert.equal(put.ARN, made.ARN);
  const got = await sm.send(new GetResourcePolicyCommand({ SecretId: 'policy/one' }));
  assert.equal(got.ResourcePolicy, policy);
  assert.equal(got.Name, 'policy/one');
  const pub = doc([{ Effect: 'Allow', Principal: '*', Action: 'secretsmanager:GetSecretValue', Resource: '*' }]);
  const blocked = await failure(sm.send(new PutResourcePolicyCommand({ SecretId: 'policy/one', ResourcePolicy: pub, BlockPublicPolicy: true })));
  assert.equal(blocked.name, 'PublicPolicyException');
  const bad = await failure(sm.send(new PutResourcePolicyCommand({ SecretId: 'policy/one', ResourcePolicy: '{"Statement": 3}' })));
  assert.equal(bad.name, 'MalformedPolicyDocumentException');
  const v = await sm.send(new ValidateResourcePolicyCommand({ SecretId: 'policy/one', ResourcePolicy: pub }));
  assert.equal(v.PolicyValidationPassed, false);
  assert.equal(v.ValidationErrors?.[0]?.CheckName, 'PUBLIC_ACCESS');
  assert.equal((await sm.send(new ValidateResourcePolicyCommand({ ResourcePolicy: policy }))).PolicyValidationPassed, true);
  await sm.send(new DeleteResourcePolicyCommand({ SecretId: 'policy/one' }));
  assert.equal((await sm.send(new GetResourcePolicyCommand({ SecretId: 'policy/one' }))).ResourcePolicy, undefined);
});

test('Secrets policy: in enforce mode the secret\'s policy grants a user without identity policies, and its explicit Deny wins', async () => {
  const sm = client(SecretsManagerClient, ROOT);
  await sm.send(new CreateSecretCommand({ Name: 'policy/granted', SecretString: 'granted-value' }));
  await sm.send(new CreateSecretCommand({ Name: 'policy/denied', SecretString: 'denied-value' }));
  const reader = await user('reader');
  const all = await user('all-secrets', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' }] });
  const before = await failure(client(SecretsManagerClient, reader).send(new GetSecretValueCommand({ SecretId: 'policy/granted' })));
  assert.equal(before.name, 'AccessDeniedException');
  await sm.send(new PutResourcePolicyCommand({ SecretId: 'policy/granted', ResourcePolicy: doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/reader` }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }]) }));
  assert.equal((await client(SecretsManagerClient, reader).send(new GetSecretValueCommand({ SecretId: 'policy/granted' }))).SecretString, 'granted-value');
  assert.equal((await client(SecretsManagerClient, all).send(new GetSecretValueCommand({ SecretId: 'policy/denied' }))).SecretString, 'denied-value');
  await sm.send(new PutResourcePolicyCommand({ SecretId: 'policy/denied', ResourcePolicy: doc([{ Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/all-secrets` }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }]) }));
  const denied = await failure(client(SecretsManagerClient, all).send(new GetSecretValueCommand({ SecretId: 'policy/denied' })));
  assert.equal(denied.name, 'AccessDeniedException');
  assert.match(denied.message, /^User: arn:aws:iam::000000000000:user\/all-secrets is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:000000000000:secret:policy\/denied.* with an explicit deny in a resource-based policy$/);
  assert.ok(!s.output().includes('denied-value') && !s.output().includes('granted-value'), 'no secret value in the server log');
});

/** Runs boto3 KMS calls as `keys`; the script's `out` dict is the answer. (No @aws-sdk/client-kms in this project.) */
function kms(keys: Keys, code: string): Promise<Record<string, unknown>> {
  const script = [
    'import boto3, json',
    `c = boto3.client('kms', endpoint_url='${s.url}', region_name='us-east-1', aws_access_key_id='${keys.accessKeyId}', aws_secret_access_key='${keys.secretAccessKey}')`,
    'def err(f):',
    '    try:',
    '        f(); return "ok"',
    '    except Exception as e:',
    '        return e.response["Error"]["Code"] + ": " + e.response["Error"]["Message"]',
    'out = {}',
    code,
    'print(json.dumps(out))',
  ].join('\n');
  return new Promise((res, rej) => execFile('python3', ['-c', script], (e, o, er) => (e ? rej(new Error(er)) : res(JSON.parse(o) as Record<string, unknown>))));
}

test('KMS key policy: enforced; an IAM allow is not enough for a key whose policy does not name the account; PutKeyPolicy lockout check', async () => {
  const alice = await user('alice', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] });
  const carol = await user('carol');
  // Only carol (named directly) may encrypt; the root may set the policy.
  const closed = doc([
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/carol` }, Action: 'kms:Encrypt', Resource: '*' },
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:PutKeyPolicy', Resource: '*' },
  ]);
  const lockout = doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/carol` }, Action: 'kms:*', Resource: '*' }]);
  const made = await kms(ROOT, [
    "out['open'] = c.create_key()['KeyMetadata']['KeyId']",
    `out['closed'] = c.create_key(Policy=${JSON.stringify(closed)})['KeyMetadata']['KeyId']`,
    "out['rootEncrypt'] = err(lambda: c.encrypt(KeyId=out['closed'], Plaintext=b'x'))",
    `out['lockout'] = err(lambda: c.put_key_policy(KeyId=out['closed'], PolicyName='default', Policy=${JSON.stringify(lockout)}))`,
  ].join('\n'));
  // The root is held to the key policy too: it may set the policy, not encrypt.
  assert.match(String(made['rootEncrypt']), /^AccessDeniedException: User: arn:aws:iam::000000000000:root is not authorized to perform: kms:Encrypt/);
  assert.equal(made['lockout'], 'MalformedPolicyDocumentException: The new key policy will not allow you to update the key policy in the future.');
  const asAlice = await kms(alice, `out['open'] = err(lambda: c.encrypt(KeyId='${String(made['open'])}', Plaintext=b'x'))\nout['closed'] = err(lambda: c.encrypt(KeyId='${String(made['closed'])}', Plaintext=b'x'))`);
  assert.equal(asAlice['open'], 'ok');
  assert.match(String(asAlice['closed']), /^AccessDeniedException: User: arn:aws:iam::000000000000:user\/alice is not authorized to perform: kms:Encrypt on resource: arn:aws:kms:us-east-1:000000000000:key\//);
  const asCarol = await kms(carol, `out['closed'] = err(lambda: c.encrypt(KeyId='${String(made['closed'])}', Plaintext=b'x'))`);
  assert.equal(asCarol['closed'], 'ok');
  const bypass = await kms(ROOT, [
    `out['bypass'] = err(lambda: c.put_key_policy(KeyId='${String(made['closed'])}', PolicyName='default', Policy=${JSON.stringify(lockout)}, BypassPolicyLockoutSafetyCheck=True))`,
    `out['after'] = err(lambda: c.put_key_policy(KeyId='${String(made['closed'])}', PolicyName='default', Policy=${JSON.stringify(closed)}))`,
  ].join('\n'));
  assert.equal(bypass['bypass'], 'ok');
  assert.match(String(bypass['after']), /^AccessDeniedException/);
});

test('Secrets policy: in enforce mode RotateSecret needs the rotation function\'s permission for secretsmanager.amazonaws.com', async () => {
  await createLambdaRole(client(IAMClient, ROOT));
  const lam = client(LambdaClient, ROOT);
  const fn = (await createFunction(lam, 'rotator-perm', { 'index.js': 'exports.handler = async () => { throw new Error("not a real rotator"); };' })).FunctionArn!;
  const sm = client(SecretsManagerClient, ROOT);
  const made = await sm.send(new CreateSecretCommand({ Name: 'policy/rotated', SecretString: 'v' }));
  const refused = await failure(sm.send(new RotateSecretCommand({ SecretId: 'policy/rotated', RotationLambdaARN: fn, RotationRules: { AutomaticallyAfterDays: 30 } })));
  assert.equal(refused.name, 'AccessDeniedException');
  assert.equal(refused.message, 'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.');
  await lam.send(new AddPermissionCommand({ FunctionName: 'rotator-perm', StatementId: 'sm', Action: 'lambda:InvokeFunction', Principal: 'secretsmanager.amazonaws.com', SourceArn: made.ARN }));
  const ok = await sm.send(new RotateSecretCommand({ SecretId: 'policy/rotated', RotationLambdaARN: fn, RotationRules: { AutomaticallyAfterDays: 30 } }));
  assert.ok(ok.VersionId);
});
