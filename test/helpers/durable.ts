// Durable functions in tests: a function zip with AWS's durable-execution SDK (npm @aws/durable-execution-sdk-js), a
// handler that notes its steps in a host file, and waits on executions through the real Lambda client.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import {
  CreateFunctionCommand,
  GetDurableExecutionCommand,
  GetDurableExecutionHistoryCommand,
  type Event,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { ROLE } from './lambda.js';
import { zip } from './zip.js';

const require = createRequire(import.meta.url);
const SDK_DIR = join(require.resolve('@aws/durable-execution-sdk-js'), '..', '..');

/**
 * A zip with the handler (an ES module) and the SDK (its bundled entry points); @aws-sdk/client-lambda comes with the
 * runtime, as on AWS (the runtime's module hooks resolve the SDK's import of it).
 */
export async function durableZip(handler: string): Promise<Buffer> {
  return zip({
    'index.mjs': handler,
    'node_modules/@aws/durable-execution-sdk-js/dist/index.mjs': readFileSync(join(SDK_DIR, 'dist', 'index.mjs')),
    'node_modules/@aws/durable-execution-sdk-js/package.json': readFileSync(join(SDK_DIR, 'package.json')),
    'node_modules/@aws/durable-execution-sdk-js/dist-cjs/index.js': readFileSync(join(SDK_DIR, 'dist-cjs', 'index.js')),
  });
}

export const HANDLER = `
import { withDurableExecution } from '@aws/durable-execution-sdk-js';
import fs from 'node:fs';
const note = (s) => { if (process.env.OUT) fs.appendFileSync(process.env.OUT, s + '\\n'); };
export const handler = withDurableExecution(async (event, context) => {
  const a = await context.step('add', async () => { note('add'); return event.x + 1; });
  if (event.wait) await context.wait('pause', { seconds: event.wait });
  let cb;
  if (event.callback) cb = await context.waitForCallback('approval', async () => { note('submitted'); }, { timeout: { minutes: 5 } });
  const b = await context.step('double', async () => {
    note('double-start');
    if (event.slow) await new Promise((r) => setTimeout(r, event.slow));
    note('double-end');
    return a * 2;
  });
  let f;
  if (event.flaky) {
    // Fails until it has been tried more than event.flaky times (counted in the notes file), retried after 1 s.
    f = await context.step('flaky', async () => {
      note('flaky');
      const n = fs.readFileSync(process.env.OUT, 'utf8').split('\\n').filter((l) => l === 'flaky').length;
      if (n <= event.flaky) throw new Error('attempt ' + n + ' fails');
      return n;
    }, { retryStrategy: (e, attempt) => ({ shouldRetry: attempt < 5, delay: { seconds: 1 } }) });
  }
  return { a, b, cb, f };
});`;

export async function createDurable(lambda: LambdaClient, name: string, o: { env?: Record<string, string>; timeout?: number; executionTimeout?: number } = {}): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x' as never,
      Role: ROLE,
      Handler: 'index.handler',
      Timeout: o.timeout ?? 30,
      Code: { ZipFile: await durableZip(HANDLER) },
      DurableConfig: { ExecutionTimeout: o.executionTimeout ?? 900, RetentionPeriodInDays: 3 },
      ...(o.env ? { Environment: { Variables: o.env } } : {}),
    }),
  );
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function history(lambda: LambdaClient, arn: string, includeData = true): Promise<Event[]> {
  return (await lambda.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn, IncludeExecutionData: includeData, MaxItems: 1000 }))).Events ?? [];
}

export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export async function ended(lambda: LambdaClient, arn: string, ms = 30_000) {
  try {
    return await until(`${arn} to end`, async () => {
      const e = await lambda.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn }));
      return e.Status !== 'RUNNING' ? e : undefined;
    }, ms);
  } catch (e) {
    // Say where it stands: the history tells which operation it waits on.
    throw new Error(`${(e as Error).message}; history: ${JSON.stringify(await history(lambda, arn).catch(() => []))}`);
  }
}

