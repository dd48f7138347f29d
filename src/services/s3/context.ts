// What the S3 handlers share: the data, the object blobs, time, the cluster's work queues, and helpers that read
// object bytes (segments, ranges) and commit object writes with their notifications.
import { Readable } from 'node:stream';
import type { Clock } from '../../lib/clock.js';
import type { ClusterContext } from '../../server/service.js';
import type { Stmt } from '../../store/journal.js';
import type { ObjectBlobs } from '../../store/object-blobs.js';
import type { Bucket, S3Data } from './data.js';
import { notificationStmts, QUEUE, type ObjectEvent } from './notify.js';
import type { S3Request } from './door.js';
import type { ObjectMeta, Seg } from './schema.js';
import { invalidArgument, keyTooLong } from './errors.js';

export interface S3Ctx {
  data: S3Data;
  blobs: ObjectBlobs;
  clock: Clock;
  cluster: ClusterContext;
  accountId: string;
  /**
   * Whether S3 may invoke the function of a Lambda destination from this bucket (its policy allows s3.amazonaws.com
   * with the bucket's SourceArn): in dev mode always true, with a log line when AWS would refuse.
   */
  mayInvoke(region: string, functionArn: string, bucket: string): boolean;
}

/** The bytes [start, end] of an object made of segments, streamed blob after blob. */
export async function readSegs(blobs: ObjectBlobs, segs: Seg[], start: number, end: number): Promise<Readable> {
  const spans: { sha: string; from: number; to: number }[] = [];
  let pos = 0;
  for (const s of segs) {
    const off = s.off ?? 0;
    const a = Math.max(start, pos);
    const b = Math.min(end, pos + s.size - 1);
    if (a <= b) spans.push({ sha: s.sha, from: off + a - pos, to: off + b - pos });
    pos += s.size;
  }
  if (spans.length === 0) return Readable.from([]);
  if (spans.length === 1) return blobs.read(spans[0]!.sha, spans[0]!.from, spans[0]!.to);
  // The first stream is opened now, so that a missing blob fails before the answer's headers are sent.
  const first = await blobs.read(spans[0]!.sha, spans[0]!.from, spans[0]!.to);
  async function* all(): AsyncIterable<Buffer> {
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i]!;
      const rs = i === 0 ? first : await blobs.read(s.sha, s.from, s.to);
      for await (const c of rs) yield c as Buffer;
    }
  }
  return Readable.from(all(), { objectMode: false });
}

/** Commits an object write and the notifications it makes in one journal group, then wakes the delivery worker. */
export async function commit(ctx: S3Ctx, b: Bucket, stmts: Stmt[], events: ObjectEvent[]): Promise<void> {
  const all = [...stmts];
  for (const e of events) all.push(...notificationStmts(ctx.cluster, b, e));
  await ctx.data.write(all);
  if (all.length > stmts.length) ctx.cluster.work.wake(QUEUE);
}

export function event(ctx: S3Ctx, r: S3Request, b: Bucket, e: Omit<ObjectEvent, 'region' | 'time' | 'requestId' | 'hostId' | 'sourceIp' | 'accountId'>): ObjectEvent {
  const trace = r.header('x-amzn-trace-id');
  return { ...e, region: b.region, time: ctx.clock.now(), requestId: r.requestId, hostId: r.hostId, sourceIp: r.sourceIp, accountId: ctx.accountId, ...(trace !== undefined ? { trace } : {}) };
}

export function requireKey(r: S3Request): string {
  const k = r.key ?? '';
  if (Buffer.byteLength(k) > 1024) throw keyTooLong();
  return k;
}

/** The object metadata a PUT (or a REPLACE copy, or CreateMultipartUpload) carries in its headers. */
export function metaFromHeaders(r: S3Request): ObjectMeta {
  const user: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.req.headers)) {
    if (k.startsWith('x-amz-meta-') && v !== undefined) user[k.slice('x-amz-meta-'.length)] = Array.isArray(v) ? v.join(',') : v;
  }
  const enc = r
    .header('content-encoding')
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s.toLowerCase() !== 'aws-chunked')
    .join(',');
  const m: ObjectMeta = {
    contentType: r.header('content-type') ?? 'binary/octet-stream',
    contentEncoding: enc || undefined,
    contentDisposition: r.header('content-disposition'),
    contentLanguage: r.header('content-language'),
    cacheControl: r.header('cache-control'),
    expires: r.header('expires'),
    user,
  };
  const sc = r.header('x-amz-storage-class');
  if (sc !== undefined && sc !== 'STANDARD') m.storageClass = sc;
  const tagging = r.header('x-amz-tagging');
  if (tagging !== undefined) m.tags = parseTagging(tagging);
  return m;
}

/** `x-amz-tagging: k1=v1&k2=v2` (URL-encoded). */
export function parseTagging(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(s)) {
    if (k in out) throw invalidArgument('Cannot provide multiple Tags with the same key', 'x-amz-tagging', s);
    out[k] = v;
  }
  return out;
}
