// EventBridge Pipes' control plane against a live server, with SigV4-signed rest-json requests (no client-pipes here).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { signedHeaders } from '../../src/lib/sign.js';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { liveServer } from '../helpers/server.js';
import { sqsClient } from '../helpers/sqs.js';

const server = liveServer();

/** One signed call: the status and the parsed JSON answer. */
async function call(method: string, path: string, body?: unknown, query: Record<string, string> = {}): Promise<{ status: number; type: string; json: Record<string, any> }> {
  const text = body === undefined ? '' : JSON.stringify(body);
  const qs = new URLSearchParams(query).toString();
  const url = `${server().url}${path}${qs ? `?${qs}` : ''}`;
  const signed = await signedHeaders({
    method,
    url,
    service: 'pipes',
    region: 'us-east-1',
    headers: { 'content-type': 'application/json', ...(text ? { 'content-length': String(Buffer.byteLength(text)) } : {}) },
    body: text || undefined,
    key: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const res = await fetch(url, { method, headers: signed, ...(text ? { body: text } : {}) });
  const raw = await res.text();
  return { status: res.status, type: (res.headers.get('x-amzn-errortype') ?? '').split(':')[0]!, json: raw ? (JSON.parse(raw) as Record<string, any>) : {} };
}
const errorOf = (r: { type: string }): string => r.type;

const SRC = 'arn:aws:sqs:us-east-1:000000000000:pipe-src';
const TGT = 'arn:aws:sqs:us-east-1:000000000000:pipe-tgt';
const ROLE = 'arn:aws:iam::000000000000:role/pipe-role';

test('Pipes: CreatePipe answers CREATING, DescribePipe shows it RUNNING with its settings and tags, ListPipes filters by prefix', async () => {
  const c = await call('POST', '/v1/pipes/orders', { Source: SRC, Target: TGT, RoleArn: ROLE, Description: 'd', SourceParameters: { SqsQueueParameters: { BatchSize: 5 } }, Tags: { team: 'a' } });
  assert.equal(c.status, 200);
  assert.equal(c.json['CurrentState'], 'CREATING');
  assert.equal(c.json['DesiredState'], 'RUNNING');
  assert.match(c.json['Arn'], /^arn:aws:pipes:us-east-1:\d{12}:pipe\/orders$/);
  assert.equal(typeof c.json['CreationTime'], 'number');
  const d = await call('GET', '/v1/pipes/orders');
  assert.equal(d.status, 200);
  assert.equal(d.json['CurrentState'], 'RUNNING');
  assert.equal(d.json['Source'], SRC);
  assert.equal(d.json['Target'], TGT);
  assert.equal(d.json['Description'], 'd');
  assert.deepEqual(d.json['SourceParameters'], { SqsQueueParameters: { BatchSize: 5 } });
  assert.deepEqual(d.json['Tags'], { team: 'a' });
  await call('POST', '/v1/pipes/other', { Source: SRC, Target: TGT, RoleArn: ROLE, DesiredState: 'STOPPED' });
  const l = await call('GET', '/v1/pipes', undefined, { NamePrefix: 'ord' });
  assert.deepEqual(l.json['Pipes'].map((p: any) => [p.Name, p.CurrentState, p.Source]), [['orders', 'RUNNING', SRC]]);
  const stopped = await call('GET', '/v1/pipes', undefined, { DesiredState: 'STOPPED' });
  assert.deepEqual(stopped.json['Pipes'].map((p: any) => p.Name), ['other']);
  const paged = await call('GET', '/v1/pipes', undefined, { Limit: '1' });
  assert.equal(paged.json['Pipes'].length, 1);
  const next = await call('GET', '/v1/pipes', undefined, { Limit: '1', NextToken: paged.json['NextToken'] });
  assert.notEqual(next.json['Pipes'][0].Name, paged.json['Pipes'][0].Name);
});

test('Pipes: StopPipe and StartPipe answer STOPPING / STARTING and the pipe settles STOPPED / RUNNING', async () => {
  await call('POST', '/v1/pipes/toggle', { Source: SRC, Target: TGT, RoleArn: ROLE });
  const s = await call('POST', '/v1/pipes/toggle/stop');
  assert.deepEqual([s.status, s.json['CurrentState'], s.json['DesiredState']], [200, 'STOPPING', 'STOPPED']);
  assert.equal((await call('GET', '/v1/pipes/toggle')).json['CurrentState'], 'STOPPED');
  const r = await call('POST', '/v1/pipes/toggle/start');
  assert.deepEqual([r.json['CurrentState'], r.json['DesiredState']], ['STARTING', 'RUNNING']);
  assert.equal((await call('GET', '/v1/pipes/toggle')).json['CurrentState'], 'RUNNING');
});

test('Pipes: UpdatePipe keeps the source, replaces the given settings and answers UPDATING; DeletePipe answers DELETING and removes it', async () => {
  await call('POST', '/v1/pipes/upd', { Source: SRC, Target: TGT, RoleArn: ROLE, Description: 'first' });
  const u = await call('PUT', '/v1/pipes/upd', { RoleArn: ROLE, Target: 'arn:aws:lambda:us-east-1:000000000000:function:fn', DesiredState: 'STOPPED' });
  assert.deepEqual([u.status, u.json['CurrentState'], u.json['DesiredState']], [200, 'UPDATING', 'STOPPED']);
  const d = await call('GET', '/v1/pipes/upd');
  assert.deepEqual([d.json['Source'], d.json['Target'], d.json['Description'], d.json['CurrentState']], [SRC, 'arn:aws:lambda:us-east-1:000000000000:function:fn', 'first', 'STOPPED']);
  const del = await call('DELETE', '/v1/pipes/upd');
  assert.deepEqual([del.status, del.json['CurrentState']], [200, 'DELETING']);
  const gone = await call('GET', '/v1/pipes/upd');
  assert.deepEqual([gone.status, errorOf(gone), gone.json['message'] ?? gone.json['Message']], [404, 'NotFoundException', 'Pipe upd does not exist.']);
});

test('Pipes: a second pipe of one name is a ConflictException; unknown pipes are NotFoundException on every operation', async () => {
  await call('POST', '/v1/pipes/dup', { Source: SRC, Target: TGT, RoleArn: ROLE });
  const again = await call('POST', '/v1/pipes/dup', { Source: SRC, Target: TGT, RoleArn: ROLE });
  assert.deepEqual([again.status, errorOf(again)], [409, 'ConflictException']);
  assert.equal(again.json['message'] ?? again.json['Message'], 'Pipe dup already exists.');
  for (const [m, p] of [['GET', '/v1/pipes/none'], ['DELETE', '/v1/pipes/none'], ['POST', '/v1/pipes/none/start'], ['POST', '/v1/pipes/none/stop']] as const) {
    const r = await call(m, p);
    assert.deepEqual([r.status, errorOf(r)], [404, 'NotFoundException'], `${m} ${p}`);
  }
  const u = await call('PUT', '/v1/pipes/none', { RoleArn: ROLE });
  assert.deepEqual([u.status, errorOf(u)], [404, 'NotFoundException']);
});

test('Pipes: bad input is a ValidationException in AWS words (name pattern, missing members, enum, batch size)', async () => {
  const bad = async (path: string, b: unknown): Promise<string> => {
    const r = await call('POST', path, b);
    assert.deepEqual([r.status, errorOf(r)], [400, 'ValidationException'], JSON.stringify(r.json));
    return String(r.json['message'] ?? r.json['Message']);
  };
  assert.equal(await bad('/v1/pipes/bad%21name', { Source: SRC, Target: TGT, RoleArn: ROLE }), "1 validation error detected: Value 'bad!name' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+");
  assert.match(await bad('/v1/pipes/x', { Target: TGT, RoleArn: ROLE }), /Value null at 'Source' failed to satisfy constraint: Member must not be null/);
  assert.match(await bad('/v1/pipes/x', { Source: SRC, Target: TGT }), /at 'RoleArn' failed to satisfy constraint: Member must not be null/);
  assert.match(await bad('/v1/pipes/x', { Source: SRC, Target: TGT, RoleArn: ROLE, DesiredState: 'PAUSED' }), /Member must satisfy enum value set: \[RUNNING, STOPPED\]/);
  assert.match(await bad('/v1/pipes/x', { Source: SRC, Target: TGT, RoleArn: ROLE, SourceParameters: { SqsQueueParameters: { BatchSize: 0 } } }), /Member must have value between 1 and 10000/);
  assert.equal((await call('GET', '/v1/pipes/x')).status, 404);
});

/** A queue and its ARN. */
async function queue(name: string): Promise<{ url: string; arn: string }> {
  const sqs = sqsClient(server().url);
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '2' } }))).QueueUrl!;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
  return { url, arn };
}

