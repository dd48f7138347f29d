// Builds a small OCI image layout on disk for tests and benches: the machine's Node.js (with the shared libraries
// ldd names) in one uncompressed layer, a Runtime API loop and handlers in a gzip layer, and a whiteout layer.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A minimal Runtime API client (what AWS's base images ship as their runtime), run as the image's ENTRYPOINT. */
export const LOOP = `import http from 'node:http';
const api = process.env.AWS_LAMBDA_RUNTIME_API;
const agent = new http.Agent({ keepAlive: true });
const handlerName = process.argv[2] ?? process.env._HANDLER;
const [file, fn] = handlerName.split('.');
const mod = await import(process.cwd() + '/' + file + '.mjs');
const call = (method, path, body) => new Promise((resolve, reject) => {
  const req = http.request({ host: api.split(':')[0], port: Number(api.split(':')[1]), method, path, agent, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
  });
  req.on('error', reject);
  req.end(body);
});
for (;;) {
  const next = await call('GET', '/2018-06-01/runtime/invocation/next');
  const id = next.headers['lambda-runtime-aws-request-id'];
  try {
    const out = await mod[fn](JSON.parse(next.body || '{}'));
    await call('POST', '/2018-06-01/runtime/invocation/' + id + '/response', JSON.stringify(out));
  } catch (e) {
    await call('POST', '/2018-06-01/runtime/invocation/' + id + '/error', JSON.stringify({ errorMessage: String(e && e.message), errorType: 'Error' }));
  }
}
`;

/** What the test's handler reports: where and how it runs. */
export const APP = `import { writeFileSync } from 'node:fs';
export const handler = async (event) => {
  let rootWritable = true;
  try { writeFileSync('/root-write-test', 'x'); } catch { rootWritable = false; }
  writeFileSync('/tmp/ok', 'x');
  return { which: 'app', event, cwd: process.cwd(), argv: process.argv.slice(2), greeting: process.env.GREETING ?? null,
    fn: process.env.AWS_LAMBDA_FUNCTION_NAME, handler: process.env._HANDLER, own: process.env.OWN ?? null,
    taskRoot: process.env.LAMBDA_TASK_ROOT, rootWritable, gone: (() => { try { readFileSync('/var/task/gone.txt'); return false; } catch { return true; } })() };
};
import { readFileSync } from 'node:fs';
`;
export const OTHER = `export const handler = async (event) => ({ which: 'other', cwd: process.cwd(), event });\n`;

export interface OciLayout {
  dir: string;
  tag: string;
  manifestDigest: string;
  remove(): void;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The host's node and the libraries it loads, as files at their paths under `root`. */
function addNode(root: string): void {
  const node = realpathSync(process.execPath);
  const files = new Set<string>([node]);
  for (const line of execFileSync('ldd', [node], { encoding: 'utf8' }).split('\n')) {
    const m = /(\/\S+)\s+\(0x/.exec(line);
    if (m) files.add(m[1]!);
  }
  for (const f of files) {
    const target = join(root, f === node ? '/usr/bin/node' : f);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(realpathSync(f), target);
  }
}

/** Builds the layout; `code` overrides the handler files of the second layer. */
export function buildNodeImage(o: { tag?: string; code?: Record<string, string> } = {}): OciLayout {
  const work = mkdtempSync(join(tmpdir(), 'selfless-oci-'));
  const dir = join(work, 'layout');
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer): { digest: string; size: number } => {
    const h = sha(b);
    writeFileSync(join(blobs, h), b);
    return { digest: `sha256:${h}`, size: b.length };
  };
  const layer = (name: string, fill: (root: string) => void, gzip: boolean): { digest: string; size: number; diffId: string; mediaType: string } => {
    const root = join(work, name);
    mkdirSync(root, { recursive: true });
    fill(root);
    const tarPath = join(work, `${name}.tar`);
    execFileSync('tar', ['-c', '-f', tarPath, '--owner=0', '--group=0', '--numeric-owner', '-C', root, '.']);
    const raw = readFileSync(tarPath);
    const data = gzip ? execFileSync('gzip', ['-c', '-n', '-1', tarPath], { maxBuffer: 1 << 30 }) : raw;
    return { ...put(data), diffId: `sha256:${sha(raw)}`, mediaType: gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar' };
  };
  const l1 = layer('base', addNode, true);
  const l2 = layer('code', (root) => {
    mkdirSync(join(root, 'var', 'task'), { recursive: true });
    mkdirSync(join(root, 'var', 'runtime'), { recursive: true });
    writeFileSync(join(root, 'var', 'runtime', 'loop.mjs'), LOOP);
    const code = o.code ?? { 'app.mjs': APP, 'other.mjs': OTHER, 'gone.txt': 'removed by the next layer' };
    for (const [f, text] of Object.entries(code)) writeFileSync(join(root, 'var', 'task', f), text);
  }, true);
  const l3 = layer('whiteout', (root) => {
    mkdirSync(join(root, 'var', 'task'), { recursive: true });
    writeFileSync(join(root, 'var', 'task', '.wh.gone.txt'), '');
  }, true);
  const layers = [l1, l2, l3];
  const config = put(Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Entrypoint: ['/usr/bin/node', '/var/runtime/loop.mjs'], Cmd: ['app.handler'], WorkingDir: '/var/task', Env: ['PATH=/usr/bin:/bin', 'GREETING=from-image'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  })));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  }));
  const m = put(manifest);
  const tag = o.tag ?? 'v1';
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  return { dir, tag, manifestDigest: m.digest, remove: () => rmSync(work, { recursive: true, force: true }) };
}
