// Compatibility: synchronous Invoke of Node, Python and provided functions through @aws-sdk/client-lambda.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ROOT, removeDir, startServer, type Running, removeServer } from '../helpers/server.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { ROLE } from '../helpers/lambda.js';

let server: Running;
let client: LambdaClient;

before(async () => {
  server = await startServer({ args: ['--idle-timeout', '2'] });
  client = lambdaClient(server.url);
});
after(async () => {
  await server.stop();
  await removeServer(server);
});

const text = (b?: Uint8Array): string => Buffer.from(b ?? []).toString('utf8');
const json = (b?: Uint8Array): any => JSON.parse(text(b));
const invoke = (name: string, payload: unknown = {}, extra: Partial<ConstructorParameters<typeof InvokeCommand>[0]> = {}) =>
  client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), ...extra }));

const NODE_CJS = `
let count = 0;
exports.handler = async (event, context) => {
  count++;
  console.log('hello from', context.functionName);
  return {
    event, count,
    ctx: { requestId: context.awsRequestId, name: context.functionName, version: context.functionVersion, arn: context.invokedFunctionArn,
           memory: context.memoryLimitInMB, group: context.logGroupName, stream: context.logStreamName, remaining: context.getRemainingTimeInMillis(),
           clientContext: context.clientContext },
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(AWS_|LAMBDA_|_HANDLER|TZ$|MY_VAR)/.test(k))),
  };
};`;

