// Durability of streams: kill -9 of the server amid concurrent DynamoDB PutItems and Kinesis PutRecords loses no
// acknowledged write, and after a restart on the same data every acknowledged record reaches the mapped function.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateEventSourceMappingCommand, GetEventSourceMappingCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { removeDir, removeServer, startServer, type Running } from '../helpers/server.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const outDir = mkdtempSync(join(tmpdir(), 'selfless-streams-durability-'));
// The recorder writes each batch to a host file, which only a function run with process isolation can reach.
const ENV = { SELFLESS_ISOLATION: 'process' };
const servers: Running[] = [];
after(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  for (const s of servers) await removeServer(s).catch(() => undefined);
  removeDir(outDir);
});

/** Appends the key (DynamoDB) or data (Kinesis) of each record it gets, one line per record, to $OUT. */
const RECORDER = {
  'index.js': `const fs = require('fs');
exports.handler = async (event) => {
  const lines = event.Records.map((r) => r.kinesis ? 'K ' + Buffer.from(r.kinesis.data, 'base64').toString() : r.eventName + ' ' + r.dynamodb.Keys.id.S);
  fs.appendFileSync(process.env.OUT, lines.join('\\n') + '\\n');
  return {};
};`,
};

async function start(dataDir?: string): Promise<Running> {
  const s = await startServer({ env: ENV, ...(dataDir ? { dataDir } : {}) });
  servers.push(s);
  return s;
}

function clients(url: string): { lambda: LambdaClient; kinesis: KinesisClient; dynamodb: DynamoDBClient } {
  return {
    lambda: lambdaClient(url),
    kinesis: new KinesisClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 }),
    dynamodb: new DynamoDBClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 }),
  };
}

async function until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** How many times the function got each record, by its recorded line. */
function received(file: string): Map<string, number> {
  const n = new Map<string, number>();
  if (!existsSync(file)) return n;
  for (const l of readFileSync(file, 'utf8').split('\n')) if (l) n.set(l, (n.get(l) ?? 0) + 1);
  return n;
}

/**
 * Runs `writers` loops of `write` and SIGKILLs `s` once `killAfter` writes were acknowledged and the function, reading
 * the stream meanwhile, has recorded some (so the restart resumes a mapping part-way through); returns the acknowledged.
 */
async function writeThroughKill(s: Running, out: string, writers: number, killAfter: number, write: (i: number) => Promise<string[]>): Promise<Set<string>> {
  const acked = new Set<string>();
  let next = 0;
  let dead = false;
  let early: unknown;
  const loops = Array.from({ length: writers }, async () => {
    while (!dead && early === undefined) {
      try {
        for (const k of await write(next++)) acked.add(k);
      } catch (e) {
        if (!dead) early = e;
      }
    }
  });
  await until(`${killAfter} acknowledged writes`, () => (acked.size >= killAfter && received(out).size > 0) || early !== undefined, 60_000);
  if (early !== undefined) throw new Error(`a write failed before the kill: ${String(early)}`);
  // In-flight writes stay unacknowledged: they fail with the connection, and the test does not count them.
  assert.equal((await s.stop('SIGKILL')).signal, 'SIGKILL');
  dead = true;
  await Promise.all(loops);
  return acked;
}

/** Waits until every acknowledged record's line was received at least once; returns the duplicate count. */
async function everyDelivered(file: string, lines: string[]): Promise<{ duplicates: number }> {
  const got = await until(
    'every acknowledged record at the function',
    () => {
      const r = received(file);
      return lines.every((l) => r.has(l)) ? r : undefined;
    },
    60_000,
  ).catch((e: Error) => {
    const r = received(file);
    const missing = lines.filter((l) => !r.has(l));
    throw new Error(`${e.message}: ${missing.length} of ${lines.length} missing, e.g. ${missing.slice(0, 5).join(', ')}`);
  });
  let duplicates = 0;
  for (const l of lines) duplicates += got.get(l)! - 1;
  return { duplicates };
}

const enabled = (lambda: LambdaClient, uuid: string) =>
  until('the mapping Enabled', async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State === 'Enabled');

