// HTTP front doors benchmark: a trivial function through a function URL and through a gateway HTTP API route,
// beside serverless-offline's HTTP API, in the same run: sequential latency p50/p99 and throughput, from both a Node
// client in the bench process and wrk (a C load generator that leaves the 2 cores to the servers).
import { CreateFunctionCommand, CreateFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import { startServer } from '../test/helpers/server.js';
import { lambdaClient, ROLE } from '../test/helpers/lambda.js';
import { zip } from '../test/helpers/zip.js';
import { f2, http, latencies, pct, ratio, startOffline, throughput, wrk, WRK, type Section, type WrkFigures } from './lib.js';

const HANDLER = "exports.handler = async () => ({ statusCode: 200, body: 'ok' });";
const SEQ = 1000;
const LOAD_MS = 3000;
const WARMUP_MS = 1000;
const LEVELS = [1, 16, 64];

interface Figures {
  p50: number;
  p99: number;
  rps: Record<number, number>;
  failures: number;
  /** wrk's figures per concurrency (absent when wrk is not installed). */
  wrk?: Record<number, WrkFigures>;
}

async function measure(url: string, headers: Record<string, string> = {}): Promise<Figures> {
  const call = async (): Promise<boolean> => {
    const r = await http(url, 'GET', undefined, headers);
    return r.status === 200 && r.body.toString() === 'ok';
  };
  if (!(await call())) throw new Error(`GET ${url} did not answer 200 ok`);
  const seq = await latencies(SEQ, 100, call);
  const rps: Record<number, number> = {};
  let failures = 0;
  for (const c of LEVELS) {
    await throughput(c, WARMUP_MS, call);
    const r = await throughput(c, LOAD_MS, call);
    rps[c] = r.rps;
    failures += r.failures;
  }
  if (!WRK) return { p50: pct(seq, 50), p99: pct(seq, 99), rps, failures };
  const byWrk: Record<number, WrkFigures> = {};
  for (const c of LEVELS) {
    wrk(url, c, WARMUP_MS / 1000, headers);
    byWrk[c] = wrk(url, c, LOAD_MS / 1000, headers);
  }
  return { p50: pct(seq, 50), p99: pct(seq, 99), rps, failures, wrk: byWrk };
}

/** Creates the trivial function with a URL and a gateway route on a running selfless; returns the URL's host name. */
async function setUp(base: string): Promise<string> {
  const client = lambdaClient(base);
  await client.send(new CreateFunctionCommand({ FunctionName: 'hello', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zip({ 'index.js': HANDLER }) } }));
  const c = await client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'hello', AuthType: 'NONE' }));
  const put = await http(`${base}/_selfless/gateway/apis/bench`, 'PUT', JSON.stringify({ type: 'HTTP', routes: [{ method: 'GET', path: '/hello', function: 'hello' }] }));
  if (put.status !== 200) throw new Error(`gateway route table: ${put.status} ${put.body.toString()}`);
  return new URL(c.FunctionUrl!).host;
}

