// Compatibility: details of the Node.js runtime client (callbacks and the event loop, fatal errors, console, context).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { removeDir, startServer, type Running, removeServer } from '../helpers/server.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';

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
const invoke = (name: string, payload: unknown = {}, tail = false) =>
  client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), LogType: tail ? 'Tail' : undefined }));
const logOf = (r: { LogResult?: string }): string => Buffer.from(r.LogResult ?? '', 'base64').toString('utf8');

test('Node runtime: a callback waits for the empty event loop unless callbackWaitsForEmptyEventLoop is false', async () => {
  const src = `
let late = [];
exports.handler = (e, ctx, cb) => {
  const seen = late.slice();
  ctx.callbackWaitsForEmptyEventLoop = !e.noWait;
  setTimeout(() => late.push(e.tag), 30);
  cb(null, { seen });
};`;
  await createFunction(client, 'cb-loop', { 'index.js': src });
  // With waiting, the timer of invocation "a" ran before the response, so invocation "b" sees it.
  await invoke('cb-loop', { tag: 'a' });
  assert.deepEqual(json((await invoke('cb-loop', { tag: 'b' })).Payload).seen, ['a']);
  // Without waiting, the response goes first; the timer of "c" runs later (it is not lost: the process lives on).
  assert.deepEqual(json((await invoke('cb-loop', { tag: 'c', noWait: true })).Payload).seen, ['a', 'b']);
});

test('Node runtime: a non-async handler that never calls back answers null once its work is done', async () => {
  await createFunction(client, 'no-cb', { 'index.js': 'exports.handler = (e, ctx, cb) => { setTimeout(() => {}, 10); };' });
  const r = await invoke('no-cb');
  assert.equal(r.FunctionError, undefined);
  assert.equal(Buffer.from(r.Payload ?? []).toString(), 'null');
});

test('Node runtime: an uncaught exception fails the invocation with the error, and a fresh environment serves the next', async () => {
  const src = `let n = 0; exports.handler = async (e) => { n++; if (e.boom) setTimeout(() => { throw new RangeError('late boom'); }, 1); if (e.boom) await new Promise(r => setTimeout(r, 1000)); return n; };`;
  await createFunction(client, 'uncaught', { 'index.js': src });
  assert.equal(json((await invoke('uncaught')).Payload), 1);
  const r = await invoke('uncaught', { boom: true }, true);
  assert.equal(r.FunctionError, 'Unhandled');
  const body = json(r.Payload);
  assert.equal(body.errorType, 'RangeError');
  assert.equal(body.errorMessage, 'late boom');
  assert.match(logOf(r), /\tERROR\tUncaught Exception \t\{"errorType":"RangeError","errorMessage":"late boom"/);
  assert.equal(json((await invoke('uncaught')).Payload), 1, 'the crashed environment was replaced');
});

test('Node runtime: an unhandled rejection is Runtime.UnhandledPromiseRejection', async () => {
  await createFunction(client, 'unhandled', { 'index.js': 'exports.handler = async () => { Promise.reject(new Error("forgotten")); await new Promise(r => setTimeout(r, 200)); return 1; };' });
  const r = await invoke('unhandled');
  assert.equal(r.FunctionError, 'Unhandled');
  const body = json(r.Payload);
  assert.equal(body.errorType, 'Runtime.UnhandledPromiseRejection');
  assert.equal(body.errorMessage, 'Error: forgotten');
});

test('Node runtime: console levels carry AWS’s prefix, a multi-line message stays one log event, init logs say undefined', async () => {
  const src = `console.log('at init');
exports.handler = async () => { console.warn('careful'); console.error('bad', { a: 1 }); console.info('two\\nlines'); return 'ok'; };`;
  await createFunction(client, 'console', { 'index.js': src });
  const r = await invoke('console', {}, true);
  const log = logOf(r);
  const id = /START RequestId: (\S+)/.exec(log)?.[1];
  assert.ok(id);
  assert.match(log, new RegExp(`\\t${id}\\tWARN\\tcareful$`, 'm'));
  assert.match(log, new RegExp(`\\t${id}\\tERROR\\tbad \\{ a: 1 \\}$`, 'm'));
  assert.match(log, new RegExp(`\\t${id}\\tINFO\\ttwo\\nlines$`, 'm'));
  const filter = (pattern: string) =>
    fetch(`${server.url}/`, {
      method: 'POST',
      headers: { 'x-amz-target': 'Logs_20140328.FilterLogEvents', 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ logGroupName: '/aws/lambda/console', filterPattern: pattern }),
    }).then((res) => res.json() as Promise<{ events: { message: string }[] }>);
  const events = await filter('"two"');
  assert.equal(events.events.length, 1);
  assert.match(events.events[0]!.message, /two\nlines/);
  // Init-phase output is in the log stream (before START) with the request id AWS's runtime prints then: undefined.
  const init = await filter('"at init"');
  assert.match(init.events[0]?.message ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\tundefined\tINFO\tat init$/);
});