test('DynamoDB Streams: kill -9 amid concurrent PutItems loses no acknowledged item and every acknowledged INSERT reaches the function at least once', async (t) => {
  const out = join(outDir, 'ddb.jsonl');
  const first = await start();
  let c = clients(first.url);
  const table = await c.dynamodb.send(
    new CreateTableCommand({
      TableName: 'crash',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    }),
  );
  await createFunction(c.lambda, 'crash-ddb', RECORDER, { env: { OUT: out } });
  const m = await c.lambda.send(
    new CreateEventSourceMappingCommand({ FunctionName: 'crash-ddb', EventSourceArn: table.TableDescription!.LatestStreamArn!, StartingPosition: 'TRIM_HORIZON', BatchSize: 10 }),
  );
  await enabled(c.lambda, m.UUID!);
  const acked = await writeThroughKill(first, out, 6, 150, async (i) => {
    const id = `item-${i}`;
    await c.dynamodb.send(new PutItemCommand({ TableName: 'crash', Item: { id: { S: id }, n: { N: String(i) } } }));
    return [id];
  });
  for (const x of Object.values(c)) x.destroy();

  const second = await start(first.dataDir);
  c = clients(second.url);
  try {
    for (const id of acked) {
      const r = await c.dynamodb.send(new GetItemCommand({ TableName: 'crash', Key: { id: { S: id } }, ConsistentRead: true }));
      assert.equal(r.Item?.id?.S, id, `acknowledged item ${id} is in the table after the restart`);
    }
    const { duplicates } = await everyDelivered(out, [...acked].map((id) => `INSERT ${id}`));
    t.diagnostic(`${acked.size} acknowledged items, all delivered; ${duplicates} duplicate deliveries`);
  } finally {
    for (const x of Object.values(c)) x.destroy();
  }
});

test('Kinesis: kill -9 amid concurrent PutRecords loses no acknowledged record and every acknowledged record reaches the function at least once', async (t) => {
  const out = join(outDir, 'kinesis.jsonl');
  const first = await start();
  let c = clients(first.url);
  await c.kinesis.send(new CreateStreamCommand({ StreamName: 'crash', ShardCount: 2 }));
  const arn = await until('the stream ACTIVE', async () => {
    const s = (await c.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'crash' }))).StreamDescriptionSummary!;
    return s.StreamStatus === 'ACTIVE' ? s.StreamARN : undefined;
  });
  await createFunction(c.lambda, 'crash-kinesis', RECORDER, { env: { OUT: out } });
  const m = await c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'crash-kinesis', EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 25 }));
  await enabled(c.lambda, m.UUID!);
  const seqOf = new Map<string, string>();
  const acked = await writeThroughKill(first, out, 4, 300, async (i) => {
    const data = Array.from({ length: 5 }, (_, k) => `rec-${i}-${k}`);
    const r = await c.kinesis.send(new PutRecordsCommand({ StreamName: 'crash', Records: data.map((d) => ({ PartitionKey: d, Data: Buffer.from(d) })) }));
    // A record of a batch is acknowledged when its entry has a sequence number (not an ErrorCode).
    return data.filter((d, k) => {
      const e = r.Records![k]!;
      if (e.SequenceNumber) seqOf.set(d, e.SequenceNumber);
      return e.SequenceNumber !== undefined;
    });
  });
  for (const x of Object.values(c)) x.destroy();

  const second = await start(first.dataDir);
  c = clients(second.url);
  try {
    const stored = new Map<string, string>();
    for (const s of (await c.kinesis.send(new ListShardsCommand({ StreamName: 'crash' }))).Shards!) {
      let it = (await c.kinesis.send(new GetShardIteratorCommand({ StreamName: 'crash', ShardId: s.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      while (it) {
        const r = await c.kinesis.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10_000 }));
        for (const x of r.Records ?? []) stored.set(Buffer.from(x.Data!).toString(), x.SequenceNumber!);
        if (!r.Records?.length) break;
        it = r.NextShardIterator;
      }
    }
    for (const d of acked) assert.equal(stored.get(d), seqOf.get(d), `acknowledged record ${d} is in the stream with its sequence number`);
    const { duplicates } = await everyDelivered(out, [...acked].map((d) => `K ${d}`));
    t.diagnostic(`${acked.size} acknowledged records, all delivered; ${duplicates} duplicate deliveries`);
  } finally {
    for (const x of Object.values(c)) x.destroy();
  }
});
