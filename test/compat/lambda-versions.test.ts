// Compatibility: versions, aliases with weighted routing, reserved and provisioned concurrency (SDK and CLI).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAliasCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  GetAliasCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  ListAliasesCommand,
  ListProvisionedConcurrencyConfigsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  PutProvisionedConcurrencyConfigCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { removeDir, startServer, type Running, removeServer } from '../helpers/server.js';
import { awsCli } from '../helpers/aws-cli.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';

let server: Running;
let client: LambdaClient;

before(async () => {
  server = await startServer({ args: ['--account-concurrency', '200'] });
  client = lambdaClient(server.url);
});
after(async () => {
  await server.stop();
  await removeServer(server);
});

const json = (b?: Uint8Array): any => JSON.parse(Buffer.from(b ?? []).toString('utf8'));
const code = (tag: string) => `exports.handler = async (e) => { if (e.sleep) await new Promise(r => setTimeout(r, e.sleep)); return { tag: ${JSON.stringify(tag)}, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, init: process.env.AWS_LAMBDA_INITIALIZATION_TYPE }; };`;
const invoke = (name: string, payload: unknown = {}, extra: Record<string, unknown> = {}) =>
  client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), ...extra }));
const errName = (p: Promise<unknown>) => p.then(() => 'no error', (e: { name: string }) => e.name);

test('Versions: publish snapshots $LATEST; numbers are never reused; unchanged code returns the last version', async () => {
  await createFunction(client, 'ver', { 'index.js': code('one') });
  const v1 = await client.send(new PublishVersionCommand({ FunctionName: 'ver', Description: 'first' }));
  assert.equal(v1.Version, '1');
  assert.equal(v1.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:ver:1');
  assert.equal(v1.Description, 'first');
  const again = await client.send(new PublishVersionCommand({ FunctionName: 'ver' }));
  assert.equal(again.Version, '1', 'nothing changed: the last version comes back');
  await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'ver', ZipFile: await zip({ 'index.js': code('two') }) }));
  assert.equal(await errName(client.send(new PublishVersionCommand({ FunctionName: 'ver', CodeSha256: v1.CodeSha256 }))), 'InvalidParameterValueException');
  assert.equal(await errName(client.send(new PublishVersionCommand({ FunctionName: 'ver', RevisionId: 'stale' }))), 'PreconditionFailedException');
  const v2 = await client.send(new PublishVersionCommand({ FunctionName: 'ver' }));
  assert.equal(v2.Version, '2');
  // Each version runs its own code; $LATEST stays mutable and versions do not change with it.
  await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'ver', Environment: { Variables: { XX: '1' } } }));
  const r1 = await invoke('ver:1');
  assert.equal(r1.ExecutedVersion, '1');
  assert.deepEqual(json(r1.Payload), { tag: 'one', version: '1', init: 'on-demand' });
  assert.equal(json((await invoke('ver', {}, { Qualifier: '2' })).Payload).tag, 'two');
  assert.equal(json((await invoke('arn:aws:lambda:us-east-1:000000000000:function:ver:$LATEST')).Payload).version, '$LATEST');
  assert.equal((await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'ver', Qualifier: '1' }))).Environment, undefined);
  const listed = await client.send(new ListVersionsByFunctionCommand({ FunctionName: 'ver', MaxItems: 2 }));
  assert.deepEqual(listed.Versions?.map((v) => v.Version), ['$LATEST', '1']);
  const rest = await client.send(new ListVersionsByFunctionCommand({ FunctionName: 'ver', Marker: listed.NextMarker }));
  assert.deepEqual(rest.Versions?.map((v) => v.Version), ['2']);
  // Deleting version 2 does not free its number.
  await client.send(new DeleteFunctionCommand({ FunctionName: 'ver', Qualifier: '2' }));
  assert.equal(await errName(invoke('ver:2')), 'ResourceNotFoundException');
  await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'ver', ZipFile: await zip({ 'index.js': code('three') }), Publish: true }));
  const after = await client.send(new ListVersionsByFunctionCommand({ FunctionName: 'ver' }));
  assert.deepEqual(after.Versions?.map((v) => v.Version), ['$LATEST', '1', '3']);
});

