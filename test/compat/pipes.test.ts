// EventBridge Pipes' control plane against a live server, with SigV4-signed rest-json requests (no client-pipes here).
import { strict as assert } from 'node:assert';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import { liveServer } from '../helpers/server.js';

const server = liveServer();

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): string | Buffer => (typeof d === 'string' ? d : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d));

class Sha256 {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(d: SourceData): void {
    this.h.update(bytes(d));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}
const signer = new SignatureV4({ service: 'pipes', region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, sha256: Sha256 });

/** One signed call: the status and the parsed JSON answer. */
async function call(method: string, path: string, body?: unknown, query: Record<string, string> = {}): Promise<{ status: number; type: string; json: Record<string, any> }> {
  const url = new URL(server().url);
  const text = body === undefined ? '' : JSON.stringify(body);
  const signed = await signer.sign({
    method,
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path,
    query,
    headers: { host: url.host, 'content-type': 'application/json', ...(text ? { 'content-length': String(Buffer.byteLength(text)) } : {}) },
    body: text || undefined,
  });
  const qs = new URLSearchParams(query).toString();
  const res = await fetch(`${server().url}${path}${qs ? `?${qs}` : ''}`, { method, headers: signed.headers as Record<string, string>, ...(text ? { body: text } : {}) });
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
