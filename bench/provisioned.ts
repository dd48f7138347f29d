// Provisioned concurrency benchmark: cold starts under a burst of the provisioned size, against the same burst on demand.
import { CreateFunctionCommand, GetProvisionedConcurrencyConfigCommand, PublishVersionCommand, PutProvisionedConcurrencyConfigCommand } from '@aws-sdk/client-lambda';
import { startServer } from '../test/helpers/server.js';
import { lambdaClient, ROLE } from '../test/helpers/lambda.js';
import { zip } from '../test/helpers/zip.js';
import { f2, http, pct, type Section } from './lib.js';

const SIZE = 16;
const HANDLER = 'exports.handler = async () => { await new Promise((r) => setTimeout(r, 200)); return { ok: true }; };';

interface Burst {
  cold: number;
  p50: number;
  p99: number;
}

async function burst(url: string): Promise<Burst> {
  const times: number[] = [];
  let cold = 0;
  await Promise.all(
    Array.from({ length: SIZE }, async () => {
      const t = performance.now();
      const r = await http(url, 'POST', '{}', { 'x-amz-log-type': 'Tail' });
      times.push(performance.now() - t);
      const log = Buffer.from(String(r.headers['x-amz-log-result'] ?? ''), 'base64').toString();
      if (r.status !== 200) throw new Error(`invoke failed with ${r.status}`);
      if (/Init Duration/.test(log)) cold++;
    }),
  );
  return { cold, p50: pct(times, 50), p99: pct(times, 99) };
}

export async function run(): Promise<Section> {
  const server = await startServer();
  try {
    const client = lambdaClient(server.url);
    const code = await zip({ 'index.js': HANDLER });
    for (const name of ['provisioned', 'on-demand']) {
      await client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: code } }));
      await client.send(new PublishVersionCommand({ FunctionName: name }));
    }
    const t0 = performance.now();
    await client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'provisioned', Qualifier: '1', ProvisionedConcurrentExecutions: SIZE }));
    for (;;) {
      const s = await client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'provisioned', Qualifier: '1' }));
      if (s.Status === 'READY') break;
      if (s.Status === 'FAILED') throw new Error(`provisioning failed: ${s.StatusReason}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const readyMs = performance.now() - t0;
    const prov = await burst(`${server.url}/2015-03-31/functions/provisioned/invocations?Qualifier=1`);
    const demand = await burst(`${server.url}/2015-03-31/functions/on-demand/invocations?Qualifier=1`);
    const row = (label: string, b: Burst) => `| ${label} | ${b.cold} of ${SIZE} | ${f2(b.p50)} ms | ${f2(b.p99)} ms |`;
    return {
      title: 'Provisioned concurrency (issue 4)',
      markdown: [
        `A burst of ${SIZE} concurrent invokes (handler waits 200 ms, so all ${SIZE} overlap) of version 1 of a Node.js function,`,
        `with ${SIZE} provisioned environments and without. Cold starts counted from \`Init Duration\` in each invocation's Tail log.`,
        `Provisioning ${SIZE} environments took ${f2(readyMs)} ms from PutProvisionedConcurrencyConfig to READY.`,
        '',
        '| burst | cold starts | latency p50 | latency p99 |',
        '|---|---|---|---|',
        row(`provisioned ${SIZE}`, prov),
        row('on demand', demand),
      ].join('\n'),
    };
  } finally {
    await server.stop();
  }
}
