// Kinesis records: PutRecord(s) through the group-commit journal (each record takes its shard's next counter in the
// same write), shard iterators of every type, GetRecords, and the ShardStreamSource that Lambda's mappings read.
import type { Journal, Stmt } from '../../store/journal.js';
import type { ShardPosition, ShardRead, ShardStreamSource, StreamRecordRead, StreamShard } from '../../lib/shard-stream.js';
import * as E from './errors.js';
import { decodeIterator, encodeIterator, hashKeyOf, HASH_MAX, javaDate, parseArn, parseSequence, sequenceOf, shardIndexOf, streamArnOf } from './keys.js';
import type { RecordRow, ShardRow, StreamRow } from './schema.js';
import type { Streams } from './streams.js';

export const ITERATOR_TTL_MS = 5 * 60_000;
/** GetRecords answers at most this many bytes of data (AWS: 10 MiB per call). */
const READ_BYTES = 10 * 1024 * 1024;
export const WAKE = 'kinesis:records';

export interface PutEntry { readonly data: Buffer; readonly partitionKey: string; readonly explicitHashKey?: string }
export type PutResult = { shardId: string; sequenceNumber: string } | { errorCode: string; errorMessage: string };

export interface GetRecordsResult {
  records: { row: RecordRow; sequenceNumber: string }[];
  nextIterator?: string;
  millisBehindLatest: number;
  childShards?: ShardRow[];
}

export class Records {
  constructor(private readonly streams: Streams, private readonly journal: Journal) {}

  private get o(): Streams['o'] {
    return this.streams.o;
  }

  /** The hash key of an entry, or AWS's InvalidArgumentException for an ExplicitHashKey past 2^128-1. */
  static hashKey(e: PutEntry): bigint {
    if (e.explicitHashKey === undefined) return hashKeyOf(e.partitionKey);
    const k = BigInt(e.explicitHashKey);
    if (k > HASH_MAX) throw E.invalid(`Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was ${e.explicitHashKey}`);
    return k;
  }

  /**
   * Writes records durably, in order, each to the open shard whose range holds its hash key; a shard closed by a
   * concurrent split or merge fails the group, which is routed again over the new shards.
   */
  async put(s: StreamRow, entries: readonly PutEntry[]): Promise<PutResult[]> {
    const keys = entries.map((e) => Records.hashKey(e));
    for (let attempt = 0; ; attempt++) {
      const open = (await this.streams.shards(s)).filter((x) => x.ending === null).map((x) => ({ x, lo: BigInt(x.start_hash), hi: BigInt(x.end_hash) }));
      const now = this.o.clock.now();
      const targets: ShardRow[] = keys.map((k) => {
        const shard = open.find((o) => k >= o.lo && k <= o.hi)?.x;
        if (!shard) throw E.streamNotFound(s.name, this.o.accountId);
        return shard;
      });
      // Shards are locked in index order (records of one shard keep their request order), so that two writers on
      // PostgreSQL take the shard rows in the same order and do not deadlock.
      const order = entries.map((_, i) => i).sort((a, b) => targets[a]!.idx - targets[b]!.idx || a - b);
      const group: Stmt[] = [];
      for (const i of order) {
        const shard = targets[i]!;
        group.push(['UPDATE kinesis_shards SET counter = counter + 1 WHERE stream_arn = ? AND shard_id = ? AND ending IS NULL RETURNING counter', [s.arn, shard.shard_id]]);
        group.push([
          'INSERT INTO kinesis_records (stream_arn, shard_id, seq, arrival_ms, pkey, data) VALUES (?, ?, (SELECT counter FROM kinesis_shards WHERE stream_arn = ? AND shard_id = ? AND ending IS NULL), ?, ?, ?)',
          [s.arn, shard.shard_id, s.arn, shard.shard_id, now, entries[i]!.partitionKey, entries[i]!.data],
        ]);
      }
      try {
        const out = await this.journal.write(group);
        this.o.notifier.notify(WAKE, s.arn);
        const results: PutResult[] = new Array<PutResult>(entries.length);
        order.forEach((i, n) => {
          results[i] = { shardId: targets[i]!.shard_id, sequenceNumber: sequenceOf(targets[i]!.idx, Number(out[n * 2]!.rows[0]!['counter'])) };
        });
        return results;
      } catch {
        // The stream went away, or a shard closed under us: route again; give up after a few rounds.
        const still = await this.streams.byArn(s.arn);
        if (!still) throw E.streamNotFound(s.name, this.o.accountId);
        if (attempt >= 3) return entries.map(() => ({ errorCode: 'InternalFailure', errorMessage: 'Internal service failure.' }));
      }
    }
  }

