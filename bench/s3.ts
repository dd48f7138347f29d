// S3 benchmark: PUT/GET of 1 KB objects (req/s) and 64 MB objects (MB/s), S3 → SQS and S3 → function notification
// latency, beside moto_server and s3rver in the same run, and the machine's loopback copy speed for scale.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { removeServer, startServer } from '../test/helpers/server.js';
import { zip } from '../test/helpers/zip.js';
import { agent, f2, http, sign, pct, ratio, throughput, type Section } from './lib.js';

// Every request is signed (UNSIGNED-PAYLOAD, as SDKs stream); selfless checks the signature, the others do not.
const H: Record<string, string> = {};
/** http() with the request signed for S3. */
const s3http = async (url: string, method: string, body: Buffer | string | undefined, h: Record<string, string>) => http(url, method, body, await sign(url, method, 's3', h));
const BIG = 64 * 1024 * 1024;

interface Figures {
  put1k: number;
  get1k: number;
  putMBs: number;
  getMBs: number;
}

/** Streams a request body from a file and counts the answer's bytes (never the whole object in memory). */
async function stream(url: string, method: string, file?: string, size?: number, h: Record<string, string> = H): Promise<{ status: number; bytes: number }> {
  const u = new URL(url);
  const hdrs = await sign(url, method, 's3', h);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method, agent, headers: { ...hdrs, ...(size !== undefined ? { 'content-length': String(size) } : {}) } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (file) createReadStream(file).pipe(req);
    else req.end();
  });
}

/** `h`: the request headers (s3rver checks signatures when there is one, so it is measured anonymously). */
async function measure(base: string, bucket: string, bigFile: string, h: Record<string, string> = H): Promise<Figures> {
  const b = `${base}/${bucket}`;
  const made = await s3http(b, 'PUT', undefined, h);
  if (made.status !== 200) throw new Error(`create bucket: ${made.status} ${made.body.toString().slice(0, 200)}`);
  const small = randomBytes(1024);
  let n = 0;
  const put = await throughput(16, 4000, async () => (await s3http(`${b}/small/${n++ % 2000}`, 'PUT', small, h)).status === 200);
  let m = 0;
  const get = await throughput(16, 4000, async () => {
    const r = await s3http(`${b}/small/${m++ % Math.min(n, 2000)}`, 'GET', undefined, h);
    return r.status === 200 && r.body.length === 1024;
  });
  const rounds = 3;
  let t = performance.now();
  for (let i = 0; i < rounds; i++) {
    const r = await stream(`${b}/big${i}`, 'PUT', bigFile, BIG, h);
    if (r.status !== 200) throw new Error(`big put: ${r.status}`);
  }
  const putMBs = (rounds * 64) / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < rounds; i++) {
    const r = await stream(`${b}/big${i}`, 'GET', undefined, undefined, h);
    if (r.status !== 200 || r.bytes !== BIG) throw new Error(`big get: ${r.status} ${r.bytes}`);
  }
  const getMBs = (rounds * 64) / ((performance.now() - t) / 1000);
  return { put1k: put.rps, get1k: get.rps, putMBs, getMBs };
}

/**
 * A plain Node HTTP server streaming the file to a client on 127.0.0.1: the machine's loopback copy speed. The server
 * is a process of its own, as selfless and the peers are, so that it does not share the client's core.
 */
async function loopback(file: string): Promise<number> {
  const port = 5613;
  const script = `require('http').createServer((q, s) => { s.writeHead(200, { 'content-length': '${BIG}' }); require('fs').createReadStream(${JSON.stringify(file)}, { highWaterMark: 1 << 20 }).pipe(s); }).listen(${port}, '127.0.0.1')`;
  const proc = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  try {
    await waitHttp(`http://127.0.0.1:${port}/`);
    const t = performance.now();
    for (let i = 0; i < 3; i++) await stream(`http://127.0.0.1:${port}/x`, 'GET');
    return 192 / ((performance.now() - t) / 1000);
  } finally {
    proc.kill('SIGTERM');
  }
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${url} did not start`);
}

async function peer(cmd: string, args: string[], url: string, fn: () => Promise<Figures>): Promise<Figures | string> {
  let proc: ChildProcess | undefined;
  try {
    proc = spawn(cmd, args, { stdio: 'ignore' });
    await waitHttp(url);
    return await fn();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    proc?.kill('SIGTERM');
  }
}

const sqsCall = async (url: string, op: string, body: unknown): Promise<any> => {
  const r = await s3http(url, 'POST', JSON.stringify(body), { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${op}` });
  return JSON.parse(r.body.toString('utf8') || '{}');
};

