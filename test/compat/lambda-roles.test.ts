// Compatibility: execution roles. In enforce mode a function calls back as a session of its role (ASIA key, session
// token, `assumed-role/<role>/<function>`), limited to the role's policies; CreateFunction and
// UpdateFunctionConfiguration refuse a role that does not exist or does not trust Lambda; dev mode takes any role.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { CreateRoleCommand, DeleteRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createLambdaRole, LAMBDA_TRUST } from '../helpers/lambda.js';
import { removeServer, startServer, type Running } from '../helpers/server.js';
import { zip } from '../helpers/zip.js';

const ACCOUNT = '000000000000';
const ROOT = { accessKeyId: 'test', secretAccessKey: 'test' };
/** The project's node_modules (…/dist/test/compat → …): the function requires the real AWS SDK v3 from there. */
const NODE_MODULES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'node_modules');

/**
 * A function that sends to each queue URL of the event with the SDK's default credential chain (the environment's
 * variables) and reports its caller identity and what each send answered.
 */
const SENDER = `
const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');
const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');
exports.handler = async (event) => {
  const sqs = new SQSClient({ maxAttempts: 1 });
  const sends = {};
  for (const url of event.queues ?? []) {
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'from the function' }));
      sends[url] = 'ok';
    } catch (e) {
      sends[url] = e.name + ': ' + e.message;
    }
  }
  const me = await new STSClient({ maxAttempts: 1 }).send(new GetCallerIdentityCommand({}));
  return { arn: me.Arn, keyPrefix: process.env.AWS_ACCESS_KEY_ID.slice(0, 4), hasToken: !!process.env.AWS_SESSION_TOKEN, sends };
};`;

const client = <T>(C: new (c: object) => T, s: Running): T => new C({ endpoint: s.url, region: 'us-east-1', credentials: ROOT, maxAttempts: 1 });

async function createSender(s: Running, name: string, role: string): Promise<void> {
  await client(LambdaClient, s).send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Role: role,
      Handler: 'index.handler',
      Timeout: 30,
      Code: { ZipFile: await zip({ 'index.js': SENDER }) },
      Environment: { Variables: { NODE_PATH: NODE_MODULES } },
    }),
  );
}

async function invoke(s: Running, name: string, event: object): Promise<{ arn: string; keyPrefix: string; hasToken: boolean; sends: Record<string, string> }> {
  const out = await client(LambdaClient, s).send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)) }));
  const body = JSON.parse(Buffer.from(out.Payload!).toString()) as never;
  assert.equal(out.FunctionError, undefined, JSON.stringify(body));
  return body;
}

async function failure(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  return { name: 'no error', status: 200, message: '' };
}

let enforce: Running;
let dev: Running;
before(async () => {
  // Plain processes: the function reads the SDK from the host's node_modules.
  [enforce, dev] = await Promise.all([
    startServer({ args: ['--auth', 'enforce', '--isolation', 'process'] }),
    startServer({ args: ['--auth', 'dev', '--isolation', 'process'] }),
  ]);
});
after(async () => {
  for (const s of [enforce, dev]) {
    await s.stop();
    await removeServer(s);
  }
});

test('Execution roles: in enforce mode a function calls back as its role session, allowed what the role allows and denied the rest', async () => {
  const iam = client(IAMClient, enforce);
  const sqs = client(SQSClient, enforce);
  const a = (await sqs.send(new CreateQueueCommand({ QueueName: 'role-a' }))).QueueUrl!;
  const b = (await sqs.send(new CreateQueueCommand({ QueueName: 'role-b' }))).QueueUrl!;
  const role = await createLambdaRole(iam, 'sender-role');
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: 'sender-role',
      PolicyName: 'send-a',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:role-a` }] }),
    }),
  );
  await createSender(enforce, 'sender', role);
  const r = await invoke(enforce, 'sender', { queues: [a, b] });
  assert.equal(r.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/sender-role/sender`);
  assert.equal(r.keyPrefix, 'ASIA', 'a temporary key');
  assert.equal(r.hasToken, true);
  assert.equal(r.sends[a], 'ok');
  assert.match(r.sends[b]!, /^AccessDenied/);
  assert.match(r.sends[b]!, new RegExp(`assumed-role/sender-role/sender is not authorized to perform: sqs:SendMessage on resource: arn:aws:sqs:us-east-1:${ACCOUNT}:role-b`));
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: a, WaitTimeSeconds: 1 }));
  assert.equal(got.Messages?.[0]?.Body, 'from the function');
});

test('Execution roles: enforce mode refuses CreateFunction and UpdateFunctionConfiguration with a role Lambda cannot assume, in AWS words, and a function whose role was deleted does not start', async () => {
  const iam = client(IAMClient, enforce);
  const untrusting = await iam.send(
    new CreateRoleCommand({
      RoleName: 'ec2-only',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    }),
  );
  for (const role of [`arn:aws:iam::${ACCOUNT}:role/no-such-role`, untrusting.Role!.Arn!]) {
    const f = await failure(createSender(enforce, 'refused', role));
    assert.equal(f.name, 'InvalidParameterValueException', role);
    assert.equal(f.status, 400);
    assert.equal(f.message, 'The role defined for the function cannot be assumed by Lambda.');
  }
  const good = (await iam.send(new CreateRoleCommand({ RoleName: 'good', AssumeRolePolicyDocument: LAMBDA_TRUST }))).Role!.Arn!;
  await createSender(enforce, 'updated', good);
  const lambda = client(LambdaClient, enforce);
  const u = await failure(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'updated', Role: untrusting.Role!.Arn! })));
  assert.equal(u.name, 'InvalidParameterValueException');
  assert.equal(u.message, 'The role defined for the function cannot be assumed by Lambda.');
  const ok = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'updated', Timeout: 31 }));
  assert.equal(ok.Role, good, 'the refused role was not stored');
  // A role deleted after CreateFunction: the environment does not start (no fall back to the root key).
  await iam.send(new DeleteRoleCommand({ RoleName: 'good' }));
  const gone = await failure(lambda.send(new InvokeCommand({ FunctionName: 'updated', Payload: Buffer.from('{}') })));
  assert.equal(gone.name, 'InvalidParameterValueException');
  assert.equal(gone.message, 'The role defined for the function cannot be assumed by Lambda.');
});

test('Execution roles: dev mode runs a function with a made-up role on the root key, logs that the role does not exist, and uses a real role when there is one', async () => {
  await createSender(dev, 'made-up', `arn:aws:iam::${ACCOUNT}:role/made-up`);
  const r = await invoke(dev, 'made-up', {});
  assert.equal(r.arn, `arn:aws:iam::${ACCOUNT}:root`);
  assert.equal(r.hasToken, false);
  assert.match(dev.output(), /function made-up: role arn:aws:iam::000000000000:role\/made-up does not exist in IAM/);
  const role = await createLambdaRole(client(IAMClient, dev), 'real');
  await createSender(dev, 'with-role', role);
  const w = await invoke(dev, 'with-role', {});
  assert.equal(w.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/real/with-role`);
  assert.equal(w.keyPrefix, 'ASIA');
});