test('Node runtime: the JSON log format writes one JSON object per line and honours the level', async () => {
  await createFunction(client, 'jsonlog', { 'index.js': 'exports.handler = async () => { console.debug("hidden"); console.info("shown"); return 1; };' });
  await client.send(
    new (await import('@aws-sdk/client-lambda')).UpdateFunctionConfigurationCommand({ FunctionName: 'jsonlog', LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO' } }),
  );
  const r = await invoke('jsonlog', {}, true);
  const lines = logOf(r).split('\n').filter((l) => l.startsWith('{') && l.includes('"message"'));
  const shown = lines.map((l) => JSON.parse(l) as { level: string; message: string; requestId: string });
  assert.ok(shown.some((l) => l.level === 'INFO' && l.message === 'shown' && /^[0-9a-f-]{36}$/.test(l.requestId)), logOf(r));
  assert.ok(!shown.some((l) => l.message === 'hidden'));
});

test('Node runtime: legacy context.succeed and context.fail answer', async () => {
  await createFunction(client, 'legacy', { 'index.js': 'exports.handler = (e, ctx) => { ctx.callbackWaitsForEmptyEventLoop = false; e.fail ? ctx.fail(new Error("via fail")) : ctx.succeed({ via: "succeed" }); };' });
  assert.deepEqual(json((await invoke('legacy')).Payload), { via: 'succeed' });
  const r = await invoke('legacy', { fail: true });
  assert.equal(r.FunctionError, 'Unhandled');
  assert.equal(json(r.Payload).errorMessage, 'via fail');
});

test('Python runtime: init failures carry AWS’s error types and logging uses AWS’s line format', async () => {
  await createFunction(client, 'py-import', { 'other.py': '' }, { runtime: 'python3.12', handler: 'app.handler' });
  await createFunction(client, 'py-missing', { 'app.py': 'x = 1' }, { runtime: 'python3.12', handler: 'app.handler' });
  await createFunction(client, 'py-syntax', { 'app.py': 'def handler(e, c):\n  return 1 +\n' }, { runtime: 'python3.12', handler: 'app.handler' });
  for (const [name, type] of [['py-import', 'Runtime.ImportModuleError'], ['py-missing', 'Runtime.HandlerNotFound'], ['py-syntax', 'Runtime.UserCodeSyntaxError']]) {
    const r = await invoke(name!);
    assert.equal(r.FunctionError, 'Unhandled', name);
    assert.equal(json(r.Payload).errorType, type, name);
  }
  const src = 'import logging\nlogger = logging.getLogger()\nlogger.setLevel(logging.INFO)\ndef handler(e, c):\n    print("printed")\n    logger.info("logged %s", 1)\n    return c.aws_request_id\n';
  await createFunction(client, 'py-log', { 'app.py': src }, { runtime: 'python3.11', handler: 'app.handler' });
  const r = await invoke('py-log', {}, true);
  const id = json(r.Payload) as string;
  const log = logOf(r);
  assert.match(log, /^printed$/m);
  assert.match(log, new RegExp(`^\\[INFO\\]\\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${id}\\tlogged 1$`, 'm'));
});

test('Node runtime: allocating past the memory size ends the environment with Runtime.OutOfMemory; the next invoke works', async () => {
  const src = `let keep = []; exports.handler = async (e) => { if (e.hog) for (;;) keep.push(new Array(1e6).fill(Math.random())); return 'fine'; };`;
  await createFunction(client, 'hog', { 'index.js': src }, { memory: 128, timeout: 30 });
  const r = await invoke('hog', { hog: true });
  assert.equal(r.FunctionError, 'Unhandled');
  const body = json(r.Payload);
  assert.equal(body.errorType, 'Runtime.OutOfMemory');
  assert.match(body.errorMessage, /^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: signal: (aborted|killed)$/);
  assert.equal(json((await invoke('hog')).Payload), 'fine');
});

test('Node runtime: a streamifyResponse handler invoked synchronously answers with everything it wrote', async () => {
  const src = `exports.handler = awslambda.streamifyResponse(async (event, stream, ctx) => {
  stream.setContentType('text/plain');
  stream.write('hello ');
  await new Promise((r) => setTimeout(r, 20));
  stream.write(ctx.functionName);
  stream.end();
});`;
  await createFunction(client, 'streamer', { 'index.js': src });
  const r = await invoke('streamer');
  assert.equal(r.FunctionError, undefined);
  assert.equal(Buffer.from(r.Payload ?? []).toString(), 'hello streamer');
});
