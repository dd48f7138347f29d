// Objects read and written by other services through S3's module API (Signer's jobs): the same rows, blobs and
// ObjectCreated notifications as GetObject and PutObject, without the HTTP front door.
import { createHash } from 'node:crypto';
import { uuid } from '../../lib/ids.js';
import { commit, readSegs, type S3Ctx } from './context.js';
import { newVersionId } from './data.js';
import { noSuchKey, noSuchVersion } from './errors.js';
import type { ObjectRow } from './schema.js';

/** An object's bytes (the version named, or the current one); S3's NoSuchBucket, NoSuchKey, NoSuchVersion otherwise. */
export async function readObject(ctx: S3Ctx, bucket: string, key: string, versionId?: string): Promise<{ body: Buffer; versionId: string }> {
  const b = await ctx.data.bucket(bucket);
  const row = versionId !== undefined ? await ctx.data.version(b.name, key, versionId) : await ctx.data.current(b.name, key);
  if (!row || row.deleteMarker) throw versionId !== undefined ? noSuchVersion(key, versionId) : noSuchKey(key);
  const chunks: Buffer[] = [];
  if (row.size > 0) for await (const c of await readSegs(ctx.blobs, row.segs, 0, row.size - 1)) chunks.push(c as Buffer);
  return { body: Buffer.concat(chunks), versionId: row.versionId };
}

/** Writes an object as PutObject does (a new version where versioning is on), with its notifications; its version id. */
export async function writeObject(ctx: S3Ctx, bucket: string, key: string, body: Buffer, contentType: string, requestId = uuid()): Promise<{ versionId: string; etag: string }> {
  const b = await ctx.data.bucket(bucket);
  const blob = await ctx.blobs.write((async function* () {
    yield body;
  })());
  const row: ObjectRow = {
    bucket: b.name,
    key,
    versionId: b.versioning === 'Enabled' ? newVersionId() : 'null',
    latest: true,
    deleteMarker: false,
    seq: ctx.data.nextSeq(),
    size: blob.size,
    etag: createHash('md5').update(body).digest('hex'),
    modified: ctx.clock.now(),
    segs: [{ sha: blob.sha, size: blob.size }],
    meta: { contentType, user: {} },
  };
  await commit(ctx, b, ctx.data.putStmts(row, b.versioning), [
    {
      name: 'ObjectCreated:Put', key, size: row.size, etag: row.etag, versionId: row.versionId, seq: row.seq, reason: 'PutObject',
      region: b.region, time: row.modified, requestId, hostId: '', sourceIp: '127.0.0.1', accountId: ctx.accountId,
    },
  ]);
  return { versionId: row.versionId, etag: row.etag };
}
