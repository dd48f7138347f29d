// Fuzzing: model-generated bad requests to Lambda, SQS, Step Functions, Logs and EventBridge, malformed HTTP over a
// raw socket, and the corpus of past failures; none may get a 5xx, a dropped connection or an error without AWS's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { MODELS } from '../../src/server/shapes/index.js';
import type { ServiceShapes } from '../../src/server/shapes/types.js';
import { judge, mutations, SERVICE_ERRORS, restPath, send, type FuzzRequest, type Known } from '../helpers/fuzz.js';
import { liveServer, ROOT } from '../helpers/server.js';
import { ROLE } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';

const server = liveServer();
/** Mutations per operation beyond the fixed ones (whole-body, missing required, extra member). */
const PER_OP = Number(process.env['FUZZ_PER_OP'] ?? 60);
const SEED = Number(process.env['FUZZ_SEED'] ?? 22);
const CORPUS = join(ROOT, 'test', 'fixtures', 'fuzz');

const JSON_VERSION: Record<string, string> = { AmazonSQS: '1.0', AWSStepFunctions: '1.0', Logs_20140328: '1.1', AWSEvents: '1.1' };
const DESTRUCTIVE = /^(Delete|Purge|Remove|Untag|Stop|Disable|Cancel|Deregister|Reset)/;
const DEFINITION = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } });

const jsonReq = (prefix: string, op: string, body: string): Pick<FuzzRequest, 'method' | 'path' | 'headers' | 'body'> => ({
  method: 'POST',
  path: '/',
  headers: { 'x-amz-target': `${prefix}.${op}`, 'content-type': `application/x-amz-json-${JSON_VERSION[prefix] ?? '1.0'}` },
  body,
});

async function call(prefix: string, op: string, body: object): Promise<Record<string, unknown>> {
  const a = await send(server().url, jsonReq(prefix, op, JSON.stringify(body)));
  assert.ok(typeof a === 'object' && a.status < 300, `${op}: ${typeof a === 'object' ? a.body.toString() : a}`);
  return JSON.parse(a.body.toString() || '{}') as Record<string, unknown>;
}

/** Resources that the fuzzed requests name, so that many reach past "does not exist". */
async function setUp(): Promise<Known> {
  const url = server().url;
  const queue = await call('AmazonSQS', 'CreateQueue', { QueueName: 'fuzz' });
  await call('Logs_20140328', 'CreateLogGroup', { logGroupName: 'fuzz' });
  await call('Logs_20140328', 'CreateLogStream', { logGroupName: 'fuzz', logStreamName: 'fuzz' });
  const sm = await call('AWSStepFunctions', 'CreateStateMachine', { name: 'fuzz', definition: DEFINITION, roleArn: ROLE });
  await call('AWSEvents', 'PutRule', { Name: 'fuzz', ScheduleExpression: 'rate(1 day)', State: 'DISABLED' });
  const code = (await zip({ 'index.js': 'exports.handler = async (e) => e;' })).toString('base64');
  const fn = await send(url, { method: 'POST', path: '/2015-03-31/functions', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ FunctionName: 'fuzz', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: code } }) });
  assert.ok(typeof fn === 'object' && fn.status === 201, typeof fn === 'object' ? fn.body.toString() : fn);
  return {
    QueueUrl: queue['QueueUrl'], logGroupName: 'fuzz', logStreamName: 'fuzz', logGroupIdentifier: 'fuzz', stateMachineArn: sm['stateMachineArn'],
    FunctionName: 'fuzz', Rule: 'fuzz', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:fuzz', resourceArn: sm['stateMachineArn'], Role: ROLE, roleArn: ROLE, definition: DEFINITION,
  };
}

interface Failure extends FuzzRequest {
  verdict: string;
  why?: string;
}

interface Counts {
  requests: number;
  '5xx': number;
  dropped: number;
  misshapen: number;
}

/** Runs `jobs` with at most `n` in flight. */
async function pool<T>(jobs: (() => Promise<T>)[], n: number): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < jobs.length) await jobs[i++]!();
  }));
}

function requestsFor(model: ServiceShapes, op: string, known: Known, seed: number): FuzzRequest[] {
  const name = model.targetPrefix ?? 'lambda';
  const k = DESTRUCTIVE.test(op) ? { Role: ROLE, roleArn: ROLE } : known;
  return mutations(model, op, k, PER_OP, seed).map((m) => {
    if (model.protocol === 'rest-json') {
      const [method] = model.ops[op]!.h!;
      return { service: name, op, kind: m.kind, method, path: restPath(model, op, k), headers: { 'content-type': 'application/json' }, body: m.body };
    }
    return { service: name, op, kind: m.kind, ...jsonReq(model.targetPrefix!, op, m.body) };
  });
}

