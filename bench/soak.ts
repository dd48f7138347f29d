// Soak (issue 22 item 3): mixed traffic (sync and async invokes, SQS send/receive/delete, Step Functions executions
// with a Lambda task) at 80% of the throughput measured first, for SELFLESS_SOAK_MINUTES (default 30), sampling the
// server's RSS, its environments' RSS, its open descriptors and the data directory's size every
// SELFLESS_SOAK_SAMPLE_SECONDS (default 30) into a table. Every failed call counts as an error (0 expected).
// Run alone: `npm run bench soak` (it is left out of a plain `npm run bench`, being long).
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { CreateStateMachineCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { removeServer, startServer } from '../test/helpers/server.js';
import { lambdaClient, ROLE } from '../test/helpers/lambda.js';
import { sqsClient } from '../test/helpers/sqs.js';
import { SM_ROLE, sfnClient } from '../test/helpers/states.js';
import { zip } from '../test/helpers/zip.js';
import { f2, pct, type Section } from './lib.js';

const FN = `exports.handler = async (event) => { console.log('soak', JSON.stringify(event).length); return { ok: true, n: event.n ?? 0 }; };`;
const MACHINE = { StartAt: 'Prep', States: { Prep: { Type: 'Pass', Result: { n: 1 }, Next: 'Call' }, Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'soak-fn', 'Payload.$': '$' }, OutputPath: '$.Payload', End: true } } };

const rssKb = (pid: number): number => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return 0;
  }
};

/** Every descendant of `root` (environments, their runtimes, the sandbox's helpers), from /proc. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [c, pp] of parent) if (pp === p) (out.push(c), walk(c));
  };
  walk(root);
  return out;
}

const fds = (pid: number): number => {
  try {
    return readdirSync(`/proc/${pid}/fd`).filter((f) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${f}`) !== '';
      } catch {
        return false;
      }
    }).length;
  } catch {
    return NaN;
  }
};

function duBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    try {
      if (e.isDirectory()) n += duBytes(p);
      else if (e.isFile()) n += statSync(p).size;
    } catch {
      /* removed meanwhile */
    }
  }
  return n;
}

const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

