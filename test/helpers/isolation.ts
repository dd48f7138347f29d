// Starts a server in a given isolation mode for the shared contract suite; a sandbox that cannot work here is a skip
// that says why (the server's own start-up message), never a silent pass.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { MAIN, ROOT, startServer, type Running } from './server.js';

/** `rootless`: `--isolation sandbox` with the server started as an unprivileged user (nobody), so it runs rootless. */
export type Mode = 'sandbox' | 'process' | 'rootless';

export interface ModeServer {
  server?: Running;
  skip?: string;
}

/** The unprivileged user a rootless server runs as. */
export const ROOTLESS_UID = 65534;
const AS_NOBODY = ['/usr/bin/setpriv', `--reuid=${ROOTLESS_UID}`, `--regid=${ROOTLESS_UID}`, '--clear-groups'];

/** Why a rootless server cannot be tried here, or undefined when it can. */
function rootlessSkip(): string | undefined {
  if (process.platform !== 'linux') return 'rootless sandboxes need Linux';
  if (process.getuid?.() !== 0) return 'starting the server as another (unprivileged) user needs the tests to run as root';
  if (!existsSync(AS_NOBODY[0]!)) return 'setpriv (util-linux) is not installed';
  const as = (cmd: string[]) => spawnSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), ...cmd], { encoding: 'utf8', timeout: 10_000 });
  const readable = as(['/bin/sh', '-c', 'test -r "$1" && test -r "$2" && test -x "$3"', 'sh', MAIN, join(ROOT, 'node_modules', '@aws-sdk'), process.execPath]);
  if (readable.status !== 0) return `uid ${ROOTLESS_UID} cannot read the checkout (${MAIN}), node_modules or run ${process.execPath}`;
  const userns = as(['/usr/bin/bwrap', '--unshare-user', '--unshare-pid', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '/usr/bin/true']);
  if (userns.status !== 0) return `unprivileged user namespaces do not work here: ${(userns.stderr || String(userns.error ?? '')).trim().split('\n')[0]}`;
  return undefined;
}

/** A fresh data dir the rootless server's user owns. */
export function rootlessDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'selfless-rootless-'));
  chownSync(dir, ROOTLESS_UID, ROOTLESS_UID);
  return dir;
}

const V1 = ['memory', 'pids', 'cpu', 'freezer'];

/**
 * Starts a rootless server inside a cgroup delegated to its user (cgroup v1: a group per controller, owned by that
 * user). Returns a cleanup that removes the groups after the server has stopped.
 */
