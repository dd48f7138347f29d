// Compatibility: the account concurrency pool, provisioned concurrency's lifecycle (FAILED, alias retargeting, beyond
// the provisioned number), qualifiers on concurrency APIs, and durability of versions, aliases and concurrency settings.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CreateAliasCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  ListProvisionedConcurrencyConfigsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  PutProvisionedConcurrencyConfigCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  type GetProvisionedConcurrencyConfigCommandOutput,
  type InvokeCommandOutput,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { removeDir, removeServer, startServer, type Running } from '../helpers/server.js';
import { awsCli, hasV2 } from '../helpers/aws-cli.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';

const ARGS = ['--account-concurrency', '10'];
let server: Running;
let client: LambdaClient;

// Not liveServer(): the durability test restarts the server on the same data dir (and database), so the file keeps
// its own current server; removeServer also drops the database of a SELFLESS_TEST_STORE=postgres run.
before(async () => {
  server = await startServer({ args: ARGS });
  client = lambdaClient(server.url);
});
after(async () => {
  await server.stop();
  await removeServer(server);
});

const json = (b?: Uint8Array): any => JSON.parse(Buffer.from(b ?? []).toString('utf8'));
const code = (tag: string) =>
  `exports.handler = async (e, ctx) => { if (e.sleep) await new Promise(r => setTimeout(r, e.sleep)); ` +
  `return { tag: ${JSON.stringify(tag)}, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, init: process.env.AWS_LAMBDA_INITIALIZATION_TYPE, arn: ctx.invokedFunctionArn }; };`;
const invoke = (name: string, payload: unknown = {}, tail = false) =>
  client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), ...(tail ? { LogType: 'Tail' as const } : {}) }));
const errOf = (p: Promise<unknown>) => p.then(() => ({ name: 'no error' }) as { name: string; Reason?: string }, (e: { name: string; Reason?: string }) => e);
const cold = (r: InvokeCommandOutput) => /Init Duration/.test(Buffer.from(r.LogResult ?? '', 'base64').toString());
const cli = (args: string[]) => awsCli(hasV2() ? 2 : 1, server.url, args);

async function settled(name: string, qualifier: string, seconds = 20): Promise<GetProvisionedConcurrencyConfigCommandOutput> {
  for (let i = 0; i < seconds * 10; i++) {
    const s = await client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: qualifier }));
    if (s.Status !== 'IN_PROGRESS') return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`provisioned concurrency of ${name}:${qualifier} still IN_PROGRESS after ${seconds} s`);
}

/**
 * After a kill -9 on a shared store (SELFLESS_TEST_STORE=postgres) the restarted node is a new node: it takes the
 * configuration over once the dead node's lease lapses (30 s), as any node of a cluster would.
 */
const AFTER_KILL_SECONDS = process.env['SELFLESS_TEST_STORE'] === 'postgres' ? 50 : 20;

test('Account concurrency: unreserved functions share what reservations leave, beyond it ConcurrentInvocationLimitExceeded (CLI)', async () => {
  await createFunction(client, 'big', { 'index.js': code('big') });
  await createFunction(client, 'free', { 'index.js': code('free') });
  // 10 in all with at least 1 unreserved (AWS's 100 of 1,000, scaled): 10 is refused, 9 is accepted.
  const refused = await cli(['lambda', 'put-function-concurrency', '--function-name', 'big', '--reserved-concurrent-executions', '10']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /InvalidParameterValueException/);
  assert.match(refused.stderr, /minimum value of \[1\]/);
  const put = await cli(['lambda', 'put-function-concurrency', '--function-name', 'big', '--reserved-concurrent-executions', '9']);
  assert.equal(put.code, 0, put.stderr);
  assert.equal(put.json().ReservedConcurrentExecutions, 9);
  const settings = await cli(['lambda', 'get-account-settings']);
  assert.equal(settings.code, 0, settings.stderr);
  assert.equal(settings.json().AccountLimit.ConcurrentExecutions, 10);
  assert.equal(settings.json().AccountLimit.UnreservedConcurrentExecutions, 1);
  assert.equal(settings.json().AccountUsage.FunctionCount, 2);
  assert.ok(settings.json().AccountUsage.TotalCodeSize > 0);
  const fn = await client.send(new GetFunctionCommand({ FunctionName: 'big' }));
  assert.equal(fn.Concurrency?.ReservedConcurrentExecutions, 9);

  // One unreserved invocation held open uses the whole unreserved pool; the reserved function still runs.
  const held = invoke('free', { sleep: 3000 });
  await new Promise((r) => setTimeout(r, 500));
  const second = await errOf(invoke('free'));
  assert.equal(second.name, 'TooManyRequestsException');
  assert.equal(second.Reason, 'ConcurrentInvocationLimitExceeded');
  assert.equal(json((await invoke('big')).Payload).tag, 'big');
  assert.equal((await held).StatusCode, 200);
  assert.equal(json((await invoke('free')).Payload).tag, 'free', 'the pool is free again once the held invocation ends');

  const del = await cli(['lambda', 'delete-function-concurrency', '--function-name', 'big']);
  assert.equal(del.code, 0, del.stderr);
  assert.equal((await client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'big' }))).ReservedConcurrentExecutions, undefined);
  assert.equal((await cli(['lambda', 'get-account-settings'])).json().AccountLimit.UnreservedConcurrentExecutions, 10);
});

