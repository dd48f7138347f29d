// Late binding of a function's code into an already running sandbox (pre-started runtimes): each environment's
// /var/task and /opt are host mount points inside a shared mount; bwrap makes its copies slaves, so a read-only bind
// made on the host afterwards appears inside that one sandbox (and no other: a slave only sees its own subtree).
import { execFile } from 'node:child_process';
import { copyFile, mkdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MountHelper } from './mount-helper.js';

const run = promisify(execFile);
const MOUNT = '/usr/bin/mount';
const UMOUNT = '/usr/bin/umount';

export class LateMounts {
  /** Shared: children of this directory propagate into sandboxes that bound them. */
  readonly shared: string;
  /** Private: where a read-only bind is prepared before it moves under `shared` (a move keeps it read-only). */
  private readonly stage: string;

  helper: MountHelper | undefined;

  /** `python`: an interpreter for the resident mount helper; without one every bind runs mount(8). */
  /** `rootless`: the helper runs as root of its own user namespace; there is no mount(8) fallback then. */
  constructor(
    stateDir: string,
    private readonly python?: string,
    private readonly rootless = false,
  ) {
    this.shared = join(stateDir, 'mnt');
    this.stage = join(stateDir, 'stage');
  }

  async open(): Promise<void> {
    await this.close();
    await mkdir(this.shared, { recursive: true });
    await mkdir(this.stage, { recursive: true });
    if (this.python) this.helper = await MountHelper.start(this.python, true, this.rootless);
    if (this.rootless && !this.helper) {
      throw new Error(this.python ? `the mount helper could not enter a user namespace of its own (${this.python})` : 'the rootless sandbox needs python3 for its mount helper');
    }
    if (this.helper) {
      await this.helper.setup([[this.shared, 'shared'], [this.stage, 'private']], []);
      return;
    }
    await run('/bin/sh', [
      '-c',
      `${MOUNT} --bind "$1" "$1" && ${MOUNT} --make-shared "$1" && ${MOUNT} --bind "$2" "$2" && ${MOUNT} --make-private "$2"`,
      'sh',
      this.shared,
      this.stage,
    ]);
  }

  /** The mount namespace sandboxes must start in (the helper's own), or undefined for the host's. */
  get namespace(): string | undefined {
    return this.helper?.private ? `/proc/${this.helper.pid}/ns/mnt` : undefined;
  }

  /** Rootless: the user namespace sandboxes must start in (the helper's, where the mount namespace belongs). */
  get userNamespace(): string | undefined {
    return this.helper?.userns ? `/proc/${this.helper.pid}/ns/user` : undefined;
  }

  /** Creates an environment's empty mount points; returns their host paths. */
  async points(id: string): Promise<{ task: string; opt: string }> {
    const task = join(this.shared, id, 'task');
    const opt = join(this.shared, id, 'opt');
    await mkdir(task, { recursive: true });
    await mkdir(opt, { recursive: true });
    return { task, opt };
  }

  /** Binds host directories read-only onto an environment's mount points (pairs of [source, point]). */
  async bind(id: string, pairs: [source: string, point: string][]): Promise<void> {
    if (pairs.length === 0) return;
    if (this.helper) {
      const error = await this.helper.call(pairs.map(([source, point], i) => [source, join(this.stage, `${id}-${i}`), point]), []);
      if (error) throw new Error(error);
      return;
    }
    const script: string[] = [];
    const args: string[] = [];
    pairs.forEach(([source, point], i) => {
      const staged = join(this.stage, `${id}-${i}`);
      args.push(source, staged, point);
      const [s, g, p] = [`"$${3 * i + 1}"`, `"$${3 * i + 2}"`, `"$${3 * i + 3}"`];
      script.push(`mkdir -p ${g} && ${MOUNT} --bind -o ro ${s} ${g} && ${MOUNT} --move ${g} ${p} && rmdir ${g}`);
    });
    await run('/bin/sh', ['-c', `set -e; ${script.join(' && ')}`, 'sh', ...args], { env: { PATH: '/usr/bin:/bin' } });
  }

  /** Unmounts and removes an environment's mount points. Never deletes through a mount that is still there. */
  async release(id: string): Promise<void> {
    const dir = join(this.shared, id);
    const points = ['task', 'opt'].map((p) => join(dir, p));
    if (this.helper) await this.helper.call([], points);
    else for (const p of points) await run(UMOUNT, ['-l', p]).catch(() => undefined);
    for (const p of ['task', 'opt']) await rmdir(join(dir, p)).catch(() => undefined);
    await rmdir(dir).catch(() => undefined);
  }

  /**
   * Builds the sandbox's /etc once: copies of the small files, read-only binds of the directories, plus our own
   * passwd/group. A sandbox then binds this one directory (recursively) instead of mounting each entry.
   */
  async prepareEtc(dir: string, entries: string[], own: Record<string, string>): Promise<void> {
    // Left over from a crash: unmount whatever is still bound below before removing the directory.
    for (const e of entries) await run(UMOUNT, ['-l', join(dir, e)]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const binds: string[] = [];
    for (const e of entries) {
      const host = join('/etc', e);
      const st = await stat(host).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) {
        await mkdir(join(dir, e));
        binds.push(host, join(dir, e));
      } else if (st.isFile()) {
        await copyFile(host, join(dir, e));
      }
    }
    for (const [name, text] of Object.entries(own)) await writeFile(join(dir, name), text, { mode: 0o644 });
    if (binds.length === 0) return;
    const script = binds.map((_, i) => (i % 2 === 0 ? `${MOUNT} --bind -o ro "$${i + 1}" "$${i + 2}"` : '')).filter(Boolean).join(' && ');
    this.etcBinds = binds.filter((_, i) => i % 2 === 1);
    if (this.helper) {
      await this.helper.setup([], binds.flatMap((b, i) => (i % 2 === 0 ? [[b, binds[i + 1]!] as [string, string]] : [])));
      return;
    }
    await run('/bin/sh', ['-c', script, 'sh', ...binds], { env: { PATH: '/usr/bin:/bin' } });
  }

  private etcBinds: string[] = [];

  async close(): Promise<void> {
    const own = this.helper?.private === true;
    this.helper?.close();
    this.helper = undefined;
    // In the helper's own namespace every mount goes with it; otherwise unmount them from the host.
    if (own) {
      this.etcBinds = [];
      await rm(this.stage, { recursive: true, force: true }).catch(() => undefined);
      return;
    }
    for (const b of this.etcBinds) await run(UMOUNT, ['-l', b]).catch(() => undefined);
    this.etcBinds = [];
    for (const d of [this.shared, this.stage]) await run(UMOUNT, ['-R', '-l', d]).catch(() => undefined);
    // Only empty directories remain once nothing is mounted; rmdir-style removal never follows into a mount.
    await rm(this.stage, { recursive: true, force: true }).catch(() => undefined);
  }
}
