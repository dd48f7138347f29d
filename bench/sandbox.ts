// Sandbox cost benchmark: what `--isolation sandbox` (as root, and rootless where it can be tried) adds to a cold start
// and to a warm invoke, against `process`.
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT, type Running } from '../test/helpers/server.js';
import { startInMode } from '../test/helpers/isolation.js';
import { lambdaClient, ROLE } from '../test/helpers/lambda.js';
import { zip } from '../test/helpers/zip.js';
import { f2, http, pct, type Section } from './lib.js';

const HANDLER = 'exports.handler = async (event) => ({ ok: true, n: event.n ?? 0 });';
/** The same with a timer left behind (an unref'd interval, as SDK clients leave): the sandbox freezes it when idle. */
const TICKING = `setInterval(() => {}, 1000).unref();\n${HANDLER}`;
const COLD_NODE = 20;
const COLD_SHELL = 10;
const WARM = 2000;
const IDLE_CALLS = 100;
const IDLE_GAP_MS = 20;
/** A full CPU share, so the figures show what the sandbox itself costs, not the smaller share a 128 MB function gets. */
const MEMORY = 1769;

interface Figures {
  coldNode: number[];
  coldShell: number[];
  coldShellSmall: number[];
  warm: number[];
  afterIdle: number[];
  afterIdleFrozen: number[];
  /** The server process's own CPU time (utime+stime) per invoke, in ms, over the warm and after-idle runs. */
  cpuWarm: number;
  cpuAfterIdle: number;
}

type Mode = 'process' | 'sandbox' | 'rootless';

/** utime+stime in ms (clock ticks of 10 ms) of a server and its resident mount helper (its python3 child). */
function cpuMs(server: number): number {
  let ms = 0;
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(n) === server || (Number(f[1]) === server && comm.startsWith('python'))) ms += (Number(f[11]) + Number(f[12])) * 10;
    } catch {
      /* gone */
    }
  }
  return ms;
}

/** One server per mode; both are measured step by step in turn, so that load on the host weighs on both alike. */
async function serverFor(mode: Mode) {
  const started = await startInMode(mode);
  if (!started.server) throw new Error(`${mode}: ${started.skip}`);
  const server: Running = started.server;
  const client = lambdaClient(server.url);
  const create = (name: string, runtime: string, handler: string, code: Buffer, memory = MEMORY) =>
    client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: runtime as never, Role: ROLE, Handler: handler, Code: { ZipFile: code }, MemorySize: memory }));
  const call = async (name: string, expect: string): Promise<number> => {
    const t = performance.now();
    const r = await http(`${server.url}/2015-03-31/functions/${name}/invocations`, 'POST', '{"n":1}', { 'content-type': 'application/json' });
    if (r.status !== 200 || !r.body.includes(expect)) throw new Error(`${mode}: invoke of ${name} failed: ${r.status} ${r.body}`);
    return performance.now() - t;
  };
  return { server, create, call, cpu: () => cpuMs(server.proc.pid!) };
}

async function measure(): Promise<{ modes: Mode[]; out: Partial<Record<Mode, Figures>>; skipped?: string }> {
  const modes: Mode[] = ['process', 'sandbox', 'rootless'];
  const servers: Partial<Record<Mode, Awaited<ReturnType<typeof serverFor>>>> = {};
  let skipped: string | undefined;
  for (const m of [...modes]) {
    try {
      servers[m] = await serverFor(m);
    } catch (e) {
      if (m !== 'rootless') throw e;
      skipped = e instanceof Error ? e.message : String(e);
      modes.pop();
    }
  }
  const blank = (): Figures => ({ coldNode: [], coldShell: [], coldShellSmall: [], warm: [], afterIdle: [], afterIdleFrozen: [], cpuWarm: 0, cpuAfterIdle: 0 });
  const out: Partial<Record<Mode, Figures>> = Object.fromEntries(modes.map((m) => [m, blank()]));
  const S = (m: Mode) => servers[m]!;
  const O = (m: Mode) => out[m]!;
  try {
    const nodeZip = await zip({ 'index.js': HANDLER });
    const tutorial = (f: string): Buffer => readFileSync(join(ROOT, 'test', 'fixtures', 'functions', 'shell-tutorial', f));
    const shellZip = await zip({ bootstrap: tutorial('bootstrap'), 'function.sh': tutorial('function.sh') });
    const cold = async (key: 'coldNode' | 'coldShell' | 'coldShellSmall', n: number, runtime: string, handler: string, code: Buffer, expect: string, memory = MEMORY) => {
      for (let i = 0; i < n; i++) {
        for (const m of modes) {
          await S(m).create(`${key}-${i}`, runtime, handler, code, memory);
          // Let the pre-started pool refill, as it would between deploys.
          await new Promise((r) => setTimeout(r, 150));
          O(m)[key].push(await S(m).call(`${key}-${i}`, expect));
        }
      }
    };
    await cold('coldNode', COLD_NODE, 'nodejs20.x', 'index.handler', nodeZip, '"ok":true');
    await cold('coldShell', COLD_SHELL, 'provided.al2023', 'function.handler', shellZip, 'Echoing request');
    await cold('coldShellSmall', COLD_SHELL, 'provided.al2023', 'function.handler', shellZip, 'Echoing request', 128);
    const tickingZip = await zip({ 'index.js': TICKING });
    for (const m of modes) {
      await S(m).create('warm', 'nodejs20.x', 'index.handler', nodeZip);
      await S(m).create('ticking', 'nodejs20.x', 'index.handler', tickingZip);
      for (let i = 0; i < 200; i++) await S(m).call('warm', '"ok":true');
      for (let i = 0; i < 200; i++) await S(m).call('ticking', '"ok":true');
    }
    for (let block = 0; block < WARM / 200; block++) {
      for (const m of modes) {
        const c0 = S(m).cpu();
        for (let i = 0; i < 200; i++) O(m).warm.push(await S(m).call('warm', '"ok":true'));
        O(m).cpuWarm += (S(m).cpu() - c0) / WARM;
      }
    }
    // After idle: the trivial handler left nothing running, so the sandbox leaves it unfrozen; the ticking one is
    // frozen, and each of its invokes pays the thaw (server CPU: of the ticking one, freeze and thaw included).
    for (let i = 0; i < IDLE_CALLS; i++) {
      for (const m of modes) {
        await new Promise((r) => setTimeout(r, IDLE_GAP_MS));
        O(m).afterIdle.push(await S(m).call('warm', '"ok":true'));
        const c0 = S(m).cpu();
        await new Promise((r) => setTimeout(r, IDLE_GAP_MS));
        O(m).afterIdleFrozen.push(await S(m).call('ticking', '"ok":true'));
        O(m).cpuAfterIdle += (S(m).cpu() - c0) / IDLE_CALLS;
      }
    }
    return { modes, out, skipped };
  } finally {
    for (const m of modes) await S(m).server.stop();
  }
}

