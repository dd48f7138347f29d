// A/B tool (not a bench section): server CPU per event (user+system time of the server process, from /proc) for N
// invokes of a trivial function from 64 clients, run end to end; steadier than wall-clock rates on a shared machine.
//   node dist/bench/async-cpu.js [N] [selfless start flags…]     INVOKE_TYPE=RequestResponse compares sync invokes;
//   PROF_NODE=<a script that execs node --cpu-prof …> profiles the server.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { startServer } from '../test/helpers/server.js';
import { lambdaClient, ROLE } from '../test/helpers/lambda.js';
import { zip } from '../test/helpers/zip.js';
import { http } from './lib.js';

const COUNTER = `const fs = require('fs');
exports.handler = async (event) => { fs.appendFileSync(process.env.OUT, 'x'); return {}; };`;
/** CPU ticks per thread (`main`, or name#tid). */
const threads = (pid: number): Map<string, number> => {
  const out = new Map<string, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const raw = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const name = t === String(pid) ? 'main' : `${raw.slice(raw.indexOf('(') + 1, raw.lastIndexOf(')'))}#${t}`;
      const f = raw.slice(raw.lastIndexOf(') ') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + Number(f[11]) + Number(f[12]));
    } catch {
      /* the thread ended */
    }
  }
  return out;
};
const count = (f: string): number => (existsSync(f) ? readFileSync(f).length : 0);
const ticks = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
};

async function main(): Promise<void> {
  const N = Number(process.argv[2] ?? 8000);
  const dir = mkdtempSync(join(tmpdir(), 'selfless-cpu-'));
  if (process.env.PROF_NODE) process.execPath = process.env.PROF_NODE;
  const server = await startServer({ env: { SELFLESS_ISOLATION: 'process' }, args: process.argv.slice(3) });
  const client = lambdaClient(server.url);
  const out = join(dir, 'o.txt');
  await client.send(new CreateFunctionCommand({ FunctionName: 'e2e', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zip({ 'index.js': COUNTER }) }, Environment: { Variables: { OUT: out } } }));
  const url = `${server.url}/2015-03-31/functions/e2e/invocations`;
  const type = process.env.INVOKE_TYPE ?? 'Event';
  const ok = type === 'Event' ? 202 : 200;
  const fire = async () => (await http(url, 'POST', Buffer.from('{"n":1}'), { 'x-amz-invocation-type': type })).status;
  for (let i = 0; i < 200; i++) await fire();
  while (count(out) < 200) await new Promise((r) => setTimeout(r, 20));
  const pid = server.proc.pid!;
  const c0 = ticks(pid);
  const th0 = threads(pid);
  const t0 = performance.now();
  let sent = 0;
  await Promise.all(Array.from({ length: 64 }, async () => { while (sent < N) { sent++; if ((await fire()) !== ok) throw new Error(`not ${ok}`); } }));
  const ta = performance.now();
  const ca = ticks(pid);
  while (count(out) < N + 200) await new Promise((r) => setTimeout(r, 10));
  const t1 = performance.now();
  const c1 = ticks(pid);
  const th1 = threads(pid);
  const per = [...th1].map(([n, v]) => [n, ((v - (th0.get(n) ?? 0)) * 10000) / N] as const).filter(([, v]) => v >= 5);
  console.log(`  by thread (us/event): ${per.map(([n, v]) => `${n} ${v.toFixed(0)}`).join(', ')}`);
  console.log(`accept ${(N / ((ta - t0) / 1000)).toFixed(0)}/s  e2e ${(N / ((t1 - t0) / 1000)).toFixed(0)}/s  server cpu ${(((c1 - c0) * 10000) / N).toFixed(0)} us/event (accept phase ${(((ca - c0) * 10000) / N).toFixed(0)})`);
  client.destroy();
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
void main();
