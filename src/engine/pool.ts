// The environment pool: idle environments per spec key, pre-started runtimes per (interpreter, memory), idle reaping.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../lib/clock.js';
import { Environment, type LineListener } from './environment.js';
import { baseEnv, prestartable, runtimeCommand, type Family } from './launch.js';
import type { Launcher } from './sandbox/launcher.js';

/** An environment is replaced once its credentials have less than this left (the longest invocation, and some). */
export const CREDENTIALS_MARGIN_MS = 20 * 60_000;

export interface PoolOptions {
  clock: Clock;
  launcher: Launcher;
  dataDir: string;
  /** Idle environments older than this are destroyed. */
  idleTimeoutMs: number;
  /** How many pre-started runtimes to keep ready per (family, memory) that has been used. */
  prestartPerKey: number;
  onLine: LineListener;
}

interface Prestarted {
  env: Environment;
  tmpDir: string;
  optDir: string;
}

/** How many kinds of runtime (family, interpreter, memory, image root) are kept pre-started at once. */
const MAX_PRESTARTED_KINDS = 8;

/** The pre-started runtimes' key: family, interpreter, memory size and, for image functions, the image root. */
const poolKey = (family: Family, memoryMB: number, executable?: string, rootfs?: string): string =>
  `${family}:${executable ?? ''}:${memoryMB}${rootfs ? `:${rootfs}` : ''}`;

export class Pool {
  private readonly idle = new Map<string, Environment[]>();
  private readonly prestarted = new Map<string, Prestarted[]>();
  private readonly starting = new Map<string, number>();
  readonly live = new Set<Environment>();
  /** Environments of a retired configuration that were busy when it was retired. */
  private readonly retired = new Set<Environment>();
  private cancelSweep: (() => void) | undefined;
  private closed = false;

  constructor(private readonly o: PoolOptions) {}

  start(): void {
    this.scheduleSweep();
  }

  private scheduleSweep(): void {
    const every = Math.max(1000, Math.min(30_000, Math.floor(this.o.idleTimeoutMs / 2)));
    this.cancelSweep = this.o.clock.setTimer(every, () => {
      this.reap();
      if (!this.closed) this.scheduleSweep();
    });
  }

  /**
   * Whether an environment's credentials could expire during an invocation (the longest runs 15 minutes). AWS
   * refreshes an environment's credentials in place; here the environment is replaced instead (a provisioned one is
   * re-provisioned), which the function sees as a cold start.
   */
  private expiring(env: Environment): boolean {
    return env.credentialsExpire !== undefined && env.credentialsExpire - this.o.clock.now() < CREDENTIALS_MARGIN_MS;
  }

  /** Destroys idle environments unused for longer than the idle timeout, and those whose credentials run out. */
  reap(): number {
    const cutoff = this.o.clock.now() - this.o.idleTimeoutMs;
    let n = 0;
    for (const list of this.idle.values()) {
      for (const env of [...list]) {
        if ((env.lastUsed <= cutoff && !env.provisioned) || this.expiring(env)) {
          this.spinDown(env);
          n++;
        }
      }
    }
    return n;
  }

  /** An idle environment for this exact spec key (most recently used first), or undefined. */
  take(key: string): Environment | undefined {
    const list = this.idle.get(key);
    let env = list?.pop();
    // Between reaps: never hand out an environment whose credentials may lapse mid-invocation.
    while (env && this.expiring(env)) {
      env.destroy();
      env = list?.pop();
    }
    if (list && list.length === 0) this.idle.delete(key);
    return env;
  }

  release(env: Environment): void {
    if (env.state !== 'Idle' || !env.spec || this.closed) {
      if (env.state !== 'Destroyed') env.destroy();
      return;
    }
    if (this.retired.delete(env)) {
      void this.spinDown(env);
      return;
    }
    let list = this.idle.get(env.spec.key);
    if (!list) this.idle.set(env.spec.key, (list = []));
    list.push(env);
    // As on AWS, an idle environment does not run: its timers and background work wait for the next invocation.
    env.freeze();
  }

  /** Destroys idle environments whose key matches (a function changed or was deleted). */
  retire(match: (key: string) => boolean): void {
    // Busy ones (an invocation, or extensions after it) go when they are released.
    for (const env of this.live) if (env.spec && env.state !== 'Idle' && match(env.spec.key)) this.retired.add(env);
    for (const [key, list] of this.idle) {
      if (!match(key)) continue;
      for (const env of [...list]) this.spinDown(env);
    }
  }

  /** Takes an idle environment out of service and shuts it down (its extensions get SHUTDOWN first). */
  private spinDown(env: Environment): Promise<void> {
    if (env.spec) {
      const list = this.idle.get(env.spec.key);
      const i = list?.indexOf(env) ?? -1;
      if (list && i >= 0) list.splice(i, 1);
      if (list?.length === 0) this.idle.delete(env.spec.key);
    }
    return env.shutdown('spindown').catch(() => env.destroy());
  }

  idleCount(key?: string): number {
    if (key) return this.idle.get(key)?.length ?? 0;
    let n = 0;
    for (const l of this.idle.values()) n += l.length;
    return n;
  }