  /** The first counter to read for an iterator type in a shard. */
  async startCounter(s: StreamRow, shard: ShardRow, p: ShardPosition): Promise<number> {
    switch (p.type) {
      case 'TRIM_HORIZON': {
        const r = await this.o.store.get<{ seq: number }>(
          'SELECT MIN(seq) AS seq FROM kinesis_records WHERE stream_arn = ? AND shard_id = ? AND arrival_ms > ?',
          [s.arn, shard.shard_id, this.horizon(s)],
        );
        return r?.seq != null ? Number(r.seq) : Number(shard.counter) + 1;
      }
      case 'LATEST':
        return (shard.ending ?? Number(shard.counter)) + 1;
      case 'AT_TIMESTAMP': {
        const r = await this.o.store.get<{ seq: number }>(
          'SELECT MIN(seq) AS seq FROM kinesis_records WHERE stream_arn = ? AND shard_id = ? AND arrival_ms >= ? AND arrival_ms > ?',
          [s.arn, shard.shard_id, p.timestampMs, this.horizon(s)],
        );
        return r?.seq != null ? Number(r.seq) : Number(shard.counter) + 1;
      }
      case 'AT_SEQUENCE_NUMBER':
      case 'AFTER_SEQUENCE_NUMBER': {
        const q = parseSequence(p.sequenceNumber);
        const where = `StartingSequenceNumber ${p.sequenceNumber} used in GetShardIterator on shard ${shard.shard_id} in stream ${s.name} under account ${this.o.accountId}`;
        if (!q) throw E.invalid(`${where} is invalid.`);
        if (q.shardIndex !== shard.idx) {
          throw E.invalid(`Invalid StartingSequenceNumber. It encodes ${`shardId-${String(q.shardIndex).padStart(12, '0')}`}, while it was used in a call to a shard with ${shard.shard_id}`);
        }
        if (q.counter > Number(shard.counter)) throw E.invalid(`${where} is invalid because it did not come from this stream.`);
        return p.type === 'AT_SEQUENCE_NUMBER' ? q.counter : q.counter + 1;
      }
    }
  }

  private horizon(s: StreamRow): number {
    return this.o.clock.now() - s.retention_hours * 3_600_000;
  }

  async iterator(s: StreamRow, shardId: string, p: ShardPosition): Promise<string> {
    const shard = await this.streams.shard(s, shardId);
    const from = await this.startCounter(s, shard, p);
    return encodeIterator({ streamArn: s.arn, shardId: shard.shard_id, from, issuedMs: this.o.clock.now() });
  }

  /** Reads an iterator: AWS's errors for a malformed, expired or foreign one; then up to `limit` records. */
  async getRecords(region: string, token: string, limit: number, streamArn?: string): Promise<GetRecordsResult> {
    const it = decodeIterator(token);
    if (!it) throw E.invalid(`Invalid ShardIterator.`);
    if (streamArn !== undefined && streamArn !== it.streamArn) throw E.invalid('StreamARN does not match the stream of the ShardIterator.');
    const now = this.o.clock.now();
    if (now - it.issuedMs > ITERATOR_TTL_MS) {
      throw E.expiredIterator(`Iterator expired. The iterator was created at time ${javaDate(it.issuedMs)} while right now it is ${javaDate(now)} and this is longer than the duration of ${ITERATOR_TTL_MS} milliseconds.`);
    }
    const p = parseArn(it.streamArn);
    const s = await this.streams.byArn(it.streamArn);
    if (!s || !p) throw E.streamNotFound(p?.name ?? it.streamArn, this.o.accountId);
    const shard = await this.streams.shard(s, it.shardId);
    const r = await this.read(s, shard, it.from, limit);
    const out: GetRecordsResult = { records: r.rows.map((row) => ({ row, sequenceNumber: sequenceOf(shard.idx, Number(row.seq)) })), millisBehindLatest: r.behind };
    if (r.ended) {
      out.childShards = await this.children(s, shard.shard_id);
    } else out.nextIterator = encodeIterator({ streamArn: s.arn, shardId: shard.shard_id, from: r.next, issuedMs: now });
    return out;
  }

