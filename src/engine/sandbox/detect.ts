// Chooses the isolation mode: the Linux sandbox where this machine supports it, else plain processes with a warning.
// Asking for `sandbox` where it cannot work is an error that says why and how to fix it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { openCgroups, type CgroupRoot } from './cgroup.js';
import { javaRoots } from '../java.js';
import { rubyRoots } from '../ruby.js';
import { prefixOutsideUsr, SandboxLauncher } from './bwrap.js';
import type { Launcher } from './launcher.js';
import { nprocPerUserNamespace } from './rootless.js';
import { ProcessLauncher } from './process.js';

export type IsolationChoice = 'auto' | 'sandbox' | 'process';

export class SandboxUnavailable extends Error {}

export interface Chosen {
  launcher: Launcher;
  /** Printed at start when functions run without isolation. */
  warning?: string;
  /** Printed at start when the sandbox runs with fewer guarantees (rootless). */
  notice?: string;
}

export const ROOTLESS_NOTICE = 'selfless: isolation is "sandbox" (rootless: user namespaces, no cgroup): memory is limited per process (RLIMIT_DATA), not per environment; see docs/security.md';
export const ROOTLESS_NOTICE_CGROUP = 'selfless: isolation is "sandbox" (rootless: user namespaces, in a delegated cgroup); see docs/security.md';

const run = promisify(execFile);
const find = (names: string[]): string | undefined => names.find((p) => existsSync(p));

export const PROCESS_WARNING = 'selfless: WARNING: isolation is "process": functions run as plain processes with your privileges and can read and change anything you can; use --isolation sandbox on Linux to contain them';

interface Usable {
  bwrap: string;
  setpriv: string;
  nsenter: string;
  /** Rootless: only a delegated cgroup we can write to. */
  cgroups?: CgroupRoot;
  rootless?: { prlimit: string; nproc: boolean };
}

