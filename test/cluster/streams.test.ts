// Cluster: a Kinesis stream mapping on three nodes over one PostgreSQL keeps delivering every acknowledged record
// when the node holding a shard's lease is killed with SIGKILL while records keep arriving through the others.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { CreateEventSourceMappingCommand, GetEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { pgUnavailable } from '../helpers/pg.js';
import { removeDir, startCluster, type Cluster, type Running } from '../helpers/server.js';

const skip = await pgUnavailable();
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const kinesisClient = (url: string): KinesisClient => new KinesisClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 });

/** Appends the data of each Kinesis record it gets, one line each, to $OUT (a host file: process isolation). */
const RECORDER = {
  'index.js': `const fs = require('fs');
exports.handler = async (event) => {
  fs.appendFileSync(process.env.OUT, event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString()).join('\\n') + '\\n');
  return {};
};`,
};

async function until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function received(file: string): Map<string, number> {
  const n = new Map<string, number>();
  if (!existsSync(file)) return n;
  for (const l of readFileSync(file, 'utf8').split('\n')) if (l) n.set(l, (n.get(l) ?? 0) + 1);
  return n;
}

/** The nodes (by port) that hold a live lease on one of the mapping's shards, read from the cluster's database. */
async function leaseHolders(storeUrl: string, uuid: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: storeUrl });
  await c.connect();
  try {
    const r = await c.query<{ address: string }>(
      `SELECT n.address FROM store_leases l JOIN store_nodes n ON n.id = l.owner WHERE l.name LIKE $1 ORDER BY l.name`,
      [`esm-shard:${uuid}:%`],
    );
    return r.rows.map((x) => Number(new URL(x.address).port));
  } finally {
    await c.end();
  }
}

describe('Kinesis stream mapping on a cluster (three nodes on one PostgreSQL)', { skip }, () => {
  let cluster: Cluster;
  const outDir = mkdtempSync(join(tmpdir(), 'selfless-cluster-streams-'));
  before(async () => {
    cluster = await startCluster(3, { env: { SELFLESS_ISOLATION: 'process' } });
  });
  after(async () => {
    await cluster?.stop();
    removeDir(outDir);
  });

  test('Kinesis cluster mapping: SIGKILL of the node holding a shard lease while records keep coming through the others loses none; every acknowledged record reaches the function within 60 s', async (t) => {
    const out = join(outDir, 'got.txt');
    const [a] = cluster.nodes as [Running, Running, Running];
    const ka = kinesisClient(a.url);
    const lambda = lambdaClient(a.url);
    await ka.send(new CreateStreamCommand({ StreamName: 'cluster-esm', ShardCount: 2 }));
    const arn = await until('the stream ACTIVE', async () => {
      const s = (await ka.send(new DescribeStreamSummaryCommand({ StreamName: 'cluster-esm' }))).StreamDescriptionSummary!;
      return s.StreamStatus === 'ACTIVE' ? s.StreamARN : undefined;
    }, 30_000);
    await createFunction(lambda, 'cluster-esm-fn', RECORDER, { env: { OUT: out } });
    const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'cluster-esm-fn', EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 20 }));
    await until('the mapping Enabled', async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID! }))).State === 'Enabled', 30_000);

    const acked = new Set<string>();
    let batch = 0;
    /** Puts one batch of 5 through `c`; a record is acknowledged when its entry has a sequence number. */
    const put = async (c: KinesisClient): Promise<void> => {
      const data = Array.from({ length: 5 }, (_, k) => `r-${batch}-${k}`);
      batch++;
      const r = await c.send(new PutRecordsCommand({ StreamName: 'cluster-esm', Records: data.map((d) => ({ PartitionKey: d, Data: Buffer.from(d) })) }));
      data.forEach((d, k) => r.Records![k]!.SequenceNumber !== undefined && acked.add(d));
    };

    // Through A while the mapping consumes, until both shards are leased and the function has records.
    let holders: number[] = [];
    await until('both shards leased and records delivered', async () => {
      await put(ka);
      holders = await leaseHolders(cluster.storeUrl, m.UUID!);
      return holders.length === 2 && received(out).size > 0;
    }, 45_000);
    const victim = cluster.nodes.find((n) => n.port === holders[0]);
    assert.ok(victim, `the lease holder (port ${holders[0]}) is one of the cluster's nodes`);
    t.diagnostic(`shard leases held by ports ${holders.join(', ')}; killing ${victim.port} (A is ${a.port})`);
    const survivors = cluster.nodes.filter((n) => n !== victim).map((n) => kinesisClient(n.url));

    // Puts keep going through the survivors while the victim dies; a put to the dying node would fail, so none goes there.
    let stop = false;
    const putting = (async () => {
      for (let i = 0; !stop; i++) {
        await put(survivors[i % survivors.length]!);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    assert.equal((await victim.stop('SIGKILL')).signal, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 3_000));
    stop = true;
    await putting;

    const lines = [...acked];
    const start = Date.now();
    await until('every acknowledged record at the function', () => {
      const r = received(out);
      return lines.every((l) => r.has(l));
    }, 60_000).catch((e: Error) => {
      const r = received(out);
      const missing = lines.filter((l) => !r.has(l));
      throw new Error(`${e.message}: ${missing.length} of ${lines.length} missing, e.g. ${missing.slice(0, 5).join(', ')}`);
    });
    const got = received(out);
    const duplicates = lines.reduce((n, l) => n + got.get(l)! - 1, 0);
    t.diagnostic(`${lines.length} acknowledged records all delivered ${Math.round((Date.now() - start) / 1000)} s after the puts ended; ${duplicates} duplicate deliveries`);
    for (const c of [ka, lambda, ...survivors]) c.destroy();
  });
});