test('Invoke: a CommonJS Node handler gets the event, AWS context and AWS environment; module state survives warm invokes', async () => {
  await createFunction(client, 'node-cjs', { 'index.js': NODE_CJS }, { memory: 256, timeout: 7, env: { MY_VAR: 'mine' } });
  const r1 = await invoke('node-cjs', { a: 1 });
  assert.equal(r1.StatusCode, 200);
  assert.equal(r1.FunctionError, undefined);
  assert.equal(r1.ExecutedVersion, '$LATEST');
  const out = json(r1.Payload);
  assert.deepEqual(out.event, { a: 1 });
  assert.equal(out.count, 1);
  assert.equal(out.ctx.name, 'node-cjs');
  assert.equal(out.ctx.version, '$LATEST');
  assert.equal(out.ctx.arn, 'arn:aws:lambda:us-east-1:000000000000:function:node-cjs');
  assert.equal(String(out.ctx.memory), '256');
  assert.equal(out.ctx.group, '/aws/lambda/node-cjs');
  assert.match(out.ctx.stream, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
  assert.ok(out.ctx.remaining > 5000 && out.ctx.remaining <= 7000, `remaining ${out.ctx.remaining}`);
  const env = out.env as Record<string, string>;
  assert.equal(env['AWS_LAMBDA_FUNCTION_NAME'], 'node-cjs');
  assert.equal(env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'], '256');
  assert.equal(env['AWS_LAMBDA_FUNCTION_VERSION'], '$LATEST');
  assert.equal(env['AWS_LAMBDA_LOG_GROUP_NAME'], '/aws/lambda/node-cjs');
  assert.equal(env['AWS_LAMBDA_LOG_STREAM_NAME'], out.ctx.stream);
  assert.equal(env['AWS_REGION'], 'us-east-1');
  assert.equal(env['AWS_DEFAULT_REGION'], 'us-east-1');
  assert.equal(env['AWS_EXECUTION_ENV'], 'AWS_Lambda_nodejs20.x');
  assert.equal(env['AWS_LAMBDA_INITIALIZATION_TYPE'], 'on-demand');
  assert.match(env['AWS_LAMBDA_RUNTIME_API']!, /^127\.0\.0\.1:\d+$/);
  assert.ok(env['LAMBDA_TASK_ROOT']);
  assert.ok(env['LAMBDA_RUNTIME_DIR']);
  assert.equal(env['_HANDLER'], 'index.handler');
  assert.equal(env['TZ'], ':UTC');
  assert.equal(env['AWS_ENDPOINT_URL'], server.url);
  assert.equal(env['MY_VAR'], 'mine');
  const r2 = await invoke('node-cjs', { a: 2 });
  assert.equal(json(r2.Payload).count, 2, 'the same environment served the second invoke');
});

test('Invoke: ES modules (.mjs and "type": "module" with top-level await) and .cjs handlers answer', async () => {
  await createFunction(client, 'node-mjs', { 'app.mjs': 'export const handler = async (e) => ({ kind: "mjs", e });' }, { handler: 'app.handler' });
  await createFunction(client, 'node-esm', { 'package.json': '{"type":"module"}', 'index.js': 'const v = await Promise.resolve(42);\nexport const handler = async () => ({ kind: "esm", v });' });
  await createFunction(client, 'node-cjs2', { 'lib/h.cjs': 'module.exports.nested = { fn: async () => ({ kind: "cjs" }) };' }, { handler: 'lib/h.nested.fn' });
  assert.deepEqual(json((await invoke('node-mjs', { x: 1 })).Payload), { kind: 'mjs', e: { x: 1 } });
  assert.deepEqual(json((await invoke('node-esm')).Payload), { kind: 'esm', v: 42 });
  assert.deepEqual(json((await invoke('node-cjs2')).Payload), { kind: 'cjs' });
});

test('Invoke: a callback handler answers through its callback', async () => {
  await createFunction(client, 'node-cb', { 'index.js': 'exports.handler = (e, ctx, cb) => { setTimeout(() => cb(null, { via: "callback" }), 5); };' });
  assert.deepEqual(json((await invoke('node-cb')).Payload), { via: 'callback' });
});

test('Invoke: a thrown error is 200 with X-Amz-Function-Error Unhandled and AWS’s error body', async () => {
  await createFunction(client, 'node-throw', { 'index.js': 'exports.handler = async () => { const e = new TypeError("bad thing"); throw e; };' });
  const r = await invoke('node-throw');
  assert.equal(r.StatusCode, 200);
  assert.equal(r.FunctionError, 'Unhandled');
  const body = json(r.Payload);
  assert.equal(body.errorType, 'TypeError');
  assert.equal(body.errorMessage, 'bad thing');
  assert.ok(Array.isArray(body.trace) && body.trace[0].startsWith('TypeError: bad thing'));
});

test('Invoke: init failures are reported with AWS’s error types', async () => {
  await createFunction(client, 'init-import', { 'other.js': '' });
  await createFunction(client, 'init-missing', { 'index.js': 'exports.other = 1;' });
  await createFunction(client, 'init-syntax', { 'index.js': 'exports.handler = async () => { return 1 +; };' });
  const cases: [string, string][] = [
    ['init-import', 'Runtime.ImportModuleError'],
    ['init-missing', 'Runtime.HandlerNotFound'],
    ['init-syntax', 'Runtime.UserCodeSyntaxError'],
  ];
  for (const [name, type] of cases) {
    const r = await invoke(name);
    assert.equal(r.FunctionError, 'Unhandled', name);
    assert.equal(json(r.Payload).errorType, type, name);
  }
});

test('Invoke: a timeout is enforced with AWS’s message and the timed-out environment is never reused', async () => {
  await createFunction(client, 'slow', { 'index.js': 'let n = 0; exports.handler = async (e) => { n++; if (e.wait) await new Promise(r => setTimeout(r, e.wait)); return n; };' }, { timeout: 1 });
  assert.equal(json((await invoke('slow', {})).Payload), 1);
  const t = performance.now();
  const r = await invoke('slow', { wait: 5000 }, { LogType: 'Tail' });
  const took = performance.now() - t;
  assert.ok(took >= 1000 && took < 2500, `timed out after ${took} ms`);
  assert.equal(r.FunctionError, 'Unhandled');
  const body = json(r.Payload);
  assert.equal(body.errorType, 'Sandbox.Timedout');
  assert.match(body.errorMessage, /^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds$/);
  assert.match(Buffer.from(r.LogResult!, 'base64').toString(), /Task timed out after 1\.00 seconds/);
  assert.equal(json((await invoke('slow', {})).Payload), 1, 'a fresh environment (module state reset)');
});

test('Invoke: a crashing runtime is Runtime.ExitError with the exit status, and the next invoke works', async () => {
  await createFunction(client, 'crash', { 'index.js': 'exports.handler = async (e) => { if (e.crash) process.exit(3); return "alive"; };' });
  const r = await invoke('crash', { crash: true });
  assert.equal(r.FunctionError, 'Unhandled');
  const body = json(r.Payload);
  assert.equal(body.errorType, 'Runtime.ExitError');
  assert.match(body.errorMessage, /Runtime exited with error: exit status 3$/);
  assert.equal(json((await invoke('crash', {})).Payload), 'alive');
});

test('Invoke: Tail returns the last 4 KB of the log with START, END and REPORT; client context reaches the function', async () => {
  await createFunction(client, 'tail', { 'index.js': 'exports.handler = async (e, c) => { console.log("line for", c.awsRequestId); return c.clientContext; };' });
  const cc = { custom: { who: 'test' }, env: { platform: 'node' } };
  const r = await invoke('tail', {}, { LogType: 'Tail', ClientContext: Buffer.from(JSON.stringify(cc)).toString('base64') });
  assert.deepEqual(json(r.Payload).custom, { who: 'test' });
  const log = Buffer.from(r.LogResult!, 'base64').toString();
  assert.match(log, /^START RequestId: ([0-9a-f-]{36}) Version: \$LATEST$/m);
  assert.match(log, /\tINFO\tline for [0-9a-f-]{36}/);
  assert.match(log, /^END RequestId: [0-9a-f-]{36}$/m);
  assert.match(log, /^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\t/m);
});

test('Invoke: payload limits and JSON checks are AWS’s; DryRun is 204', async () => {
  await createFunction(client, 'limits', { 'index.js': 'exports.handler = async (e) => e.big ? "x".repeat(7 * 1024 * 1024) : "small";' });
  const big = await fetch(`${server.url}/2015-03-31/functions/limits/invocations`, { method: 'POST', body: JSON.stringify({ pad: 'x'.repeat(6_300_000) }) });
  assert.equal(big.status, 413);
  assert.equal(big.headers.get('x-amzn-errortype'), 'RequestTooLargeException');
  const tooBigResponse = await invoke('limits', { big: true });
  assert.equal(tooBigResponse.FunctionError, 'Unhandled');
  assert.equal(json(tooBigResponse.Payload).errorType, 'Function.ResponseSizeTooLarge');
  const notJson = await fetch(`${server.url}/2015-03-31/functions/limits/invocations`, { method: 'POST', body: '{oops' });
  assert.equal(notJson.status, 400);
  assert.equal(notJson.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
  const dry = await invoke('limits', {}, { InvocationType: 'DryRun' });
  assert.equal(dry.StatusCode, 204);
  const missing = await invoke('no-such-fn').catch((e: { name: string }) => e);
  assert.equal((missing as { name: string }).name, 'ResourceNotFoundException');
});

test('Invoke: 800 invocations at concurrency 16 all return their own correct result', async () => {
  await createFunction(client, 'many', { 'index.js': 'exports.handler = async (e) => ({ n: e.n * 2 });' });
  let next = 0;
  let ok = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < 800) {
        const n = next++;
        const r = await invoke('many', { n });
        if (!r.FunctionError && json(r.Payload).n === n * 2) ok++;
      }
    }),
  );
  assert.equal(ok, 800);
});

