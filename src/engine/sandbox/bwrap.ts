// Linux sandbox isolation: each environment runs under bubblewrap in its own mount, PID, IPC and UTS namespaces (and
// network namespace on request), as its own unprivileged uid with no capabilities, inside its own cgroup. Rootless
// (no root, unprivileged user namespaces): in its own user namespace too, limited by rlimits (see rootless.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { CgroupRoot, EnvCgroup } from './cgroup.js';
import type { Launcher, LaunchOptions, RuntimeProcess } from './launcher.js';
import { LateMounts } from './mounts.js';
import { loopbackPeer, loopbackPeerUid } from './peer.js';
import { Freezer, type Freezable } from './freezer.js';
import { EnvironmentProcesses, pidNamespaceOf, SANDBOX_UID } from './rootless.js';
import { hex } from '../../lib/ids.js';

/** AWS's quotas: 1,024 processes+threads and 1,024 open files per environment. */
export const PIDS_MAX = 1024;
export const NOFILE_MAX = 1024;
/**
 * Environments get uids from this range (one each, reused after the environment is gone). Each selfless process takes
 * its own block by pid, so two servers on one host never share a uid (the Runtime API guard relies on it).
 */
export const UID_BASE = 200_000_000;
const UID_SLOTS = 100_000;
const uidBlock = (pid: number): number => UID_BASE + (pid % 20_000) * UID_SLOTS;
const PASSWD_SLOTS = 1024;

/** The /etc entries a runtime needs (name resolution, TLS roots, the dynamic linker); nothing secret. */
const ETC = [
  'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'alternatives', 'resolv.conf', 'hosts', 'host.conf', 'nsswitch.conf', 'gai.conf',
  'services', 'protocols', 'ssl', 'ca-certificates', 'ca-certificates.conf', 'pki', 'localtime', 'mime.types', 'os-release',
];

export interface SandboxConfig {
  dataDir: string;
  /** Rootless: only when a delegated, writable cgroup exists; otherwise limits are rlimits. */
  cgroups?: CgroupRoot;
  bwrap: string;
  setpriv: string;
  nsenter: string;
  /**
   * Rootless mode (selfless is not root): each sandbox gets its own user namespace in which the function is uid 993,
   * under the mount helper's user namespace; `prlimit` sets the per-environment limits inside it.
   */
  rootless?: { prlimit: string; /** RLIMIT_NPROC counts per user namespace here (see rootless.ts). */ nproc: boolean };
  /** A Python for the resident mount helper (faster late binds); optional. */
  python?: string;
  /**
   * Install prefixes of interpreters outside /usr (e.g. a pyenv Python), bound read-only where AWS keeps its language
   * runtimes: the first at /var/lang, others at /var/lang2, … (never under /root or the host path).
   */
  extraRoots: string[];
}

/** Exit codes that bwrap reports as 128+signal for a runtime killed by a signal (others are the runtime's own). */
const SIGNAL_EXITS: Record<number, NodeJS.Signals> = { 134: 'SIGABRT', 135: 'SIGBUS', 132: 'SIGILL', 136: 'SIGFPE', 137: 'SIGKILL', 139: 'SIGSEGV' };

/**
 * What a deferred (pre-started custom runtime) sandbox runs until it is given its command: it reads NUL-terminated
 * items from stdin (the function's variables, then the command and its arguments) and becomes that command with
 * exactly that environment. It already runs unprivileged, so the variables never reach a privileged process.
 */
const WAITER = `args=(); while IFS= read -r -d '' x; do args+=("$x"); done; [ \${#args[@]} -gt 0 ] || exit 0; cd /var/task && exec /usr/bin/env -i -- "\${args[@]}"`;

