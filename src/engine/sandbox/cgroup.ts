// Per-environment control groups (v2 unified, or v1 memory/pids/cpu/freezer hierarchies): memory, process and CPU
// limits, peak memory, OOM detection, freezing and killing everything an environment started.
import { closeSync, existsSync, openSync, readFileSync, write, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Limits of one environment. */
export interface CgroupLimits {
  memoryMB: number;
  /** Processes + threads (AWS: 1,024). */
  pids: number;
  /** CPU share relative to a 1,769 MB function (one vCPU). */
  memoryForCpuMB: number;
}

export interface EnvCgroup {
  /** Files a process writes its own pid into to join this cgroup (one per hierarchy). */
  readonly procsFiles: string[];
  /** The processes in the cgroup now. */
  pids(): Promise<number[]>;
  peakMB(): Promise<number>;
  oomKilled(): Promise<boolean>;
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** SIGKILLs every process in the cgroup, frozen or not. */
  killAll(): Promise<void>;
  /** Removes the cgroup once its processes are gone (retries briefly). */
  remove(): Promise<void>;
}

export interface CgroupRoot {
  readonly version: 1 | 2;
  /** Where environment cgroups live, for messages and docs. */
  readonly where: string;
  create(id: string, limits: CgroupLimits): Promise<EnvCgroup>;
  close(): Promise<void>;
}

const V1_CONTROLLERS = ['memory', 'pids', 'cpu', 'freezer'] as const;
const MOUNT = '/sys/fs/cgroup';

/** CPU weight (v2, 1–10000, default 100) or shares (v1, 2–262144, default 1024) for a memory size. */
export function cpuWeight(memoryMB: number, version: 1 | 2): number {
  const ratio = memoryMB / 1769;
  return version === 2 ? Math.min(10000, Math.max(1, Math.round(100 * ratio))) : Math.min(262144, Math.max(2, Math.round(1024 * ratio)));
}

/** The current process's cgroup path per hierarchy (v1 controller name or '' for v2), from /proc/self/cgroup. */
export function ownCgroups(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    for (const c of m[1]!.split(',')) out.set(c, m[2]!);
  }
  return out;
}

async function tryWrite(file: string, value: string): Promise<void> {
  await writeFile(file, value);
}

/**
 * A control file kept open, so a freeze or thaw is one write instead of open + write + close. A freeze goes through
 * the thread pool; a thaw is written at once (a synchronous write of tens of µs), because it is on the warm path:
 * the thread pool's round trip would otherwise delay the invocation that is waiting for the environment to run.
 */
class ControlFile {
  private fd: number | undefined;
  constructor(private readonly path: string) {}
  private open(): number {
    return (this.fd ??= openSync(this.path, 'w'));
  }
  write(value: string): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        write(this.open(), value, 0, (e) => (e ? reject(e) : resolve()));
      } catch (e) {
        reject(e);
      }
    });
  }
  writeNow(value: string): Promise<void> {
    try {
      writeSync(this.open(), value, 0);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }
  async close(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already gone with its cgroup
      }
    }
  }
}

async function readNumber(file: string): Promise<number> {
  try {
    return Number((await readFile(file, 'utf8')).trim()) || 0;
  } catch {
    return 0;
  }
}

