// Step Functions benchmark: state transitions per second (Standard durable, Express, Lambda tasks), beside moto's interpreter.
import { spawn } from 'node:child_process';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { startServer } from '../test/helpers/server.js';
import { lambdaClient, ROLE } from '../test/helpers/lambda.js';
import { zip } from '../test/helpers/zip.js';
import { f2, ratio, type Section } from './lib.js';
import { runConformance, summarise } from '../test/conformance/states-runner.js';

const SM_ROLE = 'arn:aws:iam::000000000000:role/sfn';
const PASS_STATES = 50;
const STANDARD_EXECS = 60;
const EXPRESS_MS = 4000;
const LAMBDA_STATES = 10;
const LAMBDA_EXECS = 20;
const SINGLE_STATES = 1000;

const passChain = (n: number): object => {
  const states: Record<string, object> = {};
  for (let i = 0; i < n; i++) states[`P${i}`] = i === n - 1 ? { Type: 'Pass', Result: { i }, ResultPath: '$.last', End: true } : { Type: 'Pass', Result: { i }, ResultPath: '$.last', Next: `P${i + 1}` };
  return { StartAt: 'P0', States: states };
};
const lambdaChain = (n: number): object => {
  const states: Record<string, object> = {};
  for (let i = 0; i < n; i++) states[`T${i}`] = { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'bench-id', 'Payload.$': '$' }, OutputPath: '$.Payload', ...(i === n - 1 ? { End: true } : { Next: `T${i + 1}` }) };
  return { StartAt: 'T0', States: states };
};

const client = (url: string): SFNClient =>
  new SFNClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1, disableHostPrefix: true });

async function create(sfn: SFNClient, name: string, def: object, type: 'STANDARD' | 'EXPRESS'): Promise<string> {
  return (await sfn.send(new CreateStateMachineCommand({ name, definition: JSON.stringify(def), roleArn: SM_ROLE, type }))).stateMachineArn!;
}

/**
 * moto_server (5.x here) answers 500 (deepcopy of a lock) to every StartExecution after the first one in a process,
 * so moto is measured on one long execution.
 */
async function standardMoto(sfn: SFNClient, prefix: string, execs: number, statesPer: number): Promise<number> {
  const arns = await Promise.all(Array.from({ length: execs }, (_, i) => create(sfn, `${prefix}-${i}`, passChain(statesPer), 'STANDARD')));
  const t0 = performance.now();
  const started = await Promise.all(arns.map((a) => sfn.send(new StartExecutionCommand({ stateMachineArn: a, input: '{"n":1}' }))));
  for (;;) {
    const d = await Promise.all(started.map((s) => sfn.send(new DescribeExecutionCommand({ executionArn: s.executionArn }))));
    if (d.some((x) => x.status !== 'RUNNING' && x.status !== 'SUCCEEDED')) throw new Error(`an execution ended ${d.find((x) => x.status !== 'SUCCEEDED')!.status}`);
    if (d.every((x) => x.status === 'SUCCEEDED')) break;
    if (performance.now() - t0 > 300_000) throw new Error('executions did not finish in 5 minutes');
    await new Promise((r) => setTimeout(r, 20));
  }
  return (execs * statesPer) / ((performance.now() - t0) / 1000);
}

/** Starts `execs` Standard executions at once and waits until none is RUNNING; transitions per second of wall time. */
async function standard(sfn: SFNClient, arn: string, execs: number, statesPer: number, viaDescribe = false): Promise<number> {
  const t0 = performance.now();
  const started = await Promise.all(Array.from({ length: execs }, (_, i) => sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: `b${Date.now()}-${i}`, input: '{"n":1}' }))));
  for (;;) {
    let running: number;
    if (viaDescribe) {
      const d = await Promise.all(started.map((s) => sfn.send(new DescribeExecutionCommand({ executionArn: s.executionArn }))));
      if (d.some((x) => x.status !== 'RUNNING' && x.status !== 'SUCCEEDED')) throw new Error(`an execution ended ${d.find((x) => x.status !== 'SUCCEEDED')!.status}`);
      running = d.filter((x) => x.status === 'RUNNING').length;
    } else running = (await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING', maxResults: 1000 }))).executions!.length;
    if (running === 0) break;
    if (performance.now() - t0 > 300_000) throw new Error('executions did not finish in 5 minutes');
    await new Promise((r) => setTimeout(r, 20));
  }
  return (execs * statesPer) / ((performance.now() - t0) / 1000);
}

