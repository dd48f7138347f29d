// Secrets Manager against a live server with @aws-sdk/client-secrets-manager, and from inside a function.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetSecretValueCommand, ListSecretsCommand, PutSecretValueCommand,
  RestoreSecretCommand, SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { liveServer } from '../helpers/server.js';

const server = liveServer();
const sm = (): SecretsManagerClient => new SecretsManagerClient({ endpoint: server().url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
const err = async (p: Promise<unknown>): Promise<{ name: string; message: string }> => {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error('expected an error');
};
const SECRET = 'hunter2-do-not-log';

test('Secrets Manager: CreateSecret gives an ARN with a 6-char suffix; PutSecretValue moves AWSCURRENT to AWSPREVIOUS', async () => {
  const c = sm();
  const made = await c.send(new CreateSecretCommand({ Name: 'app/db', SecretString: SECRET, ClientRequestToken: 'a'.repeat(32) }));
  assert.match(made.ARN!, /^arn:aws:secretsmanager:us-east-1:000000000000:secret:app\/db-[A-Za-z]{6}$/);
  const again = await c.send(new CreateSecretCommand({ Name: 'app/db', SecretString: SECRET, ClientRequestToken: 'a'.repeat(32) }));
  assert.equal(again.ARN, made.ARN);
  const dup = await err(c.send(new CreateSecretCommand({ Name: 'app/db', SecretString: 'x' })));
  assert.equal(dup.name, 'ResourceExistsException');
  assert.equal((await c.send(new GetSecretValueCommand({ SecretId: 'app/db' }))).SecretString, SECRET);
  const v2 = await c.send(new PutSecretValueCommand({ SecretId: made.ARN, SecretString: 'second' }));
  assert.equal((await c.send(new GetSecretValueCommand({ SecretId: 'app/db' }))).SecretString, 'second');
  const prev = await c.send(new GetSecretValueCommand({ SecretId: 'app/db', VersionStage: 'AWSPREVIOUS' }));
  assert.equal(prev.SecretString, SECRET);
  assert.equal((await c.send(new GetSecretValueCommand({ SecretId: 'app/db', VersionId: v2.VersionId }))).SecretString, 'second');
  const d = await c.send(new DescribeSecretCommand({ SecretId: 'app/db' }));
  assert.deepEqual(d.VersionIdsToStages?.[v2.VersionId!], ['AWSCURRENT']);
  const nf = await err(c.send(new GetSecretValueCommand({ SecretId: 'missing' })));
  assert.deepEqual(nf, { name: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
});

test('Secrets Manager: a deleted secret is refused until restored; force delete removes it; ListSecrets filters by name', async () => {
  const c = sm();
  await c.send(new CreateSecretCommand({ Name: 'tmp/one', SecretString: 'v' }));
  await c.send(new CreateSecretCommand({ Name: 'other', SecretString: 'v' }));
  const bad = await err(c.send(new DeleteSecretCommand({ SecretId: 'tmp/one', RecoveryWindowInDays: 3 })));
  assert.equal(bad.name, 'InvalidParameterException');
  await c.send(new DeleteSecretCommand({ SecretId: 'tmp/one', RecoveryWindowInDays: 7 }));
  const gone = await err(c.send(new GetSecretValueCommand({ SecretId: 'tmp/one' })));
  assert.deepEqual(gone, { name: 'InvalidRequestException', message: "You can't perform this operation on the secret because it was marked for deletion." });
  await c.send(new RestoreSecretCommand({ SecretId: 'tmp/one' }));
  assert.equal((await c.send(new GetSecretValueCommand({ SecretId: 'tmp/one' }))).SecretString, 'v');
  const l = await c.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['tmp/'] }] }));
  assert.deepEqual(l.SecretList?.map((x) => x.Name), ['tmp/one']);
  await c.send(new DeleteSecretCommand({ SecretId: 'tmp/one', ForceDeleteWithoutRecovery: true }));
  assert.equal((await err(c.send(new DescribeSecretCommand({ SecretId: 'tmp/one' })))).name, 'ResourceNotFoundException');
});

test('Secrets Manager: a function reads a secret with the SDK through the endpoint in its environment; no value reaches the log', async () => {
  const c = sm();
  await c.send(new CreateSecretCommand({ Name: 'fn/secret', SecretString: SECRET }));
  const lam = lambdaClient(server().url);
  await createFunction(lam, 'reads-secret', {
    'index.py': [
      'import boto3, os',
      'def handler(event, context):',
      "    c = boto3.client('secretsmanager', endpoint_url=os.environ['AWS_ENDPOINT_URL'])",
      "    return {'len': len(c.get_secret_value(SecretId='fn/secret')['SecretString'])}",
    ].join('\n'),
  }, { runtime: 'python3.12', handler: 'index.handler', timeout: 30 });
  const out = await lam.send(new InvokeCommand({ FunctionName: 'reads-secret' }));
  const body = JSON.parse(Buffer.from(out.Payload!).toString());
  assert.equal(out.FunctionError, undefined, JSON.stringify(body));
  assert.equal(body.len, SECRET.length);
  assert.ok(!server().output().includes(SECRET), 'the secret value is not in the server log');
});