test('Invoke: a Python function gets AWS’s context and reports errors in the Python shape', async () => {
  const py = [
    'import os',
    'def handler(event, context):',
    '    if event.get("fail"):',
    '        raise ValueError("nope")',
    '    return {"event": event, "name": context.function_name, "arn": context.invoked_function_arn,',
    '            "mem": context.memory_limit_in_mb, "rid": context.aws_request_id, "left": context.get_remaining_time_in_millis(),',
    '            "env": os.environ.get("AWS_EXECUTION_ENV")}',
  ].join('\n');
  await createFunction(client, 'py', { 'app.py': py }, { runtime: 'python3.12', handler: 'app.handler' });
  const ok = json((await invoke('py', { a: 1 })).Payload);
  assert.deepEqual(ok.event, { a: 1 });
  assert.equal(ok.name, 'py');
  assert.equal(ok.arn, 'arn:aws:lambda:us-east-1:000000000000:function:py');
  assert.equal(String(ok.mem), '128');
  assert.equal(ok.env, 'AWS_Lambda_python3.12');
  assert.ok(ok.left > 0 && ok.left <= 3000);
  const bad = await invoke('py', { fail: true });
  assert.equal(bad.FunctionError, 'Unhandled');
  const err = json(bad.Payload);
  assert.equal(err.errorType, 'ValueError');
  assert.equal(err.errorMessage, 'nope');
  assert.ok(Array.isArray(err.stackTrace));
});

test('Invoke: AWS’s shell-script custom runtime tutorial runs unchanged as provided.al2023', async () => {
  const dir = join(ROOT, 'test', 'fixtures', 'functions', 'shell-tutorial');
  const code = await zip([
    { name: 'bootstrap', content: readFileSync(join(dir, 'bootstrap')), mode: 0o100755 },
    { name: 'function.sh', content: readFileSync(join(dir, 'function.sh')) },
  ]);
  await client.send(new CreateFunctionCommand({ FunctionName: 'shell', Runtime: 'provided.al2023', Role: ROLE, Handler: 'function.handler', Code: { ZipFile: code } }));
  const r = await invoke('shell', { text: 'Hello' });
  assert.equal(r.FunctionError, undefined);
  assert.equal(text(r.Payload), `Echoing request: '{"text":"Hello"}'`);
});

test('Invoke: idle environments are reaped after the idle timeout (the next invoke is cold)', async () => {
  await createFunction(client, 'reaped', { 'index.js': 'let n = 0; exports.handler = async () => ++n;' });
  assert.equal(json((await invoke('reaped')).Payload), 1);
  assert.equal(json((await invoke('reaped')).Payload), 2);
  await new Promise((r) => setTimeout(r, 4500));
  assert.equal(json((await invoke('reaped')).Payload), 1);
});