export async function run(): Promise<Section> {
  // Process isolation, like serverless-offline (which runs handlers in worker threads with no isolation); the
  // sandbox's cost is measured apart below.
  const server = await startServer({ args: ['--isolation', 'process'] });
  let url: Figures;
  let gw: Figures;
  try {
    const host = await setUp(server.url);
    // The function URL by its host name (Host header on a loopback connection, as a browser resolving .localhost sends it).
    url = await measure(`${server.url}/hello`, { host });
    gw = await measure(`${server.url}/gateway/bench/hello`);
  } finally {
    await server.stop();
  }
  let sandboxed: Figures | undefined;
  const boxed = await startServer({ args: ['--isolation', 'sandbox'] }).catch(() => undefined);
  if (boxed) {
    try {
      sandboxed = await measure(`${boxed.url}/hello`, { host: await setUp(boxed.url) });
    } finally {
      await boxed.stop();
    }
  }
  let offline: Figures | undefined;
  let offlineError = '';
  try {
    const sls = await startOffline({ hello: HANDLER.replace('exports.handler', 'module.exports.handler') });
    try {
      offline = await measure(`${sls.httpUrl}/hello`);
    } finally {
      sls.stop();
    }
  } catch (e) {
    offlineError = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
  const o = offline;
  const cell = (f: Figures | undefined, v: (f: Figures) => number, unit: string): string => (f && Number.isFinite(v(f)) ? `${f2(v(f))} ${unit}` : 'n/a');
  const row = (label: string, pick: (f: Figures) => number, unit: string, better: string): string =>
    `| ${label} | ${cell(url, pick, unit)} | ${cell(gw, pick, unit)} | ${cell(o, pick, unit)} | ${o ? ratio(pick(url), pick(o)) : 'n/a'} / ${o ? ratio(pick(gw), pick(o)) : 'n/a'} (${better}) | ${cell(sandboxed, pick, unit)} |`;
  const byWrk = (c: number, k: keyof WrkFigures) => (f: Figures): number => f.wrk?.[c]?.[k] ?? NaN;
  const wrkErrors = (f: Figures | undefined): number => LEVELS.reduce((m, c) => m + (f?.wrk?.[c]?.errors ?? 0), 0);
  const lines = [
    `Trivial Node.js handler (\`${HANDLER}\`), GET on loopback keep-alive connections. selfless (process isolation, like serverless-offline): a function URL (addressed by its`,
    '`<url-id>.lambda-url.us-east-1.localhost` host name) and a gateway HTTP API route (payload 2.0); serverless-offline 13 (serverless 3)',
    `HTTP API route (\`httpApi\`, \`noPrependStageInUrl\`). The last column is the function URL again with \`--isolation sandbox\`.`,
    `Two clients: (1) a Node keep-alive agent inside the bench process: sequential ${SEQ} requests after 100 warm-up, then ${LOAD_MS / 1000} s per`,
    `concurrency after ${WARMUP_MS / 1000} s warm-up; it spends about 100 µs of CPU per request on the same 2 cores the servers use. (2) wrk (1 thread,`,
    `C; ${WRK ? 'installed' : 'NOT installed: apt-get install -y wrk'}), ${LOAD_MS / 1000} s per connection count after ${WARMUP_MS / 1000} s warm-up, which leaves nearly all the CPU to the server under test.`,
    `Failed requests: Node client: URL ${url.failures}, gateway ${gw.failures}${o ? `, serverless-offline ${o.failures}` : ''}; wrk (not counted in its throughput): URL ${wrkErrors(url)}, gateway ${wrkErrors(gw)}${o ? `, serverless-offline ${wrkErrors(o)}` : ''}, sandboxed URL ${wrkErrors(sandboxed)}.`,
    '',
    '| figure | function URL | gateway (HTTP API) | serverless-offline HTTP API | URL ÷ offline / gateway ÷ offline | function URL, sandbox |',
    '|---|---|---|---|---|---|',
    row('latency p50 (Node client)', (f) => f.p50, 'ms', 'lower is better'),
    row('latency p99 (Node client)', (f) => f.p99, 'ms', 'lower is better'),
    ...LEVELS.map((c) => row(`throughput, concurrency ${c} (Node client)`, (f) => f.rps[c] ?? NaN, 'req/s', 'higher is better')),
    ...(WRK
      ? [
          row('latency p50, 1 connection (wrk)', byWrk(1, 'p50'), 'ms', 'lower is better'),
          row('latency p99, 1 connection (wrk)', byWrk(1, 'p99'), 'ms', 'lower is better'),
          ...LEVELS.map((c) => row(`throughput, ${c} connections (wrk)`, byWrk(c, 'rps'), 'req/s', 'higher is better')),
        ]
      : []),
  ];
  if (!o) lines.push('', `serverless-offline could not be measured in this run: ${offlineError}`);
  return { title: 'HTTP front doors (issue 8)', markdown: lines.join('\n') };
}
