// Extensions benchmark: cold start and warm invoke of a Node.js function with one external extension, beside the
// same function without it (issue 20 item 4).
import { CreateFunctionCommand, PublishLayerVersionCommand } from '@aws-sdk/client-lambda';
import { startServer } from '../test/helpers/server.js';
import { lambdaClient, ROLE } from '../test/helpers/lambda.js';
import { zip } from '../test/helpers/zip.js';
import { f2, http, latencies, pct, type Section } from './lib.js';

const HANDLER = 'exports.handler = async (event) => ({ ok: true, n: event.n ?? 0 });';
/** The smallest useful extension: registers for INVOKE and SHUTDOWN and asks for the next event in a loop. */
const EXTENSION = `#!/usr/bin/env node
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2020-01-01/extension';
(async () => {
  const r = await fetch(api + '/register', { method: 'POST', headers: { 'Lambda-Extension-Name': 'bench-ext' }, body: '{"events":["INVOKE","SHUTDOWN"]}' });
  const id = r.headers.get('lambda-extension-identifier');
  for (;;) {
    const ev = await (await fetch(api + '/event/next', { headers: { 'Lambda-Extension-Identifier': id } })).json();
    if (ev.eventType === 'SHUTDOWN') process.exit(0);
  }
})();
`;
const COLD = 15;
const WARM = 500;

interface Figures {
  coldP50: number;
  coldP99: number;
  warmP50: number;
  warmP99: number;
}

export async function run(): Promise<Section> {
  const isolation = process.env['SELFLESS_BENCH_ISOLATION'] ?? 'sandbox';
  const server = await startServer({ args: ['--isolation', isolation] });
  const results: Record<'without' | 'with', Figures> = {} as never;
  try {
    const client = lambdaClient(server.url);
    const code = await zip({ 'index.js': HANDLER });
    const layer = await client.send(
      new PublishLayerVersionCommand({ LayerName: 'bench-ext', Content: { ZipFile: await zip([{ name: 'extensions/bench-ext', content: EXTENSION, mode: 0o100755 }]) } }),
    );
    const body = Buffer.from('{"n":1}');
    const call = async (name: string): Promise<void> => {
      const r = await http(`${server.url}/2015-03-31/functions/${name}/invocations`, 'POST', body, { 'content-type': 'application/json' });
      if (r.status !== 200 || !r.body.includes('"ok":true')) throw new Error(`invoke of ${name} failed: ${r.status} ${r.body}`);
    };
    for (const kind of ['without', 'with'] as const) {
      const create = (name: string) =>
        client.send(
          new CreateFunctionCommand({
            FunctionName: name,
            Runtime: 'nodejs20.x',
            Role: ROLE,
            Handler: 'index.handler',
            Code: { ZipFile: code },
            Layers: kind === 'with' ? [layer.LayerVersionArn!] : undefined,
          }),
        );
      const cold: number[] = [];
      for (let i = 0; i < COLD; i++) {
        const name = `${kind}-cold-${i}`;
        await create(name);
        // As a deploy would: the pre-started pool has a moment to refill.
        await new Promise((r) => setTimeout(r, 150));
        const t = performance.now();
        await call(name);
        cold.push(performance.now() - t);
      }
      await create(`${kind}-warm`);
      const warm = await latencies(WARM, 100, () => call(`${kind}-warm`));
      results[kind] = { coldP50: pct(cold, 50), coldP99: pct(cold, 99), warmP50: pct(warm, 50), warmP99: pct(warm, 99) };
    }
  } finally {
    await server.stop();
  }
  const w = results.with;
  const o = results.without;
  const row = (label: string, a: number, b: number) => `| ${label} | ${f2(a)} ms | ${f2(b)} ms | ${f2(b - a)} ms |`;
  const lines = [
    `Trivial Node.js handler (\`${HANDLER}\`), 128 MB, ${isolation} isolation, beside the same function with one external extension`,
    'in a layer (`extensions/bench-ext`, a Node.js script that registers for INVOKE and SHUTDOWN and loops on `event/next`).',
    `Cold start: first invoke of ${COLD} freshly created functions of each kind (150 ms after each CreateFunction). Warm: ${WARM} sequential invokes after 100 warm-up.`,
    'A function with extensions cannot adopt a pre-started runtime: its extensions must register before the runtime starts',
    '(as on AWS), so its cold start includes starting the supervisor, the extension (a Node.js process) and then the runtime.',
    '',
    '| figure | without extension | with one extension | difference |',
    '|---|---|---|---|',
    row('cold start p50', o.coldP50, w.coldP50),
    row('cold start p99', o.coldP99, w.coldP99),
    row('warm invoke p50', o.warmP50, w.warmP50),
    row('warm invoke p99', o.warmP99, w.warmP99),
  ];
  return { title: 'Function with one extension (issue 20)', markdown: lines.join('\n') };
}
