// The randomized crash driver (issue 22): a seeded mix of writes into every pipeline that ends in a function, a ledger
// of what each acknowledged write must cause, and the check after a restart that every such effect is there (duplicates
// counted apart). Used by test/compat/crash-random.test.ts, test/cluster/crash-random.test.ts and `npm run bench crash`.
import { existsSync, readFileSync } from 'node:fs';
import { CreateEventSourceMappingCommand, GetEventSourceMappingCommand, PutFunctionEventInvokeConfigCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, PublishCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { CreateBucketCommand, HeadObjectCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateStateMachineCommand, DescribeExecutionCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { createFunction, lambdaClient } from './lambda.js';
import { sqsClient } from './sqs.js';
import { snsClient } from './sns.js';
import { s3Client } from './s3.js';
import { SM_ROLE, sfnClient } from './states.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const ACCOUNT = '000000000000';
const arnOf = (service: string, name: string): string => `arn:aws:${service}:us-east-1:${ACCOUNT}:${name}`;

/** The server environment the driver needs: the recorder appends to a host file, which only process isolation reaches. */
export const CRASH_ENV = { SELFLESS_ISOLATION: 'process' };

/**
 * One recorder for every pipeline: it appends one line per thing it was given to $OUT, and answers `{ id }` (which the
 * async OnSuccess destination carries on as `responsePayload`). Lines: `q:<id>` SQS sends, `d:<id>` destination records,
 * `n:<id>` SNS publishes, `s3:<key>` S3 notifications, `ddb:<id>` DynamoDB INSERTs, `k:<id>` Kinesis records, and
 * `<kind>:<id>` for a direct event (`a:` async invoke, `t:` Step Functions task). It takes DELAY_MS per call first.
 */
const RECORDER = {
  'index.js': `const fs = require('fs');
exports.handler = async (event) => {
  const lines = [];
  if (Array.isArray(event.Records)) {
    for (const r of event.Records) {
      if (r.eventSource === 'aws:sqs') {
        const b = r.body;
        if (b.startsWith('{')) {
          const j = JSON.parse(b);
          if (j.requestPayload) lines.push('d:' + j.requestPayload.id);
          else if (Array.isArray(j.Records)) for (const s of j.Records) lines.push('s3:' + decodeURIComponent(s.s3.object.key.replace(/\\+/g, ' ')));
        } else lines.push(b);
      } else if (r.eventSource === 'aws:dynamodb') {
        if (r.eventName === 'INSERT') lines.push('ddb:' + r.dynamodb.Keys.id.S);
      } else if (r.eventSource === 'aws:kinesis') lines.push('k:' + Buffer.from(r.kinesis.data, 'base64').toString());
    }
  } else if (event.kind) lines.push(event.kind + ':' + event.id);
  // A little work time, so that batches are in flight (and a backlog waits) when the server is killed.
  await new Promise((r) => setTimeout(r, Number(process.env.DELAY_MS)));
  if (lines.length) fs.appendFileSync(process.env.OUT, lines.join('\\n') + '\\n');
  return { id: event.id };
};`,
};

const MACHINE = {
  StartAt: 'Call',
  States: { Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'crash-rec', 'Payload.$': '$' }, OutputPath: '$.Payload', End: true } },
};

/**
 * mulberry32: a small seeded generator. A run draws its kill schedule (kill points, victims) from `rng(seed)` and its
 * traffic mix from `rng(mixSeed(seed))`, so that a replay with the same seed kills at the same points; which writer
 * issues which call still depends on timing.
 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const mixSeed = (seed: number): number => (seed ^ 0x9e3779b9) >>> 0;

export const KINDS = ['sqs', 'sqs-batch', 'async', 'sfn', 'sns', 's3', 'ddb', 'kinesis'] as const;
export type Kind = (typeof KINDS)[number];

/** What the acknowledged writes must have caused: recorder lines, and state to read back (objects, items, executions). */
export interface Ledger {
  /** Recorder line → the kind of write that acknowledged it. */
  lines: Map<string, Kind>;
  objects: string[];
  items: string[];
  executions: string[];
  /** Acknowledged writes (calls answered with success, a batch entry counted as one) by kind. */
  acked: Record<Kind, number>;
  /** Calls refused by a server that was up (not killed): each is an error of the server. */
  refused: string[];
}

export function newLedger(): Ledger {
  return { lines: new Map(), objects: [], items: [], executions: [], acked: Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>, refused: [] };
}