/** Why the sandbox cannot run here and what to do about it; undefined when it can. */
async function probe(pythonExe: string | undefined): Promise<{ reason: string; fix: string } | Usable> {
  if (process.platform !== 'linux') return { reason: `the sandbox needs Linux namespaces and cgroups (this is ${process.platform})`, fix: 'use --isolation process' };
  const rootless = process.getuid?.() !== 0;
  // SELFLESS_BWRAP names another bubblewrap binary (a newer build); when set it is the only one considered.
  const wanted = process.env['SELFLESS_BWRAP'];
  const bwrap = wanted ? find([wanted]) : find(['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap']);
  if (!bwrap) return { reason: wanted ? `bubblewrap is not at SELFLESS_BWRAP=${wanted}` : 'bubblewrap (bwrap) is not installed', fix: 'install it (Debian/Ubuntu: apt-get install -y bubblewrap; Fedora: dnf install bubblewrap), or use --isolation process' };
  const setpriv = find(['/usr/bin/setpriv', '/bin/setpriv']);
  if (!setpriv) return { reason: 'setpriv (util-linux) is not installed', fix: 'install util-linux, or use --isolation process' };
  const nsenter = find(['/usr/bin/nsenter', '/bin/nsenter']);
  if (!nsenter || !existsSync('/usr/bin/mount') || !existsSync('/usr/bin/env')) return { reason: 'nsenter, /usr/bin/mount or /usr/bin/env is missing', fix: 'install util-linux and coreutils, or use --isolation process' };
  const prlimit = find(['/usr/bin/prlimit', '/bin/prlimit']);
  if (rootless && !prlimit) return { reason: 'prlimit (util-linux) is not installed (the rootless sandbox sets its limits with it)', fix: 'install util-linux, run selfless as root, or use --isolation process' };
  if (rootless && !pythonExe?.startsWith('/')) return { reason: 'the rootless sandbox needs python3 for its mount helper', fix: 'install python3, run selfless as root, or use --isolation process' };
  try {
    const user = rootless ? ['--unshare-user', '--disable-userns', '--uid', '993', '--gid', '993'] : [];
    await run(bwrap, [...user, '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net', '--die-with-parent', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--', '/usr/bin/true'], { timeout: 10_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const why = (err.stderr || err.message).trim().split('\n')[0] ?? '';
    if (rootless && /disable-userns/.test(why)) {
      return { reason: `bubblewrap at ${bwrap} is older than 0.8 (no --disable-userns, which the rootless sandbox needs): ${why}`, fix: 'install bubblewrap 0.8 or newer (or name one with SELFLESS_BWRAP), run selfless as root, or use --isolation process' };
    }
    if (rootless) {
      return {
        reason: `selfless is not root and bubblewrap cannot create an unprivileged user namespace here: ${why}`,
        fix: 'allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0, or an AppArmor profile for bwrap), run selfless as root, or use --isolation process',
      };
    }
    return { reason: `bubblewrap cannot create namespaces here: ${why}`, fix: 'allow namespaces (e.g. run the container with --privileged or a seccomp profile that permits unshare/mount), or use --isolation process' };
  }
  // Rootless: a delegated cgroup (writable by us) is used when there is one; otherwise limits are rlimits.
  if (rootless) return { bwrap, setpriv, nsenter, cgroups: await openCgroupsOrNone(), rootless: { prlimit: prlimit!, nproc: nprocPerUserNamespace() } };
  let cgroups: CgroupRoot;
  try {
    cgroups = await openCgroups();
    const t = await cgroups.create(`probe-${process.pid}`, { memoryMB: 128, pids: 16, memoryForCpuMB: 128 });
    await t.remove();
  } catch (e) {
    return { reason: `cgroups are not usable: ${e instanceof Error ? e.message : String(e)}`, fix: 'mount cgroup v2 (or the v1 memory, pids, cpu and freezer controllers) writable for root, or use --isolation process' };
  }
  return { bwrap, setpriv, nsenter, cgroups };
}

/**
 * Picks and prepares the launcher. `auto` takes the sandbox when it works and falls back to processes with a
 * warning; `sandbox` throws SandboxUnavailable (why + how to fix) when it does not work.
 */
export async function chooseLauncher(choice: IsolationChoice, dataDir: string, pythonExe: string | undefined, interpreters: string[] = [], dirs: string[] = []): Promise<Chosen> {
  if (choice === 'process') return { launcher: new ProcessLauncher(), warning: PROCESS_WARNING };
  const p = await probe(pythonExe);
  if ('reason' in p) {
    if (choice === 'sandbox') throw new SandboxUnavailable(`--isolation sandbox cannot work on this machine: ${p.reason}; to fix: ${p.fix}`);
    return { launcher: new ProcessLauncher(), warning: `${PROCESS_WARNING} (the sandbox is unavailable: ${p.reason})` };
  }
  // Every interpreter's installation (and the SDK's node_modules) is mounted read-only at /var/lang, /var/lang2, ….
  const extraRoots = [process.execPath, pythonExe, ...interpreters, ...javaRoots(), ...rubyRoots()]
    .filter((x): x is string => !!x && x.startsWith('/'))
    .map(prefixOutsideUsr)
    .filter((x): x is string => !!x)
    .concat(dirs);
  const launcher = new SandboxLauncher({ dataDir, cgroups: p.cgroups, bwrap: p.bwrap, setpriv: p.setpriv, nsenter: p.nsenter, python: pythonExe?.startsWith('/') ? pythonExe : undefined, extraRoots: [...new Set(extraRoots)], rootless: p.rootless });
  try {
    await launcher.open();
  } catch (e) {
    await launcher.close().catch(() => undefined);
    const msg = e instanceof Error ? e.message : String(e);
    if (choice === 'sandbox') throw new SandboxUnavailable(`--isolation sandbox cannot work on this machine: preparing mounts failed (${msg.trim().split('\n')[0]})`);
    return { launcher: new ProcessLauncher(), warning: `${PROCESS_WARNING} (the sandbox is unavailable: preparing mounts failed)` };
  }
  if (p.rootless && !p.cgroups) return { launcher, notice: ROOTLESS_NOTICE };
  return { launcher, notice: p.rootless ? ROOTLESS_NOTICE_CGROUP : undefined };
}

/** A delegated cgroup tree we may write (rootless), or none. */
async function openCgroupsOrNone(): Promise<CgroupRoot | undefined> {
  try {
    const cg = await openCgroups();
    try {
      const t = await cg.create(`probe-${process.pid}`, { memoryMB: 128, pids: 16, memoryForCpuMB: 128 });
      await t.remove();
      return cg;
    } catch {
      await cg.close().catch(() => undefined);
      return undefined;
    }
  } catch {
    return undefined;
  }
}
