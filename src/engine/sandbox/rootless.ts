// Rootless sandboxes (no root, unprivileged user namespaces): every environment runs as the server's own host uid,
// so what root mode gets from uids and cgroups comes from the environment's PID namespace here: its processes are
// those in that namespace (found through /proc), frozen with SIGSTOP, measured with VmHWM.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { release } from 'node:os';

/** The uid and gid a rootless function sees inside its user namespace (AWS's sbx_user1051). */
export const SANDBOX_UID = 993;

/**
 * Whether RLIMIT_NPROC counts per user namespace (Linux 5.14+, rlimits on ucounts). Older kernels count every process
 * of the real uid, the platform's own included, so a limit of 1,024 would cap the whole platform: it is not set there.
 */
export function nprocPerUserNamespace(kernel = release()): boolean {
  const m = /^(\d+)\.(\d+)/.exec(kernel);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 5 || (major === 5 && minor >= 14);
}

/** The PID namespace of a process (`pid:[4026532…]`), or undefined when it is gone or not ours to inspect. */
export function pidNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/**
 * Every host pid whose PID namespace is `ns`: the environment's processes. Processes of other users are skipped
 * (their namespace links are not readable), which is right: an environment's processes all run as our uid.
 */
export function pidsInNamespace(ns: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) === ns) out.push(Number(name));
    } catch {
      /* gone, or another user's */
    }
  }
  return out;
}

/** Whether one of `pids` holds the socket with this inode (an open fd `socket:[inode]`). */
export function holdsSocket(pids: number[], inode: number): boolean {
  const want = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === want) return true;
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return false;
}

/** The largest VmHWM (peak resident set) among `pids`, in MB: Max Memory Used without a memory cgroup. */
export function peakResidentMB(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kb = Math.max(kb, Number(m[1]));
    } catch {
      /* gone */
    }
  }
  return Math.ceil(kb / 1024);
}

/**
 * Freezes an environment without the cgroup freezer: SIGSTOP to every process of its PID namespace, repeated until
 * a pass finds none new (a stopped process cannot fork, so this ends). Thaw sends SIGCONT to the same processes.
 * SIGKILL still ends stopped processes, so reaping needs no thaw.
 */
export class SignalFreezer {
  private stopped: number[] = [];

  constructor(private readonly ns: () => string | undefined) {}

  async freeze(): Promise<void> {
    const ns = this.ns();
    if (!ns) return;
    const seen = new Set<number>();
    for (let pass = 0; pass < 50; pass++) {
      const fresh = pidsInNamespace(ns).filter((p) => !seen.has(p));
      if (fresh.length === 0) break;
      for (const p of fresh) {
        seen.add(p);
        signal(p, 'SIGSTOP');
      }
    }
    this.stopped = [...seen];
  }

  async thaw(): Promise<void> {
    const ns = this.ns();
    const pids = this.stopped;
    this.stopped = [];
    // A stopped pid cannot have been reused while stopped unless it was killed; check before signalling anyway.
    for (const p of pids) if (ns && pidNamespaceOf(p) === ns) signal(p, 'SIGCONT');
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}
