// Kinesis and DynamoDB benchmark: PutRecords records/s and the stream → function pipeline; DynamoDB PutItem/GetItem
// per second with p50/p99, BatchWriteItem items/s, a Query over 10,000 items, and write → stream → function latency;
// beside moto_server (and dynalite, installed into a temp dir) in the same run.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeServer, startServer } from '../test/helpers/server.js';
import { zip } from '../test/helpers/zip.js';
import { f2, http, sign, pct, ratio, throughput, type Section } from './lib.js';

type Call = (op: string, body: unknown) => Promise<any>;

function caller(url: string, target: string, version: string, svc: string): Call {
  return async (op, body) => {
    // dynalite wants a date header beside the (unchecked) signature.
    const text = JSON.stringify(body);
    const r = await http(url, 'POST', text, await sign(url, 'POST', svc, { 'content-type': `application/x-amz-json-${version}`, 'x-amz-target': `${target}.${op}` }, text));
    if (r.status !== 200) throw new Error(`${op}: ${r.status} ${r.body.toString().slice(0, 300)}`);
    return JSON.parse(r.body.toString('utf8') || '{}');
  };
}
const kinesis = (url: string): Call => caller(url, 'Kinesis_20131202', '1.1', 'kinesis');
const dynamo = (url: string): Call => caller(url, 'DynamoDB_20120810', '1.0', 'dynamodb');

interface Figures {
  putRecords: number;
  putItem: { rps: number; p50: number; p99: number };
  getItem: { rps: number; p50: number; p99: number };
  batchWrite: number;
  query: number;
}

/** Calls per second of `call` from `callers` for `ms`, with the latency percentiles of every call. */
async function timed(callers: number, ms: number, call: () => Promise<unknown>): Promise<{ rps: number; p50: number; p99: number }> {
  const lat: number[] = [];
  const r = await throughput(callers, ms, async () => {
    const t = performance.now();
    await call();
    lat.push(performance.now() - t);
    return true;
  });
  return { rps: r.rps, p50: pct(lat, 50), p99: pct(lat, 99) };
}

async function measure(url: string, withKinesis = true): Promise<Figures> {
  const pr = withKinesis ? await putRecords(url) : NaN;
  return { putRecords: pr, ...(await measureDynamo(url)) };
}

/** PutRecords records per second. */
async function putRecords(url: string): Promise<number> {
  const k = kinesis(url);
  await k('CreateStream', { StreamName: 'bench', ShardCount: 4 });
  for (let i = 0; i < 100; i++) {
    const d = await k('DescribeStreamSummary', { StreamName: 'bench' });
    if (d.StreamDescriptionSummary.StreamStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const data = Buffer.alloc(100, 'x').toString('base64');
  let n = 0;
  const pr = await throughput(8, 5000, async () => {
    const out = await k('PutRecords', { StreamName: 'bench', Records: Array.from({ length: 500 }, () => ({ PartitionKey: String(n++), Data: data })) });
    return out.FailedRecordCount === 0;
  });
  return pr.rps * 500;
}

async function measureDynamo(url: string): Promise<Omit<Figures, 'putRecords'>> {
  const d = dynamo(url);
  await d('CreateTable', { TableName: 'bench', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }], BillingMode: 'PAY_PER_REQUEST' });
  const pad = 'y'.repeat(200);
  let i = 0;
  const putItem = await timed(16, 5000, () => d('PutItem', { TableName: 'bench', Item: { pk: { S: `p${i % 1000}` }, sk: { N: String(i++) }, pad: { S: pad } } }));
  const written = i;
  let j = 0;
  const getItem = await timed(16, 5000, () => d('GetItem', { TableName: 'bench', Key: { pk: { S: `p${j % 1000}` }, sk: { N: String(j++ % written) } } }));
  let b = 0;
  const bw = await throughput(8, 5000, async () => {
    const items = Array.from({ length: 25 }, () => ({ PutRequest: { Item: { pk: { S: 'batch' }, sk: { N: String(b++) }, pad: { S: pad } } } }));
    const out = await d('BatchWriteItem', { RequestItems: { bench: items } });
    return Object.keys(out.UnprocessedItems ?? {}).length === 0;
  });
  // One partition of 10,000 items, read back in pages.
  const many = Array.from({ length: 10_000 }, (_, x) => x);
  for (let x = 0; x < many.length; x += 25) await d('BatchWriteItem', { RequestItems: { bench: many.slice(x, x + 25).map((s) => ({ PutRequest: { Item: { pk: { S: 'q' }, sk: { N: String(s) }, pad: { S: pad } } } })) } });
  const t = performance.now();
  let got = 0;
  let start: unknown;
  do {
    const out = await d('Query', { TableName: 'bench', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'q' } }, ExclusiveStartKey: start });
    got += out.Count as number;
    start = out.LastEvaluatedKey;
  } while (start);
  if (got !== 10_000) throw new Error(`query returned ${got} items`);
  return { putItem, getItem, batchWrite: bw.rps * 25, query: (got / (performance.now() - t)) * 1000 };
}