export async function run(): Promise<Section> {
  const loadBefore = loadavg()[0]!;
  const { modes, out, skipped } = await measure();
  const loadAfter = loadavg()[0]!;
  const p = out.process!;
  const r = out.rootless;
  const row = (label: string, key: 'coldNode' | 'coldShell' | 'coldShellSmall' | 'warm' | 'afterIdle' | 'afterIdleFrozen', q: number): string => {
    const [x, y] = [pct(p[key], q), pct(out.sandbox![key], q)];
    const z = r ? pct(r[key], q) : undefined;
    return `| ${label} p${q} | ${f2(x)} ms | ${f2(y)} ms | ${f2(y - x)} ms |${z === undefined ? '' : ` ${f2(z)} ms | ${f2(z - x)} ms |`}`;
  };
  const cpuRow = (label: string, key: 'cpuWarm' | 'cpuAfterIdle'): string => {
    const [x, y] = [p[key], out.sandbox![key]];
    return `| ${label} | ${f2(x)} ms | ${f2(y)} ms | ${f2(y - x)} ms |${r ? ` ${f2(r[key])} ms | ${f2(r[key] - x)} ms |` : ''}`;
  };
  const lines = [
    'Same machine, same build, two servers (`selfless start --isolation process` and `--isolation sandbox`; a third, rootless, below) measured step by step in',
    'turn, so that load from other work on the host weighs on both alike. Client: one keep-alive',
    `HTTP agent on loopback calling the Invoke API. Functions have ${MEMORY} MB (one full CPU share) unless a row says otherwise.`,
    'Node: a trivial handler (`' + HANDLER + '`), adopted by a pre-started',
    `runtime (the sandbox binds the code into the running sandbox at /var/task). Shell: AWS's shell-tutorial bootstrap (provided.al2023;`,
    `process mode starts it cold, the sandbox hands it to a pre-started sandbox that execs it). Cold: first invoke of ${COLD_NODE} (Node) / ${COLD_SHELL} (shell)`,
    `freshly created functions. Warm: ${WARM} back-to-back invokes (blocks of 200, alternating) after 200 warm-up. After idle: ${IDLE_CALLS} invokes`,
    `${IDLE_GAP_MS} ms apart, of the trivial handler (which leaves nothing running, so the sandbox does not freeze it: nothing could run while`,
    `idle) and of the same handler with an unref'd \`setInterval\` left behind (frozen after 10 ms idle, so each invoke pays the thaw).`,
    `Host load average (1 min): ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after. Server CPU: utime+stime of the server process`,
    'and its mount helper (10 ms ticks) over the run, per invoke.',
    '',
    r
      ? 'Rootless: a third server started as `nobody` (`setpriv --reuid=65534`), so `--isolation sandbox` runs rootless (user namespaces, rlimits, SIGSTOP freezing).'
      : `Rootless: not measured (${skipped ?? modes.join(', ')}).`,
    '',
    `| figure | process | sandbox | added by the sandbox |${r ? ' rootless | added by rootless |' : ''}`,
    `|---|---|---|---|${r ? '---|---|' : ''}`,
    row('cold start, Node (pre-started)', 'coldNode', 50),
    row('cold start, Node (pre-started)', 'coldNode', 99),
    row('cold start, shell (provided)', 'coldShell', 50),
    row('cold start, shell (provided), 128 MB', 'coldShellSmall', 50),
    row('warm invoke, back-to-back', 'warm', 50),
    row('warm invoke, back-to-back', 'warm', 99),
    row('warm invoke after 20 ms idle, nothing left running (not frozen)', 'afterIdle', 50),
    row('warm invoke after 20 ms idle, a timer left (frozen, then thawed)', 'afterIdleFrozen', 50),
    cpuRow('server CPU per warm invoke', 'cpuWarm'),
    cpuRow('server CPU per invoke after idle, timer left (freeze + thaw)', 'cpuAfterIdle'),
    '',
    'Targets (issue 5): at most 10 ms added to a cold start and 0.1 ms to a warm invoke. The 128 MB row includes the',
    'smaller CPU weight such a function gets by design (7% of a full share), which matters only when the host is busy.',
  ];
  return { title: 'Sandbox cost (issue 5)', markdown: lines.join('\n') };
}

// `node dist/bench/sandbox.js` runs this section alone and prints it.
if (process.argv[1]?.endsWith('sandbox.js')) {
  void run().then((s) => {
    process.stdout.write(`## ${s.title}\n\n${s.markdown}\n`);
    process.exit(0);
  });
}
