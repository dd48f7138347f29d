// The authorization table covers every operation selfless serves: each botocore operation of each service is probed
// on a live server with a signed request, and every one the server does not answer as unknown must be mapped.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { authzTarget, KNOWN_OPERATIONS, MODELS, s3Operation, type ModelService } from '../../src/services/iam/actions/index.js';
import { signedHeaders } from '../../src/lib/sign.js';
import { liveServer, ROOT } from '../helpers/server.js';

const server = liveServer();
const scope = { region: 'us-east-1', account: '000000000000' };

/** The signing name of a model's requests (= its IAM prefix, except DynamoDB Streams, signed as dynamodb). */
const signingName = (m: ModelService): string => m.prefix;

async function send(m: ModelService, method: string, path: string, query: Record<string, string>, headers: Record<string, string>, body: string): Promise<{ status: number; text: string; type: string }> {
  const qs = new URLSearchParams(query).toString();
  const url = `${server().url}${path}${qs ? `?${qs}` : ''}`;
  const signed = await signedHeaders({
    method,
    url,
    service: signingName(m),
    region: 'us-east-1',
    headers: { ...headers, ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
    body: body || undefined,
    key: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const res = await fetch(url, { method, headers: signed, ...(body ? { body } : {}) });
  return { status: res.status, text: await res.text(), type: (res.headers.get('x-amzn-errortype') ?? '').split(':')[0]! };
}

/** True when the server answers the operation as one it does not know (the router's, the JSON dispatcher's or the query handlers' answer). */
async function served(m: ModelService, op: string): Promise<boolean> {
  if (m.protocol === 'json') {
    const r = await send(m, 'POST', '/', {}, { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${m.targetPrefix}.${op}` }, '{}');
    return !r.text.includes('UnknownOperationException');
  }
  if (m.protocol === 'query') {
    const r = await send(m, 'POST', '/', {}, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, `Action=${op}&Version=${m.version}`);
    return !/<Code>InvalidAction<\/Code>/.test(r.text);
  }
  // rest-json: the model's method and URI, every label filled in.
  const [method, uri] = m.ops[op]!.split(' ') as [string, string];
  const [rawPath, rawQuery] = uri.split('?') as [string, string | undefined];
  const path = rawPath.replace(/\{[^}]+\}/g, 'probe');
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQuery ?? '')) query[k] = v;
  const r = await send(m, method, path, query, { 'content-type': 'application/json' }, method === 'GET' || method === 'HEAD' || method === 'DELETE' ? '' : '{}');
  return !(r.type === 'UnknownOperationException' || r.text.includes('UnknownOperationException') || r.status === 405);
}

test('IAM actions: every operation the live server serves (JSON targets, query actions, rest routes) maps to an action and resources', async () => {
  const missing: string[] = [];
  const found = new Map<string, number>();
  for (const m of MODELS.filter((x) => x.protocol !== 'rest-xml')) {
    for (const op of Object.keys(m.ops)) {
      if (!(await served(m, op))) continue;
      found.set(m.model, (found.get(m.model) ?? 0) + 1);
      if (process.env['IAM_ACTIONS_DEBUG']) console.log(`served ${m.prefix} ${op}`);
      const t = authzTarget(m.prefix, op, {}, scope);
      if (!t.mapped || !t.action.includes(':') || t.resources.length === 0) missing.push(`${m.prefix}:${op}`);
    }
  }
  if (process.env['IAM_ACTIONS_DEBUG']) console.log(JSON.stringify([...found]));
  assert.deepEqual(missing, []);
  // The probe itself must see the services selfless serves (a probe that finds nothing proves nothing).
  for (const model of ['lambda', 'sqs', 'sns', 'stepfunctions', 'events', 'scheduler', 'pipes', 'logs', 'kinesis', 'dynamodb', 'dynamodbstreams', 'kms', 'ssm', 'secretsmanager', 'cloudformation']) {
    assert.ok((found.get(model) ?? 0) > 0, `no served operation found for ${model}`);
  }
  assert.ok((found.get('lambda') ?? 0) >= 50, `only ${found.get('lambda')} Lambda operations answered`);
});

test('IAM actions: every S3 operation the door dispatches, for each request shape of the S3 model, is in the table', () => {
  const s3 = MODELS.find((m) => m.model === 's3')!;
  const seen = new Set<string>();
  for (const [op, http] of Object.entries(s3.ops)) {
    const [method, uri] = http.split(' ') as [string, string];
    const [rawPath, rawQuery] = uri.split('?') as [string, string | undefined];
    const hasKey = rawPath.includes('{Key+}');
    const query = new URLSearchParams(rawQuery ?? '');
    if (/^(UploadPart|UploadPartCopy|CompleteMultipartUpload|AbortMultipartUpload|ListParts)$/.test(op)) query.set('uploadId', 'u');
    const copy = op === 'CopyObject' || op === 'UploadPartCopy';
    const got = s3Operation(method, rawPath === '/' ? undefined : 'b', hasKey ? 'k' : undefined, query, (n) => (copy && n === 'x-amz-copy-source' ? 'src/k' : undefined));
    if (got === undefined) continue;
    seen.add(got);
    const t = authzTarget('s3', got, { Bucket: 'b', Key: 'k' }, scope);
    assert.ok(t.mapped, `${got} (from ${op}) is not mapped`);
  }
  // The operations the door serves come out under their own names.
  for (const op of ['ListBuckets', 'CreateBucket', 'HeadBucket', 'ListObjectsV2', 'ListObjectVersions', 'PutObject', 'CopyObject', 'GetObject', 'HeadObject', 'DeleteObjects', 'UploadPartCopy', 'CompleteMultipartUpload', 'PutBucketNotificationConfiguration', 'GetBucketCors', 'DeleteObjectTagging']) {
    assert.ok(seen.has(op), `${op} not dispatched`);
  }
});

/** Source files under src/services with rest routes (`op:`, `method:`, `path:` literals). */
function routeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...routeFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('IAM actions: every rest route op named in the services\' source is in the table', () => {
  const ops = new Set<string>();
  for (const f of routeFiles(join(ROOT, 'src', 'services'))) {
    const text = readFileSync(f, 'utf8');
    if (!/method: '(GET|PUT|POST|DELETE|HEAD|PATCH)'/.test(text)) continue;
    for (const m of text.matchAll(/op: '(\w+)'/g)) ops.add(m[1]!);
  }
  assert.ok(ops.size > 60, `only ${ops.size} route ops found`);
  const unknown = [...ops].filter((op) => ![...KNOWN_OPERATIONS.values()].some((s) => s.has(op)));
  assert.deepEqual(unknown, []);
});
