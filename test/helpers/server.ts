// Starts a real `selfless start` process on a free port with its own data dir, for compatibility tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { freshPgDatabase, type PgDatabase } from './pg.js';

export const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
export const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
/** `../shared` beside the checkout (corpus and references); absent in a fresh clone, so tests using it skip. */
export const SHARED = join(ROOT, '..', 'shared');

export interface Running {
  url: string;
  /** The `--store` URL this server runs on (undefined: the embedded SQLite store in dataDir). */
  storeUrl: string | undefined;
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
  /**
   * `--store` URL; default: SQLite, unless SELFLESS_TEST_STORE=postgres asks the whole run to use PostgreSQL, in which
   * case each server gets a fresh database (dropped by removeServer()).
   */
  store?: string;
}

/** The fresh databases of servers started for SELFLESS_TEST_STORE=postgres, by data dir. */
const ownDatabases = new Map<string, PgDatabase>();

export async function startServer(o: StartOptions = {}): Promise<Running> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'selfless-test-'));
  let storeUrl = o.store;
  let madeDb: PgDatabase | undefined;
  if (storeUrl === undefined && process.env['SELFLESS_TEST_STORE'] === 'postgres') {
    // A restart of the same data dir (durability tests) keeps its database.
    let db = ownDatabases.get(dataDir);
    if (!db) ownDatabases.set(dataDir, (db = madeDb = await freshPgDatabase()));
    storeUrl = db.url;
  }
  const argv = [process.execPath, MAIN, 'start', '--port', String(o.port ?? 0), '--data', dataDir, ...(storeUrl ? ['--store', storeUrl] : []), ...(o.args ?? [])];
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
    const t = setTimeout(() => {
      // A server that is late is ended, so that it cannot hold the test file open until the runner's own limit.
      proc.kill('SIGKILL');
      reject(new Error(`selfless did not start in 20s:\n${out}`));
    }, 20_000);
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
  }).catch(async (e: unknown) => {
    // A server that never came up leaves nothing behind: the database made for it goes too.
    if (madeDb) {
      ownDatabases.delete(dataDir);
      await madeDb.drop();
    }
    throw e;
  });
  return {
    url,
    storeUrl,
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

/** Removes a stopped server's data dir, and its database when the test run made one for it. */
export async function removeServer(s: Pick<Running, 'dataDir'>): Promise<void> {
  removeDir(s.dataDir);
  const db = ownDatabases.get(s.dataDir);
  ownDatabases.delete(s.dataDir);
  await db?.drop();
}

/**
 * The shared set-up of a test file that drives one live server: starts it before the file's tests, stops and removes it
 * after them. Returns a getter (the server exists only once `before` ran).
 */
export function liveServer(o: StartOptions = {}): () => Running {
  let s: Running | undefined;
  before(async () => {
    s = await startServer(o);
  });
  after(async () => {
    if (!s) return;
    await s.stop();
    await removeServer(s);
  });
  return () => {
    if (!s) throw new Error('liveServer() is used before its before() hook ran');
    return s;
  };
}

export interface Cluster {
  storeUrl: string;
  nodes: Running[];
  /** Starts one more node on the same database. */
  add(o?: Omit<StartOptions, 'store'>): Promise<Running>;
  /** Stops every node still running and drops the database. */
  stop(): Promise<void>;
}

/**
 * `n` nodes (`selfless start --store postgres://…` processes, each with its own data dir) on one fresh database,
 * sharing one KMS master key file as docs/kms.md asks of a cluster (the first node creates it).
 */
export async function startCluster(n: number, o: Omit<StartOptions, 'store' | 'dataDir' | 'port'> = {}): Promise<Cluster> {
  const db = await freshPgDatabase();
  const keyDir = mkdtempSync(join(tmpdir(), 'selfless-cluster-key-'));
  const nodes: Running[] = [];
  const add = async (extra: Omit<StartOptions, 'store'> = {}): Promise<Running> => {
    const env = { SELFLESS_KMS_MASTER_KEY_FILE: join(keyDir, 'kms-master.key'), ...o.env, ...extra.env };
    const r = await startServer({ ...o, ...extra, env, args: [...(o.args ?? []), ...(extra.args ?? [])], store: db.url });
    nodes.push(r);
    return r;
  };
  try {
    // The first node migrates the schema alone; the others then start together.
    await add();
    await Promise.all(Array.from({ length: n - 1 }, () => add()));
  } catch (e) {
    await Promise.all(nodes.map((x) => x.stop('SIGKILL')));
    await db.drop();
    removeDir(keyDir);
    throw e;
  }
  return {
    storeUrl: db.url,
    nodes,
    add,
    stop: async () => {
      await Promise.all(nodes.map((x) => x.stop()));
      for (const x of nodes) removeDir(x.dataDir);
      removeDir(keyDir);
      await db.drop();
    },
  };
}
