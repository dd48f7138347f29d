// The interpreter map: which executable (and real version) runs each language runtime, discovered once at start.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

/** One language's discovery rules; Java and Ruby families can be added as further entries of LANGUAGES. */
export interface Language {
  family: string;
  /** How the language is named in messages ("Node.js 22"). */
  label: string;
  /** The version a runtime identifier asks for ('22' for nodejs22.x, '3.12' for python3.12), or undefined. */
  wanted(runtime: string): string | undefined;
  /** Executables worth probing, most preferred first. */
  candidates(dataDir: string): string[];
  /** Arguments that make the executable print `<version> <real executable> [<library dir>]`. */
  probeArgs: string[];
  /** The part of a full version a runtime names ('22.1.0' → '22'; '3.12.1' → '3.12'). */
  line(version: string): string;
  /** What to do when a runtime has no interpreter. */
  installHint(runtime: string): string;
}

/** A probed executable. */
export interface Interpreter {
  family: string;
  path: string;
  version: string;
  /** Python: its site-packages (purelib). */
  libDir?: string;
}

/** The interpreter a runtime uses, and whether it is the version the runtime names. */
export interface Choice {
  runtime: string;
  wanted: string;
  interpreter?: Interpreter;
  exact: boolean;
  /** Chosen by `--runtime RUNTIME=PATH` rather than discovered. */
  configured: boolean;
}

const home = (): string => process.env['HOME'] || homedir();

/** Subdirectories of a directory, newest-looking version names first; none if it does not exist. */
function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => !n.startsWith('.'))
      .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  } catch {
    return [];
  }
}

/**
 * Executables of these names in the directories of PATH. Version-manager shims (pyenv's, asdf's) are left out: each
 * would cost a manager run to probe, and the installations they point at are searched directly.
 */
function onPath(names: string[], dirs = (process.env['PATH'] ?? '').split(delimiter)): string[] {
  const out: string[] = [];
  for (const dir of dirs.filter((d) => d && !/\/shims\/?$/.test(d))) {
    for (const n of names) if (existsSync(join(dir, n))) out.push(join(dir, n));
  }
  return out;
}

const PY_MINORS = Array.from({ length: 15 }, (_, i) => `3.${14 - i}`);

export const NODE: Language = {
  family: 'node',
  label: 'Node.js',
  wanted: (runtime) => /^nodejs(\d+)\.x$/.exec(runtime)?.[1],
  candidates: (dataDir) => [
    process.execPath,
    ...onPath(['node']),
    ...subdirs(join(dataDir, 'runtimes')).filter((n) => /^node\d+$/.test(n)).map((n) => join(dataDir, 'runtimes', n, 'bin', 'node')),
    ...subdirs(join(process.env['NVM_DIR'] || join(home(), '.nvm'), 'versions', 'node')).map((v) => join(process.env['NVM_DIR'] || join(home(), '.nvm'), 'versions', 'node', v, 'bin', 'node')),
    ...['/usr/local/bin/node', '/usr/bin/node'],
  ],
  probeArgs: ['-e', 'process.stdout.write(process.versions.node + " " + process.execPath)'],
  line: (v) => v.split('.')[0] ?? v,
  installHint: (runtime) => `install it or run \`selfless runtimes install ${runtime}\``,
};

export const PYTHON: Language = {
  family: 'python',
  label: 'Python',
  wanted: (runtime) => /^python(\d+\.\d+)$/.exec(runtime)?.[1],
  candidates: (dataDir) => {
    const pyenv = process.env['PYENV_ROOT'] || join(home(), '.pyenv');
    const inPrefix = (bin: string): string[] => ['python3', ...PY_MINORS.map((m) => `python${m}`)].map((n) => join(bin, n)).filter((p) => existsSync(p)).slice(0, 1);
    const pyenvs = subdirs(join(pyenv, 'versions')).flatMap((v) => inPrefix(join(pyenv, 'versions', v, 'bin')));
    // pyenv's shims on PATH mean "pyenv's Pythons here": its installations take the shims' place in the order.
    const path = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean);
    const shims = path.findIndex((d) => d.replace(/\/+$/, '') === join(pyenv, 'shims'));
    const names = ['python3', ...PY_MINORS.map((m) => `python${m}`)];
    return [
      ...(shims >= 0 ? onPath(names, path.slice(0, shims)) : []),
      ...(shims >= 0 ? pyenvs : []),
      ...onPath(names, shims >= 0 ? path.slice(shims + 1) : path),
      ...subdirs(join(dataDir, 'runtimes')).filter((n) => /^python\d/.test(n)).flatMap((n) => inPrefix(join(dataDir, 'runtimes', n, 'bin'))),
      ...pyenvs,
      ...PY_MINORS.flatMap((m) => [`/usr/local/bin/python${m}`, `/usr/bin/python${m}`]),
    ];
  },
  // -E -S: no user environment, no site import (fast); sysconfig still names the interpreter's site-packages.
  probeArgs: ['-E', '-S', '-c', 'import sys, sysconfig; sys.stdout.write("%d.%d.%d %s %s" % (sys.version_info[0], sys.version_info[1], sys.version_info[2], sys.executable, sysconfig.get_paths()["purelib"]))'],
  line: (v) => v.split('.').slice(0, 2).join('.'),
  installHint: () => 'install it (pyenv install, or the distribution\'s package) or map one with `--runtime`',
};

