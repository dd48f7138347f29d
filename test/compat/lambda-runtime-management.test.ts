// Compatibility: runtime management configurations (Auto, FunctionUpdate, Manual pinned to the runtime version the
// function shows) per version, durable across a restart; and the Lambda Managed Instances operations (function
// scaling configs, capacity providers), which this server refuses with a reason.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateCapacityProviderCommand,
  CreateFunctionCommand,
  DeleteCapacityProviderCommand,
  DeleteFunctionCommand,
  GetCapacityProviderCommand,
  GetFunctionConfigurationCommand,
  GetFunctionScalingConfigCommand,
  GetRuntimeManagementConfigCommand,
  ListCapacityProvidersCommand,
  ListFunctionVersionsByCapacityProviderCommand,
  PublishVersionCommand,
  PutFunctionScalingConfigCommand,
  PutRuntimeManagementConfigCommand,
  UpdateCapacityProviderCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { removeServer, ROOT, startServer, type Running } from '../helpers/server.js';
import { createFunction, lambdaClient, ROLE } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';

const run = promisify(execFile);
const BOTO = join(ROOT, 'test', 'helpers', 'boto3-calls.py');
const hasBoto3 = await run('python3', ['-c', 'import boto3']).then(() => true, () => false);

let server: Running;
let lambda: LambdaClient;
before(async () => {
  server = await startServer();
  lambda = lambdaClient(server.url);
  await createFunction(lambda, 'rt', { 'index.js': 'exports.handler = async () => 1;' });
});
after(async () => {
  await server.stop();
  await removeServer(server);
});

const errOf = (p: Promise<unknown>) => p.then(() => ({ name: 'no error', message: '' }), (e: { name: string; message: string }) => e);

test('Runtime management: Auto by default; FunctionUpdate and Manual (pinned to the version the function shows) per version; bad pins refused', async () => {
  const def = await lambda.send(new GetRuntimeManagementConfigCommand({ FunctionName: 'rt' }));
  assert.equal(def.UpdateRuntimeOn, 'Auto');
  assert.equal(def.RuntimeVersionArn, undefined);
  assert.equal(def.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:rt:$LATEST');
  const shown = (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'rt' }))).RuntimeVersionConfig?.RuntimeVersionArn;
  assert.match(shown ?? '', /^arn:aws:lambda:us-east-1::runtime:/);

  const fu = await lambda.send(new PutRuntimeManagementConfigCommand({ FunctionName: 'rt', UpdateRuntimeOn: 'FunctionUpdate' }));
  assert.equal(fu.UpdateRuntimeOn, 'FunctionUpdate');
  assert.equal((await lambda.send(new GetRuntimeManagementConfigCommand({ FunctionName: 'rt' }))).UpdateRuntimeOn, 'FunctionUpdate');

  const noArn = await errOf(lambda.send(new PutRuntimeManagementConfigCommand({ FunctionName: 'rt', UpdateRuntimeOn: 'Manual' })));
  assert.equal(noArn.name, 'InvalidParameterValueException');
  const other = `arn:aws:lambda:us-east-1::runtime:${'ab'.repeat(32)}`;
  const wrong = await errOf(lambda.send(new PutRuntimeManagementConfigCommand({ FunctionName: 'rt', UpdateRuntimeOn: 'Manual', RuntimeVersionArn: other })));
  assert.equal(wrong.name, 'InvalidParameterValueException');
  assert.match(wrong.message, /not a version of runtime nodejs20\.x/);
  const autoWithArn = await errOf(lambda.send(new PutRuntimeManagementConfigCommand({ FunctionName: 'rt', UpdateRuntimeOn: 'Auto', RuntimeVersionArn: shown })));
  assert.equal(autoWithArn.name, 'InvalidParameterValueException');
  const malformed = await errOf(lambda.send(new PutRuntimeManagementConfigCommand({ FunctionName: 'rt', UpdateRuntimeOn: 'Manual', RuntimeVersionArn: 'arn:aws:lambda:us-east-1::function:x' })));
  assert.equal(malformed.name, 'ValidationException');

  const v1 = await lambda.send(new PublishVersionCommand({ FunctionName: 'rt' }));
  const manual = await lambda.send(new PutRuntimeManagementConfigCommand({ FunctionName: 'rt', Qualifier: v1.Version, UpdateRuntimeOn: 'Manual', RuntimeVersionArn: shown }));
  assert.equal(manual.RuntimeVersionArn, shown);
  assert.equal(manual.FunctionArn, `arn:aws:lambda:us-east-1:000000000000:function:rt:${v1.Version}`);
  const got = await lambda.send(new GetRuntimeManagementConfigCommand({ FunctionName: 'rt', Qualifier: v1.Version }));
  assert.deepEqual([got.UpdateRuntimeOn, got.RuntimeVersionArn], ['Manual', shown]);
  assert.equal((await lambda.send(new GetRuntimeManagementConfigCommand({ FunctionName: 'rt' }))).UpdateRuntimeOn, 'FunctionUpdate', '$LATEST keeps its own');
  const missing = await errOf(lambda.send(new GetRuntimeManagementConfigCommand({ FunctionName: 'rt', Qualifier: '99' })));
  assert.equal(missing.name, 'ResourceNotFoundException');
});