/** Every message the queue receives (and deletes) within `ms` (or until `count` arrived). */
async function drain(url: string, count: number, ms = 8000): Promise<string[]> {
  const sqs = sqsClient(server().url);
  const out: string[] = [];
  const until = Date.now() + ms;
  while (out.length < count && Date.now() < until) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of r.Messages ?? []) {
      out.push(m.Body!);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
  return out;
}

test('Pipes: SQS → pipe with a filter → SQS moves the matching records (as AWS records, or through InputTemplate) and deletes the rest', async () => {
  const sqs = sqsClient(server().url);
  const [src, dst] = [await queue('rt-src'), await queue('rt-dst')];
  const c = await call('POST', '/v1/pipes/rt', {
    Source: src.arn,
    Target: dst.arn,
    RoleArn: ROLE,
    SourceParameters: { SqsQueueParameters: { BatchSize: 10 }, FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ body: { kind: ['order'] } }) }] } },
  });
  assert.equal(c.status, 200);
  await sqs.send(new SendMessageCommand({ QueueUrl: src.url, MessageBody: JSON.stringify({ kind: 'order', id: 1 }) }));
  await sqs.send(new SendMessageCommand({ QueueUrl: src.url, MessageBody: JSON.stringify({ kind: 'noise', id: 2 }) }));
  const got = await drain(dst.url, 1);
  assert.equal(got.length, 1);
  const rec = JSON.parse(got[0]!) as Record<string, unknown>;
  assert.equal(rec['eventSource'], 'aws:sqs');
  assert.equal(rec['eventSourceARN'], src.arn);
  assert.deepEqual(JSON.parse(rec['body'] as string), { kind: 'order', id: 1 });
  // The filtered-out record was deleted, not left for a redelivery: the source is empty.
  await new Promise((r) => setTimeout(r, 2500));
  const left = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: src.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  assert.deepEqual([left.Attributes!['ApproximateNumberOfMessages'], left.Attributes!['ApproximateNumberOfMessagesNotVisible']], ['0', '0']);
  // InputTemplate shapes what the target gets.
  const u = await call('PUT', '/v1/pipes/rt', { RoleArn: ROLE, TargetParameters: { InputTemplate: '{"order": <$.body.id>, "from": "<$.eventSource>"}' } });
  assert.equal(u.status, 200);
  await sqs.send(new SendMessageCommand({ QueueUrl: src.url, MessageBody: JSON.stringify({ kind: 'order', id: 7 }) }));
  assert.deepEqual((await drain(dst.url, 1)).map((b) => JSON.parse(b)), [{ order: 7, from: 'aws:sqs' }]);
});