test('Concurrency APIs: reserved concurrency takes no qualifier; provisioned needs an existing published version or alias', async () => {
  await createFunction(client, 'q', { 'index.js': code('q') });
  await client.send(new PublishVersionCommand({ FunctionName: 'q' }));
  assert.equal((await errOf(client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'q:1' })))).name, 'InvalidParameterValueException');
  assert.equal(
    (await errOf(client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:q:1', ReservedConcurrentExecutions: 1 })))).name,
    'InvalidParameterValueException',
  );
  assert.equal(
    (await errOf(client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'q', Qualifier: '7', ProvisionedConcurrentExecutions: 1 })))).name,
    'ResourceNotFoundException',
  );
  assert.equal(
    (await errOf(client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'q', Qualifier: '1', ProvisionedConcurrentExecutions: 0 })))).name,
    'ValidationException',
  );
  assert.equal(
    (await errOf(client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'q', Qualifier: '1' })))).name,
    'ProvisionedConcurrencyConfigNotFoundException',
  );
  // Without a reservation, provisioned environments must leave the unreserved minimum (1 of 10 here).
  const tooMany = await errOf(client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'q', Qualifier: '1', ProvisionedConcurrentExecutions: 10 })));
  assert.equal(tooMany.name, 'InvalidParameterValueException');
  assert.match((tooMany as unknown as Error).message, /minimum value of \[1\]/);
  // Provisioned may not exceed the function's reservation.
  await client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'q', ReservedConcurrentExecutions: 1 }));
  assert.equal(
    (await errOf(client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'q', Qualifier: '1', ProvisionedConcurrentExecutions: 2 })))).name,
    'InvalidParameterValueException',
  );
  await client.send(new DeleteFunctionCommand({ FunctionName: 'q' }));
});

test('Provisioned concurrency: a function whose Init fails ends FAILED with the reason; configurations list page by page', async () => {
  await createFunction(client, 'broken', { 'index.js': 'throw new Error("boom at init"); exports.handler = async () => 1;' });
  await client.send(new PublishVersionCommand({ FunctionName: 'broken' }));
  const put = await client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'broken', Qualifier: '1', ProvisionedConcurrentExecutions: 1 }));
  assert.equal(put.Status, 'IN_PROGRESS');
  const s = await settled('broken', '1');
  assert.equal(s.Status, 'FAILED');
  assert.match(s.StatusReason ?? '', /boom at init/);
  // A second configuration (on an alias) and the list, page by page.
  await client.send(new CreateAliasCommand({ FunctionName: 'broken', Name: 'live', FunctionVersion: '1' }));
  await client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'broken', Qualifier: 'live', ProvisionedConcurrentExecutions: 1 }));
  const page1 = await client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'broken', MaxItems: 1 }));
  assert.equal(page1.ProvisionedConcurrencyConfigs?.length, 1);
  assert.ok(page1.NextMarker);
  const page2 = await client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'broken', MaxItems: 1, Marker: page1.NextMarker }));
  assert.equal(page2.NextMarker, undefined);
  assert.deepEqual(
    [...(page1.ProvisionedConcurrencyConfigs ?? []), ...(page2.ProvisionedConcurrencyConfigs ?? [])].map((c) => c.FunctionArn),
    ['arn:aws:lambda:us-east-1:000000000000:function:broken:1', 'arn:aws:lambda:us-east-1:000000000000:function:broken:live'],
  );
  await client.send(new DeleteFunctionCommand({ FunctionName: 'broken' }));
});

