// Loads the user's handler as AWS's Node runtime does: `path/module.nested.fn` from LAMBDA_TASK_ROOT, CommonJS or
// ES module (.js by the nearest package.json, .mjs, .cjs), then node_modules; failures with AWS's error types.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RuntimeError } from './errors.cjs';

export type Handler = (event: unknown, context: object, callback: (err?: unknown, result?: unknown) => void) => unknown;

const FUNCTION_EXPR = /^([^.]*)\.(.*)$/;

function isEsm(file: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: string }).type === 'module';
      } catch {
        return false;
      }
    }
    if (dirname(dir) === dir) return false;
  }
}

let hooked = false;

/** Imports an ES module, with NODE_PATH's directories behind the task root for its bare imports (esm-paths.ts). */
async function importEsm(file: string): Promise<Record<string, unknown>> {
  if (!hooked && process.env['NODE_PATH']) {
    register(pathToFileURL(join(__dirname, 'esm-paths.js')));
    hooked = true;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

async function loadModule(root: string, modulePath: string): Promise<Record<string, unknown>> {
  const base = resolve(root, modulePath);
  const req = createRequire(join(root, 'noop.js'));
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const file = base + ext;
    if (!existsSync(file)) continue;
    if (isEsm(file)) return importEsm(file);
    return req(file) as Record<string, unknown>;
  }
  // Not a file in the task root: a package or a path Node can resolve (node_modules, NODE_PATH).
  let resolved: string;
  try {
    resolved = req.resolve(modulePath);
  } catch (e) {
    throw new RuntimeError('Runtime.ImportModuleError', `Error: Cannot find module '${modulePath}'\nRequire stack:\n- ${process.env['LAMBDA_RUNTIME_DIR'] ?? ''}/index.mjs`, e);
  }
  return isEsm(resolved) ? importEsm(resolved) : (req(resolved) as Record<string, unknown>);
}

function classify(e: unknown): unknown {
  if (e instanceof RuntimeError) return e;
  if (e instanceof SyntaxError) return new RuntimeError('Runtime.UserCodeSyntaxError', `${e.name}: ${e.message}`, e);
  const code = (e as { code?: string } | null)?.code;
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
    return new RuntimeError('Runtime.ImportModuleError', `Error: ${(e as Error).message}`, e);
  }
  return e;
}

/** Resolves `_HANDLER` under the task root into a callable; throws AWS's runtime errors. */
export async function loadHandler(root: string, handlerString: string): Promise<Handler> {
  const parts = /^(.*\/)?([^/]*)$/.exec(handlerString)!;
  const dirPart = parts[1] ?? '';
  const m = FUNCTION_EXPR.exec(parts[2] ?? '');
  if (!m || handlerString.includes('..')) throw new RuntimeError('Runtime.MalformedHandlerName', `Bad handler ${handlerString}`);
  const [, moduleName, path] = m as unknown as [string, string, string];
  let mod: Record<string, unknown>;
  try {
    mod = await loadModule(root, `${dirPart}${moduleName}`);
  } catch (e) {
    throw classify(e);
  }
  let fn: unknown = mod;
  for (const key of path.split('.')) {
    fn = fn !== null && fn !== undefined ? (fn as Record<string, unknown>)[key] : undefined;
    // An ES module namespace wraps a CommonJS default export.
    if (fn === undefined && key === path.split('.')[0] && mod['default'] && typeof mod['default'] === 'object') {
      fn = (mod['default'] as Record<string, unknown>)[key];
    }
  }
  if (fn === undefined || fn === null) throw new RuntimeError('Runtime.HandlerNotFound', `${moduleName}.${path} is undefined or not exported`);
  if (typeof fn !== 'function') throw new RuntimeError('Runtime.HandlerNotFound', `${moduleName}.${path} is not a function`);
  return fn as Handler;
}