export async function startRootlessDelegated(): Promise<ModeServer & { cleanup?: () => void }> {
  const skip = rootlessSkip();
  if (skip) return { skip: `rootless sandbox not tried: ${skip}` };
  if (existsSync('/sys/fs/cgroup/cgroup.controllers') || !V1.every((c) => existsSync(`/sys/fs/cgroup/${c}/cgroup.procs`))) {
    return { skip: 'delegating a cgroup is only set up here for the cgroup v1 memory, pids, cpu and freezer hierarchies' };
  }
  const name = `selfless-delegated-${process.pid}`;
  const dirs = V1.map((c) => `/sys/fs/cgroup/${c}/${name}`);
  for (const d of dirs) {
    mkdirSync(d);
    for (const f of ['', ...readdirSync(d)]) chownSync(join(d, f), ROOTLESS_UID, ROOTLESS_UID);
  }
  // A cgroup is removed with rmdir once its child groups are (its control files go with it).
  const removeGroup = (d: string): void => {
    try {
      for (const sub of readdirSync(d, { withFileTypes: true })) if (sub.isDirectory()) removeGroup(join(d, sub.name));
      rmdirSync(d);
    } catch {
      /* gone, or still busy */
    }
  };
  const cleanup = (): void => dirs.forEach(removeGroup);
  const join_ = dirs.map((d) => `echo $$ > ${d}/cgroup.procs`).join(' && ');
  try {
    const server = await startServer({
      args: ['--isolation', 'sandbox'],
      dataDir: rootlessDataDir(),
      wrap: ['/bin/sh', '-c', `${join_} && exec "$@"`, 'sh', ...AS_NOBODY],
      env: { HOME: tmpdir(), PATH: '/usr/local/bin:/usr/bin:/bin' },
    });
    return { server, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

export async function startInMode(mode: Mode, args: string[] = [], dataDir?: string, env: Record<string, string> = {}): Promise<ModeServer> {
  if (mode === 'rootless') {
    const skip = rootlessSkip();
    if (skip) return { skip: `rootless sandbox not tried: ${skip}` };
  }
  try {
    const rootless = mode === 'rootless';
    return {
      server: await startServer({
        // As nobody, root's pyenv is unreadable: the nearest Python the server does see stands in for python3.12.
        args: ['--isolation', rootless ? 'sandbox' : mode, ...(rootless ? ['--runtime-fallback'] : []), ...args],
        dataDir: dataDir ?? (rootless ? rootlessDataDir() : undefined),
        wrap: rootless ? AS_NOBODY : undefined,
        env: rootless ? { HOME: tmpdir(), PATH: '/usr/local/bin:/usr/bin:/bin', ...env } : env,
      }),
    };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const why = /cannot work on this machine: (.*)/.exec(msg)?.[1];
    if (mode !== 'process' && why) return { skip: `sandbox unavailable here: ${why}` };
    throw e;
  }
}

/** Host pids of a server's sandboxed processes: its descendants in another PID namespace than its own. */
export function sandboxedPids(serverPid: number): number[] {
  const ns = (p: number | string): string | undefined => {
    try {
      return readlinkSync(`/proc/${p}/ns/pid`);
    } catch {
      return undefined;
    }
  };
  const parent = new Map<number, number>();
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      parent.set(Number(n), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const under = (p: number): boolean => {
    for (let q = parent.get(p), i = 0; q !== undefined && q > 1 && i < 64; q = parent.get(q), i++) if (q === serverPid) return true;
    return false;
  };
  const own = ns(serverPid);
  return [...parent.keys()].filter((p) => under(p) && ns(p) !== undefined && ns(p) !== own);
}

export const fixture = (name: string, file: string): Buffer => readFileSync(join(ROOT, 'test', 'fixtures', 'functions', name, file));

export const text = (b?: Uint8Array): string => Buffer.from(b ?? []).toString('utf8');
export const json = (b?: Uint8Array): any => JSON.parse(text(b));
export const logOf = (r: { LogResult?: string }): string => Buffer.from(r.LogResult ?? '', 'base64').toString('utf8');

export function invoke(client: LambdaClient, name: string, payload: unknown = {}, tail = false) {
  return client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)), LogType: tail ? 'Tail' : undefined }));
}

/** Runs a shell script inside the hostile-shell function; resolves with its exit code and output. */
export async function shell(client: LambdaClient, name: string, script: string): Promise<{ code: number; out: string; error?: string }> {
  const r = await invoke(client, name, Buffer.from(script).toString('base64'));
  if (r.FunctionError) return { code: -1, out: '', error: text(r.Payload) };
  const body = json(r.Payload) as { code: number; out: string };
  return { code: body.code, out: Buffer.from(body.out, 'base64').toString('utf8') };
}

/** The PID namespace of the environment whose runtime talks to `runtimeApi` (found by its environment variable). */
export function environmentNamespace(serverPid: number, runtimeApi: string): string | undefined {
  const want = `AWS_LAMBDA_RUNTIME_API=${runtimeApi}\0`;
  for (const p of sandboxedPids(serverPid)) {
    try {
      if (readFileSync(`/proc/${p}/environ`, 'latin1').includes(want)) return readlinkSync(`/proc/${p}/ns/pid`);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

/** How many processes run in a PID namespace. */
export function countInNamespace(ns: string): number {
  return readdirSync('/proc').filter((n) => {
    if (!/^\d+$/.test(n)) return false;
    try {
      return readlinkSync(`/proc/${n}/ns/pid`) === ns;
    } catch {
      return false;
    }
  }).length;
}
