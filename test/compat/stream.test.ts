// Compatibility: response streaming — InvokeWithResponseStream read by @aws-sdk/client-lambda's event-stream decoder,
// and function URLs in RESPONSE_STREAM mode delivering bytes to the client before the function finishes.
import { after, before, test } from 'node:test';
import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import { CreateFunctionUrlConfigCommand, InvokeWithResponseStreamCommand, type LambdaClient, UpdateFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import { removeDir, startServer, type Running, removeServer } from '../helpers/server.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { call } from '../fixtures/gateway/http.js';
import { NODE_STREAM } from '../fixtures/gateway/functions.js';

let server: Running;
let client: LambdaClient;

before(async () => {
  server = await startServer();
  client = lambdaClient(server.url);
  await createFunction(client, 'streamer', { 'index.js': NODE_STREAM }, { timeout: 10 });
  await createFunction(client, 'plain', { 'index.js': 'exports.handler = async (e) => ({ hello: e.who });' });
});
after(async () => {
  await server.stop();
  await removeServer(server);
});

interface Seen {
  chunks: { text: string; at: number }[];
  complete?: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string };
  endAt: number;
}

async function streamInvoke(name: string, payload: unknown, tail = false): Promise<Seen & { version?: string }> {
  const t0 = Date.now();
  const r = await client.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), LogType: tail ? 'Tail' : undefined }));
  const seen: Seen = { chunks: [], endAt: 0 };
  for await (const ev of r.EventStream!) {
    if (ev.PayloadChunk) seen.chunks.push({ text: Buffer.from(ev.PayloadChunk.Payload ?? []).toString('utf8'), at: Date.now() - t0 });
    if (ev.InvokeComplete) seen.complete = ev.InvokeComplete;
  }
  seen.endAt = Date.now() - t0;
  return { ...seen, version: r.ExecutedVersion };
}

test('InvokeWithResponseStream: the SDK reads PayloadChunk events as they are written, then InvokeComplete', async () => {
  await streamInvoke('streamer', {}); // warm: the timing below is about streaming, not a cold start
  const s = await streamInvoke('streamer', {}, true);
  assert.equal(s.version, '$LATEST');
  assert.equal(s.chunks.map((c) => c.text).join(''), 'first;second;done');
  assert.ok(s.complete, 'InvokeComplete arrived');
  assert.equal(s.complete.ErrorCode, undefined);
  assert.ok(s.complete.LogResult && Buffer.from(s.complete.LogResult, 'base64').toString().includes('REPORT'), 'Tail log in InvokeComplete');
  // The function sleeps 1.5 s between its first and second write: the first chunk must not wait for the end.
  assert.ok(s.chunks[0]!.at + 1000 < s.endAt, `first chunk at ${s.chunks[0]!.at} ms, end at ${s.endAt} ms`);
});

test('InvokeWithResponseStream: an error after the first chunk is reported in InvokeComplete', async () => {
  const s = await streamInvoke('streamer', { failMidway: true });
  assert.equal(s.chunks.map((c) => c.text).join(''), 'first;');
  assert.equal(s.complete?.ErrorCode, 'Error');
  assert.match(s.complete?.ErrorDetails ?? '', /broke after the first chunk/);
});

test('InvokeWithResponseStream: a buffered function arrives as one PayloadChunk; missing functions are AWS errors', async () => {
  const s = await streamInvoke('plain', { who: 'you' });
  assert.deepEqual(JSON.parse(s.chunks.map((c) => c.text).join('')), { hello: 'you' });
  assert.deepEqual(s.complete, {});
  await assert.rejects(client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'nope' })), { name: 'ResourceNotFoundException' });
  await assert.rejects(client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'plain', InvocationType: 'Event' as never })), { name: 'ValidationException' });
});

test('Function URLs: RESPONSE_STREAM sends the first bytes before the function finishes, with the prelude as status and headers', async () => {
  const c = await client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'streamer', AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' }));
  const id = new URL(c.FunctionUrl!).hostname.split('.')[0]!;
  const url = `${server.url}/lambda-url/${id}/s`;
  await call(url);
  const r = await call(url);
  assert.equal(r.status, 201);
  assert.equal(r.headers['x-streamed'], 'yes');
  assert.equal(r.headers['content-type'], 'text/plain');
  assert.deepEqual(r.headers['set-cookie'], ['a=1']);
  assert.equal(r.headers['transfer-encoding'], 'chunked');
  assert.equal(r.text, 'first;second;done');
  assert.ok(r.firstByteMs + 1000 < r.endMs, `first byte at ${r.firstByteMs} ms, end at ${r.endMs} ms`);
});

test('Function URLs: a BUFFERED URL in front of a streaming handler answers with its prelude once it is done', async () => {
  // $LATEST has one URL (AWS refuses `$LATEST` as a qualifier): the streaming one above becomes BUFFERED.
  const c = await client.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'streamer', InvokeMode: 'BUFFERED' }));
  const id = new URL(c.FunctionUrl!).hostname.split('.')[0]!;
  const r = await call(`${server.url}/lambda-url/${id}/`);
  assert.equal(r.status, 201);
  assert.equal(r.headers['x-streamed'], 'yes');
  assert.equal(r.text, 'first;second;done');
  assert.ok(r.firstByteMs > 1000, 'buffered: nothing before the end');
});

test("InvokeWithResponseStream: botocore (the AWS CLI's and boto3's core) decodes the same event stream", async () => {
  const py = `
import botocore.session, json, sys
c = botocore.session.get_session().create_client('lambda', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')
r = c.invoke_with_response_stream(FunctionName='plain', Payload=b'{"who":"boto"}')
events = []
for ev in r['EventStream']:
    for k, v in ev.items():
        events.append([k, v['Payload'].decode() if 'Payload' in v else v])
print(json.dumps({'version': r['ExecutedVersion'], 'events': events}))
`;
  const out = await new Promise<string>((resolve, reject) =>
    execFile('python3', ['-c', py, server.url], (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout))),
  );
  const r = JSON.parse(out) as { version: string; events: [string, unknown][] };
  assert.equal(r.version, '$LATEST');
  assert.deepEqual(r.events, [
    ['PayloadChunk', '{"hello":"boto"}'],
    ['InvokeComplete', {}],
  ]);
});