interface Clients {
  lambda: LambdaClient;
  sqs: SQSClient;
  sns: SNSClient;
  s3: S3Client;
  ddb: DynamoDBClient;
  kinesis: KinesisClient;
  sfn: SFNClient;
}

export function clients(url: string): Clients & { destroy(): void } {
  const c: Clients = {
    lambda: lambdaClient(url),
    sqs: sqsClient(url),
    sns: snsClient(url),
    s3: s3Client(url),
    ddb: new DynamoDBClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 }),
    kinesis: new KinesisClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 }),
    sfn: sfnClient(url),
  };
  return { ...c, destroy: () => Object.values(c).forEach((x) => x.destroy()) };
}

async function poll<T>(what: string, f: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Names of what setUp made, for the writers. */
export interface World {
  queueUrl: string;
  topicArn: string;
  machineArn: string;
}

/**
 * Creates the pipelines on the server at `url`: queue `crash-in` → mapping → recorder; function `crash-async` with an
 * OnSuccess destination to queue `crash-fan`; topic → `crash-fan` (raw delivery); bucket notification → `crash-fan`;
 * `crash-fan` → mapping → recorder; a table's stream and a Kinesis stream → mappings → recorder; a state machine whose
 * one Task invokes the recorder.
 */
export async function setUp(url: string, out: string): Promise<World> {
  const c = clients(url);
  try {
    // Visibility 10 s: a batch in flight at the kill comes back soon, and a slow batch is rarely handed out twice.
    const queue = async (name: string): Promise<string> => (await c.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '10' } }))).QueueUrl!;
    const queueUrl = await queue('crash-in');
    const fanUrl = await queue('crash-fan');
    const fanArn = (await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl: fanUrl, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
    await createFunction(c.lambda, 'crash-rec', RECORDER, { env: { OUT: out, DELAY_MS: '150' }, timeout: 30 });
    await createFunction(c.lambda, 'crash-async', RECORDER, { env: { OUT: out, DELAY_MS: '150' }, timeout: 30 });
    await c.lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'crash-async', DestinationConfig: { OnSuccess: { Destination: fanArn } } }));
    const topicArn = (await c.sns.send(new CreateTopicCommand({ Name: 'crash-topic' }))).TopicArn!;
    await c.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: fanArn, Attributes: { RawMessageDelivery: 'true' } }));
    await c.s3.send(new CreateBucketCommand({ Bucket: 'crash-bucket' }));
    await c.s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: 'crash-bucket', NotificationConfiguration: { QueueConfigurations: [{ QueueArn: fanArn, Events: ['s3:ObjectCreated:*'] }] } }));
    const table = await c.ddb.send(
      new CreateTableCommand({
        TableName: 'crash-table',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
      }),
    );
    await c.kinesis.send(new CreateStreamCommand({ StreamName: 'crash-stream', ShardCount: 1 }));
    const streamArn = await poll('the Kinesis stream ACTIVE', async () => {
      const s = (await c.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'crash-stream' }))).StreamDescriptionSummary!;
      return s.StreamStatus === 'ACTIVE' ? s.StreamARN : undefined;
    });
    const sources: { arn: string; batch: number; start?: 'TRIM_HORIZON' }[] = [
      { arn: arnOf('sqs', 'crash-in'), batch: 10 },
      { arn: fanArn, batch: 10 },
      { arn: table.TableDescription!.LatestStreamArn!, batch: 25, start: 'TRIM_HORIZON' },
      { arn: streamArn, batch: 25, start: 'TRIM_HORIZON' },
    ];
    for (const s of sources) {
      const m = await c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'crash-rec', EventSourceArn: s.arn, BatchSize: s.batch, StartingPosition: s.start }));
      await poll('the mapping Enabled', async () => (await c.lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID }))).State === 'Enabled');
    }
    const machineArn = (await c.sfn.send(new CreateStateMachineCommand({ name: 'crash-machine', roleArn: SM_ROLE, definition: JSON.stringify(MACHINE) }))).stateMachineArn!;
    return { queueUrl, topicArn, machineArn };
  } finally {
    c.destroy();
  }
}

