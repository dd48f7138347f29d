// Kinesis's numbers: hash key ranges over 0..2^128-1, partition key → MD5 hash key, shard ids, sequence numbers, and
// the opaque shard iterators (pure functions; the domain stores counters and these turn them into AWS's strings).
import { createHash } from 'node:crypto';

export const HASH_MAX = (1n << 128n) - 1n;

/** `n` shards over the whole key space, as AWS splits them: equal steps of floor(2^128 / n), the last to the end. */
export function evenRanges(n: number, from = 0n, to = HASH_MAX): { start: bigint; end: bigint }[] {
  const span = to - from + 1n;
  const step = span / BigInt(n);
  return Array.from({ length: n }, (_, i) => ({
    start: from + BigInt(i) * step,
    end: i === n - 1 ? to : from + BigInt(i + 1) * step - 1n,
  }));
}

/** The 128-bit hash key of a partition key: its MD5 read as an unsigned big-endian integer. */
export function hashKeyOf(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

export const shardIdOf = (index: number): string => `shardId-${String(index).padStart(12, '0')}`;
export function shardIndexOf(shardId: string): number | undefined {
  const m = /^(?:shardId-)?(\d{1,12})$/.exec(shardId);
  return m ? Number(m[1]) : undefined;
}

/**
 * A sequence number: 56 decimal digits like AWS's, `49` + the shard's index (6 digits) + the shard's counter (48
 * digits), so that it grows within a shard, a child's numbers exceed its parents', and it names its shard.
 */
export function sequenceOf(shardIndex: number, counter: number): string {
  return `49${String(shardIndex).padStart(6, '0')}${String(counter).padStart(48, '0')}`;
}

export function parseSequence(seq: string): { shardIndex: number; counter: number } | undefined {
  const m = /^49(\d{6})(\d{48})$/.exec(seq);
  if (!m) return undefined;
  const counter = Number(m[2]);
  return Number.isSafeInteger(counter) ? { shardIndex: Number(m[1]), counter } : undefined;
}

/** What a shard iterator carries: the stream, the shard, the next counter to read, and when it was issued. */
export interface IteratorState {
  readonly streamArn: string;
  readonly shardId: string;
  /** Records with a counter at least this are read next. */
  readonly from: number;
  readonly issuedMs: number;
}

export function encodeIterator(s: IteratorState): string {
  const json = JSON.stringify([1, s.streamArn, s.shardId, s.from, s.issuedMs]);
  return Buffer.from(json, 'utf8').toString('base64');
}

export function decodeIterator(token: string): IteratorState | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (!Array.isArray(v) || v[0] !== 1) return undefined;
    const [, streamArn, shardId, from, issuedMs] = v as unknown[];
    if (typeof streamArn !== 'string' || typeof shardId !== 'string' || typeof from !== 'number' || typeof issuedMs !== 'number') return undefined;
    return { streamArn, shardId, from, issuedMs };
  } catch {
    return undefined;
  }
}

/** Java's Date.toString() in UTC, as AWS's ExpiredIteratorException message shows times. */
export function javaDate(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** Stream and consumer ARNs. */
export const streamArnOf = (region: string, account: string, name: string): string => `arn:aws:kinesis:${region}:${account}:stream/${name}`;
const ARN_RE = /^arn:aws[\w-]*:kinesis:([^:]+):(\d{12}):stream\/([^/]+)(?:\/consumer\/([^:/]+):(\d+))?$/;
export function parseArn(arn: string): { region: string; account: string; name: string; consumer?: { name: string; created: number } } | undefined {
  const m = ARN_RE.exec(arn);
  if (!m) return undefined;
  return { region: m[1]!, account: m[2]!, name: m[3]!, ...(m[4] ? { consumer: { name: m[4], created: Number(m[5]) } } : {}) };
}
