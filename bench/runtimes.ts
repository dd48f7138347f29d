// Java and Ruby runtimes: cold start (client-seen and Init Duration) and warm invoke, beside Node.js, per isolation mode.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { ROOT, removeServer, startServer } from '../test/helpers/server.js';
import { lambdaClient, ROLE } from '../test/helpers/lambda.js';
import { zip } from '../test/helpers/zip.js';
import { f2, http, latencies, pct, type Section } from './lib.js';

const COLD = 8;
const WARM = 500;

interface Runtime {
  label: string;
  runtime: string;
  handler: string;
  code: () => Promise<Buffer>;
}

/** A jar with a RequestHandler<Map, Map> compiled against the runtime's own aws-lambda-java-core interfaces. */
function javaJar(work: string): Buffer {
  const javac = '/usr/bin/javac';
  const src = join(work, 'src');
  const out = join(work, 'classes');
  mkdirSync(join(src, 'bench'), { recursive: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(src, 'bench', 'Hello.java'),
    `package bench;
import com.amazonaws.services.lambda.runtime.*;
import java.util.*;
public class Hello implements RequestHandler<Map<String, Object>, Map<String, Object>> {
  public Map<String, Object> handleRequest(Map<String, Object> e, Context c) {
    Map<String, Object> m = new HashMap<>(); m.put("ok", true); m.put("n", e.get("n")); return m;
  }
}`,
  );
  const core = join(ROOT, 'src', 'engine', 'runtimes', 'java');
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.java')) files.push(p);
    }
  };
  walk(join(core, 'com'));
  execFileSync(javac, ['--release', '11', '-d', join(work, 'core'), ...files], { stdio: 'pipe' });
  execFileSync(javac, ['--release', '11', '-cp', join(work, 'core'), '-d', out, join(src, 'bench', 'Hello.java')], { stdio: 'pipe' });
  execFileSync(join(dirname(javac), 'jar'), ['--create', '--file', join(work, 'hello.jar'), '-C', out, '.'], { stdio: 'pipe' });
  return readFileSync(join(work, 'hello.jar'));
}

let rubyVersion = '';
try {
  rubyVersion = execFileSync('ruby', ['-e', 'print RUBY_VERSION'], { encoding: 'utf8' });
} catch {
  // no ruby: its rows say so
}

async function measure(mode: string, rt: Runtime): Promise<string> {
  const server = await startServer({ args: ['--isolation', mode], env: { SELFLESS_RUNTIME_FALLBACK: '1' } });
  try {
    const client = lambdaClient(server.url);
    const code = await rt.code();
    const create = (name: string) =>
      client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: rt.runtime as never, Role: ROLE, Handler: rt.handler, Code: { ZipFile: code }, MemorySize: 512 }));
    // One untimed function first: the Java client's one-time compilation, the sandbox's runtime copy.
    await create('first');
    await client.send(new InvokeCommand({ FunctionName: 'first', Payload: Buffer.from('{"n":0}') }));
    const cold: number[] = [];
    const init: number[] = [];
    for (let i = 0; i < COLD; i++) {
      await create(`cold-${i}`);
      await new Promise((r) => setTimeout(r, 150));
      const t = performance.now();
      const r = await client.send(new InvokeCommand({ FunctionName: `cold-${i}`, Payload: Buffer.from('{"n":1}'), LogType: 'Tail' }));
      cold.push(performance.now() - t);
      if (r.FunctionError) throw new Error(`${rt.label} cold invoke failed: ${Buffer.from(r.Payload ?? []).toString()}`);
      const m = /Init Duration: ([\d.]+) ms/.exec(Buffer.from(r.LogResult ?? '', 'base64').toString());
      if (m) init.push(Number(m[1]));
    }
    const url = `${server.url}/2015-03-31/functions/first/invocations`;
    const warm = await latencies(WARM, 100, async () => {
      const r = await http(url, 'POST', '{"n":1}', { 'content-type': 'application/json' });
      return r.status === 200 && r.body.includes('"ok":true');
    });
    const initCell = init.length ? `${f2(pct(init, 50))} ms` : 'n/a (pre-started)';
    return `| ${rt.label} | ${mode} | ${f2(pct(cold, 50))} ms | ${f2(pct(cold, 99))} ms | ${initCell} | ${f2(pct(warm, 50))} ms | ${f2(pct(warm, 99))} ms |`;
  } finally {
    await server.stop();
    await removeServer(server);
  }
}

export async function run(): Promise<Section> {
  const work = mkdtempSync(join(tmpdir(), 'selfless-bench-rt-'));
  const runtimes: Runtime[] = [
    { label: 'Node.js (nodejs20.x)', runtime: 'nodejs20.x', handler: 'index.handler', code: () => zip({ 'index.js': 'exports.handler = async (e) => ({ ok: true, n: e.n });' }) },
  ];
  const notes: string[] = [];
  if (existsSync('/usr/bin/javac')) {
    const jar = javaJar(work);
    runtimes.push({ label: 'Java (java17)', runtime: 'java17', handler: 'bench.Hello', code: async () => jar });
  } else notes.push('Java not measured: no JDK (javac) on this machine.');
  if (rubyVersion) {
    runtimes.push({ label: `Ruby (ruby3.2 on Ruby ${rubyVersion})`, runtime: 'ruby3.2', handler: 'f.handler', code: () => zip({ 'f.rb': "def handler(event:, context:)\n  { 'ok' => true, 'n' => event['n'] }\nend\n" }) });
  } else notes.push('Ruby not measured: no ruby on this machine.');
  const rows: string[] = [];
  try {
    for (const mode of ['process', 'sandbox']) for (const rt of runtimes) rows.push(await measure(mode, rt));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const lines = [
    `A trivial handler per runtime, 512 MB. Cold start: the first invoke of ${COLD} freshly created functions (150 ms after each CreateFunction), as the`,
    `SDK client sees it, and the REPORT's Init Duration (runtime start to its first /next; absent where a pre-started runtime was adopted, as Node.js's are).`,
    `Warm: ${WARM} sequential invokes of one function after 100 warm-up. Java runs with -XX:TieredStopAtLevel=1 -Xshare:auto and the serial GC.`,
    'The machine was shared with other work while this ran.',
    '',
    '| runtime | isolation | cold p50 | cold p99 | Init Duration p50 | warm p50 | warm p99 |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    ...(notes.length ? ['', ...notes] : []),
  ];
  return { title: 'Java and Ruby runtimes (issue 20)', markdown: lines.join('\n') };
}

// Run alone: `node dist/bench/runtimes.js`.
if (process.argv[1] && relative(process.argv[1], new URL(import.meta.url).pathname) === '') {
  void run().then((s) => {
    process.stdout.write(`${s.markdown}\n`);
    process.exit(0);
  });
}
