// Authorization benchmark (issue 18): warm invokes and SQS sends in dev mode (unsigned and signed by the root key)
// beside enforce mode (an IAM user whose policy is evaluated on every request), on one node in the default mode.
// Requests are signed once and replayed (a signature is good for 15 minutes), so the figures are the server's cost.
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { signedHeaders, type SigningKey } from '../src/lib/sign.js';
import { removeServer, startServer, type Running } from '../test/helpers/server.js';
import { zip } from '../test/helpers/zip.js';
import { f2, http, latencies, pct, throughput, type Section } from './lib.js';

const ROOT: SigningKey = { accessKeyId: 'test', secretAccessKey: 'test' };
const HANDLER = 'exports.handler = async () => ({ statusCode: 200, body: "ok" });';
const WARM = 2000;
const LOAD_MS = 4000;
const PAYLOAD = '{"n":1}';

interface Row {
  label: string;
  p50: number;
  rps: number;
  sqsRps: number;
}

async function setUp(s: Running): Promise<{ user: SigningKey; queueUrl: string }> {
  const c = { endpoint: s.url, region: 'us-east-1', credentials: ROOT };
  const iam = new IAMClient(c);
  // Enforce mode refuses a function whose role Lambda cannot assume.
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  await iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: JSON.stringify(trust) }));
  await new LambdaClient(c).send(
    new CreateFunctionCommand({ FunctionName: 'fn', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/r', Handler: 'index.handler', Code: { ZipFile: await zip({ 'index.js': HANDLER }) } }),
  );
  const queueUrl = (await new SQSClient(c).send(new CreateQueueCommand({ QueueName: 'q' }))).QueueUrl!;
  await iam.send(new CreateUserCommand({ UserName: 'bench' }));
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:fn' },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: 'arn:aws:sqs:us-east-1:000000000000:q' },
    ],
  };
  await iam.send(new PutUserPolicyCommand({ UserName: 'bench', PolicyName: 'p', PolicyDocument: JSON.stringify(policy) }));
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'bench' }))).AccessKey!;
  return { user: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! }, queueUrl };
}

async function measure(label: string, s: Running, queueUrl: string, key: SigningKey | undefined): Promise<Row> {
  const invokeUrl = `${s.url}/2015-03-31/functions/fn/invocations`;
  const invokeHeaders = key ? await signedHeaders({ method: 'POST', url: invokeUrl, service: 'lambda', region: 'us-east-1', body: PAYLOAD, key }) : {};
  const sqsBody = JSON.stringify({ QueueUrl: queueUrl, MessageBody: 'hello' });
  const sqsBase = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage' };
  const sqsHeaders = key ? await signedHeaders({ method: 'POST', url: `${s.url}/`, service: 'sqs', region: 'us-east-1', headers: sqsBase, body: sqsBody, key }) : sqsBase;
  const invoke = async (): Promise<boolean> => (await http(invokeUrl, 'POST', PAYLOAD, invokeHeaders)).status === 200;
  const send = async (): Promise<boolean> => (await http(`${s.url}/`, 'POST', sqsBody, sqsHeaders)).status === 200;
  if (!(await invoke()) || !(await send())) throw new Error(`${label}: a request was refused`);
  const lat = await latencies(WARM, 200, invoke);
  const rps = (await throughput(16, LOAD_MS, invoke)).rps;
  const sqsRps = (await throughput(16, LOAD_MS, send)).rps;
  return { label, p50: pct(lat, 50), rps, sqsRps };
}

const ROUNDS = 3;
const span = (xs: number[], f: (n: number) => string): string => {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? f(lo) : `${f(lo)}–${f(hi)}`;
};

export async function run(): Promise<Section> {
  // Rounds alternate the modes, so that the client warming up over the run favours neither; figures are ranges.
  const rounds: Row[][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const rows: Row[] = [];
    for (const mode of ['dev', 'enforce'] as const) {
      const s = await startServer({ args: ['--auth', mode] });
      try {
        const { user, queueUrl } = await setUp(s);
        if (mode === 'dev') {
          rows.push(await measure('dev, unsigned (the account root)', s, queueUrl, undefined));
          rows.push(await measure('dev, signed by the root key', s, queueUrl, ROOT));
        } else {
          rows.push(await measure('enforce, signed by the root key', s, queueUrl, ROOT));
          rows.push(await measure('enforce, an IAM user (identity policy evaluated)', s, queueUrl, user));
        }
      } finally {
        await s.stop();
        await removeServer(s);
      }
    }
    rounds.push(rows);
  }
  const labels = rounds[0]!.map((r) => r.label);
  const col = (i: number, f: (r: Row, base: Row) => number): number[] => rounds.map((rows) => f(rows[i]!, rows[1]!));
  const lines = [
    `Trivial Node.js function, default isolation, one node on SQLite; keep-alive Node client; requests signed once and replayed; ${ROUNDS} rounds (ranges), the modes alternating.`,
    '',
    '| caller | warm invoke p50 | invokes/s, 16 clients | vs dev signed, same round | SQS SendMessage/s, 16 clients | vs dev signed, same round |',
    '|---|---|---|---|---|---|',
    ...labels.map(
      (label, i) =>
        `| ${label} | ${span(col(i, (r) => r.p50), (n) => `${f2(n)} ms`)} | ${span(col(i, (r) => r.rps), f2)} | ${span(col(i, (r, b) => r.rps / b.rps), (n) => `${n.toFixed(2)}×`)} | ${span(col(i, (r) => r.sqsRps), f2)} | ${span(col(i, (r, b) => r.sqsRps / b.sqsRps), (n) => `${n.toFixed(2)}×`)} |`,
    ),
    '',
    'Target: enforcement costs at most 10% of warm-invoke throughput (the IAM user row against dev signed ≥ 0.90×).',
    'Read with care: the "enforce, signed by the root key" row should do the work of "dev, signed" (the root is never evaluated), yet on 2026-12-03 it measured lower in every round; the cause was not found, so the IAM user\'s cost against the target is not established by these figures.',
  ];
  return { title: 'Authorization: dev and enforce modes (issue 18)', markdown: lines.join('\n') };
}
