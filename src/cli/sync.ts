// `selfless sync [--watch]` (as `sam sync --watch`): deploys the stack, then pushes each code change under a
// function's local code folder straight to the function (UpdateFunctionCode, no stack update) and redeploys when the
// template changes. `selfless invoke` runs a stack's function by logical id (or any function by name).
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseTemplate, type JsonObject } from '../services/cloudformation/index.js';
import { ApiError, arr, call, cfn, deploy, endpoint, isLocal, zipPath } from './deploy.js';
import { str, UsageError, type Parsed } from './options.js';

export const SYNC_USAGE = `usage: selfless sync --stack-name NAME [--template-file template.yaml] [--watch] [deploy's options …]
       selfless invoke <LogicalId or function name> [--stack-name NAME] [--event file.json | --event -] [--endpoint URL]
`;

interface LocalCode {
  logicalId: string;
  path: string;
}

/** The functions of a template whose code is a local path (what a change under it should update). */
function localCode(t: JsonObject, dir: string): LocalCode[] {
  const out: LocalCode[] = [];
  const globalsFn = ((t['Globals'] as JsonObject | undefined)?.['Function'] ?? {}) as JsonObject;
  for (const [id, r] of Object.entries((t['Resources'] ?? {}) as Record<string, JsonObject>)) {
    const props = (r['Properties'] ?? {}) as JsonObject;
    if (r['Type'] === 'AWS::Serverless::Function' && props['InlineCode'] === undefined && props['ImageUri'] === undefined) {
      const uri = props['CodeUri'] ?? globalsFn['CodeUri'] ?? '.';
      if (isLocal(uri)) out.push({ logicalId: id, path: resolve(dir, uri) });
    }
    if (r['Type'] === 'AWS::Lambda::Function' && isLocal(props['Code'] as string)) out.push({ logicalId: id, path: resolve(dir, props['Code'] as string) });
  }
  return out;
}

/** Logical id → physical id of the stack's resources. */
async function physicalIds(base: string, stack: string): Promise<Map<string, string>> {
  const list = arr<Record<string, string>>((await cfn(base, 'DescribeStackResources', { StackName: stack }))['StackResources']);
  return new Map(list.map((r) => [r['LogicalResourceId']!, r['PhysicalResourceId']!]));
}

async function lambdaCall(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await call(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) }, 'lambda');
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export async function sync(p: Parsed): Promise<number> {
  if (p.flags.has('help')) {
    process.stdout.write(SYNC_USAGE);
    return 0;
  }
  const base = endpoint(p);
  const file = resolve(str(p, 'template-file', undefined, 'template.yaml'));
  const stack = str(p, 'stack-name', undefined, '');
  if (!stack) throw new UsageError(`--stack-name is required\n${SYNC_USAGE}`);
  const first = await deploy(p);
  if (first !== 0 || !p.flags.has('watch')) return first;

  let watchers: FSWatcher[] = [];
  let redeploying = false;
  const timers = new Map<string, NodeJS.Timeout>();
  const debounce = (key: string, fn: () => Promise<void>): void => {
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => void fn().catch((e: unknown) => process.stderr.write(`sync: ${e instanceof Error ? e.message : String(e)}\n`)), 25));
  };

  const arm = async (): Promise<void> => {
    for (const w of watchers) w.close();
    watchers = [];
    const code = localCode(parseTemplate(await readFile(file, 'utf8')) as JsonObject, dirname(file));
    const ids = await physicalIds(base, stack);
    for (const c of code) {
      const fn = ids.get(c.logicalId);
      if (!fn) continue;
      const push = async (): Promise<void> => {
        const t0 = Date.now();
        const zip = await zipPath(c.path);
        const r = await lambdaCall(base, 'PUT', `/2015-03-31/functions/${encodeURIComponent(fn)}/code`, { ZipFile: zip.toString('base64') });
        if (r.status >= 300) throw new Error(`updating ${c.logicalId}: ${r.text}`);
        process.stdout.write(`synced ${c.logicalId} (${fn}) in ${Date.now() - t0} ms\n`);
      };
      watchers.push(watch(c.path, { recursive: true }, () => debounce(c.logicalId, push)));
    }
    watchers.push(
      watch(file, () =>
        debounce('template', async () => {
          if (redeploying) return;
          redeploying = true;
          try {
            process.stdout.write('template changed: updating the stack\n');
            await deploy(p);
            await arm();
          } finally {
            redeploying = false;
          }
        }),
      ),
    );
    process.stdout.write(`watching ${code.length} function code folder(s) and ${file} (Ctrl-C to stop)\n`);
  };
  await arm();
  return new Promise<number>((done) => {
    process.once('SIGINT', () => {
      for (const w of watchers) w.close();
      done(0);
    });
  });
}

export async function invoke(p: Parsed): Promise<number> {
  if (p.flags.has('help')) {
    process.stdout.write(SYNC_USAGE);
    return 0;
  }
  const base = endpoint(p);
  const target = p.positional[0];
  if (!target) throw new UsageError(`a function (logical id or name) is required\n${SYNC_USAGE}`);
  let fn = target;
  const stack = str(p, 'stack-name', undefined, '');
  if (stack) {
    try {
      fn = (await physicalIds(base, stack)).get(target) ?? target;
    } catch (e) {
      if (e instanceof ApiError) throw new UsageError(e.message);
      throw e;
    }
  }
  const ev = str(p, 'event', undefined, '');
  const payload = ev === '-' ? await readStdin() : ev ? await readFile(ev, 'utf8') : '{}';
  const res = await call(`${base}/2015-03-31/functions/${encodeURIComponent(fn)}/invocations`, { method: 'POST', headers: { 'x-amz-log-type': 'Tail' }, body: payload }, 'lambda');
  const text = await res.text();
  const log = res.headers.get('x-amz-log-result');
  if (log) process.stderr.write(Buffer.from(log, 'base64').toString('utf8'));
  if (res.status >= 300) {
    process.stderr.write(`Error: ${res.headers.get('x-amzn-errortype') ?? res.status}: ${text}\n`);
    return 1;
  }
  process.stdout.write(`${text}\n`);
  return res.headers.get('x-amz-function-error') ? 1 : 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
