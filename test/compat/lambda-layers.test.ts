// Compatibility: layers (publish, get, list, permissions) and what functions see of them under /opt.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddLayerVersionPermissionCommand,
  CreateFunctionCommand,
  DeleteLayerVersionCommand,
  GetAccountSettingsCommand,
  GetLayerVersionByArnCommand,
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  InvokeCommand,
  ListLayersCommand,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  PublishVersionCommand,
  RemoveLayerVersionPermissionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { removeDir, startServer, type Running, removeServer } from '../helpers/server.js';
import { awsCli } from '../helpers/aws-cli.js';
import { createFunction, lambdaClient, ROLE } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';

let server: Running;
let client: LambdaClient;

before(async () => {
  server = await startServer();
  client = lambdaClient(server.url);
});
after(async () => {
  await server.stop();
  await removeServer(server);
});

const json = (b?: Uint8Array): any => JSON.parse(Buffer.from(b ?? []).toString('utf8'));
const invoke = (name: string) => client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') }));
const errName = (p: Promise<unknown>) => p.then(() => 'no error', (e: { name: string }) => e.name);
const publish = async (name: string, files: Record<string, string>, extra: Record<string, unknown> = {}) =>
  client.send(new PublishLayerVersionCommand({ LayerName: name, Content: { ZipFile: await zip(files) }, ...extra }));

test('Layers: Node modules resolve from /opt/nodejs/node_modules and later layers override earlier files', async () => {
  const base = await publish('shared', {
    'nodejs/node_modules/greet/index.js': 'module.exports = (n) => `hello ${n}`;',
    'nodejs/node_modules/which/index.js': 'module.exports = "base";',
  }, { CompatibleRuntimes: ['nodejs20.x'], CompatibleArchitectures: ['x86_64'], Description: 'shared code' });
  assert.equal(base.Version, 1);
  assert.equal(base.LayerVersionArn, 'arn:aws:lambda:us-east-1:000000000000:layer:shared:1');
  const over = await publish('override', { 'nodejs/node20/node_modules/which/index.js': 'module.exports = "override";' });
  const code = 'const greet = require("greet"); const which = require("which"); exports.handler = async () => ({ msg: greet("layers"), which });';
  await createFunction(client, 'uses-layers', { 'index.js': code });
  await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'uses-layers', Layers: [base.LayerVersionArn!, over.LayerVersionArn!] }));
  const r = await invoke('uses-layers');
  assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
  // node20/node_modules comes first on NODE_PATH (AWS's order), so its copy wins over nodejs/node_modules.
  assert.deepEqual(json(r.Payload), { msg: 'hello layers', which: 'override' });
  // Same path in two layers: the later layer's file replaces the earlier one.
  const v2 = await publish('shared', { 'nodejs/node_modules/greet/index.js': 'module.exports = (n) => `bye ${n}`;' });
  await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'uses-layers', Layers: [base.LayerVersionArn!, v2.LayerVersionArn!] }));
  assert.equal(json((await invoke('uses-layers')).Payload).which, 'base');
  assert.equal(json((await invoke('uses-layers')).Payload).msg, 'bye layers');
});

test('Layers: Python modules resolve from /opt/python and a published version pins its layer versions', async () => {
  const l1 = await publish('pylib', { 'python/helper.py': 'VALUE = "one"' });
  const l2 = await publish('pylib', { 'python/lib/python3.12/site-packages/helper.py': 'VALUE = "two"' });
  await client.send(
    new CreateFunctionCommand({
      FunctionName: 'py-layers',
      Runtime: 'python3.12',
      Role: ROLE,
      Handler: 'app.handler',
      Code: { ZipFile: await zip({ 'app.py': 'import helper\ndef handler(e, c):\n    return helper.VALUE\n' }) },
      Layers: [l1.LayerVersionArn!],
    }),
  );
  assert.equal(json((await invoke('py-layers')).Payload), 'one');
  await client.send(new PublishVersionCommand({ FunctionName: 'py-layers' }));
  await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'py-layers', Layers: [l2.LayerVersionArn!] }));
  assert.equal(json((await invoke('py-layers')).Payload), 'two');
  assert.equal(json((await invoke('py-layers:1')).Payload), 'one', 'version 1 keeps the layer version it was published with');
});

test('Layers: a custom runtime’s bootstrap may come from a layer', async () => {
  const bootstrap = [
    '#!/bin/bash',
    'set -euo pipefail',
    'while true; do',
    '  HEADERS="$(mktemp)"',
    '  EVENT=$(curl -sS -LD "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")',
    '  ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d "[:space:]" | cut -d: -f2)',
    '  curl -sS "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$ID/response" -d "\\"from layer\\""',
    'done',
  ].join('\n');
  const layer = await client.send(
    new PublishLayerVersionCommand({ LayerName: 'runtime', Content: { ZipFile: await zip([{ name: 'bootstrap', content: bootstrap, mode: 0o100755 }]) } }),
  );
  await client.send(
    new CreateFunctionCommand({
      FunctionName: 'custom-from-layer',
      Runtime: 'provided.al2023',
      Role: ROLE,
      Handler: 'x',
      Code: { ZipFile: await zip({ 'README': 'no bootstrap here' }) },
      Layers: [layer.LayerVersionArn!],
    }),
  );
  assert.equal(json((await invoke('custom-from-layer')).Payload), 'from layer');
});

