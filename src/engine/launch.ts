// What an environment runs and sees: the runtime command per family and the environment variables AWS sets.
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { javaCommand, javaEnv } from './java.js';
import { rubyCommand, rubyEnv } from './ruby.js';
import type { FunctionSpec } from './types.js';

export type Family = 'node' | 'python' | 'java' | 'ruby' | 'provided';
export const familyOf = (runtime: string): Family =>
  runtime.startsWith('nodejs') ? 'node' : runtime.startsWith('python') ? 'python' : runtime.startsWith('java') ? 'java' : runtime.startsWith('ruby') ? 'ruby' : 'provided';

/** Families whose runtime client can be pre-started before a function is assigned to it. */
export const prestartable = (family: Family): boolean => family !== 'java' && family !== 'ruby';

const here = dirname(fileURLToPath(import.meta.url));
/** The package root (…/dist/src/engine → …). */
const PACKAGE_ROOT = join(here, '..', '..', '..');
export const NODE_RUNTIME_DIR = join(here, 'runtimes', 'node');
export const PYTHON_RUNTIME_DIR = join(PACKAGE_ROOT, 'src', 'engine', 'runtimes', 'python');

/**
 * selfless's own node_modules (it ships `@aws-sdk/client-*`): the end of a Node.js function's module path, as the
 * SDK AWS's Node.js 18+ runtimes include sits behind the function's own modules and layers.
 */
export const SDK_NODE_MODULES: string | undefined = (() => {
  try {
    return realpathSync(join(PACKAGE_ROOT, 'node_modules'));
  } catch {
    return undefined;
  }
})();

export interface RuntimeCommand {
  command: string;
  args: string[];
  runtimeDir: string;
}

let pythonExe: string | undefined;

/** Takes the python3 the interpreter map found (saves resolvePython a spawn, through a pyenv shim at that). */
export function usePython(executable: string): void {
  pythonExe ??= executable;
}

/** Resolves the real python3 interpreter once (a pyenv shim would add tens of ms to every start). */
export async function resolvePython(): Promise<string> {
  if (pythonExe) return pythonExe;
  try {
    const { stdout } = await promisify(execFile)('python3', ['-c', 'import sys; print(sys.executable)']);
    pythonExe = stdout.trim() || 'python3';
  } catch {
    pythonExe = 'python3';
  }
  return pythonExe;
}

/** Node's heap cap for a memory size, leaving room for the rest of the process as AWS's runtime does. */
export const nodeHeapMB = (memoryMB: number): number => Math.max(16, Math.floor(memoryMB * 0.85));

/**
 * The runtime process of a family; `executable` is the interpreter the runtime's map chose (default: the host's),
 * `optDir` the layers' host directory (the Java client builds its class path from it).
 */
export function runtimeCommand(family: Family, memoryMB: number, executable?: string, optDir?: string): RuntimeCommand | undefined {
  if (family === 'java') return javaCommand(memoryMB, optDir);
  if (family === 'ruby') return rubyCommand();
  if (family === 'node') {
    return {
      command: executable ?? process.execPath,
      args: [`--max-old-space-size=${nodeHeapMB(memoryMB)}`, join(NODE_RUNTIME_DIR, 'bootstrap.cjs')],
      runtimeDir: NODE_RUNTIME_DIR,
    };
  }
  if (family === 'python') {
    return { command: executable ?? pythonExe ?? 'python3', args: ['-u', join(PYTHON_RUNTIME_DIR, 'bootstrap.py')], runtimeDir: PYTHON_RUNTIME_DIR };
  }
  return undefined;
}

/**
 * provided*: the package's own `bootstrap`, else one from a layer (`/opt/bootstrap`). Amazon Linux's /bin/sh is bash,
 * and AWS's own shell-runtime tutorial relies on it (`source`, `function`, pipefail), so a `#!/bin/sh` bootstrap runs
 * under bash here too.
 */
