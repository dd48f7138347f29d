// SSM Parameter Store against a live server with @aws-sdk/client-ssm.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  DeleteParameterCommand, GetParameterCommand, GetParameterHistoryCommand, GetParametersByPathCommand, GetParametersCommand,
  LabelParameterVersionCommand, PutParameterCommand, SSMClient,
} from '@aws-sdk/client-ssm';
import { liveServer } from '../helpers/server.js';

const server = liveServer();
const ssm = (): SSMClient => new SSMClient({ endpoint: server().url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
const err = async (p: Promise<unknown>): Promise<{ name: string; message: string }> => {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error('expected an error');
};

test('SSM: PutParameter versions a parameter, refuses to overwrite without Overwrite, and selects name:version and name:label', async () => {
  const c = ssm();
  assert.equal((await c.send(new PutParameterCommand({ Name: '/app/db/host', Value: 'h1', Type: 'String' }))).Version, 1);
  const dup = await err(c.send(new PutParameterCommand({ Name: '/app/db/host', Value: 'h2', Type: 'String' })));
  assert.equal(dup.name, 'ParameterAlreadyExists');
  assert.equal(dup.message, 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
  assert.equal((await c.send(new PutParameterCommand({ Name: '/app/db/host', Value: 'h2', Overwrite: true }))).Version, 2);
  assert.equal((await c.send(new GetParameterCommand({ Name: '/app/db/host' }))).Parameter?.Value, 'h2');
  assert.equal((await c.send(new GetParameterCommand({ Name: '/app/db/host:1' }))).Parameter?.Value, 'h1');
  await c.send(new LabelParameterVersionCommand({ Name: '/app/db/host', ParameterVersion: 1, Labels: ['old'] }));
  assert.equal((await c.send(new GetParameterCommand({ Name: '/app/db/host:old' }))).Parameter?.Value, 'h1');
  assert.equal((await err(c.send(new GetParameterCommand({ Name: '/app/db/host:9' })))).name, 'ParameterVersionNotFound');
  const h = await c.send(new GetParameterHistoryCommand({ Name: '/app/db/host' }));
  assert.deepEqual(h.Parameters?.map((p) => [p.Version, p.Labels]), [[1, ['old']], [2, []]]);
  assert.equal((await err(c.send(new GetParameterCommand({ Name: '/nope' })))).name, 'ParameterNotFound');
});

test('SSM: SecureString is encrypted with alias/aws/ssm and decrypted only WithDecryption; paths and GetParameters', async () => {
  const c = ssm();
  await c.send(new PutParameterCommand({ Name: '/svc/secret', Value: 's3cr3t', Type: 'SecureString' }));
  await c.send(new PutParameterCommand({ Name: '/svc/a', Value: 'x,y', Type: 'StringList' }));
  await c.send(new PutParameterCommand({ Name: '/svc/deep/b', Value: 'b', Type: 'String' }));
  const enc = (await c.send(new GetParameterCommand({ Name: '/svc/secret' }))).Parameter?.Value;
  assert.notEqual(enc, 's3cr3t');
  assert.equal((await c.send(new GetParameterCommand({ Name: '/svc/secret', WithDecryption: true }))).Parameter?.Value, 's3cr3t');
  const flat = await c.send(new GetParametersByPathCommand({ Path: '/svc' }));
  assert.deepEqual(flat.Parameters?.map((p) => p.Name).sort(), ['/svc/a', '/svc/secret']);
  const deep = await c.send(new GetParametersByPathCommand({ Path: '/svc', Recursive: true }));
  assert.deepEqual(deep.Parameters?.map((p) => p.Name).sort(), ['/svc/a', '/svc/deep/b', '/svc/secret']);
  const g = await c.send(new GetParametersCommand({ Names: ['/svc/a', '/missing'] }));
  assert.deepEqual(g.Parameters?.map((p) => p.Value), ['x,y']);
  assert.deepEqual(g.InvalidParameters, ['/missing']);
  await c.send(new DeleteParameterCommand({ Name: '/svc/a' }));
  assert.equal((await err(c.send(new DeleteParameterCommand({ Name: '/svc/a' })))).name, 'ParameterNotFound');
  assert.equal((await err(c.send(new PutParameterCommand({ Name: '/aws/service/x', Value: 'v', Type: 'String' })))).name, 'AccessDeniedException');
  const deepName = '/' + Array.from({ length: 16 }, (_, i) => `l${i}`).join('/');
  assert.equal((await err(c.send(new PutParameterCommand({ Name: deepName, Value: 'v', Type: 'String' })))).name, 'HierarchyLevelLimitExceededException');
  const log = server().output();
  assert.ok(!log.includes('s3cr3t'), 'the secure value is not in the server log');
});