/** One random write of `kind` with the id `id`; returns the ledger entries it acknowledged (throws when refused). */
async function write(c: Clients, w: World, url: string, kind: Kind, id: string, l: Ledger): Promise<void> {
  switch (kind) {
    case 'sqs':
      await c.sqs.send(new SendMessageCommand({ QueueUrl: w.queueUrl, MessageBody: `q:${id}` }));
      l.lines.set(`q:${id}`, kind);
      l.acked.sqs++;
      return;
    case 'sqs-batch': {
      const entries = Array.from({ length: 5 }, (_, k) => ({ Id: String(k), MessageBody: `q:${id}.${k}` }));
      const r = await c.sqs.send(new SendMessageBatchCommand({ QueueUrl: w.queueUrl, Entries: entries }));
      for (const ok of r.Successful ?? []) {
        l.lines.set(`q:${id}.${ok.Id}`, kind);
        l.acked['sqs-batch']++;
      }
      return;
    }
    case 'async': {
      const r = await fetch(`${url}/2015-03-31/functions/crash-async/invocations`, { method: 'POST', headers: { 'x-amz-invocation-type': 'Event' }, body: JSON.stringify({ kind: 'a', id }) });
      await r.arrayBuffer();
      if (r.status !== 202) throw new Error(`async Invoke answered ${r.status}`);
      l.lines.set(`a:${id}`, kind);
      l.lines.set(`d:${id}`, kind);
      l.acked.async++;
      return;
    }
    case 'sfn': {
      const r = await c.sfn.send(new StartExecutionCommand({ stateMachineArn: w.machineArn, name: `x-${id}`.replace(/\./g, '_'), input: JSON.stringify({ kind: 't', id }) }));
      l.lines.set(`t:${id}`, kind);
      l.executions.push(r.executionArn!);
      l.acked.sfn++;
      return;
    }
    case 'sns':
      await c.sns.send(new PublishCommand({ TopicArn: w.topicArn, Message: `n:${id}` }));
      l.lines.set(`n:${id}`, kind);
      l.acked.sns++;
      return;
    case 's3':
      await c.s3.send(new PutObjectCommand({ Bucket: 'crash-bucket', Key: `o-${id}`, Body: `object ${id}` }));
      l.lines.set(`s3:o-${id}`, kind);
      l.objects.push(`o-${id}`);
      l.acked.s3++;
      return;
    case 'ddb':
      await c.ddb.send(new PutItemCommand({ TableName: 'crash-table', Item: { id: { S: id }, at: { N: String(Date.now()) } } }));
      l.lines.set(`ddb:${id}`, kind);
      l.items.push(id);
      l.acked.ddb++;
      return;
    case 'kinesis': {
      const data = Array.from({ length: 4 }, (_, k) => `${id}.${k}`);
      const r = await c.kinesis.send(new PutRecordsCommand({ StreamName: 'crash-stream', Records: data.map((d) => ({ PartitionKey: d, Data: Buffer.from(d) })) }));
      // A record of a batch is acknowledged when its entry has a sequence number (not an ErrorCode).
      data.forEach((d, k) => {
        if (r.Records![k]!.SequenceNumber) {
          l.lines.set(`k:${d}`, kind);
          l.acked.kinesis++;
        }
      });
      return;
    }
  }
}

export interface Round {
  /** The servers to spread writes over, and the one to kill (-9) — by default the first. */
  urls: string[];
  /** Kills the victim and resolves once it is dead. */
  kill: () => Promise<void>;
  /** Acknowledgements after which the kill comes; plus `extraMs` of further traffic (both drawn from the seed). */
  killAfter: number;
  extraMs: number;
  writers: number;
  /** A prefix for this round's ids (unique over a run). */
  prefix: string;
  /** Draws the traffic mix (kinds, and which server each call goes to). */
  random: () => number;
  /** Whether a server at this URL is the victim (a refusal by it after the kill is not counted). */
  isVictim: (url: string) => boolean;
}

