// Rootless sandboxes (no root, unprivileged user namespaces): every environment runs as the server's own host uid,
// so what root mode gets from uids and cgroups comes from the environment's PID namespace here. Its processes are
// read through the sandbox's own /proc (/proc/<init>/root/proc lists exactly them), never by scanning the host's.
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

/** One environment's processes, seen through the /proc its sandbox mounted. */
export class EnvironmentProcesses {
  private readonly proc: string;
  /** Namespace-local pids that held admitted Runtime API connections: most connections come from them again. */
  private holders: string[] = [];

  /** `initPid`: the host pid of the sandbox's init; `ns`: its PID namespace (guards against the pid being reused). */
  constructor(
    private readonly initPid: number,
    private readonly ns: string,
  ) {
    this.proc = `/proc/${initPid}/root/proc`;
  }

  /** A process's directory in the sandbox's /proc (by namespace-local pid). */
  path(pid: string): string {
    return `${this.proc}/${pid}`;
  }

  /** Namespace-local pids of every process of the environment; empty once it is gone. */
  pids(): string[] {
    if (pidNamespaceOf(this.initPid) !== this.ns) return [];
    try {
      return readdirSync(this.proc).filter((n) => n.charCodeAt(0) >= 48 && n.charCodeAt(0) <= 57);
    } catch {
      return [];
    }
  }

  /** Whether a process of the environment holds the socket with this inode (an open fd `socket:[inode]`). */
  holdsSocket(inode: number): boolean {
    const want = `socket:[${inode}]`;
    const holds = (pid: string): boolean => {
      let fds: string[];
      try {
        fds = readdirSync(`${this.proc}/${pid}/fd`);
      } catch {
        return false;
      }
      for (const fd of fds) {
        try {
          if (readlinkSync(`${this.proc}/${pid}/fd/${fd}`) === want) return true;
        } catch {
          /* closed meanwhile */
        }
      }
      return false;
    };
    const all = this.pids();
    if (all.length === 0) return false;
    const live = new Set(all);
    this.holders = this.holders.filter((p) => live.has(p));
    if (this.holders.some(holds)) return true;
    const found = all.find((p) => !this.holders.includes(p) && holds(p));
    if (found) this.holders.push(found);
    return found !== undefined;
  }

  /** The largest VmHWM (peak resident set) of its processes, in MB: Max Memory Used without a memory cgroup. */
  peakMB(): number {
    let kb = 0;
    for (const pid of this.pids()) {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`${this.proc}/${pid}/status`, 'utf8'));
        if (m) kb = Math.max(kb, Number(m[1]));
      } catch {
        /* gone */
      }
    }
    return Math.ceil(kb / 1024);
  }
}