/** PUT acknowledged → record received from the queue (ms), through S3 → SQS directly or S3 → function → SQS destination. */
async function notifyLatency(url: string): Promise<{ sqs: number[]; fn: number[] }> {
  const b = `${url}/bench-notify`;
  await s3http(b, 'PUT', undefined, H);
  const q1 = (await sqsCall(url, 'CreateQueue', { QueueName: 'bench-s3-direct' })).QueueUrl;
  const q2 = (await sqsCall(url, 'CreateQueue', { QueueName: 'bench-s3-fn' })).QueueUrl;
  const code = (await zip({ 'index.js': 'exports.handler = async (e) => e;' })).toString('base64');
  await s3http(`${url}/2015-03-31/functions`, 'POST', JSON.stringify({ FunctionName: 'bench-s3-fn', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/r', Handler: 'index.handler', Code: { ZipFile: code } }), {
    'content-type': 'application/json',
  });
  await s3http(
    `${url}/2019-09-25/functions/bench-s3-fn/event-invoke-config`,
    'PUT',
    JSON.stringify({ DestinationConfig: { OnSuccess: { Destination: 'arn:aws:sqs:us-east-1:000000000000:bench-s3-fn' } } }),
    { 'content-type': 'application/json' },
  );
  const cfg = `<NotificationConfiguration><QueueConfiguration><Id>q</Id><Queue>arn:aws:sqs:us-east-1:000000000000:bench-s3-direct</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>q/</Value></FilterRule></S3Key></Filter></QueueConfiguration><CloudFunctionConfiguration><Id>f</Id><CloudFunction>arn:aws:lambda:us-east-1:000000000000:function:bench-s3-fn</CloudFunction><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>f/</Value></FilterRule></S3Key></Filter></CloudFunctionConfiguration></NotificationConfiguration>`;
  const put = await s3http(`${b}?notification`, 'PUT', cfg, H);
  if (put.status !== 200) throw new Error(`notification config: ${put.body.toString()}`);
  await sqsCall(url, 'PurgeQueue', { QueueUrl: q1 });
  const one = async (prefix: string, q: string): Promise<number> => {
    const t = performance.now();
    await s3http(`${b}/${prefix}${randomBytes(4).toString('hex')}`, 'PUT', 'x', H);
    for (;;) {
      const r = await sqsCall(url, 'ReceiveMessage', { QueueUrl: q, WaitTimeSeconds: 5, MaxNumberOfMessages: 1 });
      const msg = r.Messages?.[0];
      if (!msg) continue;
      await sqsCall(url, 'DeleteMessage', { QueueUrl: q, ReceiptHandle: msg.ReceiptHandle });
      if (!msg.Body.includes('ObjectCreated')) continue;
      return performance.now() - t;
    }
  };
  await one('q/', q1);
  await one('f/', q2);
  const sqs: number[] = [];
  const fn: number[] = [];
  for (let i = 0; i < 20; i++) sqs.push(await one('q/', q1));
  for (let i = 0; i < 20; i++) fn.push(await one('f/', q2));
  return { sqs, fn };
}

export async function run(): Promise<Section> {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-s3-'));
  const bigFile = join(tmp, 'big.bin');
  writeFileSync(bigFile, randomBytes(BIG));
  const notes: string[] = [];
  try {
    // Best of two, so that the first run's warm-up does not understate the machine.
    const lo = Math.max(await loopback(bigFile), await loopback(bigFile));
    const server = await startServer();
    let ours: Figures;
    let lat: { sqs: number[]; fn: number[] };
    try {
      ours = await measure(server.url, 'bench-ours', bigFile);
      lat = await notifyLatency(server.url);
    } finally {
      await server.stop();
      await removeServer(server);
    }
    const motoPort = 5611;
    const moto = await peer('moto_server', ['-p', String(motoPort)], `http://127.0.0.1:${motoPort}/`, () => measure(`http://127.0.0.1:${motoPort}`, 'bench-moto', bigFile));
    let s3rver: Figures | string = 'not installed';
    try {
      const prefix = join(tmp, 's3rver');
      execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--silent', 's3rver'], { stdio: 'ignore', timeout: 180_000 });
      const port = 5612;
      s3rver = await peer(process.execPath, [join(prefix, 'node_modules', 's3rver', 'bin', 's3rver.js'), '-d', join(tmp, 's3rver-data'), '-p', String(port), '-a', '127.0.0.1', '--silent'], `http://127.0.0.1:${port}/`, () =>
        measure(`http://127.0.0.1:${port}`, 'bench-s3rver', bigFile, { 'content-type': 'application/octet-stream' }),
      );
    } catch (e) {
      notes.push(`s3rver skipped: npm install failed (${e instanceof Error ? e.message.split('\n')[0] : String(e)}).`);
    }
    const col = (f: Figures | string, k: keyof Figures): string => (typeof f === 'string' ? 'n/a' : f2(f[k]));
    const rat = (f: Figures | string, k: keyof Figures): string => (typeof f === 'string' ? 'n/a' : ratio(ours[k], f[k]));
    if (typeof moto === 'string') notes.push(`moto_server failed: ${moto}`);
    if (typeof s3rver === 'string' && s3rver !== 'not installed') notes.push(`s3rver failed: ${s3rver}`);
    const rows: [string, keyof Figures][] = [
      ['PUT 1 KB objects (req/s, 16 callers)', 'put1k'],
      ['GET 1 KB objects (req/s, 16 callers)', 'get1k'],
      ['PUT 64 MB objects (MB/s, one at a time)', 'putMBs'],
      ['GET 64 MB objects (MB/s, one at a time)', 'getMBs'],
    ];
    const md = [
      '| figure | selfless | moto_server | ratio | s3rver | ratio |',
      '|---|---|---|---|---|---|',
      ...rows.map(([label, k]) => `| ${label} | ${f2(ours[k])} | ${col(moto, k)} | ${rat(moto, k)} | ${col(s3rver, k)} | ${rat(s3rver, k)} |`),
      '',
      `Loopback copy speed of this machine (a plain Node HTTP server process streaming a 64 MB file to a client on 127.0.0.1, best of two): ${f2(lo)} MB/s; selfless GET of 64 MB objects is ${f2((100 * ours.getMBs) / lo)}% of it.`,
      '',
      `Notification latency (PUT acknowledged → record received by a long-polling consumer), 20 sequential uploads: S3 → SQS p50 ${f2(pct(lat.sqs, 50))} ms, p99 ${f2(pct(lat.sqs, 99))} ms; S3 → function (async invoke) → its OnSuccess SQS destination p50 ${f2(pct(lat.fn, 50))} ms, p99 ${f2(pct(lat.fn, 99))} ms (an upper bound of S3 → function). The peers have no S3 → Lambda path without Docker, so this figure has no peer.`,
      ...(notes.length ? ['', ...notes] : []),
    ].join('\n');
    return { title: 'S3', markdown: md };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