test('Runtime management: configurations survive a restart and go with their function', async () => {
  await createFunction(lambda, 'rt-durable', { 'index.js': 'exports.handler = async () => 1;' });
  await lambda.send(new PutRuntimeManagementConfigCommand({ FunctionName: 'rt-durable', UpdateRuntimeOn: 'FunctionUpdate' }));
  await server.stop('SIGKILL');
  server = await startServer({ dataDir: server.dataDir });
  lambda = lambdaClient(server.url);
  assert.equal((await lambda.send(new GetRuntimeManagementConfigCommand({ FunctionName: 'rt-durable' }))).UpdateRuntimeOn, 'FunctionUpdate');
  await lambda.send(new DeleteFunctionCommand({ FunctionName: 'rt-durable' }));
  await createFunction(lambda, 'rt-durable', { 'index.js': 'exports.handler = async () => 2;' });
  assert.equal((await lambda.send(new GetRuntimeManagementConfigCommand({ FunctionName: 'rt-durable' }))).UpdateRuntimeOn, 'Auto');
});

test('Managed Instances: scaling configs and capacity providers are refused as not supported on this server; none are listed', async () => {
  const put = await errOf(lambda.send(new PutFunctionScalingConfigCommand({ FunctionName: 'rt', Qualifier: '1', FunctionScalingConfig: { MinExecutionEnvironments: 1, MaxExecutionEnvironments: 2 } })));
  assert.equal(put.name, 'InvalidParameterValueException');
  assert.match(put.message, /not supported on this server/);
  assert.equal((await errOf(lambda.send(new GetFunctionScalingConfigCommand({ FunctionName: 'rt', Qualifier: '1' })))).name, 'InvalidParameterValueException');
  assert.equal((await errOf(lambda.send(new GetFunctionScalingConfigCommand({ FunctionName: 'absent', Qualifier: '1' })))).name, 'ResourceNotFoundException');
  const cp = await errOf(
    lambda.send(
      new CreateCapacityProviderCommand({
        CapacityProviderName: 'cp',
        VpcConfig: { SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'] },
        PermissionsConfig: { CapacityProviderOperatorRoleArn: ROLE },
      }),
    ),
  );
  assert.equal(cp.name, 'InvalidParameterValueException');
  assert.match(cp.message, /Lambda Managed Instances \(capacity providers\), which are not supported on this server/);
  for (const call of [
    () => lambda.send(new GetCapacityProviderCommand({ CapacityProviderName: 'cp' })),
    () => lambda.send(new UpdateCapacityProviderCommand({ CapacityProviderName: 'cp' })),
    () => lambda.send(new DeleteCapacityProviderCommand({ CapacityProviderName: 'cp' })),
    () => lambda.send(new ListFunctionVersionsByCapacityProviderCommand({ CapacityProviderName: 'cp' })),
  ]) {
    const e = await errOf(call());
    assert.equal(e.name, 'ResourceNotFoundException');
    assert.match(e.message, /not supported on this server/);
  }
  assert.deepEqual((await lambda.send(new ListCapacityProvidersCommand({}))).CapacityProviders, []);
  const fn = await errOf(
    lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'on-cp', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zip({ 'index.js': 'x' }) },
        CapacityProviderConfig: { LambdaManagedInstancesCapacityProviderConfig: { CapacityProviderArn: 'arn:aws:lambda:us-east-1:000000000000:capacity-provider:cp' } },
      }),
    ),
  );
  assert.equal(fn.name, 'InvalidParameterValueException');
});

test('Runtime management and Managed Instances through boto3', { skip: !hasBoto3 && 'boto3 missing' }, async () => {
  const calls = [
    { service: 'lambda', op: 'put_runtime_management_config', params: { FunctionName: 'rt', UpdateRuntimeOn: 'Auto' } },
    { service: 'lambda', op: 'get_runtime_management_config', params: { FunctionName: 'rt' } },
    { service: 'lambda', op: 'put_function_scaling_config', params: { FunctionName: 'rt', Qualifier: '1', FunctionScalingConfig: { MinExecutionEnvironments: 0 } } },
    { service: 'lambda', op: 'list_capacity_providers', params: {} },
  ];
  const { stdout } = await run('python3', [BOTO, server.url, 'us-east-1', JSON.stringify(calls)]);
  const [put, get, scaling, list] = JSON.parse(stdout) as { ok?: any; error?: { code: string; status: number } }[];
  assert.equal(put!.ok.UpdateRuntimeOn, 'Auto');
  assert.equal(get!.ok.UpdateRuntimeOn, 'Auto');
  assert.deepEqual([scaling!.error?.code, scaling!.error?.status], ['InvalidParameterValueException', 400]);
  assert.deepEqual(list!.ok.CapacityProviders, []);
});
