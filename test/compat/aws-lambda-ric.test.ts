// Compatibility: AWS's own Node.js runtime interface client (npm aws-lambda-ric 3.x), packaged as a
// provided.al2023 function, runs unchanged against selfless's Runtime API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { removeDir, startServer, removeServer } from '../helpers/server.js';
import { lambdaClient, ROLE } from '../helpers/lambda.js';
import { zip, type ZipEntry } from '../helpers/zip.js';

const CACHE = join(process.env['TMPDIR'] ?? '/tmp', 'selfless-aws-lambda-ric-3');
const RIC = join(CACHE, 'node_modules', 'aws-lambda-ric');

/** Builds aws-lambda-ric once per machine (it compiles a native addon: needs autoconf, automake, libtool, cmake). */
function buildRic(): string | undefined {
  if (existsSync(join(RIC, 'dist', 'rapid-client.node'))) return undefined;
  for (const tool of ['autoconf', 'automake', 'libtoolize', 'cmake', 'make', 'g++']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `aws-lambda-ric cannot be built here: ${tool} is missing (.ci/run installs autoconf automake libtool)`;
    }
  }
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(join(CACHE, 'package.json'), '{"name":"ric-cache","private":true}');
  try {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', 'aws-lambda-ric@3'], { cwd: CACHE, stdio: 'ignore', timeout: 15 * 60_000 });
  } catch (e) {
    return `building aws-lambda-ric failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  }
  return existsSync(join(RIC, 'dist', 'rapid-client.node')) ? undefined : 'aws-lambda-ric built without its native client';
}

function files(dir: string, under: string): ZipEntry[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p, under) : [{ name: relative(under, p), content: readFileSync(p), mode: statSync(p).mode }];
  });
}

const skip = buildRic();

test('aws-lambda-ric 3.x packaged as provided.al2023 answers invocations and reports errors through our Runtime API', { skip: skip ?? false, timeout: 20 * 60_000 }, async () => {
  const pkg: ZipEntry[] = [
    { name: 'bootstrap', content: '#!/bin/sh\nexec node node_modules/aws-lambda-ric/bin/index.mjs "$_HANDLER"\n', mode: 0o100755 },
    { name: 'app.mjs', content: 'export const handler = async (event, context) => { if (event.fail) throw new RangeError("ric says no"); return { ric: true, event, fn: context.functionName }; };' },
    ...['bin', 'dist', 'package.json'].flatMap((p) => {
      const full = join(RIC, p);
      return statSync(full).isDirectory() ? files(full, join(RIC, '..', '..')) : [{ name: `node_modules/aws-lambda-ric/${p}`, content: readFileSync(full) }];
    }),
  ];
  const server = await startServer();
  try {
    const client = lambdaClient(server.url);
    await client.send(new CreateFunctionCommand({ FunctionName: 'ric', Runtime: 'provided.al2023', Role: ROLE, Handler: 'app.handler', Code: { ZipFile: await zip(pkg) } }));
    const ok = await client.send(new InvokeCommand({ FunctionName: 'ric', Payload: Buffer.from('{"x":1}') }));
    assert.equal(ok.FunctionError, undefined, Buffer.from(ok.Payload ?? []).toString());
    assert.deepEqual(JSON.parse(Buffer.from(ok.Payload!).toString()), { ric: true, event: { x: 1 }, fn: 'ric' });
    const bad = await client.send(new InvokeCommand({ FunctionName: 'ric', Payload: Buffer.from('{"fail":true}') }));
    assert.equal(bad.FunctionError, 'Unhandled');
    const err = JSON.parse(Buffer.from(bad.Payload!).toString());
    assert.equal(err.errorType, 'RangeError');
    assert.equal(err.errorMessage, 'ric says no');
  } finally {
    await server.stop();
    await removeServer(server);
  }
});