export const LANGUAGES: Language[] = [NODE, PYTHON];

export const languageOf = (runtime: string): Language | undefined => LANGUAGES.find((l) => l.wanted(runtime) !== undefined);

/** Version distance for choosing the nearest interpreter ('3.12' vs '3.9' → 3; '22' vs '20' → 2). */
function distance(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return Math.abs(am * 100 + an - (bm * 100 + bn));
}

const newer = (a: string, b: string): number => b.localeCompare(a, 'en', { numeric: true });

export interface MapOptions {
  dataDir: string;
  /** `RUNTIME=PATH` pairs from --runtime / SELFLESS_RUNTIMES; PATH `none` makes the runtime missing. */
  configured?: Record<string, string>;
  /** false: only the configured executables (no PATH, pyenv, nvm, … search). */
  discover?: boolean;
  /** Accept the nearest version when a runtime's own is missing. */
  fallback?: boolean;
}

/**
 * Probe results by executable (real path, size and mtime), kept for this user in the temp dir so that a server start
 * spawns only interpreters it has not seen before.
 */
const CACHE_FILE = join(tmpdir(), `selfless-interpreters-${process.getuid?.() ?? 'u'}.json`);
type CacheEntry = { stamp: string; found: Interpreter | null };

function readCache(): Record<string, CacheEntry> {
  try {
    if (process.getuid && statSync(CACHE_FILE).uid !== process.getuid()) return {};
    return JSON.parse(readFileSync(CACHE_FILE, 'utf8')) as Record<string, CacheEntry>;
  } catch {
    return {};
  }
}

function writeCache(c: Record<string, CacheEntry>): void {
  try {
    const tmp = `${CACHE_FILE}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify(c), { mode: 0o600 });
    renameSync(tmp, CACHE_FILE);
  } catch {
    // a cache only
  }
}

const stampOf = (exe: string): string | undefined => {
  try {
    const real = realpathSync(exe);
    const st = statSync(real);
    return `${real}:${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
};

function probe(lang: Language, exe: string): Promise<Interpreter | undefined> {
  return new Promise((resolve) => {
    execFile(exe, lang.probeArgs, { timeout: 15_000, env: { ...process.env, NODE_OPTIONS: '' } }, (err, stdout) => {
      const [version, path, libDir] = String(stdout).trim().split(' ');
      if (err || !version || !path || !/^\d+\.\d+/.test(version)) return resolve(undefined);
      let real = path;
      try {
        real = realpathSync(path);
      } catch {
        // keep the printed path
      }
      resolve({ family: lang.family, path: real, version, ...(libDir ? { libDir } : {}) });
    });
  });
}

/** Parses `RUNTIME=PATH` pairs (flags repeated, or one variable separated by commas or spaces). */
export function parseRuntimeMap(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values.flatMap((x) => x.split(/[,\s]+/)).filter(Boolean)) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new Error(`--runtime takes RUNTIME=PATH (got '${v}')`);
    const runtime = v.slice(0, eq);
    if (!languageOf(runtime)) throw new Error(`--runtime: '${runtime}' is not a runtime with an interpreter (nodejsNN.x, python3.NN)`);
    out[runtime] = v.slice(eq + 1);
  }
  return out;
}

/** What every runtime runs; built once by resolveInterpreters() and then only read. */
export class InterpreterMap {
  private readonly cache = new Map<string, Choice>();

  constructor(
    readonly found: Interpreter[],
    private readonly configured: Record<string, Interpreter | null>,
    readonly fallback: boolean,
  ) {}

  /** The choice for a runtime with an interpreter family; undefined for other runtimes (provided.*). */
  choose(runtime: string): Choice | undefined {
    const lang = languageOf(runtime);
    if (!lang) return undefined;
    const hit = this.cache.get(runtime);
    if (hit) return hit;
    const wanted = lang.wanted(runtime)!;
    let choice: Choice;
    if (runtime in this.configured) {
      const i = this.configured[runtime] ?? undefined;
      choice = { runtime, wanted, ...(i ? { interpreter: i } : {}), exact: !!i && lang.line(i.version) === wanted, configured: true };
    } else {
      const mapped = Object.values(this.configured).filter((i): i is Interpreter => !!i && !this.found.some((f) => f.path === i.path));
      const same = [...this.preferred(), ...mapped].filter((i) => i.family === lang.family);
      const exact = same.find((i) => lang.line(i.version) === wanted);
      const near = exact ?? (this.fallback ? [...same].sort((a, b) => distance(lang.line(a.version), wanted) - distance(lang.line(b.version), wanted) || newer(a.version, b.version))[0] : undefined);
      choice = { runtime, wanted, ...(near ? { interpreter: near } : {}), exact: !!exact, configured: false };
    }
    this.cache.set(runtime, choice);
    return choice;
  }

