// Java runtimes: the host's JDK (found once), selfless's runtime client compiled on first use, the JVM command line.
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runtimeFallback } from './fallback.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The Java sources of the runtime client and of aws-lambda-java-core's interfaces (…/dist/src/engine → …/src). */
export const JAVA_SOURCES = join(here, '..', '..', '..', 'src', 'engine', 'runtimes', 'java');

export interface Jdk {
  java: string;
  /** Absent when only a JRE is installed: the runtime client cannot be compiled then. */
  javac?: string;
  jar?: string;
  home: string;
  version: string;
  major: number;
}

let found: Jdk | null | undefined;

const executable = (p: string): boolean => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The JDK selfless runs Java functions with: $JAVA_HOME's, else the `java` on PATH (through its symlinks). */
export function findJdk(): Jdk | undefined {
  if (found !== undefined) return found ?? undefined;
  found = null;
  const fromHome = process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : undefined;
  const java = fromHome && executable(fromHome) ? fromHome : onPath('java');
  if (!java) return undefined;
  const real = realpathSync(java);
  const home = dirname(dirname(real));
  let version = '';
  try {
    version = /^JAVA_VERSION="([^"]+)"/m.exec(readFileSync(join(home, 'release'), 'utf8'))?.[1] ?? '';
  } catch {
    // no release file: ask the JVM
  }
  if (!version) {
    try {
      const out = execFileSync(real, ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
      version = /version "([^"]+)"/.exec(out)?.[1] ?? '';
    } catch (e) {
      const err = (e as { stderr?: string }).stderr ?? '';
      version = /version "([^"]+)"/.exec(err)?.[1] ?? '';
    }
  }
  const major = javaMajor(version);
  const tool = (n: string): string | undefined => (executable(join(home, 'bin', n)) ? join(home, 'bin', n) : undefined);
  found = { java: real, javac: tool('javac'), jar: tool('jar'), home, version: version || 'unknown', major };
  return found;
}

/** "17.0.15" → 17, "1.8.0_392" → 8. */
export const javaMajor = (version: string): number => {
  const [a, b] = version.split(/[.+_-]/).map((x) => Number.parseInt(x, 10));
  return a === 1 && b ? b : a || 0;
};

const runtimeMajor = (runtime: string): number => Number.parseInt(runtime.replace(/^java/, ''), 10) || 0;

/** Why a java* runtime cannot run here (CreateFunction's InvalidParameterValueException), or undefined when it can. */
export function javaProblem(runtime: string): string | undefined {
  const want = runtimeMajor(runtime);
  const jdk = findJdk();
  const install = `install a JDK ${want} or later (java and javac; on Debian or Ubuntu: apt-get install openjdk-${want}-jdk-headless) or point JAVA_HOME at one`;
  if (!jdk) return `The runtime parameter of ${runtime} cannot run on this selfless host: no Java runtime was found (JAVA_HOME or java on PATH). To use it, ${install}.`;
  if (!jdk.javac) {
    return `The runtime parameter of ${runtime} cannot run on this selfless host: ${jdk.java} has no javac beside it (a JRE, not a JDK), and selfless compiles its Java runtime client with it. To use it, ${install}.`;
  }
  if (jdk.major < want && !runtimeFallback()) {
    return `The runtime parameter of ${runtime} cannot run on this selfless host: it needs JDK ${want} or later and this host has JDK ${jdk.version} (${jdk.home}). To use it, ${install}, or start selfless with --runtime-fallback to run it on JDK ${jdk.major}.`;
  }
  return undefined;
}

/** The cold-start note of a runtime that runs on an older JDK by the user's choice, else undefined. */
export function javaFallbackNote(runtime: string): string | undefined {
  const jdk = findJdk();
  if (!jdk || jdk.major >= runtimeMajor(runtime)) return undefined;
  return `selfless: ${runtime} runs on JDK ${jdk.version} (${jdk.home}), older than the runtime names (--runtime-fallback)`;
}

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.java')) out.push(p);
  }
  return out.sort();
}

const compiling = new Map<string, Promise<string>>();
let clientDir: string | undefined;

