// Lambda's answers shaped as AWS's: each case of test/fixtures/lambda-aws-shapes.json (a call sequence and the answers
// AWS gave, recorded against AWS) replayed with @aws-sdk/client-lambda. Each recorded answer is compared with ours: the
// same members recursively, the same stable values, ARNs of the same form, and LocalStack's placeholders as relations:
// <kind:N> is one value throughout a case and <kind:M> (M ≠ N) another one — so a RevisionId that AWS changed must
// change here, and one it kept must stay. All of them again through boto3 (test/helpers/lambda-aws-shapes.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as sdk from '@aws-sdk/client-lambda';
import { liveServer, ROOT } from '../helpers/server.js';
import { lambdaClient, ROLE } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';

interface Step {
  op: string;
  params: unknown;
  key?: string;
  status?: number;
  response?: unknown;
  wait?: boolean;
  sort?: string;
  only?: string;
  paginate?: boolean;
}
interface Case {
  name: string;
  source: string;
  steps: Step[];
}

const FIXTURE = join(ROOT, 'test', 'fixtures', 'lambda-aws-shapes.json');
const { cases } = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: Case[] };
const ACCT = '000000000000';
const REGION = 'us-east-1';
const server = liveServer();

/** Whole values LocalStack put in for volatile ones (timestamps, URLs): any value of the member will do. */
const VOLATILE = new Set(['date', 'datetime', 'lambda-url']);

interface Ctx {
  fn: string;
  fn2: string;
  layer: string;
  zips: Record<string, Uint8Array>;
  answers: Map<string, unknown>;
}

function pick(v: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], v);
}

function fill(v: unknown, c: Ctx): unknown {
  if (typeof v === 'string') {
    if (v in c.zips) return c.zips[v];
    return v.replaceAll('$LAYER', c.layer).replaceAll('$FN2', c.fn2).replaceAll('$FN', c.fn).replaceAll('$ROLE', ROLE).replaceAll('$ACCT', ACCT).replaceAll('$REGION', REGION);
  }
  if (Array.isArray(v)) return v.map((x) => fill(x, c));
  if (v && typeof v === 'object') {
    const r = v as { $ref?: string; path?: string };
    if (r.$ref !== undefined) {
      assert.ok(c.answers.has(r.$ref), `no earlier answer ${r.$ref}`);
      return pick(c.answers.get(r.$ref), r.path!);
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, c)]));
  }
  return v;
}

async function send(client: sdk.LambdaClient, op: string, input: unknown): Promise<Record<string, unknown>> {
  const Command = (sdk as unknown as Record<string, (new (i: unknown) => never) | undefined>)[`${op}Command`];
  assert.ok(Command, `no SDK command for ${op}`);
  return (await client.send(new Command(input))) as unknown as Record<string, unknown>;
}

/** Placeholder bindings of one case: <kind:N> → the value it stands for. */
class Bindings {
  readonly values = new Map<string, string>();
  bind(name: string, value: string, problems: string[], path: string): void {
    const had = this.values.get(name);
    if (had !== undefined) {
      if (had !== value) problems.push(`${path}: <${name}> was ${had}, now ${value}`);
      return;
    }
    const kind = name.split(':')[0];
    for (const [n, v] of this.values) if (n.split(':')[0] === kind && v === value) problems.push(`${path}: <${name}> is ${value}, the value of <${n}>: AWS answered a different one`);
    this.values.set(name, value);
  }
}

const PLACEHOLDER = /<([A-Za-z0-9_-]+(?::\d+)?)>/g;

/** Matches one recorded string (with placeholders) against ours. */
function matchString(expected: string, actual: string, b: Bindings, problems: string[], path: string): void {
  const lit = (s: string) => s.replaceAll('111111111111', ACCT).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const names: string[] = [];
  let re = '';
  let last = 0;
  for (const m of expected.matchAll(PLACEHOLDER)) {
    re += lit(expected.slice(last, m.index));
    last = m.index! + m[0].length;
    const name = m[1]!;
    if (name === 'partition') re += 'aws';
    else if (name === 'region') re += REGION.replace(/-/g, '\\-');
    else if (b.values.has(name)) re += lit(b.values.get(name)!);
    else {
      re += name.includes(':') ? '(.+?)' : '(.*?)';
      names.push(name);
    }
  }
  re += lit(expected.slice(last));
  const m = new RegExp(`^${re}$`, 's').exec(actual);
  if (!m) {
    problems.push(`${path}: ${JSON.stringify(actual)} is not of the form ${JSON.stringify(expected)}`);
    return;
  }
  names.forEach((n, i) => {
    if (n.includes(':')) b.bind(n, m[i + 1]!, problems, path);
  });
}

