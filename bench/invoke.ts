// Invoke path benchmark (issue 19), in one run: selfless in its default mode (the sandbox where it works) and with
// `--isolation process`, serverless-offline, and a bare Node.js HTTP echo server as the floor, each driven by the same
// Node client and by wrk. The cold invoke is timed from the moment CreateFunction returns.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { startServer, type Running } from '../test/helpers/server.js';
import { lambdaClient, ROLE } from '../test/helpers/lambda.js';
import { zip } from '../test/helpers/zip.js';
import { descendants, f2, http, latencies, pct, procText, ratio, startOffline, throughput, wrk, WRK, type Section } from './lib.js';

const HANDLER = 'exports.handler = async (event) => ({ ok: true, n: event.n ?? 0 });';
const COLD = Number(process.env['SELFLESS_BENCH_COLD'] ?? 30);
const WARM = 2000;
const LOAD_MS = 4000;
const WARMUP_MS = 1500;
const WRK_SECONDS = 5;
const BODY = '{"n":1}';

interface Figures {
  coldP50: number;
  coldP99: number;
  warmP50: number;
  warmP99: number;
  rps: Record<number, number>;
  failures: number;
  wrk?: { rps: number; p50: number; errors: number };
  cpu16?: CpuSplit;
}

interface CpuSplit {
  server: number;
  runtimes: number;
  client: number;
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
  // 100 ticks per second on Linux.
  return { self: ticks(String(pid)) * 10_000, children: descendants(pid).reduce((a, c) => a + ticks(c), 0) * 10_000 };
}

const comm = (pid: string): string => procText(pid, 'comm').trim();

interface Target {
  /** URL of the warm function's invoke (or the echo server). */
  warmUrl: string;
  /** Cold names, and what to do before timing each (create it, for selfless): the timer starts when it resolves. */
  cold?: { url: (i: number) => string; before?: (i: number) => Promise<void> };
  pid?: number;
}

async function measure(t: Target): Promise<Figures> {
  const call = async (url: string): Promise<boolean> => {
    const r = await http(url, 'POST', BODY, { 'content-type': 'application/json' });
    return r.status === 200 && r.body.includes('"ok":true');
  };
  const cold: number[] = [];
  for (let i = 0; t.cold && i < COLD; i++) {
    await t.cold.before?.(i);
    const start = performance.now();
    if (!(await call(t.cold.url(i)))) throw new Error(`cold invoke ${i} of ${t.cold.url(i)} failed`);
    cold.push(performance.now() - start);
  }
  const warm = await latencies(WARM, 200, () => call(t.warmUrl));
  const rps: Record<number, number> = {};
  let failures = 0;
  let cpu16: CpuSplit | undefined;
  for (const c of [1, 16, 64]) {
    // Warm-up at this concurrency first, so that both measure steady state (every environment/worker exists).
    await throughput(c, WARMUP_MS, () => call(t.warmUrl));
    const before = cpuMicros(t.pid);
    const mine = process.cpuUsage();
    const r = await throughput(c, LOAD_MS, () => call(t.warmUrl));
    const after = cpuMicros(t.pid);
    const client = process.cpuUsage(mine);
    rps[c] = r.rps;
    failures += r.failures;
    if (c === 16 && before && after && r.rps > 0) {
      const n = (r.rps * LOAD_MS) / 1000;
      cpu16 = { server: (after.self - before.self) / n, runtimes: (after.children - before.children) / n, client: (client.user + client.system) / n };
    }
  }
  const w = WRK ? wrk(t.warmUrl, 16, WRK_SECONDS, { 'content-type': 'application/json' }, BODY) : undefined;
  return {
    coldP50: cold.length ? pct(cold, 50) : NaN,
    coldP99: cold.length ? pct(cold, 99) : NaN,
    warmP50: pct(warm, 50),
    warmP99: pct(warm, 99),
    rps,
    failures,
    cpu16,
    wrk: w && { rps: w.rps, p50: w.p50, errors: w.errors },
  };
}