/**
 * The compiled runtime client for this JDK: `<data>/runtimes/java-client/<hash of sources and JDK>/` with `classes/`
 * (the client and the com.amazonaws.services.lambda.runtime interfaces) and `aws-lambda-java-core.jar` (the
 * interfaces alone, to compile functions against). Built once: concurrent callers in this process share one
 * compilation, and other processes on the same data dir each build in a private directory that is renamed into place
 * (the first rename wins; a loser discards its copy).
 */
export function ensureJavaClient(dataDir: string): Promise<string> {
  let p = compiling.get(dataDir);
  if (!p) {
    p = buildClient(dataDir).then((dir) => (clientDir = dir));
    compiling.set(dataDir, p);
    p.catch(() => compiling.delete(dataDir));
  }
  return p;
}

async function buildClient(dataDir: string): Promise<string> {
  const jdk = findJdk();
  if (!jdk?.javac) throw new Error(javaProblem('java11') ?? 'no JDK');
  const files = await sources(JAVA_SOURCES);
  const hash = createHash('sha256').update(jdk.java).update(jdk.version);
  for (const f of files) hash.update(relative(JAVA_SOURCES, f)).update(await readFile(f));
  const dir = join(dataDir, 'runtimes', 'java-client', hash.digest('hex').slice(0, 16));
  if (await stat(join(dir, 'ready')).catch(() => undefined)) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const run = promisify(execFile);
  try {
    await mkdir(join(tmp, 'classes'), { recursive: true });
    await run(jdk.javac, ['-d', join(tmp, 'classes'), '--release', String(Math.min(jdk.major, 11)), '-encoding', 'UTF-8', '-nowarn', ...files], { timeout: 120_000 });
    if (jdk.jar) {
      await run(jdk.jar, ['--create', '--file', join(tmp, 'aws-lambda-java-core.jar'), '-C', join(tmp, 'classes'), 'com'], { timeout: 60_000 });
    }
    await mkdir(join(tmp, 'ready'));
    await mkdir(dirname(dir), { recursive: true });
    try {
      await rename(tmp, dir);
    } catch (e) {
      // Another process renamed its build into place first: use that one.
      if (!existsSync(join(dir, 'ready'))) throw e;
    }
  } catch (e) {
    const detail = (e as { stderr?: string }).stderr?.trim();
    throw new Error(`could not compile the Java runtime client with ${jdk.javac}${detail ? `: ${detail}` : `: ${e instanceof Error ? e.message : String(e)}`}`);
  } finally {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
  return dir;
}

/** The most recently compiled client directory in this process (tests and tools use its interfaces' jar). */
export const javaClientDir = (): string | undefined => clientDir;

/**
 * The JVM's command line, with the heap and metaspace sized from the memory setting as Lambda's Java runtimes do,
 * the C1-only JIT and class-data sharing for a short start. JAVA_TOOL_OPTIONS reaches the JVM through the environment.
 */
export function javaCommand(memoryMB: number, optDir: string | undefined): { command: string; args: string[]; runtimeDir: string } | undefined {
  const jdk = findJdk();
  if (!jdk || !clientDir) return undefined;
  const kb = memoryMB * 1024;
  return {
    command: jdk.java,
    args: [
      `-XX:MaxHeapSize=${Math.floor(kb * 0.85)}k`,
      `-XX:MaxMetaspaceSize=${Math.floor(kb * 0.1)}k`,
      `-XX:ReservedCodeCacheSize=${Math.max(2496, Math.floor(kb * 0.05))}k`,
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Xshare:auto',
      '-XX:-UsePerfData',
      '-Djava.net.preferIPv4Stack=true',
      '-cp',
      join(clientDir, 'classes'),
      'selfless.runtime.Main',
      ...(optDir ? [optDir] : []),
    ],
    runtimeDir: clientDir,
  };
}

/** Lambda's variables for Java runtimes. */
export function javaEnv(runtime: string): Record<string, string> {
  return { AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}` };
}

/** Host directories a sandbox must see for the JDK (its home, when outside /usr). */
export function javaRoots(): string[] {
  const jdk = findJdk();
  return jdk && existsSync(jdk.java) ? [jdk.java] : [];
}