/** Compares a recorded answer with ours; appends each difference to `problems`. */
function compare(expected: unknown, actual: unknown, b: Bindings, problems: string[], path: string): void {
  if (typeof expected === 'string') {
    if (VOLATILE.has(expected) || /^<[A-Za-z0-9_-]+>$/.test(expected)) {
      if (actual === undefined || actual === null) problems.push(`${path}: missing`);
      return;
    }
    if (typeof actual !== 'string') {
      problems.push(`${path}: ${JSON.stringify(actual)} is not a string (AWS: ${JSON.stringify(expected)})`);
      return;
    }
    matchString(expected, actual, b, problems, path);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return void problems.push(`${path}: not a list: ${JSON.stringify(actual)}`);
    const list = actual as unknown[];
    if (list.length !== expected.length) problems.push(`${path}: ${list.length} items, AWS ${expected.length}`);
    expected.forEach((e, i) => i < list.length && compare(e, list[i], b, problems, `${path}[${i}]`));
    return;
  }
  if (expected && typeof expected === 'object') {
    if (typeof actual === 'string') {
      try {
        actual = JSON.parse(actual); // a JSON document member (a Policy): LocalStack recorded it parsed
      } catch {
        /* compared as it is */
      }
    }
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return void problems.push(`${path}: not an object: ${JSON.stringify(actual)}`);
    const a = Object.fromEntries(Object.entries(actual as Record<string, unknown>).filter(([k, v]) => v !== undefined && k !== '$metadata'));
    const ek = Object.keys(expected);
    for (const k of ek) if (!(k in a)) problems.push(`${path}.${k}: missing (AWS: ${JSON.stringify((expected as Record<string, unknown>)[k])})`);
    for (const k of Object.keys(a)) if (!ek.includes(k)) problems.push(`${path}.${k}: present (${JSON.stringify(a[k])}), AWS has no such member`);
    for (const k of ek) if (k in a) compare((expected as Record<string, unknown>)[k], a[k], b, problems, `${path}.${k}`);
    return;
  }
  if (actual !== expected) problems.push(`${path}: ${JSON.stringify(actual)}, AWS ${JSON.stringify(expected)}`);
}

/** Polls until $FN is no longer Pending nor InProgress (the waiter the recorded test ran). */
async function settle(client: sdk.LambdaClient, fn: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const c = await send(client, 'GetFunctionConfiguration', { FunctionName: fn });
    if (c['State'] !== 'Pending' && c['LastUpdateStatus'] !== 'InProgress') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${fn} did not settle`);
}

async function answer(client: sdk.LambdaClient, s: Step, input: Record<string, unknown>, c: Ctx): Promise<Record<string, unknown>> {
  let r: Record<string, unknown>;
  if (s.paginate) {
    const listKey = (s.sort ?? s.only ?? '').split('.')[0]!;
    const all: unknown[] = [];
    let marker: string | undefined;
    do {
      const page = await send(client, s.op, { ...input, Marker: marker });
      all.push(...((page[listKey] as unknown[] | undefined) ?? []));
      marker = page['NextMarker'] as string | undefined;
    } while (marker);
    r = { [listKey]: all };
  } else r = await send(client, s.op, input);
  if (s.only) r[s.only] = (r[s.only] as { FunctionName?: string }[]).filter((x) => x.FunctionName === c.fn || x.FunctionName === c.fn2);
  if (s.sort) {
    const [list, field] = s.sort.split('.') as [string, string];
    (r[list] as Record<string, string>[]).sort((x, y) => (x[field]! < y[field]! ? -1 : x[field]! > y[field]! ? 1 : 0));
  }
  return r;
}

const zips = Promise.all([
  zip({ 'index.py': 'def handler(event, context):\n    return event\n', 'handler.py': 'def handler(event, context):\n    return event\n' }),
  zip({ 'index.py': 'def handler(event, context):\n    return {"version": 2}\n', 'handler.py': 'def handler(event, context):\n    return {"version": 2}\n' }),
  zip({ 'lambda_handler.js': 'exports.handler = async (e) => e;' }),
  // LocalStack zips each function anew (another archive, another CodeSha256 for the same source)
  zip({ 'index.py': 'def handler(event, context):\n    return event\n', 'handler.py': 'def handler(event, context):\n    return event  # b\n' }),
  zip({ 'python/lib.py': 'VALUE = 1\n' }),
]);

cases.forEach((k, i) => {
  test(`Lambda answers shaped as AWS's: ${k.name} (${k.source})`, async () => {
    const client = lambdaClient(server().url);
    const fn = `s${i}-${randomBytes(3).toString('hex')}`;
    const [z1, z2, zjs, zb, zl] = await zips;
    const c: Ctx = { fn, fn2: `${fn}z`, layer: `${fn}-layer`, zips: { $ZIP: z1, $ZIP2: z2, $ZIPJS: zjs, $ZIPB: zb, $LAYERZIP: zl }, answers: new Map() };
    const b = new Bindings();
    const problems: string[] = [];
    for (const s of k.steps) {
      const input = fill(s.params, c) as Record<string, unknown>;
      const r = await answer(client, s, input, c);
      if (s.key !== undefined) c.answers.set(s.key, r);
      if (s.response !== undefined) {
        const status = (r['$metadata'] as { httpStatusCode?: number } | undefined)?.httpStatusCode;
        if (s.status !== undefined && status !== s.status) problems.push(`${s.key}: HTTP ${status}, AWS ${s.status}`);
        compare(s.response, r, b, problems, s.key ?? s.op);
      }
      if (s.wait) await settle(client, typeof input['FunctionName'] === 'string' ? input['FunctionName'] : fn);
    }
    assert.deepEqual(problems, [], k.source);
  });
});

const boto3 = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' }).status === 0;

test("Lambda answers shaped as AWS's, through boto3: every recorded answer of the table has the same shape", { skip: boto3 ? false : 'boto3 is not installed' }, () => {
  const script = join(ROOT, 'test', 'helpers', 'lambda-aws-shapes.py');
  const r = spawnSync('python3', [script, FIXTURE, server().url, ACCT, REGION, ROLE], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), []);
});
