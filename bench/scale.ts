// Scale on one node (issue 19, item 3), in the default mode: the memory (PSS) of many warm idle environments of a
// Node.js and of a Python function, and a burst of first invokes of one function.
import { CreateFunctionCommand, type Runtime } from '@aws-sdk/client-lambda';
import { startServer } from '../test/helpers/server.js';
import { lambdaClient, ROLE } from '../test/helpers/lambda.js';
import { zip } from '../test/helpers/zip.js';
import { descendants, f2, http, procText, wideAgent, type Section } from './lib.js';

const IDLE = Number(process.env['SELFLESS_BENCH_IDLE'] ?? 1000);
const BURST = Number(process.env['SELFLESS_BENCH_BURST'] ?? 500);

/** A field of /proc/<pid>/smaps_rollup in KiB (0 when the process is gone). */
const rollup = (pid: string, field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(procText(pid, 'smaps_rollup'))?.[1] ?? 0);
const comm = (pid: string): string => procText(pid, 'comm').trim();

interface Idle {
  runtime: string;
  envs: number;
  seconds: number;
  failures: number;
  pssMiB: number;
  serverMiB: number;
  runtimeProcs: number;
}

/**
 * `n` concurrent invokes of a function that waits until a moment after the last one can have started, so each gets
 * its own environment; then the environments idle (frozen) and the server's descendants' PSS is summed.
 */
async function idle(runtime: string, n: number): Promise<Idle> {
  const server = await startServer({ args: ['--idle-timeout', '3600'] });
  try {
    const client = lambdaClient(server.url);
    const files: Record<string, string> = runtime.startsWith('python')
      ? { 'index.py': 'import time\ndef handler(e, c):\n    time.sleep(max(0, e["until"] / 1000 - time.time()))\n    return {"ok": True}\n' }
      : { 'index.js': 'exports.handler = async (e) => { await new Promise((r) => setTimeout(r, Math.max(0, e.until - Date.now()))); return { ok: true }; };' };
    await client.send(new CreateFunctionCommand({ FunctionName: 'idle', Runtime: runtime as Runtime, Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zip(files) }, Timeout: 300 }));
    const t0 = performance.now();
    // Every invocation holds its environment until all can have started (cold starts of n environments on this machine).
    const until = Date.now() + Math.max(20_000, n * 60);
    const rs = await Promise.all(Array.from({ length: n }, () => http(`${server.url}/2015-03-31/functions/idle/invocations`, 'POST', JSON.stringify({ until }), {}, wideAgent).catch(() => ({ status: 0 }))));
    const seconds = (performance.now() - t0) / 1000;
    // Let them settle into their idle (frozen) state.
    await new Promise((r) => setTimeout(r, 5000));
    const procs = descendants(server.proc.pid);
    const family = runtime.startsWith('python') ? 'python' : 'node';
    const runtimeProcs = procs.filter((p) => comm(p).startsWith(family) && procText(p, 'cmdline').includes('bootstrap')).length;
    const pss = procs.reduce((a, p) => a + rollup(p, 'Pss'), 0);
    return { runtime, envs: n, seconds, failures: rs.filter((r) => r.status !== 200).length, pssMiB: pss / 1024, serverMiB: rollup(String(server.proc.pid), 'Pss') / 1024, runtimeProcs };
  } finally {
    await server.stop();
  }
}

/** `n` concurrent first invokes of one freshly created function: wall time until every one answered, and failures. */
async function burst(n: number): Promise<{ seconds: number; failures: number; statuses: Record<string, number> }> {
  const server = await startServer({ args: ['--idle-timeout', '3600'] });
  try {
    const client = lambdaClient(server.url);
    await client.send(new CreateFunctionCommand({ FunctionName: 'burst', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zip({ 'index.js': 'exports.handler = async () => ({ ok: true });' }) } }));
    const t0 = performance.now();
    const rs = await Promise.all(Array.from({ length: n }, () => http(`${server.url}/2015-03-31/functions/burst/invocations`, 'POST', '{}', {}, wideAgent).catch(() => ({ status: 0 }))));
    const seconds = (performance.now() - t0) / 1000;
    const statuses: Record<string, number> = {};
    for (const r of rs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    return { seconds, failures: rs.filter((r) => r.status !== 200).length, statuses };
  } finally {
    await server.stop();
  }
}

export async function run(): Promise<Section> {
  const node = await idle('nodejs20.x', IDLE);
  const python = await idle('python3.12', IDLE);
  const b = await burst(BURST);
  const row = (i: Idle): string =>
    `| ${i.runtime} | ${i.envs} (${i.runtimeProcs} runtime processes) | ${f2(i.seconds)} s | ${i.failures} | ${f2(i.pssMiB / 1024)} GiB | ${f2(i.pssMiB / i.runtimeProcs)} MiB | ${f2(i.serverMiB)} MiB |`;
  const lines = [
    `Default mode (the sandbox where it works), \`--idle-timeout 3600\`. Idle: ${IDLE} concurrent invokes of one function whose`,
    'handler waits until all can have started, so each gets its own environment; 5 s later, with every environment idle',
    '(frozen), the PSS (proportional set size: shared pages counted once) of all the server\'s descendants is summed from',
    '`/proc/<pid>/smaps_rollup` (runtimes, bwrap, helpers; the pre-started runtimes included).',
    '',
    '| function | invokes (runtime processes) | all answered in | failed | PSS of all environments | per runtime process | server process |',
    '|---|---|---|---|---|---|---|',
    row(node),
    row(python),
    '',
    `Burst: ${BURST} concurrent first invokes of one freshly created Node.js function: every one answered after ${f2(b.seconds)} s;`,
    `${b.failures} failed (statuses ${JSON.stringify(b.statuses)}).`,
    '',
    // The issue's targets are for 1,000 environments (6 GiB: 6.14 MiB each) and a burst of 500 (10 s).
    `Targets (1,000 idle environments within 6 GiB, so 6.14 MiB each; a burst of 500 with 0 errors within 10 s): Node.js`,
    `${node.pssMiB / node.runtimeProcs <= 6.144 ? 'met' : '**missed**'} (${f2(node.pssMiB / node.runtimeProcs)} MiB), Python ${python.pssMiB / python.runtimeProcs <= 6.144 ? 'met' : '**missed**'}`,
    `(${f2(python.pssMiB / python.runtimeProcs)} MiB); burst ${BURST === 500 ? (b.failures === 0 && b.seconds <= 10 ? 'met' : '**missed**') : `not comparable (${BURST} invokes, not 500)`}.`,
  ];
  return { title: 'Scale on one node (issue 19)', markdown: lines.join('\n') };
}
