// Plain process isolation: a child process in its own process group with its own /tmp directory and file limits.
// Functions are NOT isolated from the host in this mode; `selfless start` says so.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { Launcher, LaunchOptions, RuntimeProcess } from './launcher.js';

const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => existsSync(p));

export class ProcessLauncher implements Launcher {
  readonly mode = 'process' as const;

  paths(o: Pick<LaunchOptions, 'codeDir' | 'optDir' | 'runtimeDir' | 'tmpDir'>) {
    return { task: o.codeDir ?? '', opt: o.optDir, runtime: o.runtimeDir, tmp: o.tmpDir };
  }

  launch(o: LaunchOptions): RuntimeProcess {
    // An image's root file system needs a mount namespace; the Lambda service refuses image functions before this.
    if (o.rootfs) throw new Error('container-image functions need the sandbox (--isolation sandbox)');
    // AWS's quota: 1,024 open files. (Process counts cannot be capped for root without the sandbox's pids cgroup.)
    const [cmd, args] = PRLIMIT ? [PRLIMIT, ['--nofile=1024:1024', '--', o.command, ...o.args]] : [o.command, o.args];
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.on('error', () => undefined);
    const pid = child.pid ?? -1;
    return {
      pid,
      stdout: child.stdout!,
      stderr: child.stderr!,
      onExit: (fn) => {
        child.once('exit', fn);
        child.once('error', () => fn(127, null));
      },
      kill: () => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      },
      maxMemoryMB: async () => {
        try {
          const status = await readFile(`/proc/${pid}/status`, 'utf8');
          const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
          return Math.ceil(kb / 1024);
        } catch {
          return 0;
        }
      },
    };
  }
}
