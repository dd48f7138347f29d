// `selfless sync --watch`: a saved code file reaches the deployed function without a stack update; `selfless invoke`
// runs a stack's function by its logical id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { lambdaClient } from '../helpers/lambda.js';
import { liveServer, MAIN, removeDir } from '../helpers/server.js';

const run = promisify(execFile);
const server = liveServer();
const env = { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1' };
const handler = (v: string): string => `exports.handler = async (e) => ({ version: '${v}', got: e.name ?? null });\n`;

test('selfless sync --watch: a saved change under CodeUri runs on the next invoke with no stack update; selfless invoke finds the function by logical id', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cfn-sync-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'index.js'), handler('one'));
  writeFileSync(
    join(dir, 'template.yaml'),
    `Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: index.handler
      Runtime: nodejs20.x
`,
  );
  const child = spawn(process.execPath, [MAIN, 'sync', '--watch', '--stack-name', 'synced', '--endpoint', server().url], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  try {
    for (let i = 0; i < 600 && !/watching 1 function/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /watching 1 function/, out);

    writeFileSync(join(dir, 'event.json'), '{"name":"ev"}');
    const inv = await run('node', [MAIN, 'invoke', 'Hello', '--stack-name', 'synced', '--event', 'event.json', '--endpoint', server().url], { cwd: dir, env });
    assert.deepEqual(JSON.parse(inv.stdout), { version: 'one', got: 'ev' });

    const lambda = lambdaClient(server().url);
    assert.match((await run('node', [MAIN, 'stacks', '--endpoint', server().url], { env })).stdout, /synced\s+CREATE_COMPLETE/);

    const saved = Date.now();
    writeFileSync(join(dir, 'src', 'index.js'), handler('two'));
    let version = 'one';
    const physical = await physicalName(server().url);
    while (version !== 'two' && Date.now() - saved < 15_000) {
      const r = await lambda.send(new InvokeCommand({ FunctionName: physical, Payload: Buffer.from('{}') }));
      version = (JSON.parse(Buffer.from(r.Payload!).toString()) as { version: string }).version;
      if (version !== 'two') await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(version, 'two', out);
    t.diagnostic(`save → next invoke running the new code: ${Date.now() - saved} ms`);
    assert.match(out, /synced Hello \(/);
    assert.doesNotMatch(out, /template changed/);
    assert.match((await run('node', [MAIN, 'stacks', '--endpoint', server().url], { env })).stdout, /synced\s+CREATE_COMPLETE/, 'no stack update');
  } finally {
    child.kill('SIGINT');
    removeDir(dir);
  }
});

async function physicalName(url: string): Promise<string> {
  const cfn = new CloudFormationClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const r = await cfn.send(new DescribeStackResourceCommand({ StackName: 'synced', LogicalResourceId: 'Hello' }));
  cfn.destroy();
  return r.StackResourceDetail!.PhysicalResourceId!;
}
