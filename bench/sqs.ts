// SQS benchmark: messages sent, received and deleted per second through the HTTP API (JSON protocol, lean client).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/lib/clock.js';
import { SqsService } from '../src/services/sqs/service.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { pgUnavailable, freshPgDatabase } from '../test/helpers/pg.js';
import { removeServer, startCluster, startServer } from '../test/helpers/server.js';
import { f2, http, pct, type Section } from './lib.js';

const LOAD_MS = 5000;

type Call = (op: string, body: unknown) => Promise<any>;

function client(url: string): Call {
  return async (op, body) => {
    const r = await http(url, 'POST', JSON.stringify(body), { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${op}` });
    if (r.status !== 200) throw new Error(`${op}: ${r.status} ${r.body.toString()}`);
    return JSON.parse(r.body.toString('utf8'));
  };
}

interface Figures {
  sent: number;
  deleted: number;
  perSecond: number;
  sendP50: number;
  sendP99: number;
}

/** Producers send and consumers receive+delete concurrently for LOAD_MS; the figure is messages deleted per second. */
async function pipeline(call: Call, queueUrl: string, batch: number, producers: number, consumers: number, receivers: Call[] = [call]): Promise<Figures> {
  let sent = 0;
  let deleted = 0;
  const sendLat: number[] = [];
  const t0 = performance.now();
  const end = t0 + LOAD_MS;
  let n = 0;
  const produce = async (): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now();
      if (batch === 1) await call('SendMessage', { QueueUrl: queueUrl, MessageBody: `{"n":${n++},"pad":"${'x'.repeat(100)}"}` });
      else await call('SendMessageBatch', { QueueUrl: queueUrl, Entries: Array.from({ length: batch }, (_, i) => ({ Id: `e${i}`, MessageBody: `{"n":${n++},"pad":"${'x'.repeat(100)}"}` })) });
      sendLat.push(performance.now() - t);
      sent += batch;
    }
  };
  const consume = async (_: unknown, k: number): Promise<void> => {
    // Consumers (spread over `receivers`: other nodes of a cluster) drain what was sent before the deadline, then stop.
    const call = receivers[k % receivers.length]!;
    while (performance.now() < end || deleted < sent) {
      const r = await call('ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: batch, WaitTimeSeconds: 1 });
      const msgs: { ReceiptHandle: string }[] = r.Messages ?? [];
      if (msgs.length === 0) {
        if (performance.now() >= end) return;
        continue;
      }
      if (batch === 1) await call('DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: msgs[0]!.ReceiptHandle });
      else await call('DeleteMessageBatch', { QueueUrl: queueUrl, Entries: msgs.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) });
      deleted += msgs.length;
    }
  };
  await Promise.all([...Array.from({ length: producers }, produce), ...Array.from({ length: consumers }, consume)]);
  const secs = (performance.now() - t0) / 1000;
  return { sent, deleted, perSecond: deleted / secs, sendP50: pct(sendLat, 50), sendP99: pct(sendLat, 99) };
}

/** The same cycle through the QueueBroker module API in process (what event source mappings and destinations use). */
async function broker(): Promise<{ perSecond: number; moved: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'selfless-bench-sqs-'));
  const store = new SqliteStore(dir);
  const svc = new SqsService({ store, clock: systemClock, accountId: '000000000000', endpointUrl: () => 'http://127.0.0.1' });
  try {
    await svc.init();
    svc.start();
    const q = await svc.createQueue('us-east-1', 'bench-broker', false, {}, {});
    const b = svc.broker;
    let moved = 0;
    let sent = 0;
    const t0 = performance.now();
    const end = t0 + LOAD_MS;
    const produce = async (): Promise<void> => {
      while (performance.now() < end) {
        await b.send(q.arn, { body: `{"n":${sent},"pad":"${'x'.repeat(100)}"}` });
        sent++;
      }
    };
    const consume = async (): Promise<void> => {
      while (performance.now() < end || moved < sent) {
        const msgs = await b.receive(q.arn, 100, { waitMs: 1000 });
        if (msgs.length === 0) {
          if (performance.now() >= end) return;
          continue;
        }
        await b.deleteMessages(q.arn, msgs.map((m) => m.receiptHandle));
        moved += msgs.length;
      }
    };
    await Promise.all([...Array.from({ length: 64 }, produce), ...Array.from({ length: 4 }, consume)]);
    return { perSecond: moved / ((performance.now() - t0) / 1000), moved };
  } finally {
    await svc.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The two HTTP pipelines (single ops, batches of 10) against `send` (producers) and `receivers` (consumers). */
async function http2(send: Call, receivers: Call[]): Promise<{ one: Figures; ten: Figures }> {
  const single = (await send('CreateQueue', { QueueName: 'bench-single' })).QueueUrl as string;
  const batched = (await send('CreateQueue', { QueueName: 'bench-batch' })).QueueUrl as string;
  // Warm-up: JIT and the store's page cache.
  await pipeline(send, single, 1, 4, 4, receivers).catch(() => undefined);
  const one = await pipeline(send, single, 1, 16, 16, receivers);
  const ten = await pipeline(send, batched, 10, 8, 8, receivers);
  return { one, ten };
}

/** The same on one PostgreSQL node and on a three-node cluster (producers on A, consumers on B and C). */
async function postgres(): Promise<string[]> {
  const why = await pgUnavailable();
  if (why) return ['', `PostgreSQL: not measured (${why}).`];
  const db = await freshPgDatabase();
  const node = await startServer({ store: db.url });
  let one: { one: Figures; ten: Figures };
  try {
    one = await http2(client(node.url), [client(node.url)]);
  } finally {
    await node.stop();
    await removeServer(node);
    await db.drop();
  }
  const cluster = await startCluster(3);
  let three: { one: Figures; ten: Figures };
  try {
    const [a, b, c] = cluster.nodes.map((n) => client(n.url)) as [Call, Call, Call];
    three = await http2(a, [b, c]);
  } finally {
    await cluster.stop();
  }
  const row = (label: string, f: Figures, pc: string): string => `| ${label} | ${pc} | ${f.sent} | ${f.deleted} | ${f2(f.perSecond)} | ${f2(f.sendP50)} / ${f2(f.sendP99)} ms |`;
  return [
    '',
    'The same HTTP pipelines on PostgreSQL (127.0.0.1, one database): one node, and three nodes (producers on node A, consumers',
    'alternating between nodes B and C; every message crosses nodes through the store, long polls wake through LISTEN/NOTIFY).',
    '',
    '| store / mode | producers / consumers | messages sent | messages deleted | send+receive+delete per s | send p50 / p99 |',
    '|---|---|---|---|---|---|',
    row('PostgreSQL, 1 node: single ops', one.one, '16 / 16'),
    row('PostgreSQL, 1 node: batches of 10', one.ten, '8 / 8'),
    row('PostgreSQL, 3 nodes: single ops', three.one, '16 / 16'),
    row('PostgreSQL, 3 nodes: batches of 10', three.ten, '8 / 8'),
  ];
}

export async function run(): Promise<Section> {
  const server = await startServer();
  try {
    const call = client(server.url);
    const { one, ten } = await http2(call, [call]);
    const mod = await broker();
    const lines = [
      'selfless started by the bench (SQLite, WAL, synchronous=FULL: every acknowledged send and delete is on disk; group commit).',
      `Client: one keep-alive HTTP agent on loopback speaking the JSON protocol (\`AmazonSQS.*\`) without the SDK; producers and consumers run`,
      `concurrently for ${LOAD_MS / 1000} s, consumers long-poll (WaitTimeSeconds 1) and delete what they receive; 120-byte bodies. The figure is`,
      'messages that went through send → receive → delete, per second.',
      '',
      '| mode | producers / consumers | messages sent | messages deleted | send+receive+delete per s | send p50 / p99 |',
      '|---|---|---|---|---|---|',
      `| SendMessage / ReceiveMessage(1) / DeleteMessage | 16 / 16 | ${one.sent} | ${one.deleted} | ${f2(one.perSecond)} | ${f2(one.sendP50)} / ${f2(one.sendP99)} ms |`,
      `| SendMessageBatch(10) / ReceiveMessage(10) / DeleteMessageBatch(10) | 8 / 8 | ${ten.sent} | ${ten.deleted} | ${f2(ten.perSecond)} | ${f2(ten.sendP50)} / ${f2(ten.sendP99)} ms |`,
      `| QueueBroker module API in process: send(1) / receive(100) / deleteMessages(100), no HTTP | 64 / 4 | ${mod.moved} | ${mod.moved} | ${f2(mod.perSecond)} | n/a |`,
      ...(process.env['SELFLESS_BENCH_SQS_PG'] === '0' ? [] : await postgres()),
    ];
    return { title: 'SQS send+receive+delete (issue 6)', markdown: lines.join('\n') };
  } finally {
    await server.stop();
  }
}