test('Fuzz: model-generated bad requests to every served operation get AWS-shaped 4xx errors, never a 5xx or a drop', async () => {
  const known = await setUp();
  const counts: Counts = { requests: 0, '5xx': 0, dropped: 0, misshapen: 0 };
  const failures: Failure[] = [];
  const url = server().url;
  let seed = SEED;
  const jobs: (() => Promise<void>)[] = [];
  for (const model of MODELS) {
    const protocol = model.protocol === 'rest-json' ? 'rest' : 'json';
    for (const op of Object.keys(model.ops)) {
      const reqs = requestsFor(model, op, known, seed++);
      const allowed = new Set([...model.ops[op]!.e, ...(SERVICE_ERRORS[model.targetPrefix ?? 'lambda'] ?? [])]);
      jobs.push(async () => {
        for (const r of reqs) {
          const a = await send(url, r);
          counts.requests++;
          // An operation this server does not serve answers UnknownOperationException; its mutations teach nothing.
          if (r.kind === 'base' && typeof a === 'object' && /UnknownOperationException/.test(String(a.headers['x-amzn-errortype'] ?? a.body.toString()))) return;
          const v = judge(protocol, a, allowed);
          if (v.verdict !== 'ok') {
            counts[v.verdict]++;
            failures.push({ ...r, body: r.body.length > 2000 ? `${r.body.slice(0, 2000)}…` : r.body, verdict: v.verdict, why: v.why });
          }
        }
      });
    }
  }
  await pool(jobs, 4);
  process.stdout.write(`# fuzz: ${JSON.stringify(counts)}\n`);
  if (process.env['FUZZ_FAILURES']) writeFileSync(process.env['FUZZ_FAILURES'], JSON.stringify(failures, null, 1));
  assert.deepEqual(failures.slice(0, 10).map((f) => `${f.verdict} ${f.service}.${f.op} ${f.kind}: ${f.why}`), []);
  assert.deepEqual({ ...counts, requests: 0 }, { requests: 0, '5xx': 0, dropped: 0, misshapen: 0 });
});

/** Raw HTTP the parser refuses, or that strains it; each must get an AWS-shaped error, not a reset or an empty body. */
const RAW: [string, string | Buffer][] = [
  ['URL of 100,000 characters', `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
  ['NUL byte in the path', 'GET /a\u0000b HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['raw bytes in the path', Buffer.concat([Buffer.from('GET /'), Buffer.from([0xff, 0xfe, 0x01]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')])],
  ['bad method', 'FR0B / HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['bad version', 'GET / HTTP/9.9\r\nHost: x\r\n\r\n'],
  ['bad Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
  ['Content-Length and Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n\r\n0\r\n\r\n'],
  ['headers over 16 KB', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`],
  ['header without a colon', 'GET / HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n'],
  ['bad chunk size', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nzz\r\n'],
  ['not HTTP at all', 'hello there\r\n\r\n'],
  ['missing Host on HTTP/1.1', 'GET / HTTP/1.1\r\n\r\n'],
];

function rawExchange(url: string, bytes: string | Buffer): Promise<{ text: string; reset: boolean }> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    let reset = false;
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => (reset = true));
    s.on('close', () => resolve({ text: Buffer.concat(chunks).toString('latin1'), reset }));
    s.setTimeout(10_000, () => s.destroy());
    s.write(bytes, () => s.end());
  });
}

test('Fuzz: malformed HTTP gets a well-formed AWS error (status, error type, JSON or XML body), not a reset or an empty 400', async () => {
  const bad: string[] = [];
  for (const [name, bytes] of RAW) {
    const { text, reset } = await rawExchange(server().url, bytes);
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(text);
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    if (!m) bad.push(`${name}: no answer${reset ? ' (reset)' : ''}`);
    else if (Number(m[1]) >= 500) bad.push(`${name}: ${m[1]}`);
    else if (!/x-amzn-errortype: \w+/i.test(text) || !(/"message":"[^"]+"/.test(body) || /<Message>[^<]+<\/Message>/.test(body))) bad.push(`${name}: ${m[1]} without an AWS error body: ${JSON.stringify(body.slice(0, 80))}`);
  }
  assert.deepEqual(bad, []);
});

/** Expands `{{deep:N}}` (N nested arrays) and `{{x:N}}` (N characters) in corpus bodies. */
const expand = (s: string): string => s.replace(/\{\{deep:(\d+)\}\}/g, (_, n: string) => '['.repeat(Number(n)) + ']'.repeat(Number(n))).replace(/\{\{x:(\d+)\}\}/g, (_, n: string) => 'x'.repeat(Number(n)));

test('Fuzz corpus: every past failure (test/fixtures/fuzz) now gets an AWS-shaped answer below 500', async () => {
  const bad: string[] = [];
  let n = 0;
  for (const f of readdirSync(CORPUS).filter((x) => x.endsWith('.json')).sort()) {
    const cases = JSON.parse(readFileSync(join(CORPUS, f), 'utf8')) as (FuzzRequest & { expect?: { status?: number; code?: string } })[];
    for (const c of cases) {
      n++;
      const a = await send(server().url, { ...c, body: expand(c.body) });
      const model = MODELS.find((m) => (m.targetPrefix ?? 'lambda') === c.service);
      const v = judge(c.service === 'lambda' ? 'rest' : 'json', a, new Set([...(model?.ops[c.op]?.e ?? []), ...(SERVICE_ERRORS[c.service] ?? [])]));
      if (v.verdict !== 'ok') bad.push(`${f} ${c.op} ${c.kind}: ${v.verdict} ${v.why ?? ''}`);
      else if (typeof a === 'object' && c.expect?.status !== undefined && a.status !== c.expect.status) bad.push(`${f} ${c.op} ${c.kind}: status ${a.status}, expected ${c.expect.status}`);
      else if (c.expect?.code !== undefined && v.code !== c.expect.code) bad.push(`${f} ${c.op} ${c.kind}: ${v.code}, expected ${c.expect.code}`);
    }
  }
  assert.ok(n > 0, 'the corpus is empty');
  assert.deepEqual(bad, []);
});
