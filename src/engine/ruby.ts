// Ruby runtimes: the host's ruby (found once), selfless's runtime client script, Lambda's Ruby variables.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimeFallback } from './fallback.js';

const here = dirname(fileURLToPath(import.meta.url));
export const RUBY_RUNTIME_DIR = join(here, '..', '..', '..', 'src', 'engine', 'runtimes', 'ruby');

export interface Ruby {
  exe: string;
  /** RUBY_VERSION, e.g. "3.1.2". */
  version: string;
  /** The ABI directory gems are installed under (RbConfig's ruby_version), e.g. "3.1.0". */
  abi: string;
  /** RubyGems' default path (where the interpreter's bundled gems are), kept behind Lambda's own gem directories. */
  gemPath: string[];
}

let found: Ruby | null | undefined;

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The `ruby` on PATH, resolved through symlinks and shims (rbenv) to the interpreter itself. */
export function findRuby(): Ruby | undefined {
  if (found !== undefined) return found ?? undefined;
  found = null;
  const ruby = onPath('ruby');
  if (!ruby) return undefined;
  try {
    const out = execFileSync(ruby, ['-e', 'print RUBY_VERSION, " ", RbConfig::CONFIG["ruby_version"], " ", RbConfig.ruby, " ", Gem.default_path.join(":")'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    });
    const [version, abi, exe, gems] = out.trim().split(' ');
    if (!version || !exe) return undefined;
    found = { exe: realpathSync(exe), version, abi: abi ?? version, gemPath: (gems ?? '').split(':').filter(Boolean) };
  } catch {
    return undefined;
  }
  return found;
}

const minorOf = (v: string): [number, number] => {
  const [a, b] = v.split('.').map((x) => Number.parseInt(x, 10));
  return [a ?? 0, b ?? 0];
};

const runtimeVersion = (runtime: string): string => runtime.replace(/^ruby/, '');

const older = (have: string, want: string): boolean => {
  const [ha, hb] = minorOf(have);
  const [wa, wb] = minorOf(want);
  return ha < wa || (ha === wa && hb < wb);
};

/** Why a ruby* runtime cannot run here (CreateFunction's InvalidParameterValueException), or undefined when it can. */
export function rubyProblem(runtime: string): string | undefined {
  const want = runtimeVersion(runtime);
  const ruby = findRuby();
  const install = `install Ruby ${want} (rbenv, ruby-build or your distribution's ruby package) and put it on PATH`;
  if (!ruby) return `The runtime parameter of ${runtime} cannot run on this selfless host: no ruby was found on PATH. To use it, ${install}.`;
  if (older(ruby.version, want) && !runtimeFallback()) {
    return `The runtime parameter of ${runtime} cannot run on this selfless host: it needs Ruby ${want} and this host has Ruby ${ruby.version} (${ruby.exe}). To use it, ${install}, or start selfless with --runtime-fallback to run it on Ruby ${ruby.version}.`;
  }
  return undefined;
}

/** The cold-start note of a runtime that runs on an older Ruby by the user's choice, else undefined. */
export function rubyFallbackNote(runtime: string): string | undefined {
  const ruby = findRuby();
  if (!ruby || !older(ruby.version, runtimeVersion(runtime))) return undefined;
  return `selfless: ${runtime} runs on Ruby ${ruby.version} (${ruby.exe}), older than the runtime names (--runtime-fallback)`;
}

export function rubyCommand(): { command: string; args: string[]; runtimeDir: string } | undefined {
  const ruby = findRuby();
  if (!ruby) return undefined;
  return { command: ruby.exe, args: ['--disable-gems', join(RUBY_RUNTIME_DIR, 'bootstrap.rb')], runtimeDir: RUBY_RUNTIME_DIR };
}

/** Lambda's variables for Ruby runtimes (gem and load paths into the code, the layers and the runtime). */
export function rubyEnv(runtime: string, paths: { task: string; opt: string; runtime: string }): Record<string, string> {
  const labels = [`${runtimeVersion(runtime)}.0`];
  const abi = findRuby()?.abi;
  if (abi && !labels.includes(abi)) labels.push(abi);
  const gems = [...labels.flatMap((l) => [`${paths.task}/vendor/bundle/ruby/${l}`, `${paths.opt}/ruby/gems/${l}`]), ...(findRuby()?.gemPath ?? [])];
  return {
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    GEM_PATH: gems.join(':'),
    RUBYLIB: [paths.task, `${paths.runtime}/lib`, `${paths.opt}/ruby/lib`].join(':'),
  };
}

/** Host paths a sandbox must see for this ruby (its prefix, when outside /usr). */
export function rubyRoots(): string[] {
  const onPathRuby = onPath('ruby');
  if (!onPathRuby) return [];
  // A distribution's ruby is under /usr, which every sandbox sees: no need to start it to find out where it lives.
  if (/^\/usr\//.test(realpathSync(onPathRuby))) return [];
  const ruby = findRuby();
  return ruby ? [ruby.exe] : [];
}
