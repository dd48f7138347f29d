// Chooses the isolation mode: the Linux sandbox where this machine supports it, else plain processes with a warning.
// Asking for `sandbox` where it cannot work is an error that says why and how to fix it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { openCgroups, type CgroupRoot } from './cgroup.js';
import { prefixOutsideUsr, SandboxLauncher } from './bwrap.js';
import type { Launcher } from './launcher.js';
import { ProcessLauncher } from './process.js';

export type IsolationChoice = 'auto' | 'sandbox' | 'process';

export class SandboxUnavailable extends Error {}

export interface Chosen {
  launcher: Launcher;
  /** Printed at start when functions run without isolation. */
  warning?: string;
}

const run = promisify(execFile);
const find = (names: string[]): string | undefined => names.find((p) => existsSync(p));

export const PROCESS_WARNING = 'selfless: WARNING: isolation is "process": functions run as plain processes with your privileges and can read and change anything you can; use --isolation sandbox on Linux to contain them';

/** Why the sandbox cannot run here and what to do about it; undefined when it can. */
async function probe(): Promise<{ reason: string; fix: string } | { bwrap: string; setpriv: string; nsenter: string; cgroups: CgroupRoot }> {
  if (process.platform !== 'linux') return { reason: `the sandbox needs Linux namespaces and cgroups (this is ${process.platform})`, fix: 'use --isolation process' };
  if (process.getuid?.() !== 0) {
    return {
      reason: 'the sandbox needs root: it gives every environment its own uid and cgroup and binds code into running sandboxes',
      fix: 'run selfless as root (e.g. in a VM or container), or use --isolation process',
    };
  }
  // SELFLESS_BWRAP names another bubblewrap binary (a newer build); when set it is the only one considered.
  const wanted = process.env['SELFLESS_BWRAP'];
  const bwrap = wanted ? find([wanted]) : find(['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap']);
  if (!bwrap) return { reason: wanted ? `bubblewrap is not at SELFLESS_BWRAP=${wanted}` : 'bubblewrap (bwrap) is not installed', fix: 'install it (Debian/Ubuntu: apt-get install -y bubblewrap; Fedora: dnf install bubblewrap), or use --isolation process' };
  const setpriv = find(['/usr/bin/setpriv', '/bin/setpriv']);
  if (!setpriv) return { reason: 'setpriv (util-linux) is not installed', fix: 'install util-linux, or use --isolation process' };
  const nsenter = find(['/usr/bin/nsenter', '/bin/nsenter']);
  if (!nsenter || !existsSync('/usr/bin/mount') || !existsSync('/usr/bin/env')) return { reason: 'nsenter, /usr/bin/mount or /usr/bin/env is missing', fix: 'install util-linux and coreutils, or use --isolation process' };
  try {
    await run(bwrap, ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net', '--die-with-parent', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--', '/usr/bin/true'], { timeout: 10_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { reason: `bubblewrap cannot create namespaces here: ${(err.stderr || err.message).trim().split('\n')[0]}`, fix: 'allow namespaces (e.g. run the container with --privileged or a seccomp profile that permits unshare/mount), or use --isolation process' };
  }
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
export async function chooseLauncher(choice: IsolationChoice, dataDir: string, pythonExe: string | undefined): Promise<Chosen> {
  if (choice === 'process') return { launcher: new ProcessLauncher(), warning: PROCESS_WARNING };
  const p = await probe();
  if ('reason' in p) {
    if (choice === 'sandbox') throw new SandboxUnavailable(`--isolation sandbox cannot work on this machine: ${p.reason}; to fix: ${p.fix}`);
    return { launcher: new ProcessLauncher(), warning: `${PROCESS_WARNING} (the sandbox is unavailable: ${p.reason})` };
  }
  const extraRoots = [process.execPath, pythonExe]
    .filter((x): x is string => !!x && x.startsWith('/'))
    .map(prefixOutsideUsr)
    .filter((x): x is string => !!x);
  const launcher = new SandboxLauncher({ dataDir, cgroups: p.cgroups, bwrap: p.bwrap, setpriv: p.setpriv, nsenter: p.nsenter, python: pythonExe?.startsWith('/') ? pythonExe : undefined, extraRoots: [...new Set(extraRoots)] });
  try {
    await launcher.open();
  } catch (e) {
    await launcher.close().catch(() => undefined);
    const msg = e instanceof Error ? e.message : String(e);
    if (choice === 'sandbox') throw new SandboxUnavailable(`--isolation sandbox cannot work on this machine: preparing mounts failed (${msg.trim().split('\n')[0]})`);
    return { launcher: new ProcessLauncher(), warning: `${PROCESS_WARNING} (the sandbox is unavailable: preparing mounts failed)` };
  }
  return { launcher };
}
