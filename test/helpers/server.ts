// Starts a real `selfless start` process on a free port with its own data dir, for compatibility tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
export const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
/** `../shared` beside the checkout (corpus and references); absent in a fresh clone, so tests using it skip. */
export const SHARED = join(ROOT, '..', 'shared');

export interface Running {
  url: string;
  port: number;
  dataDir: string;
  proc: ChildProcess;
  output: () => string;
  /** Stops with a signal and waits for the exit; returns the exit code/signal. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  dataDir?: string;
  port?: number;
  args?: string[];
  env?: Record<string, string>;
  /** A command that runs the server (e.g. setpriv … to start it as another user); the node command follows it. */
  wrap?: string[];
}

export async function startServer(o: StartOptions = {}): Promise<Running> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'selfless-test-'));
  const argv = [process.execPath, MAIN, 'start', '--port', String(o.port ?? 0), '--data', dataDir, ...(o.args ?? [])];
  const [cmd, ...rest] = [...(o.wrap ?? []), ...argv];
  const proc = spawn(cmd!, rest, {
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`selfless did not start in 20s:\n${out}`)), 20_000);
    const check = (): void => {
      const m = /selfless ready on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(t);
      reject(new Error(`selfless exited before it was ready:\n${out}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    proc,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