test('Provisioned concurrency: beyond the provisioned number on-demand environments start; an alias’s provisioning follows it', async () => {
  await createFunction(client, 'pa', { 'index.js': code('a') });
  await client.send(new PublishVersionCommand({ FunctionName: 'pa' }));
  await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'pa', ZipFile: await zip({ 'index.js': code('b') }), Publish: true }));
  await client.send(new CreateAliasCommand({ FunctionName: 'pa', Name: 'live', FunctionVersion: '1' }));
  await client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'pa', Qualifier: 'live', ProvisionedConcurrentExecutions: 2 }));
  assert.equal((await settled('pa', 'live')).Status, 'READY');

  // Three overlapping invocations: two run in the provisioned environments, the third starts cold on demand.
  const burst = await Promise.all(Array.from({ length: 3 }, () => invoke('pa:live', { sleep: 1500 }, true)));
  const inits = burst.map((r) => json(r.Payload).init).sort();
  assert.deepEqual(inits, ['on-demand', 'provisioned-concurrency', 'provisioned-concurrency']);
  assert.equal(burst.filter(cold).length, 1);
  for (const r of burst) {
    assert.equal(r.ExecutedVersion, '1');
    assert.equal(json(r.Payload).arn, 'arn:aws:lambda:us-east-1:000000000000:function:pa:live', 'invokedFunctionArn stays the alias ARN');
  }

  // Retargeting the alias re-provisions for the new version.
  await client.send(new UpdateAliasCommand({ FunctionName: 'pa', Name: 'live', FunctionVersion: '2' }));
  assert.equal((await settled('pa', 'live')).Status, 'READY');
  const after = await Promise.all(Array.from({ length: 2 }, () => invoke('pa:live', { sleep: 500 }, true)));
  for (const r of after) {
    assert.equal(r.ExecutedVersion, '2');
    assert.equal(json(r.Payload).init, 'provisioned-concurrency');
    assert.equal(cold(r), false);
  }

  // Deleting the alias deletes its configuration; AWS then answers for the alias that is gone (recorded:
  // test/fixtures/lambda-aws-errors.json's source, test_lambda_provisioned_lifecycle / get_provisioned_alias_postaliasdelete).
  await client.send(new DeleteAliasCommand({ FunctionName: 'pa', Name: 'live' }));
  const gone = await errOf(client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'pa', Qualifier: 'live' })));
  assert.equal(gone.name, 'ResourceNotFoundException');
  assert.equal((gone as unknown as Error).message, 'Cannot find alias arn: arn:aws:lambda:us-east-1:000000000000:function:pa:live');
});

test('Provisioned concurrency: on a weighted alias the environments are split between its two versions', async () => {
  await createFunction(client, 'pw', { 'index.js': code('a') });
  await client.send(new PublishVersionCommand({ FunctionName: 'pw' }));
  await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'pw', ZipFile: await zip({ 'index.js': code('b') }), Publish: true }));
  await client.send(new CreateAliasCommand({ FunctionName: 'pw', Name: 'split', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } } }));
  await client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'pw', Qualifier: 'split', ProvisionedConcurrentExecutions: 2 }));
  assert.equal((await settled('pw', 'split')).Status, 'READY');
  // One warm environment per version: one invocation at a time never starts cold, whichever version the weights pick.
  const seen = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const r = await invoke('pw:split', {}, true);
    seen.add(r.ExecutedVersion!);
    assert.equal(cold(r), false, `invocation ${i} of version ${r.ExecutedVersion} started cold`);
    assert.equal(json(r.Payload).init, 'provisioned-concurrency');
  }
  assert.deepEqual([...seen].sort(), ['1', '2'], 'both versions ran (all 20 on one side has probability 2^-19)');
  await client.send(new DeleteFunctionCommand({ FunctionName: 'pw' }));
});

test('Provisioned concurrency: an environment that dies is replaced, so a burst of that size stays warm', async () => {
  const handler = `exports.handler = async (e) => { if (e.die) process.exit(3); if (e.sleep) await new Promise(r => setTimeout(r, e.sleep)); return process.env.AWS_LAMBDA_INITIALIZATION_TYPE; };`;
  await createFunction(client, 'pk', { 'index.js': handler });
  await client.send(new PublishVersionCommand({ FunctionName: 'pk' }));
  await client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'pk', Qualifier: '1', ProvisionedConcurrentExecutions: 2 }));
  assert.equal((await settled('pk', '1')).Status, 'READY');
  const died = await invoke('pk:1', { die: true });
  assert.equal(died.FunctionError, 'Unhandled');
  let s = await settled('pk', '1');
  for (let i = 0; i < 100 && s.Status === 'READY' && s.AvailableProvisionedConcurrentExecutions !== 2; i++) {
    await new Promise((r) => setTimeout(r, 100));
    s = await settled('pk', '1');
  }
  assert.equal(s.Status, 'READY');
  assert.equal(s.AvailableProvisionedConcurrentExecutions, 2);
  const burst = await Promise.all(Array.from({ length: 2 }, () => invoke('pk:1', { sleep: 800 }, true)));
  for (const r of burst) {
    assert.equal(json(r.Payload), 'provisioned-concurrency');
    assert.equal(cold(r), false);
  }
  await client.send(new DeleteFunctionCommand({ FunctionName: 'pk' }));
});

