// Shared benchmark tools: a lean keep-alive HTTP client, percentiles, timed load loops, and serverless-offline setup.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { signedHeaders } from '../src/lib/sign.js';

export interface Section {
  title: string;
  markdown: string;
}

export const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Headers signed for `service` with the local test/test key, as an SDK signs them (payload UNSIGNED for S3). */
export async function sign(url: string, method: string, service: string, headers: Record<string, string> = {}, body?: string): Promise<Record<string, string>> {
  const h = service === 's3' ? { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...headers } : headers;
  return signedHeaders({ method, url, service, region: 'us-east-1', headers: h, body, key: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

/** For many requests at once (more than `agent`'s 256 sockets): one connection each, not kept. */
export const wideAgent = new Agent({ keepAlive: false, maxSockets: Infinity });

export function http(url: string, method: string, body?: Buffer | string, headers: Record<string, string> = {}, via: Agent = agent): Promise<HttpResult> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, agent: via, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};

export const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
export const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');

/** Sequential latencies (ms) of `n` calls after `warmup` unmeasured ones. */
export async function latencies(n: number, warmup: number, call: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await call();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call();
    out.push(performance.now() - t);
  }
  return out;
}

/** Completed calls per second with `concurrency` callers for `ms` milliseconds; failures are counted apart. */
export async function throughput(concurrency: number, ms: number, call: () => Promise<boolean>): Promise<{ rps: number; failures: number }> {
  let ok = 0;
  let failures = 0;
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        if (await call().catch(() => false)) ok++;
        else failures++;
      }
    }),
  );
  return { rps: ok / ((performance.now() - t0) / 1000), failures };
}

export interface WrkFigures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Successful responses (2xx/3xx). */
  ok: number;
}

/** wrk, a C load generator (leaves the cores to the server under test); undefined when it is not installed. */
export const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => {
  try {
    execFileSync(p, ['-v'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as { status?: number }).status === 1;
  }
});

/** One wrk run (1 thread, `c` connections, keep-alive; a POST of `body` when given); latencies in ms. */
export function wrk(url: string, c: number, seconds: number, headers: Record<string, string>, body?: string): WrkFigures {
  const args = ['-t1', `-c${c}`, `-d${seconds}s`, '--latency', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k === 'host' ? 'Host' : k}: ${v}`])];
  let scriptDir: string | undefined;
  if (body !== undefined) {
    scriptDir = mkdtempSync(join(tmpdir(), 'selfless-wrk-'));
    writeFileSync(join(scriptDir, 'post.lua'), `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\n`);
    args.push('-s', join(scriptDir, 'post.lua'));
  }
  let out: string;
  try {
    out = execFileSync(WRK!, [...args, url], { encoding: 'utf8' });
  } finally {
    if (scriptDir) rmSync(scriptDir, { recursive: true, force: true });
  }
  const ms = (label: string): number => {
    const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (!m) return NaN;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + (/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1).reduce((a, b) => a + Number(b), 0) ?? 0);
  const done = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(out);
  if (!done) throw new Error(`wrk printed no request count:\n${out}`);
  const secs = Number(done[2]) * (done[3] === 'ms' ? 0.001 : done[3] === 'm' ? 60 : 1);
  // Only successful responses count towards throughput; errors are reported beside.
  const ok = Math.max(0, Number(done[1]) - errors);
  return { rps: ok / secs, p50: ms('50'), p99: ms('99'), errors, ok };
}

export function machine(): string {
  const c = cpus();
  return `${c[0]?.model ?? 'unknown CPU'}, ${c.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
}

export interface Offline {
  lambdaUrl: string;
  httpUrl: string;
  stop(): void;
}

const SLS_DIR = join(process.env['TMPDIR'] ?? '/tmp', 'selfless-bench-serverless');

/** Installs serverless v3 + serverless-offline 13 in a temp dir (once) and starts it with `functions` handlers. */
export async function startOffline(functions: Record<string, string>, ports = { http: 3900, lambda: 3902 }): Promise<Offline> {
  mkdirSync(SLS_DIR, { recursive: true });
  if (!existsSync(join(SLS_DIR, 'node_modules', 'serverless-offline'))) {
    writeFileSync(join(SLS_DIR, 'package.json'), '{"name":"sls-bench","private":true}');
    execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', 'serverless@3', 'serverless-offline@13'], { cwd: SLS_DIR, stdio: 'ignore' });
  }
  const fnYaml = Object.keys(functions)
    .map((name) => `  ${name}:\n    handler: ${name}.handler\n    events:\n      - httpApi:\n          path: /${name}\n          method: any`)
    .join('\n');
  writeFileSync(
    join(SLS_DIR, 'serverless.yml'),
    `service: bench\nframeworkVersion: '3'\nprovider:\n  name: aws\n  runtime: nodejs20.x\n  region: us-east-1\n  stage: dev\nplugins:\n  - serverless-offline\ncustom:\n  serverless-offline:\n    httpPort: ${ports.http}\n    lambdaPort: ${ports.lambda}\n    noPrependStageInUrl: true\nfunctions:\n${fnYaml}\n`,
  );
  for (const [name, src] of Object.entries(functions)) writeFileSync(join(SLS_DIR, `${name}.js`), src);
  const proc: ChildProcess = spawn(process.execPath, [join(SLS_DIR, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'offline', 'start'], {
    cwd: SLS_DIR,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serverless-offline did not start:\n${out}`)), 60_000);
    const check = setInterval(() => {
      if (/Server ready/.test(out)) {
        clearTimeout(t);
        clearInterval(check);
        resolve();
      }
    }, 100);
  });
  return { lambdaUrl: `http://127.0.0.1:${ports.lambda}`, httpUrl: `http://127.0.0.1:${ports.http}`, stop: () => proc.kill('SIGKILL') };
}

/** A /proc file of a process as text ('' once the process is gone). */
export function procText(pid: string, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/** Every live descendant of `pid`, breadth first (a sandbox puts bwrap between the server and the runtime). */
export function descendants(pid: number | undefined): string[] {
  const childrenOf = (p: string): string[] => procText(p, `task/${p}/children`).trim().split(/\s+/).filter(Boolean);
  const all: string[] = [];
  for (let queue = pid === undefined ? [] : childrenOf(String(pid)); queue.length > 0; ) {
    const c = queue.shift()!;
    all.push(c);
    queue = queue.concat(childrenOf(c));
  }
  return all;
}