test('Pipes: a stopped pipe moves nothing and moves what waited once started again', async () => {
  const sqs = sqsClient(server().url);
  const [src, dst] = [await queue('stop-src'), await queue('stop-dst')];
  await call('POST', '/v1/pipes/stoppable', { Source: src.arn, Target: dst.arn, RoleArn: ROLE });
  await sqs.send(new SendMessageCommand({ QueueUrl: src.url, MessageBody: 'one' }));
  assert.equal((await drain(dst.url, 1)).length, 1);
  assert.equal((await call('POST', '/v1/pipes/stoppable/stop')).status, 200);
  await new Promise((r) => setTimeout(r, 500));
  await sqs.send(new SendMessageCommand({ QueueUrl: src.url, MessageBody: 'two' }));
  assert.deepEqual(await drain(dst.url, 1, 3000), []);
  await call('POST', '/v1/pipes/stoppable/start');
  assert.deepEqual((await drain(dst.url, 1)).map((b) => (JSON.parse(b) as { body: string }).body), ['two']);
});

test('Pipes: a Lambda target is invoked with the batch as an array of SQS records, and the batch is deleted once it succeeded', async () => {
  const sqs = sqsClient(server().url);
  const src = await queue('fn-src');
  // The function succeeds only on the event Pipes sends: an array of SQS records (functions cannot write the host's files).
  const code = `exports.handler = async (e) => { if (!Array.isArray(e) || e.length !== 1 || e[0].eventSource !== 'aws:sqs' || e[0].body !== 'hello') throw new Error('bad event ' + JSON.stringify(e)); return 'ok'; };`;
  await createFunction(lambdaClient(server().url), 'pipe-fn', { 'index.js': code });
  await call('POST', '/v1/pipes/to-fn', { Source: src.arn, Target: 'arn:aws:lambda:us-east-1:000000000000:function:pipe-fn', RoleArn: ROLE });
  await sqs.send(new SendMessageCommand({ QueueUrl: src.url, MessageBody: 'hello' }));
  const counts = async (): Promise<string[]> => {
    const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: src.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes!;
    return [a['ApproximateNumberOfMessages']!, a['ApproximateNumberOfMessagesNotVisible']!];
  };
  let c = await counts();
  for (let i = 0; i < 100 && c.join() !== '0,0'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    c = await counts();
  }
  assert.deepEqual(c, ['0', '0'], server().output().split('\n').filter((l) => /pipe/i.test(l)).join('\n'));
  assert.doesNotMatch(server().output(), /pipe to-fn: target .* failed/);
});

test('Pipes: a failing Lambda target leaves the batch in the source queue for a retry', async () => {
  const sqs = sqsClient(server().url);
  const src = await queue('fail-src');
  await createFunction(lambdaClient(server().url), 'pipe-fail', { 'index.js': `exports.handler = async () => { throw new Error('nope'); };` });
  await call('POST', '/v1/pipes/to-fail', { Source: src.arn, Target: 'arn:aws:lambda:us-east-1:000000000000:function:pipe-fail', RoleArn: ROLE });
  await sqs.send(new SendMessageCommand({ QueueUrl: src.url, MessageBody: 'keep me' }));
  for (let i = 0; i < 100 && !/pipe to-fail: target .* failed/.test(server().output()); i++) await new Promise((r) => setTimeout(r, 100));
  await call('POST', '/v1/pipes/to-fail/stop');
  await new Promise((r) => setTimeout(r, 2500));
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: src.url, WaitTimeSeconds: 2 }));
  assert.deepEqual(got.Messages?.map((m) => m.Body), ['keep me']);
});