export async function run(): Promise<Section> {
  const minutes = Number(process.env['SELFLESS_SOAK_MINUTES'] ?? '30');
  const sampleMs = Number(process.env['SELFLESS_SOAK_SAMPLE_SECONDS'] ?? '30') * 1000;
  const concurrency = Number(process.env['SELFLESS_SOAK_CONCURRENCY'] ?? '16');
  const server = await startServer({ env: { SELFLESS_ISOLATION: process.env['SELFLESS_ISOLATION'] ?? 'auto' } });
  const lambda = lambdaClient(server.url);
  const sqs = sqsClient(server.url);
  const sfn = sfnClient(server.url);
  const pid = server.proc.pid!;
  try {
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'soak-fn', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zip({ 'index.js': FN }) } }));
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'soak' }))).QueueUrl!;
    const smArn = (await sfn.send(new CreateStateMachineCommand({ name: 'soak', definition: JSON.stringify(MACHINE), roleArn: SM_ROLE, type: 'STANDARD' }))).stateMachineArn!;
    let seq = 0;
    const errors: Record<string, number> = {};
    const counts: Record<string, number> = {};
    let lat: number[] = [];
    // One call of the mix, by turn: 3 sync invokes, 2 async, 3 sends, 1 receive+delete, 1 Step Functions execution.
    const MIX = ['sync', 'send', 'async', 'sync', 'send', 'receive', 'sync', 'send', 'async', 'states'] as const;
    const call = async (): Promise<void> => {
      const n = seq++;
      const kind = MIX[n % MIX.length]!;
      const t0 = performance.now();
      try {
        if (kind === 'sync' || kind === 'async') {
          const r = await lambda.send(new InvokeCommand({ FunctionName: 'soak-fn', InvocationType: kind === 'async' ? 'Event' : 'RequestResponse', Payload: Buffer.from(JSON.stringify({ n })) }));
          if (r.FunctionError) throw new Error(`FunctionError ${r.FunctionError}`);
        } else if (kind === 'send') {
          await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `m${n}-${'x'.repeat(200)}` }));
        } else if (kind === 'receive') {
          const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
          const entries = (r.Messages ?? []).map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! }));
          if (entries.length > 0) {
            const d = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
            if ((d.Failed ?? []).length > 0) throw new Error('DeleteMessageBatch failed entries');
          }
        } else {
          await sfn.send(new StartExecutionCommand({ stateMachineArn: smArn, input: JSON.stringify({ n }) }));
        }
        counts[kind] = (counts[kind] ?? 0) + 1;
        lat.push(performance.now() - t0);
      } catch (e) {
        const key = `${kind}: ${e instanceof Error ? e.name : 'error'}`;
        errors[key] = (errors[key] ?? 0) + 1;
      }
    };

    // Full speed first: the throughput the soak then runs at 80% of.
    const measureMs = 20_000;
    const t0 = performance.now();
    let done = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() - t0 < measureMs) {
          await call();
          done++;
        }
      }),
    );
    const fullRps = done / ((performance.now() - t0) / 1000);
    const rate = fullRps * 0.8;
    const measuredErrors = Object.values(errors).reduce((a, b) => a + b, 0);
    for (const k of Object.keys(errors)) delete errors[k];
    lat = [];

    const rows: string[] = [];
    const sample = (elapsedMs: number, calls: number, intervalMs: number): void => {
      const kids = descendants(pid);
      const envRss = kids.reduce((a, k) => a + rssKb(k), 0);
      const errs = Object.values(errors).reduce((a, b) => a + b, 0);
      rows.push(
        `| ${(elapsedMs / 60_000).toFixed(1)} | ${f2(calls / (intervalMs / 1000))} | ${f2(pct(lat, 50))} | ${f2(pct(lat, 99))} | ${errs} | ${(rssKb(pid) / 1024).toFixed(1)} | ${kids.length} | ${(envRss / 1024).toFixed(1)} | ${fds(pid)} | ${mb(duBytes(server.dataDir))} |`,
      );
      process.stderr.write(`soak: ${rows[rows.length - 1]}\n`);
      lat = [];
    };
    sample(0, 0, 1);
    // Open-loop pacing: call i starts at start + i/rate, on at most 4× concurrency callers at once.
    const start = performance.now();
    const end = start + minutes * 60_000;
    let issued = 0;
    let inFlight = 0;
    let nextSample = start + sampleMs;
    let sinceSample = 0;
    let lastSample = start;
    let skipped = 0;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = performance.now();
        if (now >= nextSample) {
          sample(now - start, sinceSample, now - lastSample);
          sinceSample = 0;
          lastSample = now;
          nextSample += sampleMs;
        }
        if (now >= end) {
          if (inFlight === 0) return resolve();
          setTimeout(tick, 10);
          return;
        }
        const due = Math.floor(((now - start) / 1000) * rate);
        while (issued < due) {
          issued++;
          if (inFlight >= concurrency * 4) {
            skipped++;
            continue;
          }
          inFlight++;
          void call().finally(() => {
            inFlight--;
            sinceSample++;
          });
        }
        setTimeout(tick, 5);
      };
      tick();
    });
    const totalErrors = Object.values(errors).reduce((a, b) => a + b, 0);
    const totalCalls = Object.values(counts).reduce((a, b) => a + b, 0);
    const errorList = Object.entries(errors).map(([k, v]) => `${k} × ${v}`).join('; ') || 'none';
    const markdown = [
      `${minutes} min of mixed traffic (per 10 calls: 3 sync Invoke, 2 async Invoke, 3 SendMessage, 1 ReceiveMessage + DeleteMessageBatch, 1 StartExecution of a Pass → Lambda task machine) at 80% of the throughput measured first (${f2(fullRps)} calls/s with ${concurrency} callers for ${measureMs / 1000} s, ${measuredErrors} errors) = ${f2(rate)} calls/s, open-loop; one node on SQLite, isolation ${process.env['SELFLESS_ISOLATION'] ?? 'auto'}. Sampled every ${sampleMs / 1000} s.`,
      '',
      '| minute | calls/s | p50 ms | p99 ms | errors so far | server RSS MB | environment processes | environments RSS MB | server fds | data dir MB |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `Calls: ${totalCalls} (${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}); errors: ${totalErrors} (${errorList}); calls not issued because ${concurrency * 4} were already in flight: ${skipped}.`,
    ].join('\n');
    return { title: 'Soak: mixed traffic at 80% of measured throughput (issue 22)', markdown };
  } finally {
    lambda.destroy();
    sqs.destroy();
    sfn.destroy();
    await server.stop();
    await removeServer(server);
  }
}