/** selfless with `args`: a warm function, COLD functions each created just before its timed first invoke. */
async function selfless(args: string[]): Promise<{ figures: Figures; dry: { p50: number; rps16: number }; mode: string }> {
  const server: Running = await startServer({ args });
  try {
    const client = lambdaClient(server.url);
    const code = await zip({ 'index.js': HANDLER });
    const create = (name: string) =>
      client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: code } }));
    await create('warm');
    const url = (n: string): string => `${server.url}/2015-03-31/functions/${n}/invocations`;
    // Where the time goes: the same HTTP exchange without running the function (DryRun: resolve + validate only).
    const dryCall = async (): Promise<boolean> => (await http(url('warm'), 'POST', BODY, { 'x-amz-invocation-type': 'DryRun' })).status === 204;
    const dry = await latencies(WARM, 200, dryCall);
    const dryRps = (await throughput(16, LOAD_MS, dryCall)).rps;
    const figures = await measure({
      warmUrl: url('warm'),
      cold: { url: (i) => url(`cold-${i}`), before: async (i) => void (await create(`cold-${i}`)) },
      pid: server.proc.pid,
    });
    const mode = descendants(server.proc.pid).some((c) => comm(c) === 'bwrap') ? 'sandbox' : 'process';
    return { figures, dry: { p50: pct(dry, 50), rps16: dryRps }, mode };
  } finally {
    await server.stop();
  }
}

/** The floor: a bare Node.js HTTP server in its own process answering each POST with a small JSON body. */
async function echo(): Promise<Figures> {
  const src = `require('http').createServer((q, s) => { const c = []; q.on('data', (d) => c.push(d)); q.on('end', () => { s.setHeader('content-type', 'application/json'); s.end('{"ok":true,"n":1}'); }); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  const proc = spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve) => proc.stdout!.once('data', (c: Buffer) => resolve(Number(c.toString().trim()))));
    return await measure({ warmUrl: `http://127.0.0.1:${port}/`, pid: proc.pid });
  } finally {
    proc.kill('SIGKILL');
  }
}

