// What a function may run on this host: its runtime's interpreter, its architecture, start-up variables needing a fresh process.
import { existsSync, readFileSync } from 'node:fs';
import { arch } from 'node:os';
import type { InterpreterMap } from './interpreters.js';

/** `refuse`: arm64 functions are refused on a host that cannot run arm64 code; `warn`: accepted, warned at cold start. */
export type Arm64Mode = 'refuse' | 'warn';

export const hostArchitecture = (): 'x86_64' | 'arm64' | string => (arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'arm64' : arch());

/** Whether the kernel runs aarch64 binaries through qemu-user (binfmt_misc has an enabled qemu-aarch64 entry). */
export function arm64Emulated(root = '/proc/sys/fs/binfmt_misc'): boolean {
  for (const name of ['qemu-aarch64', 'qemu-aarch64-static']) {
    const f = `${root}/${name}`;
    if (!existsSync(f)) continue;
    try {
      if (readFileSync(f, 'utf8').startsWith('enabled')) return true;
    } catch {
      // unreadable: not usable
    }
  }
  return false;
}

/**
 * Variables a runtime reads when its process starts (so a pre-started process, started without them, cannot serve
 * a function that sets them): the wrapper script, Node's and Python's start-up options, the dynamic loader's.
 */
const STARTUP_VARS = new Set(['AWS_LAMBDA_EXEC_WRAPPER', 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS', 'UV_THREADPOOL_SIZE', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'RUBYOPT']);

/** Whether a function's variables need a runtime started afresh with them. */
export const needsFreshProcess = (vars: Record<string, string>): boolean =>
  Object.keys(vars).some((k) => STARTUP_VARS.has(k) || (k.startsWith('PYTHON') && k !== 'PYTHONPATH'));

export interface PlatformOptions {
  interpreters: InterpreterMap;
  arm64?: Arm64Mode;
  /** Overrides discovery (tests): whether arm64 code runs on this host. */
  arm64Runs?: boolean;
}

export class Platform {
  readonly arm64: Arm64Mode;
  private readonly arm64Runs: boolean;

  constructor(readonly o: PlatformOptions) {
    this.arm64 = o.arm64 ?? 'refuse';
    this.arm64Runs = o.arm64Runs ?? (hostArchitecture() === 'arm64' || arm64Emulated());
  }

  get interpreters(): InterpreterMap {
    return this.o.interpreters;
  }

  /** Why a function of this runtime and architecture cannot be created here, or undefined. */
  refusal(runtime: string | undefined, architectures: readonly string[] | undefined): string | undefined {
    if (architectures?.includes('arm64') && !this.arm64Runs && this.arm64 === 'refuse') {
      return `The architecture arm64 cannot run on this ${hostArchitecture()} host (no qemu-user emulation is registered in binfmt_misc): use x86_64, install qemu-user-binfmt, or start selfless with --arm64 warn to run arm64 functions on ${hostArchitecture()}.`;
    }
    return runtime ? this.o.interpreters.refusal(runtime) : undefined;
  }

  /** Lines a cold start writes to the function's log: the interpreter actually run, and the architecture warning. */
  coldStartLines(runtime: string, architectures: readonly string[] | undefined): string[] {
    const out: string[] = [];
    const m = this.o.interpreters.mismatchLine(runtime);
    if (m) out.push(m);
    if (architectures?.includes('arm64') && !this.arm64Runs) {
      out.push(`selfless: WARNING: this arm64 function runs on ${hostArchitecture()} (--arm64 warn): native arm64 code in it will not load\n`);
    }
    return out;
  }
}