async function express(sfn: SFNClient, arn: string, ms: number, statesPer: number, concurrency = 8): Promise<number> {
  let done = 0;
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const r = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: arn, input: '{"n":1}' }));
        if (r.status !== 'SUCCEEDED') throw new Error(`express execution ${r.status}: ${r.error}`);
        done++;
      }
    }),
  );
  return (done * statesPer) / ((performance.now() - t0) / 1000);
}

async function startMoto(port: number): Promise<{ url: string; stop: () => void }> {
  const proc = spawn('moto_server', ['-p', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${url}/moto-api/config`, { method: 'POST', body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }) });
      if (r.ok) return { url, stop: () => proc.kill('SIGTERM') };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill('SIGTERM');
  throw new Error('moto_server did not start');
}

export async function run(): Promise<Section> {
  const srv = await startServer();
  const rows: string[] = [];
  const ours: Record<string, number> = {};
  const moto: Record<string, number> = {};
  try {
    const sfn = client(srv.url);
    const std = await create(sfn, 'bench-std', passChain(PASS_STATES), 'STANDARD');
    await standard(sfn, std, 5, PASS_STATES); // warm-up
    ours['standard'] = await standard(sfn, std, STANDARD_EXECS, PASS_STATES);
    const single = await create(sfn, 'bench-single', passChain(SINGLE_STATES), 'STANDARD');
    ours['single'] = await standard(sfn, single, 1, SINGLE_STATES);
    const exp = await create(sfn, 'bench-exp', passChain(PASS_STATES), 'EXPRESS');
    await express(sfn, exp, 500, PASS_STATES);
    ours['express'] = await express(sfn, exp, EXPRESS_MS, PASS_STATES);
    await lambdaClient(srv.url).send(new CreateFunctionCommand({ FunctionName: 'bench-id', Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: await zip({ 'index.js': 'exports.handler = async (e) => e;' }) } }));
    const lam = await create(sfn, 'bench-lambda', lambdaChain(LAMBDA_STATES), 'STANDARD');
    await standard(sfn, lam, 2, LAMBDA_STATES);
    ours['lambda'] = await standard(sfn, lam, LAMBDA_EXECS, LAMBDA_STATES);
  } finally {
    await srv.stop();
  }
  let motoNote = '';
  try {
    const m = await startMoto(5399);
    try {
      const sfn = client(m.url);
      moto['single'] = await standardMoto(sfn, 'bench-single', 1, SINGLE_STATES);
    } finally {
      m.stop();
    }
  } catch (e) {
    motoNote += ` moto: ${e instanceof Error ? e.message : String(e)}.`;
  }
  const fmt = (n: number | undefined): string => (n === undefined ? 'n/a' : f2(n));
  rows.push('| workflow | selfless transitions/s | moto transitions/s | selfless / moto | target |', '|---|---|---|---|---|');
  rows.push(`| Standard (durable), ${PASS_STATES} Pass states × ${STANDARD_EXECS} concurrent executions | ${fmt(ours['standard'])} | – | – | ≥ 2,000 |`);
  rows.push(`| Standard (durable), one execution of ${SINGLE_STATES} Pass states | ${fmt(ours['single'])} | ${fmt(moto['single'])} | ${ratio(ours['single']!, moto['single']!)} | – |`);
  rows.push(`| Express (StartSyncExecution, 8 clients), ${PASS_STATES} Pass states | ${fmt(ours['express'])} | – | – | ≥ 20,000 |`);
  rows.push(`| Standard, ${LAMBDA_STATES} lambda:invoke tasks (Node id function) × ${LAMBDA_EXECS} executions | ${fmt(ours['lambda'])} | – | – | – |`);
  const conf = await runConformance();
  const confText = conf
    ? `\n\n### Conformance over the recorded AWS corpus (\`test/conformance/states-conformance.test.ts\`)\n\n${summarise(conf).table}\n\nIn scope = cases with a recorded execution history whose definition the manifest maps and that need no AWS service other than Lambda; every excluded and failing case is printed with its reason by the test.`
    : '\n\nConformance: corpus not present in this run.';
  return {
    title: 'Step Functions: state transitions per second',
    markdown: `${rows.join('\n')}\n\nWall time from the first StartExecution to the last execution leaving RUNNING (polled every 20 ms), over the HTTP API with @aws-sdk/client-sfn; moto_server with \`stepfunctions.execute_state_machine\` set through POST /moto-api/config, polled with DescribeExecution; moto_server answers 500 (\`cannot pickle '_thread.RLock'\`) to every StartExecution after the first in a process, so it is compared on one long execution only. The machine is shared with other jobs; Express figures varied between 8,000 and 31,000/s across runs.${motoNote}${confText}`,
  };
}
