// EventBridge benchmark: PutEvents → rule → SQS target and PutEvents → rule → function, in events per second
// delivered end to end (batches of 10 entries, 16 concurrent callers), beside moto_server's PutEvents → SQS in the
// same run (moto runs Lambda targets only with Docker, so it has no function figure here).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { lambdaClient, ROLE } from '../test/helpers/lambda.js';
import { removeServer, startServer } from '../test/helpers/server.js';
import { zip } from '../test/helpers/zip.js';
import { f2, http, sign, ratio, type Section } from './lib.js';

const EVENTS = 5000;
const CALLERS = 16;
const MOTO_EVENTS = 500;
const BATCH = 10;
const ACCOUNT_SELFLESS = '000000000000';
const ACCOUNT_MOTO = '123456789012';

type Call = (target: string, op: string, body: unknown) => Promise<any>;

function client(url: string): Call {
  return async (target, op, body) => {
    const v = target === 'AmazonSQS' ? '1.0' : '1.1';
    const text = JSON.stringify(body);
    const r = await http(url, 'POST', text, await sign(url, 'POST', target === 'AmazonSQS' ? 'sqs' : 'events', { 'content-type': `application/x-amz-json-${v}`, 'x-amz-target': `${target}.${op}` }, text));
    if (r.status !== 200) throw new Error(`${op}: ${r.status} ${r.body.toString()}`);
    return JSON.parse(r.body.toString('utf8') || '{}');
  };
}

/** Puts EVENTS events (source `bench`) and waits until `delivered()` reaches them; events/s from first put to last delivery. */
async function pipeline(call: Call, delivered: () => Promise<number>, events = EVENTS): Promise<{ perSecond: number; putPerSecond: number }> {
  let n = 0;
  const t0 = performance.now();
  const put = async (): Promise<void> => {
    while (n < events) {
      const entries = Array.from({ length: BATCH }, () => ({ Source: 'bench', DetailType: 'Tick', Detail: `{"n":${n++},"pad":"${'x'.repeat(100)}"}` }));
      const r = await call('AWSEvents', 'PutEvents', { Entries: entries });
      if (r.FailedEntryCount) throw new Error(`PutEvents: ${JSON.stringify(r.Entries)}`);
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, put));
  const putDone = performance.now();
  const deadline = Date.now() + 60_000;
  let got = 0;
  while ((got = await delivered()) < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const t1 = performance.now();
  return { perSecond: (got / (t1 - t0)) * 1000, putPerSecond: (n / (putDone - t0)) * 1000 };
}

async function sqsPipeline(url: string, account: string, name: string, events = EVENTS): Promise<{ perSecond: number; putPerSecond: number }> {
  const call = client(url);
  const q = await call('AmazonSQS', 'CreateQueue', { QueueName: name });
  await call('AWSEvents', 'PutRule', { Name: `${name}-rule`, EventPattern: '{"source":["bench"]}' });
  await call('AWSEvents', 'PutTargets', { Rule: `${name}-rule`, Targets: [{ Id: 'q', Arn: `arn:aws:sqs:us-east-1:${account}:${name}` }] });
  const r = await pipeline(call, async () => {
    const a = await call('AmazonSQS', 'GetQueueAttributes', { QueueUrl: q.QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] });
    return Number(a.Attributes?.ApproximateNumberOfMessages ?? 0);
  }, events);
  await call('AWSEvents', 'RemoveTargets', { Rule: `${name}-rule`, Ids: ['q'] });
  await call('AWSEvents', 'DeleteRule', { Name: `${name}-rule` });
  return r;
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

async function moto<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const proc = spawn('moto_server', ['-p', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`${url}/moto-api/data.json`, { signal: AbortSignal.timeout(2000) });
        return await fn(url);
      } catch (e) {
        if (i === 99 || !(e instanceof TypeError || (e as Error).name === "TimeoutError")) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error('moto_server did not start');
  } finally {
    proc.kill();
  }
}

export async function run(): Promise<Section> {
  // The counting function appends to a host file, which needs plain-process isolation (not the sandbox's /tmp).
  const server = await startServer({ env: { SELFLESS_ISOLATION: 'process' } });
  const dir = mkdtempSync(join(tmpdir(), 'bench-events-'));
  const out = join(dir, 'count');
  let sqs: { perSecond: number; putPerSecond: number };
  let fn: { perSecond: number; putPerSecond: number };
  try {
    sqs = await sqsPipeline(server.url, ACCOUNT_SELFLESS, 'bench-events');
    const lambda = lambdaClient(server.url);
    const code = await zip({ 'index.js': "const fs = require('fs'); exports.handler = async () => { fs.appendFileSync(process.env.OUT, 'x'); return {}; };" });
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'bench-events-fn', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: code }, Environment: { Variables: { OUT: out } } }));
    lambda.destroy();
    const call = client(server.url);
    await call('AWSEvents', 'PutRule', { Name: 'bench-fn-rule', EventPattern: '{"source":["bench"]}' });
    await call('AWSEvents', 'PutTargets', { Rule: 'bench-fn-rule', Targets: [{ Id: 'f', Arn: `arn:aws:lambda:us-east-1:${ACCOUNT_SELFLESS}:function:bench-events-fn` }] });
    fn = await pipeline(call, async () => (existsSync(out) ? readFileSync(out).length : 0));
  } finally {
    await server.stop();
    await removeServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
  let motoSqs: { perSecond: number; putPerSecond: number } | undefined;
  let note = '';
  try {
    // moto delivers a few events per second: a tenth of the events gives its rate in a bounded time.
    motoSqs = await moto((url) => sqsPipeline(url, ACCOUNT_MOTO, 'bench-events', MOTO_EVENTS));
  } catch (e) {
    note = ` moto: ${e instanceof Error ? e.message : String(e)}.`;
  }
  const rows = [
    `| PutEvents → rule → SQS, events/s delivered | ${f2(sqs.perSecond)} | ${motoSqs ? f2(motoSqs.perSecond) : 'n/a'} | ${motoSqs ? ratio(sqs.perSecond, motoSqs.perSecond) : 'n/a'} |`,
    `| PutEvents accepted, events/s (SQS run) | ${f2(sqs.putPerSecond)} | ${motoSqs ? f2(motoSqs.putPerSecond) : 'n/a'} | ${motoSqs ? ratio(sqs.putPerSecond, motoSqs.putPerSecond) : 'n/a'} |`,
    `| PutEvents → rule → function (async invoke), events/s delivered | ${f2(fn.perSecond)} | n/a (needs Docker) | n/a |`,
  ];
  return {
    title: 'EventBridge',
    markdown: `${EVENTS} events in PutEvents batches of ${BATCH} from ${CALLERS} concurrent callers; delivered end to end (first put to last delivery; moto_server gets ${MOTO_EVENTS} events, as it delivers only a few per second); functions in process isolation (the counting function appends to a host file).${note}\n\n| figure | selfless | moto_server | ratio |\n|---|---|---|---|\n${rows.join('\n')}`,
  };
}