test('Layers: more than 5 layers or a missing layer version is refused with AWS’s error', async () => {
  const l = await publish('many', { 'a.txt': 'a' });
  await createFunction(client, 'limits', { 'index.js': 'exports.handler = async () => 1;' });
  const six = Array.from({ length: 6 }, () => l.LayerVersionArn!);
  assert.equal(await errName(client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'limits', Layers: six }))), 'InvalidParameterValueException');
  const missing = 'arn:aws:lambda:us-east-1:000000000000:layer:many:99';
  const e = await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'limits', Layers: [missing] })).catch((x: Error) => x);
  assert.equal((e as Error).name, 'InvalidParameterValueException');
  assert.match((e as Error).message, /Layer version arn:aws:lambda:us-east-1:000000000000:layer:many:99 does not exist/);
});

test('Layers: get by name and ARN, list with runtime filters, permissions, delete, counted in account usage (CLI too)', async () => {
  const before = (await client.send(new GetAccountSettingsCommand({}))).AccountUsage?.TotalCodeSize ?? 0;
  const a = await publish('listed', { 'x.txt': '1' }, { CompatibleRuntimes: ['python3.12'] });
  // AWS counts layer archives in the account's code storage.
  assert.equal((await client.send(new GetAccountSettingsCommand({}))).AccountUsage?.TotalCodeSize, before + a.Content!.CodeSize!);
  const b = await publish('listed', { 'x.txt': '2' }, { CompatibleRuntimes: ['nodejs20.x'] });
  const got = await client.send(new GetLayerVersionCommand({ LayerName: 'listed', VersionNumber: 1 }));
  assert.equal(got.Content?.CodeSha256, a.Content?.CodeSha256);
  const zipBack = Buffer.from(await (await fetch(got.Content!.Location!)).arrayBuffer());
  assert.equal(zipBack.length, got.Content?.CodeSize);
  assert.equal((await client.send(new GetLayerVersionByArnCommand({ Arn: b.LayerVersionArn! }))).Version, 2);
  const py = await client.send(new ListLayerVersionsCommand({ LayerName: 'listed', CompatibleRuntime: 'python3.12' }));
  assert.deepEqual(py.LayerVersions?.map((v) => v.Version), [1]);
  const all = await client.send(new ListLayerVersionsCommand({ LayerName: 'listed' }));
  assert.deepEqual(all.LayerVersions?.map((v) => v.Version), [2, 1]);
  const layers = await client.send(new ListLayersCommand({ CompatibleRuntime: 'nodejs20.x' }));
  assert.equal(layers.Layers?.find((l) => l.LayerName === 'listed')?.LatestMatchingVersion?.Version, 2);
  const perm = await client.send(new AddLayerVersionPermissionCommand({ LayerName: 'listed', VersionNumber: 1, StatementId: 'all', Action: 'lambda:GetLayerVersion', Principal: '*' }));
  assert.equal(JSON.parse(perm.Statement!).Sid, 'all');
  const policy = await client.send(new GetLayerVersionPolicyCommand({ LayerName: 'listed', VersionNumber: 1 }));
  assert.equal(JSON.parse(policy.Policy!).Statement[0].Principal, '*');
  assert.equal(
    await errName(client.send(new AddLayerVersionPermissionCommand({ LayerName: 'listed', VersionNumber: 1, StatementId: 'all', Action: 'lambda:GetLayerVersion', Principal: '*' }))),
    'ResourceConflictException',
  );
  await client.send(new RemoveLayerVersionPermissionCommand({ LayerName: 'listed', VersionNumber: 1, StatementId: 'all' }));
  assert.equal(await errName(client.send(new GetLayerVersionPolicyCommand({ LayerName: 'listed', VersionNumber: 1 }))), 'ResourceNotFoundException');
  const cli = await awsCli(1, server.url, ['lambda', 'list-layer-versions', '--layer-name', 'listed']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(cli.json().LayerVersions.length, 2);
  await client.send(new DeleteLayerVersionCommand({ LayerName: 'listed', VersionNumber: 1 }));
  assert.equal(await errName(client.send(new GetLayerVersionCommand({ LayerName: 'listed', VersionNumber: 1 }))), 'ResourceNotFoundException');
  assert.equal((await publish('listed', { 'x.txt': '3' })).Version, 3, 'layer version numbers are never reused');
});

test('Layers: a deleted layer version stays in functions that use it, survives kill -9, and cannot be added anew', async () => {
  const gone = await publish('gone', { 'nodejs/node_modules/gone/index.js': 'module.exports = "still here";' });
  const code = 'exports.handler = async () => require("gone");';
  await createFunction(client, 'keeps-layer', { 'index.js': code });
  await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'keeps-layer', Layers: [gone.LayerVersionArn!] }));
  await client.send(new DeleteLayerVersionCommand({ LayerName: 'gone', VersionNumber: 1 }));
  assert.equal(json((await invoke('keeps-layer')).Payload), 'still here');
  // New code keeps the function's layers; the deleted version may not be given to another function.
  await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'keeps-layer', ZipFile: await zip({ 'index.js': `${code} // v2` }) }));
  await createFunction(client, 'wants-layer', { 'index.js': code });
  assert.equal(
    await errName(client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'wants-layer', Layers: [gone.LayerVersionArn!] }))),
    'InvalidParameterValueException',
  );
  const dataDir = server.dataDir;
  await server.stop('SIGKILL');
  server = await startServer({ dataDir });
  client = lambdaClient(server.url);
  const r = await invoke('keeps-layer');
  assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
  assert.equal(json(r.Payload), 'still here');
  assert.equal(await errName(client.send(new GetLayerVersionCommand({ LayerName: 'gone', VersionNumber: 1 }))), 'ResourceNotFoundException');
});
