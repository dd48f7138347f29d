// Container-image functions: the cold start and warm invoke of a function pushed as an OCI image (Node.js and a Runtime
// API loop in its own root) against the same code as a zip (the same loop as a provided.al2023 bootstrap, and the
// handler alone on selfless's nodejs20.x runtime).
import { execFile } from 'node:child_process';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { removeServer, startServer } from '../test/helpers/server.js';
import { lambdaClient, ROLE } from '../test/helpers/lambda.js';
import { APP, buildNodeImage, LOOP } from '../test/helpers/oci-image.js';
import { zip } from '../test/helpers/zip.js';
import { f2, http, latencies, pct, type Section } from './lib.js';

const COLD = 12;
const WARM = 500;
/** A full CPU share, so that the figures compare start-up work, not a small share of a CPU. */
const MEMORY = 1769;
const HANDLER = 'exports.handler = async (event) => ({ which: "app", event });';

const run = (cmd: string, args: string[]): Promise<void> =>
  new Promise((resolve, reject) => execFile(cmd, args, { maxBuffer: 1 << 26 }, (e, _o, err) => (e ? reject(new Error(`${cmd}: ${err}`)) : resolve())));

export async function run_(): Promise<Section> {
  const server = await startServer({ args: ['--isolation', 'sandbox'] });
  const image = buildNodeImage();
  try {
    const host = server.url.replace('http://', '');
    const c = lambdaClient(server.url);
    await http(`${server.url}/`, 'POST', JSON.stringify({ repositoryName: 'bench' }), {
      'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.CreateRepository',
    });
    let t = performance.now();
    await run('skopeo', ['copy', '--insecure-policy', '--dest-tls-verify=false', `oci:${image.dir}:${image.tag}`, `docker://${host}/bench:v1`]);
    const pushMs = performance.now() - t;
    t = performance.now();
    await c.send(new CreateFunctionCommand({ FunctionName: 'img-first', PackageType: 'Image', Code: { ImageUri: `${host}/bench:v1` }, Role: ROLE, MemorySize: MEMORY }));
    const unpackMs = performance.now() - t;
    const loopZip = await zip([
      { name: 'bootstrap', content: `#!/bin/sh\nexec ${process.execPath} /var/task/loop.mjs app.handler\n`, mode: 0o100755 },
      { name: 'loop.mjs', content: LOOP },
      { name: 'app.mjs', content: APP },
    ]);
    const nodeZip = await zip({ 'index.js': HANDLER });
    const kinds = {
      image: (name: string) => c.send(new CreateFunctionCommand({ FunctionName: name, PackageType: 'Image', Code: { ImageUri: `${host}/bench:v1` }, Role: ROLE, MemorySize: MEMORY })),
      loopZip: (name: string) => c.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'provided.al2023', Handler: 'app.handler', Code: { ZipFile: loopZip }, Role: ROLE, MemorySize: MEMORY })),
      nodeZip: (name: string) => c.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Code: { ZipFile: nodeZip }, Role: ROLE, MemorySize: MEMORY })),
    };
    const call = async (name: string): Promise<number> => {
      const t0 = performance.now();
      const r = await http(`${server.url}/2015-03-31/functions/${name}/invocations`, 'POST', '{"n":1}', { 'content-type': 'application/json' });
      if (r.status !== 200 || !r.body.includes('"which":"app"')) throw new Error(`invoke of ${name} failed: ${r.status} ${r.body}`);
      return performance.now() - t0;
    };
    const cold: Record<keyof typeof kinds, number[]> = { image: [], loopZip: [], nodeZip: [] };
    // Interleaved, so that load from other work on the host weighs on each kind alike.
    for (let i = 0; i < COLD; i++) {
      for (const k of Object.keys(kinds) as (keyof typeof kinds)[]) {
        await kinds[k](`${k}-${i}`);
        await new Promise((r) => setTimeout(r, 150));
        cold[k].push(await call(`${k}-${i}`));
      }
    }
    const warmImage = await latencies(WARM, 50, () => call('image-0'));
    const warmZip = await latencies(WARM, 50, () => call('loopZip-0'));
    const row = (label: string, xs: number[], ys: number[], zs: number[]) => `| ${label} | ${f2(pct(xs, 50))} ms | ${f2(pct(ys, 50))} ms | ${f2(pct(zs, 50))} ms |`;
    const markdown = [
      `One server with \`--isolation sandbox\`, functions of ${MEMORY} MB (a full CPU share). The image: the machine's Node.js`,
      'and the libraries `ldd` names, a Runtime API loop (`/var/runtime/loop.mjs`, the ENTRYPOINT) and a handler (`app.handler`, the CMD) in three',
      'gzip layers (one a whiteout), built by the bench and pushed with skopeo. The same loop and handler as a zip: a `provided.al2023`',
      'bootstrap that runs the same loop with the same Node.js. Selfless\'s own `nodejs20.x` runtime (pre-started, only the handler loads at a',
      `cold start) for reference. Cold: first invoke of ${COLD} fresh functions of each kind, interleaved (after the first, image functions`,
      `get a sandbox pre-built on the image's root; provided zips a pre-started sandbox of the host's view); warm: ${WARM} sequential invokes.`,
      '',
      '| figure | image | same code as zip (provided) | nodejs20.x zip (pre-started) |',
      '|---|---|---|---|',
      row('cold start p50', cold.image, cold.loopZip, cold.nodeZip),
      `| cold start p99 | ${f2(pct(cold.image, 99))} ms | ${f2(pct(cold.loopZip, 99))} ms | ${f2(pct(cold.nodeZip, 99))} ms |`,
      `| warm invoke p50 | ${f2(pct(warmImage, 50))} ms | ${f2(pct(warmZip, 50))} ms | |`,
      '',
      `Push of the image with skopeo (${image.tag}, about 40 MB compressed): ${f2(pushMs)} ms; the first CreateFunction, which unpacks its`,
      `layers into the cached root: ${f2(unpackMs)} ms (later functions of the same digest reuse it).`,
      `Target (issue 20): an image function's cold start within 20 ms of the same code as a zip: ${f2(pct(cold.image, 50) - pct(cold.loopZip, 50))} ms apart at p50.`,
      'Machine shared with other work while measured.',
    ].join('\n');
    return { title: 'Container-image functions (issue 20)', markdown };
  } finally {
    image.remove();
    await server.stop();
    await removeServer(server);
  }
}

export { run_ as run };
