// How an environment's process starts: the interface both isolation modes implement.
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
  freeze?(): Promise<void>;
  thaw?(): Promise<void>;
}

export interface Launcher {
  readonly mode: 'process' | 'sandbox';
  /** Paths as the function sees them (process mode: host paths; sandbox: /var/task, /opt, /var/runtime, /tmp). */
  paths(o: Pick<LaunchOptions, 'codeDir' | 'optDir' | 'runtimeDir' | 'tmpDir'>): { task: string; opt: string; runtime: string; tmp: string };
  launch(o: LaunchOptions): RuntimeProcess;
}