  /** Creates and tracks a new environment with its own directories; the caller launches its process. */
  async create(): Promise<{ env: Environment; tmpDir: string; optDir: string; runtimeApi: string }> {
    const env = new Environment(this.o.clock, this.o.onLine);
    const base = join(this.o.dataDir, 'envs', env.id);
    const tmpDir = join(base, 'tmp');
    const optDir = join(base, 'opt');
    await mkdir(tmpDir, { recursive: true });
    await mkdir(optDir, { recursive: true });
    const runtimeApi = await env.open();
    this.live.add(env);
    env.whenDestroyed((e) => {
      this.live.delete(e);
      this.retired.delete(e);
      if (e.spec) {
        const list = this.idle.get(e.spec.key);
        const i = list?.indexOf(e) ?? -1;
        if (list && i >= 0) list.splice(i, 1);
        if (list?.length === 0) this.idle.delete(e.spec.key);
      }
      void rm(base, { recursive: true, force: true }).catch(() => undefined);
    });
    return { env, tmpDir, optDir, runtimeApi };
  }

  /**
   * Takes a pre-started runtime for (family, interpreter, memory) if one is ready, and starts a replacement in the
   * background. `executable` is the interpreter the runtime's map chose (default: the host's); `rootfs`: a deferred
   * sandbox built on that image root (image functions; the launcher must prestart provided).
   */
  takePrestarted(family: Family, memoryMB: number, executable?: string, rootfs?: string): Prestarted | undefined {
    if (!this.prestarts(family, rootfs)) return undefined;
    const key = poolKey(family, memoryMB, executable, rootfs);
    const list = this.prestarted.get(key) ?? [];
    this.prestarted.set(key, list);
    let got: Prestarted | undefined;
    while (!got && list.length > 0) {
      const p = list.shift()!;
      if (p.env.state === 'Starting') got = p;
    }
    this.fill(family, memoryMB, executable, rootfs);
    return got;
  }

  /** Whether runtimes of this family (on this image root) can be started before they are needed. */
  private prestarts(family: Family, rootfs?: string): boolean {
    if (!prestartable(family) || this.o.prestartPerKey <= 0) return false;
    return (family !== 'provided' && !rootfs) || !!this.o.launcher.prestartsProvided;
  }

  /** Starts pre-started runtimes for (family, interpreter, memory[, image root]) until the target count is reached. */
  fill(family: Family, memoryMB: number, executable?: string, rootfs?: string): void {
    if (!this.prestarts(family, rootfs)) return;
    const key = poolKey(family, memoryMB, executable, rootfs);
    this.keepFew(key);
    const have = (this.prestarted.get(key)?.length ?? 0) + (this.starting.get(key) ?? 0);
    for (let i = have; i < this.o.prestartPerKey && !this.closed; i++) {
      this.starting.set(key, (this.starting.get(key) ?? 0) + 1);
      void this.prestart(family, memoryMB, executable, rootfs)
        .then((p) => {
          if (!p) return;
          const list = this.prestarted.get(key);
          // Closed, or this kind stopped being kept while the runtime started.
          if (this.closed || !list) return p.env.destroy();
          list.push(p);
        })
        .catch(() => undefined)
        .finally(() => this.starting.set(key, (this.starting.get(key) ?? 1) - 1));
    }
  }

  /**
   * Pre-started runtimes are kept for the few kinds used last: a new kind beyond MAX_PRESTARTED_KINDS ends the
   * runtimes of the kind least recently asked for (a server with many memory sizes would otherwise keep two idle
   * processes for each).
   */
  private keepFew(key: string): void {
    const list = this.prestarted.get(key);
    // Map order is insertion order: re-inserting marks this kind as the most recently used.
    this.prestarted.delete(key);
    this.prestarted.set(key, list ?? []);
    while (this.prestarted.size > MAX_PRESTARTED_KINDS) {
      const [oldest, envs] = this.prestarted.entries().next().value as [string, Prestarted[]];
      this.prestarted.delete(oldest);
      for (const p of envs) p.env.destroy();
    }
  }

  private async prestart(family: Family, memoryMB: number, executable: string | undefined, rootfs?: string): Promise<Prestarted | undefined> {
    const { env, tmpDir, optDir, runtimeApi } = await this.create();
    const paths = this.o.launcher.paths({ codeDir: undefined, optDir, runtimeDir: '', tmpDir });
    // A custom runtime's bootstrap is the function's code: the launcher builds the environment now, runs it later.
    const cmd = family === 'provided' && this.o.launcher.prestartsProvided ? { command: '', args: [], runtimeDir: '' } : runtimeCommand(family, memoryMB, executable);
    if (!cmd) {
      env.destroy();
      return undefined;
    }
    const proc = await this.o.launcher.launch({
      command: cmd.command,
      args: cmd.args,
      env: { ...baseEnv(runtimeApi, paths), SELFLESS_PRESTART: '1' },
      cwd: rootfs ? '/' : tmpDir,
      memoryMB,
      tmpDir,
      tmpSizeMB: 512,
      optDir,
      runtimeDir: cmd.runtimeDir,
      deferred: family === 'provided',
      ...(rootfs ? { rootfs } : {}),
    });
    env.attach(proc);
    return { env, tmpDir, optDir };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelSweep?.();
    await Promise.all([...this.live].map((env) => (env.state === 'Idle' ? this.spinDown(env) : (env.destroy(), Promise.resolve()))));
    this.idle.clear();
    this.prestarted.clear();
  }
}