async function rmdirRetry(dirs: string[]): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const left: string[] = [];
    for (const d of dirs) {
      try {
        await rmdir(d);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') left.push(d);
      }
    }
    if (left.length === 0) return;
    dirs = left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function pidsIn(procsFile: string): Promise<number[]> {
  try {
    return (await readFile(procsFile, 'utf8')).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function killPids(pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/**
 * Finds a usable cgroup hierarchy and creates selfless's parent group in it (under this process's own cgroup, so
 * whatever limits the host put on selfless also bound its functions). Throws with the reason when none works.
 */
export async function openCgroups(pid = process.pid): Promise<CgroupRoot> {
  const own = ownCgroups(readFileSync('/proc/self/cgroup', 'utf8'));
  const unified = existsSync(join(MOUNT, 'cgroup.controllers')) ? MOUNT : undefined;
  if (unified) return V2Root.open(unified, own.get('') ?? '/', pid);
  if (V1_CONTROLLERS.every((c) => existsSync(join(MOUNT, c, 'cgroup.procs')))) return V1Root.open(own, pid);
  throw new Error(`no usable cgroup hierarchy: ${MOUNT} has neither cgroup v2 nor the v1 ${V1_CONTROLLERS.join('/')} controllers`);
}

/**
 * The parent group's CPU weight follows the sum of its environments' weights: otherwise every sandbox together would
 * weigh as much as one host process (the default weight), and a busy host would starve them all.
 */
class ParentWeight {
  private total = 0;
  private writing: Promise<void> = Promise.resolve();
  constructor(
    private readonly file: string,
    private readonly clamp: (n: number) => number,
  ) {}
  add(w: number): Promise<void> {
    this.total += w;
    const value = String(this.clamp(this.total));
    this.writing = this.writing.then(() => tryWrite(this.file, value)).catch(() => undefined);
    return this.writing;
  }
}

class V2Root implements CgroupRoot {
  private readonly weight: ParentWeight;
  readonly version = 2 as const;
  private constructor(readonly where: string) {
    this.weight = new ParentWeight(join(where, 'cpu.weight'), (n) => Math.min(10000, Math.max(1, n)));
  }

  static async open(mount: string, ownPath: string, pid: number): Promise<V2Root> {
    const own = join(mount, ownPath);
    const controllers = (await readFile(join(own, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
    for (const c of ['memory', 'pids', 'cpu']) {
      if (!controllers.includes(c)) throw new Error(`cgroup v2 controller '${c}' is not available in ${own} (cgroup.controllers: ${controllers.join(' ') || 'none'})`);
    }
    try {
      await tryWrite(join(own, 'cgroup.subtree_control'), '+memory +pids +cpu');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'EBUSY'
          ? `cannot delegate cgroup controllers below ${own}: it holds processes; start selfless in its own cgroup (e.g. systemd-run --scope -p Delegate=yes selfless start)`
          : `cannot enable cgroup controllers in ${own} (${code ?? String(e)}); run as root or in a delegated cgroup`,
      );
    }
    await sweepStale([own]);
    const where = join(own, `selfless-${pid}`);
    await mkdir(where, { recursive: true });
    await tryWrite(join(where, 'cgroup.subtree_control'), '+memory +pids +cpu');
    return new V2Root(where);
  }

  async create(id: string, l: CgroupLimits): Promise<EnvCgroup> {
    const dir = join(this.where, id);
    await mkdir(dir);
    await Promise.all([
      tryWrite(join(dir, 'memory.max'), String(l.memoryMB * 1024 * 1024)),
      tryWrite(join(dir, 'memory.swap.max'), '0').catch(() => undefined),
      tryWrite(join(dir, 'pids.max'), String(l.pids)),
      tryWrite(join(dir, 'cpu.weight'), String(cpuWeight(l.memoryForCpuMB, 2))),
    ]);
    const w = cpuWeight(l.memoryForCpuMB, 2);
    await this.weight.add(w);
    const file = (f: string): string => join(dir, f);
    const freezer = new ControlFile(file('cgroup.freeze'));
    return {
      procsFiles: [file('cgroup.procs')],
      pids: () => pidsIn(file('cgroup.procs')),
      peakMB: async () => Math.ceil(((await readNumber(file('memory.peak'))) || (await readNumber(file('memory.current')))) / 1048576),
      oomKilled: async () => /(^|\n)oom_kill [1-9]/.test(await readFile(file('memory.events'), 'utf8').catch(() => '')),
      freeze: () => freezer.write('1'),
      thaw: () => freezer.writeNow('0'),
      killAll: async () => {
        // cgroup.kill (Linux 5.14) kills frozen and racing forks at once; else signal what is listed.
        try {
          await tryWrite(file('cgroup.kill'), '1');
        } catch {
          killPids(await pidsIn(file('cgroup.procs')));
        }
      },
      remove: async () => {
        await freezer.close();
        await rmdirRetry([dir]);
        await this.weight.add(-w);
      },
    };
  }

  async close(): Promise<void> {
    await rmdirRetry([this.where]);
  }
}

class V1Root implements CgroupRoot {
  readonly version = 1 as const;
  private readonly weight: ParentWeight;
  private constructor(
    private readonly parents: Record<(typeof V1_CONTROLLERS)[number], string>,
    readonly where: string,
  ) {
    this.weight = new ParentWeight(join(parents.cpu, 'cpu.shares'), (n) => Math.min(262144, Math.max(2, n)));
  }

  static async open(own: Map<string, string>, pid: number): Promise<V1Root> {
    const parents = {} as Record<(typeof V1_CONTROLLERS)[number], string>;
    await sweepStale(V1_CONTROLLERS.map((c) => join(MOUNT, c, own.get(c) ?? '/')));
    for (const c of V1_CONTROLLERS) {
      const dir = join(MOUNT, c, own.get(c) ?? '/', `selfless-${pid}`);
      try {
        await mkdir(dir, { recursive: true });
      } catch (e) {
        throw new Error(`cannot create a cgroup in ${dir} (${(e as NodeJS.ErrnoException).code ?? String(e)}); sandbox mode needs root`);
      }
      parents[c] = dir;
    }
    // Children inherit memory accounting hierarchically only when the parent says so (the default on new kernels).
    await tryWrite(join(parents.memory, 'memory.use_hierarchy'), '1').catch(() => undefined);
    return new V1Root(parents, join(MOUNT, '{memory,pids,cpu,freezer}', own.get('memory') ?? '/', `selfless-${pid}`));
  }

  async create(id: string, l: CgroupLimits): Promise<EnvCgroup> {
    const d = Object.fromEntries(V1_CONTROLLERS.map((c) => [c, join(this.parents[c], id)])) as Record<(typeof V1_CONTROLLERS)[number], string>;
    await Promise.all(V1_CONTROLLERS.map((c) => mkdir(d[c])));
    const bytes = String(l.memoryMB * 1024 * 1024);
    await Promise.all([
      // Without swap accounting memsw does not exist; with it, forbid swapping past the limit as AWS has no swap.
      tryWrite(join(d.memory, 'memory.limit_in_bytes'), bytes).then(() => tryWrite(join(d.memory, 'memory.memsw.limit_in_bytes'), bytes).catch(() => undefined)),
      tryWrite(join(d.pids, 'pids.max'), String(l.pids)),
      tryWrite(join(d.cpu, 'cpu.shares'), String(cpuWeight(l.memoryForCpuMB, 1))),
    ]);
    const w = cpuWeight(l.memoryForCpuMB, 1);
    await this.weight.add(w);
    const state = join(d.freezer, 'freezer.state');
    const freezer = new ControlFile(state);
    return {
      procsFiles: V1_CONTROLLERS.map((c) => join(d[c], 'cgroup.procs')),
      pids: () => pidsIn(join(d.freezer, 'cgroup.procs')),
      peakMB: async () => Math.ceil((await readNumber(join(d.memory, 'memory.max_usage_in_bytes'))) / 1048576),
      oomKilled: async () => /(^|\n)oom_kill [1-9]/.test(await readFile(join(d.memory, 'memory.oom_control'), 'utf8').catch(() => '')),
      freeze: () => freezer.write('FROZEN'),
      thaw: () => freezer.writeNow('THAWED'),
      killAll: async () => {
        // v1 delivers SIGKILL to a frozen task only once it is thawed: freeze (stops forks racing the kill), kill, thaw.
        await tryWrite(state, 'FROZEN').catch(() => undefined);
        killPids(await pidsIn(join(d.pids, 'cgroup.procs')));
        await tryWrite(state, 'THAWED').catch(() => undefined);
      },
      remove: async () => {
        await freezer.close();
        await rmdirRetry(V1_CONTROLLERS.map((c) => d[c]));
        await this.weight.add(-w);
      },
    };
  }

  async close(): Promise<void> {
    await rmdirRetry(Object.values(this.parents));
  }
}

/**
 * Clears parent groups left by selfless processes that no longer exist (after kill -9). Their environments may still
 * be running, or frozen: a v1 frozen task ignores even SIGKILL until thawed, so each group is thawed and killed first.
 * Returns the directories to remove once those processes are gone.
 */
export async function killStale(root: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const n of names) {
    const m = /^selfless-(\d+)$/.exec(n);
    if (!m || existsSync(`/proc/${m[1]}`)) continue;
    const dir = join(root, n);
    const kids = (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((k) => k.isDirectory()).map((k) => join(dir, k.name));
    for (const k of kids) {
      await tryWrite(join(k, 'cgroup.kill'), '1').catch(() => undefined);
      killPids(await pidsIn(join(k, 'cgroup.procs')));
      await tryWrite(join(k, 'freezer.state'), 'THAWED').catch(() => undefined);
      await tryWrite(join(k, 'cgroup.freeze'), '0').catch(() => undefined);
    }
    dirs.push(...kids, dir);
  }
  return dirs;
}

/** Kills what stale groups still hold (see killStale) and removes them. */
export async function sweepStale(roots: string[]): Promise<void> {
  const dirs: string[] = [];
  for (const r of roots) dirs.push(...(await killStale(r)));
  if (dirs.length > 0) await rmdirRetry(dirs);
}