  /** Records of a shard from a counter on; `ended` once a closed shard has nothing more. */
  private async read(s: StreamRow, shard: ShardRow, from: number, limit: number): Promise<{ rows: RecordRow[]; next: number; behind: number; ended: boolean }> {
    const rows = await this.o.store.all<RecordRow>(
      'SELECT * FROM kinesis_records WHERE stream_arn = ? AND shard_id = ? AND seq >= ? AND arrival_ms > ? ORDER BY seq LIMIT ?',
      [s.arn, shard.shard_id, from, this.horizon(s), limit],
    );
    let bytes = 0;
    let n = 0;
    for (const r of rows) {
      bytes += r.data.length + r.pkey.length;
      if (n > 0 && bytes > READ_BYTES) break;
      n++;
    }
    const taken = rows.slice(0, n);
    const last = taken[taken.length - 1];
    const next = last ? Number(last.seq) + 1 : from;
    const tip = Number(shard.ending ?? shard.counter);
    let behind = 0;
    if (last && Number(last.seq) < tip) {
      const newest = await this.o.store.get<{ arrival_ms: number }>('SELECT arrival_ms FROM kinesis_records WHERE stream_arn = ? AND shard_id = ? AND seq = ?', [s.arn, shard.shard_id, tip]);
      behind = Math.max(0, Number(newest?.arrival_ms ?? last.arrival_ms) - Number(last.arrival_ms));
    }
    return { rows: taken, next, behind, ended: shard.ending !== null && next > Number(shard.ending) };
  }

  /** Deletes records past their stream's retention and shards closed longer ago than it (any node may; it is idempotent). */
  async trim(): Promise<number> {
    const now = this.o.clock.now();
    let n = 0;
    for (const s of await this.o.store.all<StreamRow>('SELECT * FROM kinesis_streams')) {
      const horizon = now - s.retention_hours * 3_600_000;
      const out = await this.journal.write([
        ['DELETE FROM kinesis_records WHERE stream_arn = ? AND arrival_ms <= ?', [s.arn, horizon]],
        ['DELETE FROM kinesis_shards WHERE stream_arn = ? AND closed_ms IS NOT NULL AND closed_ms <= ?', [s.arn, horizon]],
      ]);
      n += out[0]!.changes;
    }
    return n;
  }

  private async children(s: StreamRow, shardId: string): Promise<ShardRow[]> {
    return (await this.streams.shards(s)).filter((x) => x.parent === shardId || x.adjacent === shardId);
  }

  /** The ShardStreamSource of Kinesis streams, for Lambda's event source mappings. */
  source(): ShardStreamSource {
    const stream = async (arn: string): Promise<StreamRow> => {
      const p = parseArn(arn);
      const s = p ? await this.streams.byArn(streamArnOf(p.region, p.account, p.name)) : undefined;
      if (!s) throw E.streamNotFound(p?.name ?? arn, this.o.accountId);
      return s;
    };
    const toCounter = async (s: StreamRow, shard: ShardRow, from: ShardPosition): Promise<number> => this.startCounter(s, shard, from);
    return {
      eventSource: 'aws:kinesis',
      owns: (arn) => parseArn(arn) !== undefined,
      resolve: async (arn) => {
        const p = parseArn(arn);
        if (!p) return undefined;
        if (p.consumer) {
          const c = await this.o.store.get<{ stream_arn: string }>('SELECT stream_arn FROM kinesis_consumers WHERE arn = ?', [arn]);
          return c?.stream_arn;
        }
        return (await this.streams.byArn(streamArnOf(p.region, p.account, p.name)))?.arn;
      },
      shards: async (arn) => {
        const s = await stream(arn);
        return (await this.streams.shards(s)).map((x): StreamShard => ({
          shardId: x.shard_id,
          ...(x.parent ? { parentShardId: x.parent } : {}),
          ...(x.adjacent ? { adjacentParentShardId: x.adjacent } : {}),
          ...(x.ending !== null ? { endingSequenceNumber: sequenceOf(x.idx, Number(x.ending)) } : {}),
        }));
      },
      read: async (arn, shardId, from, limit): Promise<ShardRead> => {
        const s = await stream(arn);
        if (shardIndexOf(shardId) === undefined) throw E.shardNotFound(shardId, s.name, this.o.accountId);
        const shard = await this.streams.shard(s, shardId);
        const start = await toCounter(s, shard, from);
        const r = await this.read(s, shard, start, limit);
        const records = r.rows.map((row): StreamRecordRead => {
          const sequenceNumber = sequenceOf(shard.idx, Number(row.seq));
          return {
            sequenceNumber, approximateArrivalMs: Number(row.arrival_ms), partitionKey: row.pkey, sizeBytes: row.data.length,
            record: { kinesisSchemaVersion: '1.0', partitionKey: row.pkey, sequenceNumber, data: row.data.toString('base64'), approximateArrivalTimestamp: Number(row.arrival_ms) / 1000 },
          };
        });
        // A position that moves with time (LATEST) becomes a fixed one, so that records written between reads are not skipped.
        const next: ShardPosition = records.length || from.type === 'LATEST' || from.type === 'AT_TIMESTAMP'
          ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: sequenceOf(shard.idx, r.next - 1) }
          : from;
        return { records, next, millisBehindLatest: r.behind, shardEnded: r.ended };
      },
      wakeChannel: () => WAKE,
    };
  }
}