export class SandboxLauncher implements Launcher {
  readonly mode = 'sandbox' as const;
  readonly prestartsProvided = true;
  private readonly state: string;
  private readonly mounts: LateMounts;
  private readonly freeUids: number[] = [];
  private nextUid = 0;
  private readonly rootArgs: string[];
  private readonly runtimes = new Map<string, Promise<string>>();
  /** Every launched environment until it has exited and been cleaned up (close waits for them). */
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly c: SandboxConfig) {
    this.state = join(c.dataDir, 'sandbox');
    this.mounts = new LateMounts(this.state, c.python, !!c.rootless);
    this.langs = c.extraRoots.map((host, i): [string, string] => [host, i === 0 ? '/var/lang' : `/var/lang${i + 1}`]);
    this.rootArgs = systemArgs(this.state, this.langs);
  }

  private readonly langs: [string, string][];

  async open(): Promise<void> {
    await mkdir(this.state, { recursive: true });
    await this.mounts.open();
    // Lambda's functions run as sbx_user1051; every environment uid of this server's block gets that name (the first
    // PASSWD_SLOTS of them: more concurrent environments than that still run, only nameless), so getpwuid() works.
    const base = this.c.rootless ? SANDBOX_UID : uidBlock(process.pid);
    const slots = this.c.rootless ? 1 : PASSWD_SLOTS;
    const users = Array.from({ length: slots }, (_, i) => `sbx_user1051:x:${base + i}:${base + i}::/tmp:/sbin/nologin\n`).join('');
    const groups = Array.from({ length: slots }, (_, i) => `sbx_user1051:x:${base + i}:\n`).join('');
    // AWS's environments resolve sandbox.localdomain to themselves (Telemetry API listeners bind to it).
    const hosts = `${await readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1 localhost\n')}\n127.0.0.1 sandbox.localdomain sandbox\n`;
    await this.mounts.prepareEtc(join(this.state, 'etc'), ETC, {
      hosts,
      passwd: `root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n${users}`,
      group: `root:x:0:\nnobody:x:65534:\n${groups}`,
    });
  }

  async close(): Promise<void> {
    // Environments were killed by the pool; wait (briefly) until each has exited and been cleaned up so its cgroup
    // can go.
    const deadline = new Promise((r) => setTimeout(r, 3000).unref());
    await Promise.race([Promise.all([...this.running]), deadline]);
    await this.mounts.close();
    await this.c.cgroups?.close();
  }

  paths() {
    return { task: '/var/task', opt: '/opt', runtime: '/var/runtime', tmp: '/tmp' };
  }

  /**
   * A runtime directory as the sandbox mounts it at /var/runtime: a copy that carries the module type of the package
   * it came from (inside the sandbox no parent package.json is visible, and one at /var would change how the
   * function's own .js files load).
   */
  private runtimeDir(dir: string): Promise<string> {
    let p = this.runtimes.get(dir);
    if (!p) {
      p = (async () => {
        const out = join(this.state, 'runtimes', createHash('sha256').update(dir).digest('hex').slice(0, 16));
        await cp(dir, out, { recursive: true, force: true });
        const type = await packageType(dir);
        if (type) await writeFile(join(out, 'package.json'), JSON.stringify({ type }));
        return out;
      })();
      this.runtimes.set(dir, p);
      p.catch(() => this.runtimes.delete(dir));
    }
    return p;
  }

  /**
   * Connects a no-network sandbox to its Runtime API: a forwarder listens on the same loopback address inside the
   * sandbox's network namespace and relays to a unix socket here, whose connections go straight to the environment's
   * Runtime API server (only that sandbox can reach the socket, so they need no peer check).
   */
  private async bridge(id: string, child: ChildProcess, childPid$: Promise<number>, runtimeApi: string, adopt: (s: Socket) => void): Promise<Bridge> {
    const port = Number(/:(\d+)$/.exec(runtimeApi)?.[1]);
    if (!port) throw new Error(`no Runtime API port in '${runtimeApi}'`);
    const childPid = await childPid$;
    const sockDir = join(this.state, 'sock');
    await mkdir(sockDir, { recursive: true, mode: 0o700 });
    const sockPath = join(sockDir, `${id}.sock`);
    const relay: Server = createServer((c) => {
      c.on('error', () => undefined);
      adopt(c);
    });
    await new Promise<void>((resolve, reject) => relay.once('error', reject).listen(sockPath, resolve));
    // Rootless: entering the sandbox's network namespace needs the helper's user namespace (which owns it) first.
    const userns = this.mounts.userNamespace;
    const enter = userns ? [`--user=${userns}`, '--preserve-credentials'] : [];
    const fwd = spawn(this.c.nsenter, [...enter, `--net=/proc/${childPid}/ns/net`, '--', process.execPath, FORWARDER, String(port), sockPath], {
      env: { PATH: '/usr/bin:/bin' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    fwd.on('error', () => undefined);
    fwd.stdin!.on('error', () => undefined);
    fwd.stdout!.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      fwd.stdout!.once('data', () => resolve());
      fwd.once('exit', (code) => reject(new Error(`the Runtime API forwarder exited (${code ?? 'signal'})`)));
    });
    (child.stdio[3] as NodeJS.WritableStream).end('go');
    return {
      close: () => {
        fwd.kill('SIGKILL');
        relay.close();
      },
    };
  }

  /** The environment as seen inside: interpreter paths moved to /var/lang, whose libraries the loader must find. */
  private insideEnv(env: Record<string, string>, toInside: (p: string) => string): Record<string, string> {
    if (this.langs.length === 0) return env;
    const out = { ...env };
    const fix = (k: string, extra: string[]): void => {
      const parts = (out[k] ?? '').split(':').filter(Boolean).map(toInside);
      out[k] = [...new Set([...extra, ...parts])].join(':');
    };
    fix('PATH', []);
    // AWS's runtimes have /var/lang/lib first on the library path too.
    fix('LD_LIBRARY_PATH', this.langs.map(([, inside]) => `${inside}/lib`));
    return out;
  }

  /** Who is connecting: one exact sock_diag lookup through the helper, else a scan of /proc/net/tcp. */
  private async peerUid(peerPort: number, ourPort: number): Promise<number | undefined> {
    const h = this.mounts.helper;
    if (h) {
      const uid = await h.peerUid(peerPort, ourPort);
      if (uid !== undefined) return uid;
    }
    return loopbackPeerUid(peerPort, ourPort);
  }

  private takeUid(): number {
    return this.freeUids.pop() ?? uidBlock(process.pid) + (this.nextUid++ % UID_SLOTS);
  }

  async launch(o: LaunchOptions): Promise<RuntimeProcess> {
    const id = hex(8);
    const rootless = this.c.rootless;
    const uid = rootless ? undefined : this.takeUid();
    const giveBack = (): void => void (uid !== undefined && this.freeUids.push(uid));
    let cg: EnvCgroup | undefined;
    try {
      cg = await this.c.cgroups?.create(id, { memoryMB: o.memoryMB, pids: PIDS_MAX, memoryForCpuMB: o.memoryMB });
    } catch (e) {
      giveBack();
      throw e;
    }
    const late = o.codeDir === undefined && !o.rootfs;
    const runtimeSrc = o.runtimeDir && o.runtimeDir !== o.codeDir ? await this.runtimeDir(o.runtimeDir) : undefined;
    const points = late ? await this.mounts.points(id) : undefined;
    const taskSrc = points?.task ?? o.codeDir!;
    const optSrc = points?.opt ?? o.optDir;
    const image = o.rootfs;
    const toInside = (p: string): string => image ? p : inside(p, [
      [o.codeDir, '/var/task'],
      [o.runtimeDir, '/var/runtime'],
      [o.optDir, '/opt'],
      ...this.langs,
    ]);
    const env = image ? o.env : this.insideEnv(o.env, toInside);
    // In an image's root the host's tools are at /.selfless (host /usr), run through the host's own loader.
    const tool = (p: string): string[] => (image ? hostTool(p) : [p]);
    const [command, commandArgs] = o.deferred
      ? image ? [hostTool('/bin/bash')[0]!, [...hostTool('/bin/bash').slice(1), '-c', imageWaiter()]] : ['/bin/bash', ['-c', WAITER]]
      : [toInside(o.command), o.args.map(toInside)];
    // Root: drop to the environment's own uid. Rootless: bwrap already made it uid 993 of its own user namespace;
    // the limits cgroups would give are set there (RLIMIT_NPROC counts per user namespace, so per environment).
    const drop = rootless
      ? [
          ...tool(rootless.prlimit), ...(rootless.nproc ? [`--nproc=${PIDS_MAX}:${PIDS_MAX}`] : []), `--nofile=${NOFILE_MAX}:${NOFILE_MAX}`,
          ...(cg ? [] : [`--data=${o.memoryMB * 1048576}:${o.memoryMB * 1048576}`]),
          '--',
        ]
      : [...tool(this.c.setpriv), `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--'];
    // Rootless sandboxes always report their init's pid (fd 4): their processes are found by its PID namespace.
    const info = !!o.noNetwork || !!rootless;
    const args = [
      ...(rootless ? ['--unshare-user', '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_UID), '--disable-userns'] : []),
      // No network: a namespace with only loopback; bwrap waits (fd 3) until the Runtime API forwarder listens in it.
      ...(o.noNetwork ? ['--unshare-net', '--block-fd', '3'] : []),
      ...(info ? ['--info-fd', '4'] : []),
      ...(image ? imageArgs(image) : this.rootArgs),
      '--perms', '1777', '--size', String(o.tmpSizeMB * 1024 * 1024), '--tmpfs', '/tmp',
      ...(image
        ? ['--chdir', o.cwd]
        : [
            '--ro-bind', taskSrc, '/var/task',
            '--ro-bind', optSrc, '/opt',
            ...(runtimeSrc ? ['--ro-bind', runtimeSrc, '/var/runtime'] : ['--symlink', '/var/task', '/var/runtime']),
            '--chdir', o.cwd === o.codeDir || o.cwd === '/var/task' ? '/var/task' : '/tmp',
          ]),
      // Rootless, the sandbox's own root and /dev (tmpfs, no size limit) belong to the function's uid: make them
      // read-only, or it could fill memory through them.
      ...(rootless ? ['--remount-ro', '/dev', '--remount-ro', '/'] : []),
      '--clearenv', '--setenv', 'PATH', '/usr/bin:/bin',
      '--cap-drop', 'ALL', ...(rootless ? [] : ['--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--cap-add', 'CAP_SETPCAP']),
      '--',
      ...drop,
      // The function's variables are set only after privileges are gone: LD_PRELOAD & co. never touch a privileged process.
      ...tool('/usr/bin/env'), '-i', '--', ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      command, ...commandArgs,
    ];
    // The shell joins the cgroup before bwrap starts, so everything the function ever forks is inside it.
    const join_ = (cg?.procsFiles ?? []).map((f) => `echo $$ > '${f}' && `).join('');
    // bwrap starts inside the helper's mount namespace when it has one (that is where the code binds are); rootless,
    // inside the helper's user namespace too (which owns that mount namespace).
    const ns = this.mounts.namespace;
    const userns = this.mounts.userNamespace;
    const head = userns && ns
      ? [this.c.nsenter, `--user=${userns}`, `--mount=${ns}`, '--preserve-credentials', '--', this.c.bwrap]
      : ns ? [this.c.nsenter, `--mount=${ns}`, '--', this.c.bwrap] : [this.c.bwrap];
    const child = spawn('/bin/sh', ['-c', `ulimit -n ${NOFILE_MAX} && ${join_}exec "$@"`, 'sh', ...head, ...args], {
      env: { PATH: '/usr/bin:/bin' },
      stdio: [o.deferred ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(info ? ([o.noNetwork ? 'pipe' : 'ignore', 'pipe'] as const) : [])],
      detached: true,
    });
    const pid = child.pid ?? -1;
    // bwrap closes its ends of these pipes as it goes: their errors are expected, not crashes.
    for (const fd of [3, 4]) (child.stdio[fd] as NodeJS.EventEmitter | null)?.on('error', () => undefined);
    const childPid$ = info ? sandboxInitPid(child) : undefined;
    childPid$?.catch(() => undefined);
    // Rootless: the sandbox's processes (through its PID namespace), known once bwrap has set it up.
    let pidNs: string | undefined;
    let initPid: number | undefined;
    let procs: EnvironmentProcesses | undefined;
    const procs$ = rootless && childPid$
      ? childPid$.then((p) => {
          initPid = p;
          pidNs = pidNamespaceOf(p);
          procs = pidNs ? new EnvironmentProcesses(p, pidNs) : undefined;
          return procs;
        }, () => undefined)
      : undefined;
    let bridge: Bridge | undefined;
    if (o.noNetwork) {
      try {
        if (!o.adoptRuntimeApiConnection) throw new Error('a function without network needs adoptRuntimeApiConnection');
        bridge = await this.bridge(id, child, childPid$!, o.env['AWS_LAMBDA_RUNTIME_API'] ?? '', o.adoptRuntimeApiConnection);
      } catch (e) {
        killGroup(pid);
        await cg?.killAll().catch(() => undefined);
        await cg?.remove().catch(() => undefined);
        giveBack();
        throw e;
      }
    }
    // Rootless without a cgroup: the helper SIGSTOPs (and SIGCONTs) every process of the PID namespace.
    const helper = this.mounts.helper;
    const signals: Freezable = {
      freeze: async () => void (initPid !== undefined && pidNs && (await helper?.freeze(initPid, pidNs))),
      thaw: async () => void (initPid !== undefined && (await helper?.thaw(initPid))),
    };
    const freezer = new Freezer(cg ?? signals);
    /** Rootless without a cgroup: SIGKILL to the sandbox's init ends every process of its PID namespace. */
    const killInit = (): void => {
      if (initPid === undefined || !pidNs || pidNamespaceOf(initPid) !== pidNs) return;
      try {
        process.kill(initPid, 'SIGKILL');
      } catch {
        /* gone */
      }
    };
    let oom = false;
    let gone = false;
    const exitFns: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
    const cleanup = async (): Promise<void> => {
      freezer.dispose();
      bridge?.close();
      await cg?.killAll().catch(() => undefined);
      await cg?.remove().catch(() => undefined);
      if (late) await this.mounts.release(id).catch(() => undefined);
      giveBack();
    };
    let finished!: () => void;
    const finishedP = new Promise<void>((r) => (finished = r));
    this.running.add(finishedP);
    void finishedP.then(() => this.running.delete(finishedP));
    const exited = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (gone) return;
      gone = true;
      void (cg ? cg.oomKilled() : Promise.resolve(false))
        .catch(() => false)
        .then((killed) => {
          oom = killed;
          const sig = signal ?? (code !== null ? SIGNAL_EXITS[code] : undefined) ?? null;
          for (const fn of exitFns) fn(sig ? null : code, sig);
          return cleanup();
        })
        .catch(() => undefined)
        .then(finished);
    };
    child.once('exit', exited);
    child.once('error', () => exited(127, null));
    // Rootless: the connecting socket must be held open by a process of this environment.
    const ownsSocket = async (peerPort: number, ourPort: number): Promise<boolean> => {
      const sock = (await this.mounts.helper?.peer(peerPort, ourPort)) ?? (await loopbackPeer(peerPort, ourPort));
      const env = await procs$;
      return !!sock && !!env && env.holdsSocket(sock.inode);
    };
    // The sandbox's processes as /proc directories, bwrap's outer process excluded (the rootless sandbox's own /proc
    // never shows it).
    const sandboxProcs = async (): Promise<string[]> =>
      cg ? (await cg.pids()).filter((p) => p !== pid).map((p) => `/proc/${p}`) : procs ? procs.pids().map((p) => procs!.path(p)) : [];
    return {
      pid,
      uid,
      stdout: child.stdout!,
      stderr: child.stderr!,
      get oomKilled() {
        return oom;
      },
      onExit: (fn) => void exitFns.push(fn),
      kill: () => {
        freezer.dispose();
        if (!killGroup(pid)) child.kill('SIGKILL');
        killInit();
        void cg?.killAll().catch(() => undefined);
      },
      maxMemoryMB: async () => (cg ? cg.peakMB() : (procs?.peakMB() ?? 0)),
      freeze: (quiet) => freezer.freeze(quiet ? () => onlyAnIdleRuntime(sandboxProcs) : undefined),
      thaw: () => freezer.thaw(),
      start: o.deferred
        ? (cmd, cmdArgs, vars, dirs) => {
            const map = (p: string): string => (image ? p : inside(p, [[dirs.codeDir, '/var/task'], [dirs.optDir, '/opt'], ...this.langs]));
            // An image's waiter takes the working directory first (the image's, or ImageConfig's).
            const items = [
              ...(image ? [dirs.cwd ?? '/'] : []),
              ...Object.entries(image ? vars : this.insideEnv(vars, map)).map(([k, v]) => `${k}=${v}`), map(cmd), ...cmdArgs.map(map),
            ];
            child.stdin!.on('error', () => undefined);
            child.stdin!.end(items.map((x) => `${x.replace(/\0/g, '')}\0`).join(''));
          }
        : undefined,
      assign: late
        ? async (a) => {
            const pairs: [string, string][] = [[a.codeDir, points!.task]];
            if (a.optDir) pairs.push([a.optDir, points!.opt]);
            await this.mounts.bind(id, pairs);
          }
        : undefined,
      ownsPeer: async (peerPort, ourPort, peerAddress) =>
        peerAddress === '127.0.0.1' && (rootless ? await ownsSocket(peerPort, ourPort) : (await this.peerUid(peerPort, ourPort)) === uid),
    };
  }
}

/** The host pid of the sandbox's init (bwrap's `child-pid` on its info fd, 4). */
function sandboxInitPid(child: ChildProcess): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let info = '';
    const info$ = child.stdio[4] as NodeJS.ReadableStream;
    info$.setEncoding('utf8');
    info$.on('data', (c: string) => {
      info += c;
      const m = /"child-pid"\s*:\s*(\d+)/.exec(info);
      if (m) resolve(Number(m[1]));
    });
    info$.on('end', () => reject(new Error('bubblewrap ended before the sandbox started')));
  });
}

/** SIGKILLs a process group; false when there is none (never signals a group for an unknown pid). */
function killGroup(pid: number): boolean {
  if (pid <= 1) return false;
  try {
    process.kill(-pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

interface Bridge {
  close(): void;
}

const FORWARDER = join(dirname(fileURLToPath(import.meta.url)), 'netns-forwarder.js');

/** Maps a host path under one of the bound directories to where the sandbox sees it. */
function inside(p: string, maps: [string | undefined, string][]): string {
  for (const [host, target] of maps) {
    if (!host) continue;
    if (p === host) return target;
    if (p.startsWith(host + sep)) return target + p.slice(host.length);
  }
  return p;
}

/** The namespaces and the read-only system view every environment shares. */
function systemArgs(state: string, langs: [string, string][]): string[] {
  const a = ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent', '--new-session', '--hostname', 'localhost'];
  a.push('--ro-bind', '/usr', '/usr');
  for (const d of ['bin', 'sbin', 'lib', 'lib64', 'lib32', 'libx32']) {
    const host = `/${d}`;
    let real: string;
    try {
      real = realpathSync(host);
    } catch {
      continue;
    }
    // Merged-/usr systems have /bin → usr/bin: keep the symlink; otherwise bind the directory.
    if (real !== host) a.push('--symlink', real.slice(1).startsWith('usr') ? real.slice(1) : real, host);
    else a.push('--ro-bind', host, host);
  }
  // bwrap creates missing parents of a mount point as 0700; the unprivileged user must be able to traverse them.
  const parents = new Set<string>(['/var']);
  for (const d of [...parents].sort()) a.push('--perms', '0755', '--dir', d);
  a.push('--ro-bind', join(state, 'etc'), '/etc');
  for (const [host, inside] of langs) a.push('--ro-bind', host, inside);
  // bwrap leaves /proc/sys writable for root-owned entries; nothing in a function should tune the kernel.
  a.push('--proc', '/proc', '--ro-bind', '/proc/sys', '/proc/sys', '--dev', '/dev', '--dir', '/var/tmp');
  return a;
}

/**
 * The deferred waiter of an image sandbox (host bash, through the host's loader): the first item is the working
 * directory, the rest as WAITER's; the command runs through the host's env, which never loads the image's libc.
 */
function imageWaiter(): string {
  const env = hostTool('/usr/bin/env').map((x) => `'${x}'`).join(' ');
  return `args=(); while IFS= read -r -d '' x; do args+=("$x"); done; [ \${#args[@]} -gt 1 ] || exit 0; cd "\${args[0]}" && exec ${env} -i -- "\${args[@]:1}"`;
}

/** Where the host's /usr is inside an image's root (the image's own /usr stays its own). */
const HOST_USR = '/.selfless/usr';
/** The host's dynamic loader (real path, under /usr on merged-/usr systems). */
const LOADER = ((): string => {
  for (const l of ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1']) {
    try {
      return realpathSync(l);
    } catch {
      /* another architecture */
    }
  }
  return '/lib64/ld-linux-x86-64.so.2';
})();

/**
 * A host tool as a command inside an image's root: the host's loader (from the host /usr bound at /.selfless/usr)
 * runs it with the host's libraries, so the image's own libc is never mixed with the host's.
 */
function hostTool(p: string): string[] {
  const real = realpathSync(p);
  const mapped = (x: string): string => (x.startsWith('/usr/') ? HOST_USR + x.slice(4) : x);
  return [mapped(LOADER), '--library-path', mapped(dirname(LOADER)), mapped(real)];
}

/** The namespaces and root of an image function: the image read-only as `/`, the host's /usr at /.selfless/usr. */
function imageArgs(rootfs: string): string[] {
  return [
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent', '--new-session', '--hostname', 'localhost',
    '--ro-bind', rootfs, '/', '--ro-bind', '/usr', HOST_USR,
    '--proc', '/proc', '--ro-bind', '/proc/sys', '/proc/sys', '--dev', '/dev',
  ];
}

/** The "type" of the nearest package.json at or above a directory. */
async function packageType(dir: string): Promise<string | undefined> {
  for (let d = dir; ; d = dirname(d)) {
    try {
      const pkg = JSON.parse(await readFile(join(d, 'package.json'), 'utf8')) as { type?: unknown };
      return typeof pkg.type === 'string' ? pkg.type : undefined;
    } catch {
      /* keep looking */
    }
    if (dirname(d) === d) return undefined;
  }
}

/** The install prefix of an interpreter (…/bin/x → …) when it lives outside the system directories. */
export function prefixOutsideUsr(executable: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(executable);
  } catch {
    return undefined;
  }
  if (/^\/(usr|bin|sbin|lib|lib64)\//.test(real)) return undefined;
  return dirname(dirname(real));
}

/** Processes in a sandbox that only runs its runtime: bwrap outside the PID namespace, bwrap as its init, the runtime. */
const SANDBOX_PROCESSES = 3;
/** epoll waits by syscall number (x86_64: epoll_wait, epoll_pwait; arm64: epoll_pwait), with the timeout's argument. */
const EPOLL_WAITS: Record<string, Record<number, number>> = { x64: { 232: 3, 281: 3 }, arm64: { 22: 3 } };

/**
 * True when nothing in a sandbox can run while it is idle, so freezing it would change nothing: no process but the
 * runtime and bwrap's init, and the runtime blocked in an epoll wait with no timeout, which libuv uses only when no
 * timer exists, not even an unref'd one. `dirs` lists the sandbox's /proc/<pid> directories, bwrap's outer process
 * excluded. Any doubt answers false, and the environment is frozen as usual.
 */
async function onlyAnIdleRuntime(dirs: () => Promise<string[]>): Promise<boolean> {
  const waits = EPOLL_WAITS[process.arch];
  if (!waits) return false;
  for (let attempt = 0; attempt < 4; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 5));
    const procs = await dirs();
    if (procs.length !== SANDBOX_PROCESSES - 1) return false;
    let runtime: string | undefined;
    for (const d of procs) if ((await readFile(`${d}/comm`, 'utf8').catch(() => '')).trim() !== 'bwrap') runtime = d;
    if (!runtime) return false;
    const call = (await readFile(`${runtime}/syscall`, 'utf8').catch(() => '')).trim().split(' ');
    const arg = waits[Number(call[0])];
    if (arg !== undefined) return BigInt.asIntN(32, BigInt(call[1 + arg] ?? '0')) === -1n;
    // Still running, or in another call: on a busy host it may not have reached its wait yet. Look again.
  }
  return false;
}

