// Module resolution hooks for ES-module handlers: a bare specifier the task root cannot resolve is looked up in the
// NODE_PATH directories (layers' /opt/nodejs/node_modules, then the runtime's AWS SDK), as AWS's Node.js runtimes
// make `import { S3Client } from '@aws-sdk/client-s3'` work without bundling the SDK. NODE_PATH itself serves only
// require(). Registered only when a handler is an ES module (the hooks run on a thread of their own).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

type Resolved = { url: string; shortCircuit?: boolean };
type Next = (specifier: string, context: { parentURL?: string }) => Promise<Resolved>;

const dirs = (process.env['NODE_PATH'] ?? '').split(':').filter(Boolean);
const bare = (s: string): boolean => !s.startsWith('.') && !s.startsWith('/') && !/^[a-z][a-z0-9+.-]*:/i.test(s);

/** `pkg` or `@scope/pkg` (its `main`), or a file below it, in `dir`. */
function packageEntry(dir: string, specifier: string): string | undefined {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  const root = join(dir, name);
  const manifest = join(root, 'package.json');
  if (!existsSync(manifest)) return undefined;
  const sub = specifier.slice(name.length + 1);
  if (sub) return existsSync(join(root, sub)) ? pathToFileURL(join(root, sub)).href : undefined;
  const main = (JSON.parse(readFileSync(manifest, 'utf8')) as { main?: string }).main ?? 'index.js';
  return pathToFileURL(join(root, main)).href;
}

export async function resolve(specifier: string, context: { parentURL?: string }, next: Next): Promise<Resolved> {
  try {
    return await next(specifier, context);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND' || !bare(specifier)) throw e;
    for (const dir of dirs) {
      try {
        // A parent inside a node_modules directory makes Node look in that directory itself (its ESM entry point).
        if (dir.endsWith('node_modules')) return await next(specifier, { ...context, parentURL: pathToFileURL(join(dir, 'index.js')).href });
        // A directory mounted under another name (the sandbox's /var/langN): the package's own entry point.
        const url = packageEntry(dir, specifier);
        if (url) return { url, shortCircuit: true };
      } catch {
        // not in this directory
      }
    }
    throw e;
  }
}