  /** Why a runtime cannot run here (the message CreateFunction answers with), or undefined if it can. */
  refusal(runtime: string): string | undefined {
    const c = this.choose(runtime);
    if (!c || c.interpreter) return undefined;
    const lang = languageOf(runtime)!;
    return `The runtime ${runtime} needs ${lang.label} ${c.wanted}, which this server does not have: ${lang.installHint(runtime)}.`;
  }

  /** The line a cold start logs when the interpreter is not the version the runtime names. */
  mismatchLine(runtime: string): string | undefined {
    const c = this.choose(runtime);
    if (!c?.interpreter || c.exact) return undefined;
    const lang = languageOf(runtime)!;
    const why = c.configured ? 'as mapped by --runtime' : `${lang.label} ${c.wanted} is not installed; --runtime-fallback chose the nearest`;
    return `selfless: runtime ${runtime} runs ${lang.label} ${c.interpreter.version} (${c.interpreter.path}): ${why}\n`;
  }

  /** The first interpreter found of each version line: the one a runtime of that line (or falling back to it) runs. */
  preferred(): Interpreter[] {
    const seen = new Set<string>();
    return this.found.filter((i) => {
      const lang = LANGUAGES.find((l) => l.family === i.family);
      const line = `${i.family}:${lang ? lang.line(i.version) : i.version}`;
      if (seen.has(line)) return false;
      seen.add(line);
      return true;
    });
  }

  /** Every executable a runtime may run (the sandbox mounts their installations). */
  executables(): string[] {
    return [...new Set([...this.preferred(), ...Object.values(this.configured).filter((i): i is Interpreter => !!i)].map((i) => i.path))];
  }
}

/** Probes every candidate once (in parallel, a few at a time) and builds the map. */
export async function resolveInterpreters(o: MapOptions): Promise<InterpreterMap> {
  const jobs: { lang: Language; exe: string }[] = [];
  const seen = new Set<string>();
  const add = (lang: Language, exe: string): void => {
    let key = exe;
    try {
      // Symlinks to one file are probed once (a shim is a script, so it is probed and resolved by its output).
      key = realpathSync(exe);
      if (!statSync(key).isFile()) return;
    } catch {
      return;
    }
    if (seen.has(key)) return;
    seen.add(key);
    jobs.push({ lang, exe });
  };
  if (o.discover !== false) for (const lang of LANGUAGES) for (const exe of lang.candidates(o.dataDir)) add(lang, exe);
  const results = new Map<string, Interpreter | undefined>();
  const cache = readCache();
  let changed = false;
  const queue = jobs.filter((j) => {
    const hit = cache[`${j.lang.family}:${j.exe}`];
    if (!hit || hit.stamp !== stampOf(j.exe)) return true;
    results.set(j.exe, hit.found ?? undefined);
    return false;
  });
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let j = queue.shift(); j; j = queue.shift()) {
        const found = await probe(j.lang, j.exe);
        results.set(j.exe, found);
        const stamp = stampOf(j.exe);
        // A failed probe (a timeout on a busy machine) is tried again next time.
        if (stamp && found) cache[`${j.lang.family}:${j.exe}`] = { stamp, found };
        changed = true;
      }
    }),
  );
  if (changed) writeCache(cache);
  const found: Interpreter[] = [];
  for (const j of jobs) {
    const i = results.get(j.exe);
    if (i && !found.some((f) => f.path === i.path)) found.push(i);
  }
  const configured: Record<string, Interpreter | null> = {};
  for (const [runtime, exe] of Object.entries(o.configured ?? {})) {
    const lang = languageOf(runtime)!;
    configured[runtime] = exe === '' || exe === 'none' ? null : ((await probe(lang, exe)) ?? null);
  }
  return new InterpreterMap(found, configured, !!o.fallback);
}

/**
 * A site-packages dir with boto3, for interpreters without it: AWS's Python runtimes all include boto3. One of the same
 * X.Y first; else any (boto3, botocore and their dependencies are pure Python; the dir goes last on PYTHONPATH, so it
 * only serves what the function and its layers do not have).
 */
export function boto3PathFor(map: InterpreterMap, interpreter: Interpreter): string | undefined {
  const has = (i: Interpreter): boolean => !!i.libDir && existsSync(join(i.libDir, 'boto3'));
  if (has(interpreter)) return undefined;
  const line = PYTHON.line(interpreter.version);
  const withBoto3 = map.found.filter((i) => i.family === 'python' && has(i));
  return (withBoto3.find((i) => PYTHON.line(i.version) === line) ?? withBoto3[0])?.libDir;
}

export const interpreterDir = (i: Interpreter): string => dirname(i.path);
