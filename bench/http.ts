// HTTP front doors benchmark: a trivial function through a function URL and through a gateway HTTP API route,
// beside serverless-offline's HTTP API, in the same run: sequential latency p50/p99 and throughput.
import { CreateFunctionCommand, CreateFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import { startServer } from '../test/helpers/server.js';
import { lambdaClient, ROLE } from '../test/helpers/lambda.js';
import { zip } from '../test/helpers/zip.js';
import { f2, http, latencies, pct, ratio, startOffline, throughput, type Section } from './lib.js';

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
  return { p50: pct(seq, 50), p99: pct(seq, 99), rps, failures };
}

export async function run(): Promise<Section> {
  const server = await startServer();
  let url: Figures;
  let gw: Figures;
  try {
    const client = lambdaClient(server.url);
    await client.send(new CreateFunctionCommand({ FunctionName: 'hello', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zip({ 'index.js': HANDLER }) } }));
    const c = await client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'hello', AuthType: 'NONE' }));
    const host = new URL(c.FunctionUrl!).host;
    const put = await http(`${server.url}/_selfless/gateway/apis/bench`, 'PUT', JSON.stringify({ type: 'HTTP', routes: [{ method: 'GET', path: '/hello', function: 'hello' }] }));
    if (put.status !== 200) throw new Error(`gateway route table: ${put.status} ${put.body.toString()}`);
    // The function URL by its host name (Host header on a loopback connection, as a browser resolving .localhost sends it).
    url = await measure(`${server.url}/hello`, { host });
    gw = await measure(`${server.url}/gateway/bench/hello`);
  } finally {
    await server.stop();
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
  const row = (label: string, pick: (f: Figures) => number, unit: string, better: string): string =>
    `| ${label} | ${f2(pick(url))} ${unit} | ${f2(pick(gw))} ${unit} | ${o ? `${f2(pick(o))} ${unit}` : 'n/a'} | ${o ? ratio(pick(url), pick(o)) : 'n/a'} / ${o ? ratio(pick(gw), pick(o)) : 'n/a'} (${better}) |`;
  const lines = [
    `Trivial Node.js handler (\`${HANDLER}\`), GET with a keep-alive HTTP agent on loopback. selfless: a function URL (addressed by its`,
    '`<url-id>.lambda-url.us-east-1.localhost` host name) and a gateway HTTP API route (payload 2.0); serverless-offline 13 (serverless 3)',
    `HTTP API route (\`httpApi\`, \`noPrependStageInUrl\`). Sequential: ${SEQ} requests after 100 warm-up. Throughput: ${LOAD_MS / 1000} s per`,
    `concurrency after ${WARMUP_MS / 1000} s warm-up. Failed requests: URL ${url.failures}, gateway ${gw.failures}${o ? `, serverless-offline ${o.failures}` : ''}.`,
    '',
    '| figure | function URL | gateway (HTTP API) | serverless-offline HTTP API | URL ÷ offline / gateway ÷ offline |',
    '|---|---|---|---|---|',
    row('latency p50', (f) => f.p50, 'ms', 'lower is better'),
    row('latency p99', (f) => f.p99, 'ms', 'lower is better'),
    ...LEVELS.map((c) => row(`throughput, concurrency ${c}`, (f) => f.rps[c] ?? NaN, 'req/s', 'higher is better')),
  ];
  if (!o) lines.push('', `serverless-offline could not be measured in this run: ${offlineError}`);
  return { title: 'HTTP front doors (issue 8)', markdown: lines.join('\n') };
}
