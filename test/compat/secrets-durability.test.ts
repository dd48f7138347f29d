// Durability of secrets: a Secrets Manager value, a rotation's stages and a SecureString parameter acknowledged right
// before SIGKILL are there after a restart; no value reaches the server's log or the audit log.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CreateSecretCommand, GetSecretValueCommand, PutResourcePolicyCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { awsCli } from '../helpers/aws-cli.js';
import { removeServer, startServer, type Running } from '../helpers/server.js';

const ROOT = { accessKeyId: 'test', secretAccessKey: 'test' };
const client = <T>(C: new (c: object) => T, s: Running, keys = ROOT): T => new C({ endpoint: s.url, region: 'us-east-1', credentials: keys, maxAttempts: 1 });
const SECRET_V1 = 'durable-secret-value-one';
const SECRET_V2 = 'durable-secret-value-two';
const PARAM = 'durable-securestring-value';

test('Secrets durability: a secret version and a SecureString parameter acknowledged before SIGKILL survive the restart', async () => {
  const first = await startServer();
  try {
    await client(SecretsManagerClient, first).send(new CreateSecretCommand({ Name: 'durable/secret', SecretString: SECRET_V1 }));
    const v2 = await client(SecretsManagerClient, first).send(new PutSecretValueCommand({ SecretId: 'durable/secret', SecretString: SECRET_V2 }));
    await client(SSMClient, first).send(new PutParameterCommand({ Name: '/durable/param', Type: 'SecureString', Value: PARAM }));
    const exit = await first.stop('SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');
    const second = await startServer({ dataDir: first.dataDir });
    try {
      const sm = client(SecretsManagerClient, second);
      const cur = await sm.send(new GetSecretValueCommand({ SecretId: 'durable/secret' }));
      assert.equal(cur.SecretString, SECRET_V2);
      assert.equal(cur.VersionId, v2.VersionId);
      assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'durable/secret', VersionStage: 'AWSPREVIOUS' }))).SecretString, SECRET_V1);
      const p = await client(SSMClient, second).send(new GetParameterCommand({ Name: '/durable/param', WithDecryption: true }));
      assert.equal(p.Parameter?.Value, PARAM);
      assert.equal(p.Parameter?.Type, 'SecureString');
    } finally {
      await second.stop();
    }
  } finally {
    await removeServer(first);
  }
});

test('Secrets durability: in enforce mode no secret or parameter value reaches the server log or the audit log, allowed or denied', async () => {
  const s = await startServer({ args: ['--auth', 'enforce'] });
  try {
    const iam = client(IAMClient, s);
    await iam.send(new CreateUserCommand({ UserName: 'auditor' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'auditor', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['secretsmanager:*', 'ssm:*', 'kms:*'], Resource: '*' }] }) }));
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'auditor' }))).AccessKey!;
    const keys = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    const sm = client(SecretsManagerClient, s, keys);
    await sm.send(new CreateSecretCommand({ Name: 'audited', SecretString: SECRET_V1 }));
    await sm.send(new PutSecretValueCommand({ SecretId: 'audited', SecretString: SECRET_V2 }));
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'audited' }))).SecretString, SECRET_V2);
    await client(SSMClient, s, keys).send(new PutParameterCommand({ Name: '/audited', Type: 'SecureString', Value: PARAM }));
    // A denied write with a value in it: the denial names the action and the secret, not the value.
    await client(SecretsManagerClient, s).send(new PutResourcePolicyCommand({
      SecretId: 'audited',
      ResourcePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::000000000000:user/auditor' }, Action: 'secretsmanager:PutSecretValue', Resource: '*' }] }),
    }));
    await assert.rejects(sm.send(new PutSecretValueCommand({ SecretId: 'audited', SecretString: 'denied-value-never-logged' })), { name: 'AccessDeniedException' });
    const audit = await awsCli(1, s.url, ['logs', 'filter-log-events', '--log-group-name', '/selfless/audit']);
    assert.equal(audit.code, 0, audit.stderr);
    const text = audit.stdout;
    assert.match(text, /secretsmanager:PutSecretValue/, 'the audit log records the decisions');
    for (const v of [SECRET_V1, SECRET_V2, PARAM, 'denied-value-never-logged']) {
      assert.ok(!text.includes(v), `the audit log does not hold ${v}`);
      assert.ok(!s.output().includes(v), `the server log does not hold ${v}`);
    }
    await s.stop();
  } finally {
    await removeServer(s);
  }
});