/** Stream → function: records through a mapping per second, and DynamoDB write → function latency (ms). */
async function pipelines(url: string, dir: string): Promise<{ kinesisFn: number; ddbLatency: number[] }> {
  const out = join(dir, 'seen');
  const fn = async (name: string, body: string): Promise<void> => {
    const code = (await zip({ 'index.js': body })).toString('base64');
    const text = JSON.stringify({ FunctionName: name, Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/r', Handler: 'index.handler', Code: { ZipFile: code }, Environment: { Variables: { OUT: out } } });
    const r = await http(`${url}/2015-03-31/functions`, 'POST', text, await sign(`${url}/2015-03-31/functions`, 'POST', 'lambda', { 'content-type': 'application/json' }, text));
    if (r.status !== 201) throw new Error(`CreateFunction: ${r.status} ${r.body.toString()}`);
  };
  const mapping = async (fnName: string, arn: string): Promise<void> => {
    const text = JSON.stringify({ FunctionName: fnName, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 100 });
    const r = await http(`${url}/2015-03-31/event-source-mappings/`, 'POST', text, await sign(`${url}/2015-03-31/event-source-mappings/`, 'POST', 'lambda', { 'content-type': 'application/json' }, text));
    if (r.status !== 202) throw new Error(`CreateEventSourceMapping: ${r.status} ${r.body.toString()}`);
  };
  const count = (): number => (existsSync(out) ? readFileSync(out).length : 0);

  const k = kinesis(url);
  await k('CreateStream', { StreamName: 'bench-fn', ShardCount: 4 });
  const data = Buffer.from('{"n":1}').toString('base64');
  const RECORDS = 20_000;
  for (let x = 0; x < RECORDS; x += 500) await k('PutRecords', { StreamName: 'bench-fn', Records: Array.from({ length: 500 }, (_, y) => ({ PartitionKey: String(x + y), Data: data })) });
  const arn = (await k('DescribeStreamSummary', { StreamName: 'bench-fn' })).StreamDescriptionSummary.StreamARN as string;
  await fn('bench-kinesis-fn', "const fs = require('fs'); exports.handler = async (e) => { fs.appendFileSync(process.env.OUT, 'x'.repeat(e.Records.length)); };");
  const t = performance.now();
  await mapping('bench-kinesis-fn', arn);
  const deadline = Date.now() + 120_000;
  while (count() < RECORDS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const kinesisFn = (count() / (performance.now() - t)) * 1000;

  rmSync(out, { force: true });
  const d = dynamo(url);
  const table = await d('CreateTable', { TableName: 'bench-stream', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST', StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } });
  await fn('bench-ddb-fn', "const fs = require('fs'); exports.handler = async (e) => { for (const r of e.Records) fs.appendFileSync(process.env.OUT, r.dynamodb.Keys.id.S + '\\n'); };");
  await mapping('bench-ddb-fn', table.TableDescription.LatestStreamArn as string);
  const seen = (id: string): boolean => existsSync(out) && readFileSync(out, 'utf8').includes(`${id}\n`);
  const ddbLatency: number[] = [];
  for (let x = 0; x < 22; x++) {
    const id = `w${x}`;
    const t0 = performance.now();
    await d('PutItem', { TableName: 'bench-stream', Item: { id: { S: id } } });
    const end = Date.now() + 30_000;
    while (!seen(id) && Date.now() < end) await new Promise((r) => setTimeout(r, 1));
    if (x >= 2) ddbLatency.push(performance.now() - t0);
  }
  return { kinesisFn, ddbLatency };
}

async function peer(cmd: string, args: string[], port: number, fn: (url: string) => Promise<Figures>): Promise<Figures | string> {
  let proc: ChildProcess | undefined;
  const url = `http://127.0.0.1:${port}`;
  try {
    proc = spawn(cmd, args, { stdio: 'ignore' });
    for (let i = 0; ; i++) {
      try {
        await fetch(url, { signal: AbortSignal.timeout(1000) });
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return await fn(url);
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0]! : String(e);
  } finally {
    proc?.kill('SIGTERM');
  }
}

export async function run(): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-streams-'));
  const notes: string[] = [];
  try {
    // The counting functions append to a host file, which needs plain-process isolation (not the sandbox's /tmp).
    const server = await startServer({ env: { SELFLESS_ISOLATION: 'process' } });
    let ours: Figures;
    let pipes: { kinesisFn: number; ddbLatency: number[] };
    try {
      ours = await measure(server.url);
      pipes = await pipelines(server.url, dir);
    } finally {
      await server.stop();
      await removeServer(server);
    }
    const moto = await peer('moto_server', ['-p', '5621'], 5621, (url) => measure(url));
    let dynalite: Figures | string = 'not installed';
    try {
      execFileSync('npm', ['install', '--prefix', join(dir, 'dynalite'), '--no-audit', '--no-fund', '--silent', 'dynalite'], { stdio: 'ignore', timeout: 180_000 });
      // dynalite serves DynamoDB only: its Kinesis figure is n/a (kinesalite needs a native LevelDB build).
      dynalite = await peer(process.execPath, [join(dir, 'dynalite', 'node_modules', 'dynalite', 'cli.js'), '--port', '5622'], 5622, (url) => measure(url, false));
    } catch (e) {
      notes.push(`dynalite skipped: npm install failed (${e instanceof Error ? e.message.split('\n')[0] : String(e)}).`);
    }
    if (typeof moto === 'string') notes.push(`moto_server failed: ${moto}`);
    if (typeof dynalite === 'string' && dynalite !== 'not installed') notes.push(`dynalite: ${dynalite}`);
    type Row = [string, (f: Figures) => number];
    const rows: Row[] = [
      ['Kinesis PutRecords, records/s (8 callers, batches of 500, 100-byte records)', (f) => f.putRecords],
      ['DynamoDB PutItem, items/s (16 callers)', (f) => f.putItem.rps],
      ['DynamoDB PutItem p50 / p99, ms', (f) => f.putItem.p50],
      ['DynamoDB GetItem, items/s (16 callers)', (f) => f.getItem.rps],
      ['DynamoDB BatchWriteItem, items/s (8 callers, 25 per batch)', (f) => f.batchWrite],
      ['DynamoDB Query over 10,000 items of one partition, items/s (all pages)', (f) => f.query],
    ];
    const col = (f: Figures | string, get: (x: Figures) => number, label: string): string => {
      if (typeof f === 'string') return 'n/a';
      if (label.includes('p50 / p99')) return `${f2(f.putItem.p50)} / ${f2(f.putItem.p99)}`;
      return f2(get(f));
    };
    const rat = (f: Figures | string, get: (x: Figures) => number, label: string): string => (typeof f === 'string' || label.includes('p50') ? '' : ratio(get(ours), get(f)));
    const md = [
      '| figure | selfless | moto_server | ratio | dynalite | ratio |',
      '|---|---|---|---|---|---|',
      ...rows.map(([label, get]) => `| ${label} | ${col(ours, get, label)} | ${col(moto, get, label)} | ${rat(moto, get, label)} | ${col(dynalite, get, label)} | ${rat(dynalite, get, label)} |`),
      `| DynamoDB GetItem p50 / p99, ms | ${f2(ours.getItem.p50)} / ${f2(ours.getItem.p99)} | ${typeof moto === 'string' ? 'n/a' : `${f2(moto.getItem.p50)} / ${f2(moto.getItem.p99)}`} | | ${typeof dynalite === 'string' ? 'n/a' : `${f2(dynalite.getItem.p50)} / ${f2(dynalite.getItem.p99)}`} | |`,
      '',
      `Stream → function (process isolation): 20,000 Kinesis records on 4 shards through a mapping (BatchSize 100, TRIM_HORIZON), mapping created → every record processed: ${f2(pipes.kinesisFn)} records/s. DynamoDB PutItem acknowledged → the stream mapping's function has the record (NEW_IMAGE, BatchSize 100), 20 sequential writes: p50 ${f2(pct(pipes.ddbLatency, 50))} ms, p99 ${f2(pct(pipes.ddbLatency, 99))} ms. The peers run Lambda only with Docker, so these have no peer figure.`,
      ...(notes.length ? ['', ...notes] : []),
    ].join('\n');
    return { title: 'Kinesis and DynamoDB (issue 17)', markdown: md };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
