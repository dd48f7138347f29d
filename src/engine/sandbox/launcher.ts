// How an environment's process starts: the interface both isolation modes implement.
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

export interface LaunchOptions {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  memoryMB: number;
  /** Host directory that is the environment's private /tmp. */
  tmpDir: string;
  tmpSizeMB: number;
  /** Host directories the environment sees: code (/var/task), layers (/opt), runtime (/var/runtime). */
  codeDir?: string;
  optDir: string;
  runtimeDir: string;
  noNetwork?: boolean;
  /** A container image's unpacked root: the environment's read-only `/` instead of the host's system view (sandbox only). */
  rootfs?: string;
  /**
   * Pre-start without a command (custom runtimes, whose bootstrap is the function's own code): the environment is
   * built and waits; RuntimeProcess.start gives it the command later. Only where `Launcher.prestartsProvided`.
   */
  deferred?: boolean;
  /** Hands a connection that reached the Runtime API by another way than TCP (the no-network bridge) to its server. */
  adoptRuntimeApiConnection?: (socket: Socket) => void;
}

export interface RuntimeProcess {
  readonly pid: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  onExit(fn: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  /** Kills the whole environment (every process in it). */
  kill(): void;
  /** Peak memory use in MB, as reported in REPORT's Max Memory Used. */
  maxMemoryMB(): Promise<number>;
  /**
   * Stops every process of the environment (idle between invocations); `thaw` resolves once it runs again.
   * `quiet`: the runtime said it has nothing left that could run (no timer, socket or child process).
   */
  freeze?(quiet: boolean): Promise<void>;
  thaw?(): Promise<void>;
  /** The host uid the environment runs as (sandbox: one per environment). */
  readonly uid?: number;
  /** True once the process is gone because it exceeded its memory limit (known before onExit listeners run). */
  readonly oomKilled?: boolean;
  /** Pre-started sandboxes: make the function's code (and layers) appear at /var/task (and /opt) before assignment. */
  assign?(o: { codeDir: string; optDir?: string }): Promise<void>;
  /** Deferred launches: runs the command (host paths, mapped by the launcher) with this environment. */
  start?(command: string, args: string[], env: Record<string, string>, dirs: { codeDir: string; optDir: string; cwd?: string }): void;
  /** Whether a loopback connection from `peerPort` to our `ourPort` comes from this environment (Runtime API guard). */
  ownsPeer?(peerPort: number, ourPort: number, peerAddress: string): Promise<boolean>;
}

export interface Launcher {
  readonly mode: 'process' | 'sandbox';
  /** Whether custom runtimes (provided*) can be pre-started (a deferred launch). */
  readonly prestartsProvided?: boolean;
  /** Paths as the function sees them (process mode: host paths; sandbox: /var/task, /opt, /var/runtime, /tmp). */
  paths(o: Pick<LaunchOptions, 'codeDir' | 'optDir' | 'runtimeDir' | 'tmpDir'>): { task: string; opt: string; runtime: string; tmp: string };
  launch(o: LaunchOptions): RuntimeProcess | Promise<RuntimeProcess>;
  /** Prepares shared state (mount points, cgroups); called once before the first launch. */
  open?(): Promise<void>;
  /** Releases shared state after every environment is gone. */
  close?(): Promise<void>;
}