export async function run(): Promise<Section> {
  const def = await selfless([]);
  const proc = await selfless(['--isolation', 'process']);
  const floor = await echo();
  let offline: Figures | undefined;
  let offlineError = '';
  try {
    const fns: Record<string, string> = { warm: HANDLER.replace('exports.handler', 'module.exports.handler') };
    for (let i = 0; i < COLD; i++) fns[`cold${i}`] = HANDLER;
    const sls = await startOffline(fns);
    try {
      const u = (n: string): string => `${sls.lambdaUrl}/2015-03-31/functions/bench-dev-${n}/invocations`;
      offline = await measure({ warmUrl: u('warm'), cold: { url: (i) => u(`cold${i}`) } });
    } finally {
      sls.stop();
    }
  } catch (e) {
    offlineError = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }

  const cols: [string, Figures | undefined][] = [
    [`selfless default (${def.mode})`, def.figures],
    ['selfless process', proc.figures],
    ['serverless-offline', offline],
    ['echo floor', floor],
  ];
  const v = (f: Figures | undefined, pick: (f: Figures) => number | undefined, unit: string): string => {
    const x = f && pick(f);
    return x === undefined || !Number.isFinite(x) ? 'n/a' : `${f2(x)} ${unit}`;
  };
  const row = (label: string, pick: (f: Figures) => number | undefined, unit: string): string =>
    `| ${label} | ${cols.map(([, f]) => v(f, pick, unit)).join(' | ')} |`;
  const d = def.figures;
  const o = offline;
  const lines = [
    `Trivial Node.js handler (\`${HANDLER}\`), 128 MB. Node client: one keep-alive HTTP agent on loopback calling the Invoke API`,
    `(\`POST /2015-03-31/functions/{name}/invocations\`); wrk: 1 thread, 16 connections, ${WRK_SECONDS} s. serverless-offline 13 with serverless 3.`,
    `Cold: first invoke of ${COLD} functions, selfless's timed from the moment its CreateFunction returned (no pause);`,
    `serverless-offline's are ${COLD} functions defined at start, first call each. Warm: ${WARM} sequential invokes after 200 warm-up.`,
    `Throughput: ${LOAD_MS / 1000} s at each concurrency after ${WARMUP_MS / 1000} s of warm-up. Failed calls: ${cols.map(([n, f]) => `${n} ${f?.failures ?? 'n/a'}`).join(', ')}.`,
    '',
    `| figure | ${cols.map(([n]) => n).join(' | ')} |`,
    `|---|${cols.map(() => '---').join('|')}|`,
    row('cold start p50', (f) => f.coldP50, 'ms'),
    row('cold start p99', (f) => f.coldP99, 'ms'),
    row('warm p50', (f) => f.warmP50, 'ms'),
    row('warm p99', (f) => f.warmP99, 'ms'),
    row('throughput c=1', (f) => f.rps[1], 'req/s'),
    row('throughput c=16', (f) => f.rps[16], 'req/s'),
    row('throughput c=64', (f) => f.rps[64], 'req/s'),
    row('wrk c=16 throughput', (f) => f.wrk?.rps, 'req/s'),
    row('wrk c=16 p50', (f) => f.wrk?.p50, 'ms'),
    row('CPU per invoke at c=16: server', (f) => f.cpu16?.server, 'µs'),
    row('CPU per invoke at c=16: runtimes', (f) => f.cpu16?.runtimes, 'µs'),
    row('CPU per invoke at c=16: client', (f) => f.cpu16?.client, 'µs'),
    '',
    '| target (default mode) | measured | met |',
    '|---|---|---|',
  ];
  const target = (label: string, value: number | undefined, limit: number, better: 'lower' | 'higher', show: string): string => {
    if (value === undefined || !Number.isFinite(value)) return `| ${label} | n/a | n/a |`;
    const met = better === 'lower' ? value <= limit : value >= limit;
    return `| ${label} | ${show} | ${met ? 'yes' : '**no**'} |`;
  };
  const r = (a: number, b: number | undefined): number | undefined => (b === undefined || !(b > 0) ? undefined : a / b);
  lines.push(
    target('warm p50 ≤ 0.4× serverless-offline', r(d.warmP50, o?.warmP50), 0.4, 'lower', ratio(d.warmP50, o?.warmP50 ?? NaN)),
    target('warm p50 ≤ 2× echo floor', r(d.warmP50, floor.warmP50), 2, 'lower', ratio(d.warmP50, floor.warmP50)),
    target('throughput c=16 ≥ 2.5× serverless-offline (Node client)', r(d.rps[16]!, o?.rps[16]), 2.5, 'higher', ratio(d.rps[16]!, o?.rps[16] ?? NaN)),
    target('throughput c=16 ≥ 2.5× serverless-offline (wrk)', d.wrk && r(d.wrk.rps, o?.wrk?.rps), 2.5, 'higher', d.wrk && o?.wrk ? ratio(d.wrk.rps, o.wrk.rps) : 'n/a'),
    target('throughput c=16 ≥ 50% of echo floor (Node client)', r(d.rps[16]!, floor.rps[16]), 0.5, 'higher', ratio(d.rps[16]!, floor.rps[16]!)),
    target('throughput c=16 ≥ 50% of echo floor (wrk)', d.wrk && floor.wrk && r(d.wrk.rps, floor.wrk.rps), 0.5, 'higher', d.wrk && floor.wrk ? ratio(d.wrk.rps, floor.wrk.rps) : 'n/a'),
    target('first invoke after create ≤ 15 ms p50', d.coldP50, 15, 'lower', `${f2(d.coldP50)} ms`),
    '',
    `DryRun (HTTP, routing, resolution; no function run): default mode ${f2(def.dry.p50)} ms p50, ${f2(def.dry.rps16)} req/s at concurrency 16;`,
    `process mode ${f2(proc.dry.p50)} ms p50, ${f2(proc.dry.rps16)} req/s.`,
  );
  if (!o) lines.push('', `serverless-offline could not be measured in this run: ${offlineError}`);
  if (!WRK) lines.push('', 'wrk is not installed (apt-get install -y wrk): its rows are n/a.');
  return { title: 'Invoke path (issue 19)', markdown: lines.join('\n') };
}