/** Mixed traffic from `writers` loops until `killAfter` acknowledgements and `extraMs` more, then the kill. */
export async function trafficThenKill(w: World, l: Ledger, r: Round, out: string): Promise<{ ackedBeforeKill: number; pendingAtKill: number; ms: number }> {
  const cs = new Map(r.urls.map((u) => [u, clients(u)]));
  const t0 = Date.now();
  const start = l.lines.size;
  let n = 0;
  let killing = false;
  let dead = false;
  const loops = Array.from({ length: r.writers }, async () => {
    while (!killing) {
      const kind = KINDS[Math.floor(r.random() * KINDS.length)]!;
      const url = r.urls[Math.floor(r.random() * r.urls.length)]!;
      const id = `${r.prefix}-${n++}`;
      try {
        await write(cs.get(url)!, w, url, kind, id, l);
      } catch (e) {
        // A call cut by the kill is not acknowledged and not counted; any other refusal is the server's fault.
        if (!(dead || (killing && r.isVictim(url)))) l.refused.push(`${kind} ${id} via ${url}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  });
  try {
    await poll(`${r.killAfter} acknowledged writes`, async () => l.lines.size - start >= r.killAfter || l.refused.length > 20, 120_000);
  } catch (e) {
    // Never leave the writers running behind a failed wait.
    killing = dead = true;
    await Promise.all(loops);
    for (const c of cs.values()) c.destroy();
    throw e;
  }
  await new Promise((res) => setTimeout(res, r.extraMs));
  killing = true;
  await r.kill();
  dead = true;
  const ackedBeforeKill = l.lines.size - start;
  // Acknowledged effects not recorded yet when the server died: the work the restart must recover.
  const got = recorded(out);
  const pendingAtKill = [...l.lines.keys()].filter((k) => !got.has(k)).length;
  await Promise.all(loops);
  for (const c of cs.values()) c.destroy();
  return { ackedBeforeKill, pendingAtKill, ms: Date.now() - t0 };
}

/** How many times the recorder wrote each line. */
export function recorded(file: string): Map<string, number> {
  const n = new Map<string, number>();
  if (!existsSync(file)) return n;
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line) n.set(line, (n.get(line) ?? 0) + 1);
  return n;
}

export interface Verdict {
  expected: number;
  found: number;
  missing: string[];
  /** Extra deliveries of acknowledged effects (at-least-once where AWS allows them), by kind, over the whole run. */
  duplicates: Record<string, number>;
  /** Lines the recorder wrote that no acknowledged write asked for (calls cut by the kill that still took effect). */
  unacknowledged: number;
  /** Time from the call to every effect found (or the deadline). */
  settleMs: number;
}

/**
 * Waits up to `ms` until every acknowledged effect is recorded, then reads back every acknowledged object, item and
 * execution (which must have SUCCEEDED) through `url`.
 */
export async function settleAndCheck(url: string, out: string, l: Ledger, ms = 120_000): Promise<Verdict> {
  const t0 = Date.now();
  let got = recorded(out);
  while (Date.now() - t0 < ms) {
    got = recorded(out);
    if ([...l.lines.keys()].every((k) => got.has(k))) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const settleMs = Date.now() - t0;
  const missing = [...l.lines.keys()].filter((k) => !got.has(k));
  const c = clients(url);
  try {
    for (const key of l.objects) {
      await c.s3.send(new HeadObjectCommand({ Bucket: 'crash-bucket', Key: key })).catch(() => missing.push(`object ${key}`));
    }
    for (const id of l.items) {
      const r = await c.ddb.send(new GetItemCommand({ TableName: 'crash-table', Key: { id: { S: id } }, ConsistentRead: true }));
      if (r.Item?.['id']?.S !== id) missing.push(`item ${id}`);
    }
    for (const arn of l.executions) {
      const end = Date.now() + Math.max(5_000, ms - (Date.now() - t0));
      for (;;) {
        const d = await c.sfn.send(new DescribeExecutionCommand({ executionArn: arn })).catch(() => undefined);
        if (d?.status === 'SUCCEEDED') break;
        if (Date.now() > end || (d && d.status !== 'RUNNING')) {
          missing.push(`execution ${arn.split(':').pop()} ${d?.status ?? 'absent'}`);
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    c.destroy();
  }
  const duplicates: Record<string, number> = {};
  for (const [line, kind] of l.lines) {
    const extra = (got.get(line) ?? 1) - 1;
    if (extra > 0) duplicates[kind] = (duplicates[kind] ?? 0) + extra;
  }
  let unacknowledged = 0;
  for (const line of got.keys()) if (!l.lines.has(line)) unacknowledged++;
  return { expected: l.lines.size + l.objects.length + l.items.length + l.executions.length, found: l.lines.size + l.objects.length + l.items.length + l.executions.length - missing.length, missing, duplicates, unacknowledged, settleMs };
}

export function describeVerdict(v: Verdict): string {
  const dup = Object.entries(v.duplicates).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  return `${v.found}/${v.expected} acknowledged effects found (${v.missing.length} missing${v.missing.length ? `, e.g. ${v.missing.slice(0, 5).join('; ')}` : ''}); duplicates: ${dup}; ${v.unacknowledged} effects of unacknowledged calls; settled in ${(v.settleMs / 1000).toFixed(1)} s`;
}
