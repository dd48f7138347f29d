// Invoke path benchmark: cold start, warm sequential latency and throughput at 1/16/64, beside serverless-offline.
import { existsSync, readFileSync } from 'node:fs';
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

/** CPU time (µs) of a process and of its live descendants, from /proc (Linux); undefined elsewhere. */
function cpuMicros(pid: number | undefined): { self: number; children: number } | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return undefined;
  const ticks = (p: string): number => {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return Number(f[11]) + Number(f[12]);
    } catch {
      return 0;
    }
  };
  const childrenOf = (p: string): string[] => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      return [];
    }
  };
  // Every descendant (a sandbox puts bwrap between the server and the runtime).
  const children: string[] = [];
  for (let queue = childrenOf(String(pid)); queue.length > 0; ) {
    const c = queue.shift()!;
    children.push(c);
    queue = queue.concat(childrenOf(c));
  }
  // 100 ticks per second on Linux.
  return { self: ticks(String(pid)) * 10_000, children: children.reduce((a, c) => a + ticks(c), 0) * 10_000 };
}

interface CpuSplit {
  server: number;
  runtimes: number;
  client: number;
}

async function measure(
  invokeUrl: (name: string) => string,
  warmName: string,
  coldNames: string[],
  beforeCold?: (i: number) => Promise<void>,
  pid?: number,
): Promise<Figures & { cpu16?: CpuSplit }> {
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
  let cpu16: CpuSplit | undefined;
  for (const c of [1, 16, 64]) {
    // Warm-up at this concurrency first, so that both measure steady state (every environment/worker exists).
    await throughput(c, WARMUP_MS, () => call(warmName));
    const before = cpuMicros(pid);
    const mine = process.cpuUsage();
    const r = await throughput(c, LOAD_MS, () => call(warmName));
    const after = cpuMicros(pid);
    const client = process.cpuUsage(mine);
    rps[c] = r.rps;
    failures += r.failures;
    if (c === 16 && before && after && r.rps > 0) {
      const n = (r.rps * LOAD_MS) / 1000;
      cpu16 = { server: (after.self - before.self) / n, runtimes: (after.children - before.children) / n, client: (client.user + client.system) / n };
    }
  }
  return { coldP50: pct(cold, 50), coldP99: pct(cold, 99), warmP50: pct(warm, 50), warmP99: pct(warm, 99), rps, failures, cpu16 };
}

export async function run(): Promise<Section> {
  // Process isolation, like serverless-offline (no isolation at all); bench/sandbox.ts measures what the sandbox adds.
  const server = await startServer({ args: ['--isolation', 'process'] });
  let selfless: Figures & { cpu16?: CpuSplit };
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
      server.proc.pid,
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
  const cpu = selfless.cpu16;
  if (cpu) {
    lines.push(
      `CPU per invocation at concurrency 16 (from /proc): selfless server ${f2(cpu.server)} µs, runtime processes ${f2(cpu.runtimes)} µs,`,
      `bench client ${f2(cpu.client)} µs: ${f2(cpu.server + cpu.runtimes + cpu.client)} µs in all, which bounds throughput on 2 cores at about ${f2(2e6 / (cpu.server + cpu.runtimes + cpu.client))} req/s.`,
    );
  }
  if (!o) lines.push('', `serverless-offline could not be measured in this run: ${offlineError}`);
  return { title: 'Invoke path (issue 3)', markdown: lines.join('\n') };
}