test('Aliases: AWS’s rules, alias ARNs everywhere, and weighted routing within 4 standard deviations over 1,000 invokes', async () => {
  await createFunction(client, 'al', { 'index.js': code('a') });
  await client.send(new PublishVersionCommand({ FunctionName: 'al' }));
  await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'al', ZipFile: await zip({ 'index.js': code('b') }), Publish: true }));
  assert.equal(await errName(client.send(new CreateAliasCommand({ FunctionName: 'al', Name: 'x', FunctionVersion: '9' }))), 'ResourceNotFoundException');
  assert.equal(await errName(client.send(new CreateAliasCommand({ FunctionName: 'al', Name: '123', FunctionVersion: '1' }))), 'ValidationException');
  assert.equal(
    await errName(client.send(new CreateAliasCommand({ FunctionName: 'al', Name: 'x', FunctionVersion: '$LATEST', RoutingConfig: { AdditionalVersionWeights: { '1': 0.5 } } }))),
    'InvalidParameterValueException',
  );
  assert.equal(
    await errName(client.send(new CreateAliasCommand({ FunctionName: 'al', Name: 'x', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 1.5 } } }))),
    'ValidationException',
  );
  const live = await client.send(new CreateAliasCommand({ FunctionName: 'al', Name: 'live', FunctionVersion: '1', Description: 'prod' }));
  assert.equal(live.AliasArn, 'arn:aws:lambda:us-east-1:000000000000:function:al:live');
  assert.equal(await errName(client.send(new CreateAliasCommand({ FunctionName: 'al', Name: 'live', FunctionVersion: '1' }))), 'ResourceConflictException');
  const r = await invoke(live.AliasArn!);
  assert.equal(r.ExecutedVersion, '1');
  assert.equal(json(r.Payload).tag, 'a');
  assert.equal((await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'al', Qualifier: 'live' }))).Version, '1');
  assert.equal(await errName(client.send(new DeleteFunctionCommand({ FunctionName: 'al', Qualifier: '1' }))), 'ResourceConflictException');
  assert.equal(
    await errName(client.send(new UpdateAliasCommand({ FunctionName: 'al', Name: 'live', RevisionId: 'stale', FunctionVersion: '2' }))),
    'PreconditionFailedException',
  );
  const weight = 0.3;
  await client.send(new UpdateAliasCommand({ FunctionName: 'al', Name: 'live', RoutingConfig: { AdditionalVersionWeights: { '2': weight } } }));
  const got = await client.send(new GetAliasCommand({ FunctionName: 'al', Name: 'live' }));
  assert.deepEqual(got.RoutingConfig?.AdditionalVersionWeights, { '2': weight });
  const n = 1000;
  let toTwo = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < n) {
        next++;
        const res = await invoke('al:live');
        if (res.ExecutedVersion === '2') {
          toTwo++;
          assert.equal(json(res.Payload).tag, 'b');
        } else assert.equal(json(res.Payload).tag, 'a');
      }
    }),
  );
  const sd = Math.sqrt(n * weight * (1 - weight));
  assert.ok(Math.abs(toTwo - n * weight) <= 4 * sd, `${toTwo} of ${n} went to version 2 (expected ${n * weight} ± ${4 * sd})`);
  const aliases = await client.send(new ListAliasesCommand({ FunctionName: 'al', FunctionVersion: '2' }));
  assert.deepEqual(aliases.Aliases?.map((a) => a.Name), ['live']);
  // The CLI sees the same alias.
  const cli = await awsCli(1, server.url, ['lambda', 'get-alias', '--function-name', 'al', '--name', 'live']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(cli.json().FunctionVersion, '1');
});

test('Reserved concurrency: 0 throttles everything, 1 throttles the second concurrent invoke, with AWS’s Reason', async () => {
  await createFunction(client, 'res', { 'index.js': code('r') });
  assert.equal(
    await errName(client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'res', ReservedConcurrentExecutions: 190 }))),
    'InvalidParameterValueException',
    'must leave the minimum unreserved (20 of 200)',
  );
  await client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'res', ReservedConcurrentExecutions: 0 }));
  const zero = await invoke('res').catch((e: { name: string; Reason?: string; $response?: unknown }) => e);
  assert.equal((zero as { name: string }).name, 'TooManyRequestsException');
  assert.equal((zero as { Reason?: string }).Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
  await client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'res', ReservedConcurrentExecutions: 1 }));
  assert.equal((await client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'res' }))).ReservedConcurrentExecutions, 1);
  const settings = await client.send(new GetAccountSettingsCommand({}));
  assert.equal(settings.AccountLimit?.ConcurrentExecutions, 200);
  assert.equal(settings.AccountLimit?.UnreservedConcurrentExecutions, 199);
  const slow = invoke('res', { sleep: 800 });
  await new Promise((r) => setTimeout(r, 200));
  const second = await invoke('res').catch((e: { name: string; Reason?: string }) => e);
  assert.equal((second as { Reason?: string }).Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
  assert.equal((await slow).StatusCode, 200);
  await client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'res' }));
  assert.equal((await invoke('res')).StatusCode, 200);
});

test('Provisioned concurrency: environments become READY ahead of demand and a burst of that size never starts cold', async () => {
  await createFunction(client, 'prov', { 'index.js': code('p') });
  await client.send(new PublishVersionCommand({ FunctionName: 'prov' }));
  await client.send(new CreateAliasCommand({ FunctionName: 'prov', Name: 'live', FunctionVersion: '1' }));
  assert.equal(
    await errName(client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'prov', Qualifier: '$LATEST', ProvisionedConcurrentExecutions: 1 }))),
    'InvalidParameterValueException',
  );
  const put = await client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'prov', Qualifier: 'live', ProvisionedConcurrentExecutions: 4 }));
  assert.equal(put.RequestedProvisionedConcurrentExecutions, 4);
  let status = put.Status;
  for (let i = 0; i < 100 && status !== 'READY'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    status = (await client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'prov', Qualifier: 'live' }))).Status;
  }
  assert.equal(status, 'READY');
  const burst = await Promise.all(Array.from({ length: 4 }, () => invoke('prov:live', { sleep: 300 }, { LogType: 'Tail' })));
  for (const r of burst) {
    assert.equal(json(r.Payload).init, 'provisioned-concurrency');
    assert.doesNotMatch(Buffer.from(r.LogResult ?? '', 'base64').toString(), /Init Duration/);
  }
  const list = await client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'prov' }));
  assert.equal(list.ProvisionedConcurrencyConfigs?.[0]?.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:prov:live');
  assert.equal(list.ProvisionedConcurrencyConfigs?.[0]?.AvailableProvisionedConcurrentExecutions, 4);
});
