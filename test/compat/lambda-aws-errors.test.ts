// Lambda's errors word for word: each case of test/fixtures/lambda-aws-errors.json (a call sequence and the error AWS
// answered, recorded against AWS) replayed with @aws-sdk/client-lambda, and all of them again with boto3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as sdk from '@aws-sdk/client-lambda';
import { liveServer, ROOT } from '../helpers/server.js';
import { lambdaClient, ROLE } from '../helpers/lambda.js';
import { zip } from '../helpers/zip.js';

interface Case {
  name: string;
  source: string;
  given: string[];
  steps: { op: string; params: unknown }[];
  op: string;
  params: unknown;
  code: string;
  status: number;
  message: string;
}

const FIXTURE = join(ROOT, 'test', 'fixtures', 'lambda-aws-errors.json');
const { cases } = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: Case[] };
const ACCT = '000000000000';
const REGION = 'us-east-1';
const server = liveServer();

/** The case's text with its placeholders filled in. */
function fill(text: string, fn: string, codeSha = ''): string {
  return text.replaceAll('$CODESHA', codeSha).replaceAll('$FN', fn).replaceAll('$ACCT', ACCT).replaceAll('$REGION', REGION).replaceAll('$ROLE', ROLE);
}

function params(v: unknown, fn: string, code: Uint8Array): unknown {
  if (v === '$ZIP') return code;
  if (v === '$NOTZIP') return Buffer.from('this is not a zip file');
  if (typeof v === 'string') return fill(v, fn);
  if (Array.isArray(v)) return v.map((x) => params(x, fn, code));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [fill(k, fn), params(x, fn, code)]));
  return v;
}

async function send(client: sdk.LambdaClient, op: string, input: unknown): Promise<unknown> {
  const Command = (sdk as unknown as Record<string, (new (i: unknown) => never) | undefined>)[`${op}Command`];
  assert.ok(Command, `no SDK command for ${op}`);
  return client.send(new Command(input));
}

/** Creates what a case's `given` names, for the function (or layer) `fn`. */
async function prepare(client: sdk.LambdaClient, given: string[], fn: string, code: Uint8Array): Promise<void> {
  const create = (name: string) => send(client, 'CreateFunction', { FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: code } });
  for (const g of given) {
    if (g === 'fn') await create(fn);
    else if (g === 'fn2') await create(`${fn}-2`);
    else if (g === 'v1') await send(client, 'PublishVersion', { FunctionName: fn });
    else if (g === 'v2') {
      await send(client, 'UpdateFunctionConfiguration', { FunctionName: fn, Description: 'second' });
      await send(client, 'PublishVersion', { FunctionName: fn });
    } else if (g.startsWith('alias:')) await send(client, 'CreateAlias', { FunctionName: fn, Name: g.slice(6), FunctionVersion: '1' });
    else if (g === 'layer') await send(client, 'PublishLayerVersion', { LayerName: fn, Content: { ZipFile: code } });
    else throw new Error(`unknown given: ${g}`);
  }
}

const code = zip({ 'index.js': 'exports.handler = async (e) => e;' });

cases.forEach((c, i) => {
  test(`Lambda as AWS answers it: ${c.name} (${c.code})`, async () => {
    const client = lambdaClient(server().url);
    const fn = `e${i}-${randomBytes(3).toString('hex')}`;
    const zipped = await code;
    await prepare(client, c.given, fn, zipped);
    for (const s of c.steps) await send(client, s.op, params(s.params, fn, zipped));
    let err: { name: string; message: string; $metadata?: { httpStatusCode?: number } } | undefined;
    try {
      await send(client, c.op, params(c.params, fn, zipped));
    } catch (e) {
      err = e as typeof err;
    }
    assert.ok(err, `${c.op} succeeded; AWS answered ${c.code} (${c.source})`);
    assert.deepEqual({ code: err.name, status: err.$metadata?.httpStatusCode, message: err.message }, { code: c.code, status: c.status, message: fill(c.message, fn, createHash('sha256').update(zipped).digest('base64')) }, c.source);
  });
});

const boto3 = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' }).status === 0;

test('Lambda as AWS answers it, through boto3: every case of the table gives the same code, status and message', { skip: boto3 ? false : 'boto3 is not installed' }, async () => {
  const script = join(ROOT, 'test', 'helpers', 'lambda-aws-errors.py');
  const r = spawnSync('python3', [script, FIXTURE, server().url, ACCT, REGION, ROLE], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  const mismatches = JSON.parse(r.stdout) as string[];
  assert.deepEqual(mismatches, []);
});