test('Versions and aliases from the AWS CLI: publish, list, weighted alias, invoke through it, delete a version', async () => {
  await createFunction(client, 'clifn', { 'index.js': code('one') });
  const p1 = await cli(['lambda', 'publish-version', '--function-name', 'clifn', '--description', 'first']);
  assert.equal(p1.code, 0, p1.stderr);
  assert.equal(p1.json().Version, '1');
  await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'clifn', ZipFile: await zip({ 'index.js': code('two') }) }));
  assert.equal((await cli(['lambda', 'publish-version', '--function-name', 'clifn'])).json().Version, '2');
  const list = await cli(['lambda', 'list-versions-by-function', '--function-name', 'clifn']);
  assert.deepEqual(list.json().Versions.map((v: { Version: string }) => v.Version), ['$LATEST', '1', '2']);
  const alias = await cli([
    'lambda', 'create-alias', '--function-name', 'clifn', '--name', 'canary', '--function-version', '1',
    '--routing-config', '{"AdditionalVersionWeights":{"2":1.0}}',
  ]);
  assert.equal(alias.code, 0, alias.stderr);
  assert.deepEqual(alias.json().RoutingConfig, { AdditionalVersionWeights: { '2': 1 } });
  // Weight 1.0 sends every invocation to version 2.
  const out = join(mkdtempSync(join(tmpdir(), 'selfless-cli-')), 'out.json');
  const inv = await cli(['lambda', 'invoke', '--function-name', 'clifn:canary', out]);
  assert.equal(inv.code, 0, inv.stderr);
  assert.equal(inv.json().ExecutedVersion, '2');
  assert.equal(JSON.parse(readFileSync(out, 'utf8')).tag, 'two');
  removeDir(dirname(out));
  const blocked = await cli(['lambda', 'delete-function', '--function-name', 'clifn', '--qualifier', '2']);
  assert.match(blocked.stderr, /ResourceConflictException/);
  assert.equal((await cli(['lambda', 'delete-alias', '--function-name', 'clifn', '--name', 'canary'])).code, 0);
  assert.equal((await cli(['lambda', 'delete-function', '--function-name', 'clifn', '--qualifier', '2'])).code, 0);
  const latest = await cli(['lambda', 'delete-function', '--function-name', 'clifn', '--qualifier', '$LATEST']);
  assert.match(latest.stderr, /InvalidParameterValueException/);
});

test('Durability: versions, aliases, reserved and provisioned concurrency survive kill -9; provisioning resumes', async () => {
  await createFunction(client, 'dur', { 'index.js': code('d1') });
  await client.send(new PublishVersionCommand({ FunctionName: 'dur' }));
  await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'dur', ZipFile: await zip({ 'index.js': code('d2') }), Publish: true }));
  await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'dur', ZipFile: await zip({ 'index.js': code('d3') }), Publish: true }));
  await client.send(new DeleteFunctionCommand({ FunctionName: 'dur', Qualifier: '3' }));
  await client.send(new CreateAliasCommand({ FunctionName: 'dur', Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } } }));
  await client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'dur', ReservedConcurrentExecutions: 3 }));
  await client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'dur', Qualifier: '2', ProvisionedConcurrentExecutions: 1 }));

  const dataDir = server.dataDir;
  await server.stop('SIGKILL');
  server = await startServer({ dataDir, args: ARGS });
  client = lambdaClient(server.url);

  const versions = await client.send(new ListVersionsByFunctionCommand({ FunctionName: 'dur' }));
  assert.deepEqual(versions.Versions?.map((v) => v.Version), ['$LATEST', '1', '2']);
  const alias = await client.send(new GetAliasCommand({ FunctionName: 'dur', Name: 'live' }));
  assert.equal(alias.FunctionVersion, '1');
  assert.deepEqual(alias.RoutingConfig?.AdditionalVersionWeights, { '2': 0.25 });
  assert.equal((await client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'dur' }))).ReservedConcurrentExecutions, 3);
  assert.equal((await settled('dur', '2', AFTER_KILL_SECONDS)).Status, 'READY');
  const r = await invoke('dur:2', {}, true);
  assert.equal(json(r.Payload).tag, 'd2');
  assert.equal(json(r.Payload).init, 'provisioned-concurrency');
  assert.equal(cold(r), false);
  // Version 3 was deleted before the crash: its number is still not reused.
  await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'dur', ZipFile: await zip({ 'index.js': code('d4') }) }));
  assert.equal((await client.send(new PublishVersionCommand({ FunctionName: 'dur' }))).Version, '4');
});