export async function providedCommand(taskRoot: string, optDir: string): Promise<RuntimeCommand | undefined> {
  for (const bootstrap of [join(taskRoot, 'bootstrap'), join(optDir, 'bootstrap')]) {
    let head: string;
    try {
      const fh = await open(bootstrap, 'r');
      try {
        const { buffer, bytesRead } = await fh.read(Buffer.alloc(64), 0, 64, 0);
        head = buffer.subarray(0, bytesRead).toString('latin1');
      } finally {
        await fh.close();
      }
    } catch {
      continue;
    }
    if (/^#!\s*\/bin\/sh(\s|$)/.test(head) && existsSync('/bin/bash')) return { command: '/bin/bash', args: [bootstrap], runtimeDir: taskRoot };
    return { command: bootstrap, args: [], runtimeDir: taskRoot };
  }
  return undefined;
}

export interface EnvPaths {
  task: string;
  opt: string;
  runtime: string;
  tmp: string;
}

const pythonMinor = (runtime: string): string => runtime.replace(/^python/, '');

/** The base environment every runtime process starts with (also what a pre-started process has before assignment). */
export function baseEnv(runtimeApi: string, paths: Pick<EnvPaths, 'tmp'>, extraPath: string[] = []): Record<string, string> {
  const path = [...extraPath, dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'];
  if (pythonExe?.startsWith('/')) path.splice(1, 0, dirname(pythonExe));
  return {
    PATH: [...new Set(path)].join(':'),
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    TMPDIR: paths.tmp,
    HOME: paths.tmp,
    AWS_LAMBDA_RUNTIME_API: runtimeApi,
  };
}

/** The credentials a function's SDK signs its calls back into selfless with. */
export interface FunctionKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Epoch ms when a session key expires (the environment is replaced before then); none for a long-term key. */
  expiration?: number;
}

/** Where a runtime's language lives: its interpreter's bin dir, and what its module path ends with. */
export interface RuntimePaths {
  /** First on PATH (AWS: /var/lang/bin). */
  bin?: string;
  /** Appended to NODE_PATH (node) or PYTHONPATH (python), after the function's own and its layers' paths. */
  modulePath?: string[];
}

/** The complete environment of a function's runtime, exactly the variables AWS sets plus the function's own. */
export function functionEnv(
  spec: FunctionSpec,
  paths: EnvPaths,
  runtimeApi: string,
  logStream: string,
  endpointUrl: string,
  initializationType: 'on-demand' | 'provisioned-concurrency',
  key: FunctionKey,
  lang: RuntimePaths = {},
): Record<string, string> {
  const family = familyOf(spec.runtime);
  const env: Record<string, string> = {
    ...baseEnv(runtimeApi, paths, [...(lang.bin ? [lang.bin] : []), `${paths.opt}/bin`]),
    LD_LIBRARY_PATH: [`${paths.task}/lib`, paths.task, `${paths.opt}/lib`, '/lib64', '/usr/lib64'].join(':'),
    AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: spec.version,
    AWS_LAMBDA_LOG_GROUP_NAME: spec.logGroup,
    AWS_LAMBDA_LOG_STREAM_NAME: logStream,
    AWS_LAMBDA_INITIALIZATION_TYPE: initializationType,
    AWS_REGION: spec.region,
    AWS_DEFAULT_REGION: spec.region,
    AWS_ACCESS_KEY_ID: key.accessKeyId,
    AWS_ACCESS_KEY: key.accessKeyId,
    AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
    ...(key.sessionToken ? { AWS_SESSION_TOKEN: key.sessionToken } : {}),
    AWS_ENDPOINT_URL: endpointUrl,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000',
    LAMBDA_TASK_ROOT: paths.task,
    LAMBDA_RUNTIME_DIR: paths.runtime,
    _HANDLER: spec.handler,
  };
  if (spec.logFormat === 'JSON') {
    env['AWS_LAMBDA_LOG_FORMAT'] = 'JSON';
    if (spec.applicationLogLevel) env['AWS_LAMBDA_LOG_LEVEL'] = spec.applicationLogLevel;
  }
  if (family === 'node') {
    env['AWS_EXECUTION_ENV'] = `AWS_Lambda_${spec.runtime}`;
    const major = /nodejs(\d+)/.exec(spec.runtime)?.[1] ?? '20';
    env['NODE_PATH'] = [`${paths.opt}/nodejs/node${major}/node_modules`, `${paths.opt}/nodejs/node_modules`, `${paths.runtime}/node_modules`, ...(lang.modulePath ?? [])].join(':');
  } else if (family === 'python') {
    env['AWS_EXECUTION_ENV'] = `AWS_Lambda_${spec.runtime}`;
    env['PYTHONPATH'] = [`${paths.opt}/python/lib/python${pythonMinor(spec.runtime)}/site-packages`, `${paths.opt}/python`, paths.runtime, ...(lang.modulePath ?? [])].join(':');
  } else if (family === 'java') {
    Object.assign(env, javaEnv(spec.runtime));
  } else if (family === 'ruby') {
    Object.assign(env, rubyEnv(spec.runtime, paths));
  }
  // The function's own variables win over the defaults AWS lets users override (PATH, LANG, NODE_PATH, …); reserved
  // names were refused at configuration time.
  return { ...env, ...spec.environment };
}

/** An image function's process: ENTRYPOINT followed by CMD (ImageConfig's over the image's), as a container runs. */
export function imageCommand(image: NonNullable<FunctionSpec['image']>): RuntimeCommand | undefined {
  const argv = [...image.entrypoint, ...image.cmd];
  if (argv.length === 0) return undefined;
  return { command: argv[0]!, args: argv.slice(1), runtimeDir: '' };
}

/** The default PATH of a container without its own. */
const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Variables of the host runtimes that mean nothing inside an image (its own ENV says what it needs). */
const HOST_ONLY = ['PATH', 'LD_LIBRARY_PATH', 'NODE_PATH', 'PYTHONPATH', 'LAMBDA_RUNTIME_DIR'];

/**
 * An image function's environment: the image's ENV, then the variables Lambda sets, then the function's own.
 * `_HANDLER` is the CMD's first word, as AWS's base images read it.
 */
export function imageEnv(image: NonNullable<FunctionSpec['image']>, lambdaVars: Record<string, string>, own: Readonly<Record<string, string>>): Record<string, string> {
  const set = { ...lambdaVars };
  for (const k of HOST_ONLY) if (!(k in own)) delete set[k];
  return { PATH: CONTAINER_PATH, ...image.env, ...set, _HANDLER: image.cmd[0] ?? '', LAMBDA_RUNTIME_DIR: '/var/runtime', ...own };
}
