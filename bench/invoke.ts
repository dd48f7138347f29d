// Invoke path benchmark: cold start, warm sequential latency and throughput at 1/16/64, beside serverless-offline.
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { startServer } from '../test/helpers/server.js';
import { lambdaClient, ROLE } from '../test/helpers/lambda.js';
import { zip } from '../test/helpers/zip.js';
import { f2, http, latencies, pct, ratio, startOffline, throughput, type Section } from './lib.js';

const HANDLER = 'exports.handler = async (event) => ({ ok: true, n: event.n ?? 0 });';
const COLD = 30;
const WARM = 2000;
const LOAD_MS = 4000;
const WARMUP_MS = 1500;

interface Figures {
  coldP50: number;
  coldP99: number;
  warmP50: number;
  warmP99: number;
  rps: Record<number, number>;
  failures: number;
}

async function measure(invokeUrl: (name: string) => string, warmName: string, coldNames: string[], beforeCold?: (i: number) => Promise<void>): Promise<Figures> {
  const body = Buffer.from('{"n":1}');
  const call = async (name: string): Promise<boolean> => {
    const r = await http(invokeUrl(name), 'POST', body, { 'content-type': 'application/json' });
    return r.status === 200 && r.body.includes('"ok":true');
  };
  const cold: number[] = [];
  for (let i = 0; i < coldNames.length; i++) {
    await beforeCold?.(i);
    const t = performance.now();
    if (!(await call(coldNames[i]!))) throw new Error(`cold invoke of ${coldNames[i]} failed`);
    cold.push(performance.now() - t);
  }
  const warm = await latencies(WARM, 200, () => call(warmName));
  const rps: Record<number, number> = {};
  let failures = 0;
  for (const c of [1, 16, 64]) {
    // Warm-up at this concurrency first, so that both measure steady state (every environment/worker exists).
    await throughput(c, WARMUP_MS, () => call(warmName));
    const r = await throughput(c, LOAD_MS, () => call(warmName));
    rps[c] = r.rps;
    failures += r.failures;
  }
  return { coldP50: pct(cold, 50), coldP99: pct(cold, 99), warmP50: pct(warm, 50), warmP99: pct(warm, 99), rps, failures };
}

export async function run(): Promise<Section> {
  const server = await startServer();
  let selfless: Figures;
  let dryRun = { p50: NaN, rps16: NaN };
  try {
    const client = lambdaClient(server.url);
    const code = await zip({ 'index.js': HANDLER });
    const create = (name: string) =>
      client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: code } }));
    await create('warm');
    const coldNames = Array.from({ length: COLD }, (_, i) => `cold-${i}`);
    // Where the time goes: the same HTTP exchange without running the function (DryRun: resolve + validate only).
    const dryUrl = `${server.url}/2015-03-31/functions/warm/invocations`;
    const dryCall = async (): Promise<boolean> => (await http(dryUrl, 'POST', '{"n":1}', { 'x-amz-invocation-type': 'DryRun' })).status === 204;
    const dry = await latencies(WARM, 200, dryCall);
    dryRun = { p50: pct(dry, 50), rps16: (await throughput(16, LOAD_MS, dryCall)).rps };
    selfless = await measure(
      (n) => `${server.url}/2015-03-31/functions/${n}/invocations`,
      'warm',
      coldNames,
      async (i) => {
        // A fresh function each time: create it, give the pre-started pool a moment to refill as a deploy would.
        await create(coldNames[i]!);
        await new Promise((r) => setTimeout(r, 150));
      },
    );
  } finally {
    await server.stop();
  }

  let offline: Figures | undefined;
  let offlineError = '';
  try {
    const fns: Record<string, string> = { warm: HANDLER.replace('exports.handler', 'module.exports.handler') };
    for (let i = 0; i < COLD; i++) fns[`cold${i}`] = HANDLER;
    const sls = await startOffline(fns);
    try {
      offline = await measure(
        (n) => `${sls.lambdaUrl}/2015-03-31/functions/bench-dev-${n}/invocations`,
        'warm',
        Array.from({ length: COLD }, (_, i) => `cold${i}`),
      );
    } finally {
      sls.stop();
    }
  } catch (e) {
    offlineError = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }

  const o = offline;
  const row = (label: string, s: number, b: number | undefined, unit: string, better: 'lower' | 'higher') =>
    `| ${label} | ${f2(s)} ${unit} | ${b === undefined ? 'n/a' : `${f2(b)} ${unit}`} | ${b === undefined ? 'n/a' : ratio(s, b)} (${better} is better) |`;
  const lines = [
    `Trivial Node.js handler (\`${HANDLER}\`), 128 MB, process isolation. Client: one keep-alive HTTP agent on loopback calling the`,
    `Invoke API (\`POST /2015-03-31/functions/{name}/invocations\`) of each; serverless-offline ${'13'} with serverless 3 started by the bench in a temp dir.`,
    `Cold start: first invoke of ${COLD} functions (selfless: each freshly created, 150 ms after its CreateFunction; serverless-offline: ${COLD} functions defined at start, first call each).`,
    `Warm: ${WARM} sequential invokes after 200 warm-up. Throughput: ${LOAD_MS / 1000} s at each concurrency after ${WARMUP_MS / 1000} s of warm-up at that concurrency. Failed calls during load: selfless ${selfless.failures}${o ? `, serverless-offline ${o.failures}` : ''}.`,
    '',
    '| figure | selfless | serverless-offline | selfless ÷ offline |',
    '|---|---|---|---|',
    row('cold start p50', selfless.coldP50, o?.coldP50, 'ms', 'lower'),
    row('cold start p99', selfless.coldP99, o?.coldP99, 'ms', 'lower'),
    row('warm invoke p50', selfless.warmP50, o?.warmP50, 'ms', 'lower'),
    row('warm invoke p99', selfless.warmP99, o?.warmP99, 'ms', 'lower'),
    row('throughput, concurrency 1', selfless.rps[1]!, o?.rps[1], 'req/s', 'higher'),
    row('throughput, concurrency 16', selfless.rps[16]!, o?.rps[16], 'req/s', 'higher'),
    row('throughput, concurrency 64', selfless.rps[64]!, o?.rps[64], 'req/s', 'higher'),
  ];
  lines.push(
    '',
    `Where the time goes: the same Invoke request with \`DryRun\` (HTTP, routing, resolution; no function run) takes ${f2(dryRun.p50)} ms p50 and`,
    `reaches ${f2(dryRun.rps16)} req/s at concurrency 16 on this machine, so of selfless's warm p50 about ${f2(selfless.warmP50 - dryRun.p50)} ms is the hand-off to the`,
    'runtime process and back (two cross-process hops over loopback plus the runtime client\'s own work).',
  );
  if (!o) lines.push('', `serverless-offline could not be measured in this run: ${offlineError}`);
  return { title: 'Invoke path (issue 3)', markdown: lines.join('\n') };
}
