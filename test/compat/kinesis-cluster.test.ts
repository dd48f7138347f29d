// Kinesis on a cluster: three nodes on one PostgreSQL write the same shard concurrently and keep one order per shard,
// also while a split closes the shard under them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateStreamCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand, PutRecordCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { pgUnavailable } from '../helpers/pg.js';
import { startCluster, type Cluster } from '../helpers/server.js';

const skip = await pgUnavailable();
const client = (url: string): KinesisClient =>
  new KinesisClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });

async function shardRecords(c: KinesisClient, StreamName: string, ShardId: string): Promise<{ data: string; seq: string }[]> {
  let it = (await c.send(new GetShardIteratorCommand({ StreamName, ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
  const out: { data: string; seq: string }[] = [];
  while (it) {
    const r = await c.send(new GetRecordsCommand({ ShardIterator: it }));
    out.push(...(r.Records ?? []).map((x) => ({ data: Buffer.from(x.Data!).toString(), seq: x.SequenceNumber! })));
    if (!r.Records?.length) break;
    it = r.NextShardIterator;
  }
  return out;
}

describe('Kinesis cluster (three nodes on one PostgreSQL)', { skip }, () => {
  let cluster: Cluster;
  let nodes: KinesisClient[];
  before(async () => {
    cluster = await startCluster(3);
    nodes = cluster.nodes.map((n) => client(n.url));
  });
  after(async () => cluster?.stop());

  test('Kinesis cluster: concurrent puts from three nodes to one shard get unique increasing sequence numbers, each node\'s order kept', async () => {
    await nodes[0]!.send(new CreateStreamCommand({ StreamName: 'c1', ShardCount: 1 }));
    const acked = new Map<string, string>();
    await Promise.all(nodes.map(async (c, n) => {
      for (let i = 0; i < 15; i++) {
        const data = `n${n}-${String(i).padStart(2, '0')}`;
        acked.set(data, (await c.send(new PutRecordCommand({ StreamName: 'c1', PartitionKey: `p${i}`, Data: Buffer.from(data) }))).SequenceNumber!);
      }
    }));
    const got = await shardRecords(nodes[2]!, 'c1', 'shardId-000000000000');
    assert.equal(got.length, 45);
    for (let i = 1; i < got.length; i++) assert.ok(BigInt(got[i - 1]!.seq) < BigInt(got[i]!.seq));
    for (const r of got) assert.equal(acked.get(r.data), r.seq, 'the read sequence number is the acknowledged one');
    for (let n = 0; n < 3; n++) {
      const mine = got.map((r) => r.data).filter((d) => d.startsWith(`n${n}-`));
      assert.deepEqual(mine, [...mine].sort(), `node ${n}'s records keep their put order`);
    }
  });

  test('Kinesis cluster: a split on one node while two others put loses no record and ends the parent before its children begin', async () => {
    await nodes[0]!.send(new CreateStreamCommand({ StreamName: 'c2', ShardCount: 1 }));
    const acked: { data: string; shard: string; seq: string }[] = [];
    const put = async (c: KinesisClient, tag: string): Promise<void> => {
      for (let i = 0; i < 25; i++) {
        const data = `${tag}-${i}`;
        const r = await c.send(new PutRecordCommand({ StreamName: 'c2', PartitionKey: data, Data: Buffer.from(data) }));
        acked.push({ data, shard: r.ShardId!, seq: r.SequenceNumber! });
      }
    };
    const split = (async () => {
      await new Promise((r) => setTimeout(r, 30));
      await nodes[1]!.send(new SplitShardCommand({ StreamName: 'c2', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (1n << 127n).toString() }));
    })();
    await Promise.all([put(nodes[0]!, 'a'), put(nodes[2]!, 'c'), split]);
    const shards = (await nodes[1]!.send(new ListShardsCommand({ StreamName: 'c2' }))).Shards!;
    assert.equal(shards.length, 3);
    const ending = BigInt(shards[0]!.SequenceNumberRange!.EndingSequenceNumber!);
    const read = new Map<string, { shard: string; seq: string }>();
    for (const s of shards) for (const r of await shardRecords(nodes[2]!, 'c2', s.ShardId!)) read.set(r.data, { shard: s.ShardId!, seq: r.seq });
    assert.equal(read.size, 50);
    for (const a of acked) {
      assert.deepEqual(read.get(a.data), { shard: a.shard, seq: a.seq }, `${a.data} is where its acknowledgement said`);
      if (a.shard === 'shardId-000000000000') assert.ok(BigInt(a.seq) <= ending, 'the parent holds nothing past its EndingSequenceNumber');
    }
  });

  test('Kinesis cluster: splits of different shards on different nodes at once all succeed with distinct new shard ids', async () => {
    await nodes[0]!.send(new CreateStreamCommand({ StreamName: 'c3', ShardCount: 3 }));
    const open = (await nodes[0]!.send(new ListShardsCommand({ StreamName: 'c3' }))).Shards!;
    await Promise.all(open.map((sh, i) => {
      const mid = (BigInt(sh.HashKeyRange!.StartingHashKey!) + BigInt(sh.HashKeyRange!.EndingHashKey!)) / 2n;
      return nodes[i % 3]!.send(new SplitShardCommand({ StreamName: 'c3', ShardToSplit: sh.ShardId!, NewStartingHashKey: mid.toString() }));
    }));
    const after = (await nodes[2]!.send(new ListShardsCommand({ StreamName: 'c3' }))).Shards!;
    assert.equal(after.length, 9);
    assert.equal(new Set(after.map((x) => x.ShardId)).size, 9);
    const children = after.filter((x) => x.ParentShardId);
    assert.deepEqual(children.map((x) => x.ParentShardId).sort(), open.flatMap((x) => [x.ShardId, x.ShardId]).sort());
  });
});
