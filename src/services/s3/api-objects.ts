// Object operations: PutObject, GetObject, HeadObject, DeleteObject, CopyObject, DeleteObjects, object tagging.
import { checksumHeader, isAlgorithm } from './checksums.js';
import { commit, event, metaFromHeaders, readSegs, requireKey, type S3Ctx } from './context.js';
import { newVersionId, type Bucket } from './data.js';
import { send, sendXml, type S3Request } from './door.js';
import {
  invalidArgument,
  invalidCopyRequest,
  invalidRange,
  invalidTag,
  malformedXml,
  methodNotAllowedOnDeleteMarker,
  noSuchKey,
  noSuchVersion,
  preconditionFailed,
} from './errors.js';
import { checkConditions, httpDate, isoDate, parseRange } from './http-rules.js';
import type { ObjectMeta, ObjectRow, Seg } from './schema.js';
import { uploadBody } from './upload.js';
import { arr, str, type XmlNode } from './xml.js';
import type { Stmt } from '../../store/journal.js';
import type { ObjectEvent } from './notify.js';

const q = (etag: string): string => `"${etag}"`;

function versionFor(b: Bucket): string {
  return b.versioning === 'Enabled' ? newVersionId() : 'null';
}

function versionHeader(row: { versionId: string }, b: Bucket): Record<string, string> {
  return b.versioning === '' && row.versionId === 'null' ? {} : { 'x-amz-version-id': row.versionId };
}

export async function putObject(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  const key = requireKey(r);
  const body = uploadBody(r.req);
  r.bodyRead = true;
  const blob = await ctx.blobs.write(body.source, () => body.check());
  if (r.header('if-none-match') === '*' && (await ctx.data.current(b.name, key))?.deleteMarker === false) throw preconditionFailed('If-None-Match');
  const meta = metaFromHeaders(r);
  const sum = body.checksum();
  if (sum) meta.checksum = { algorithm: sum.algorithm, value: sum.value, type: 'FULL_OBJECT' };
  const row: ObjectRow = {
    bucket: b.name,
    key,
    versionId: versionFor(b),
    latest: true,
    deleteMarker: false,
    seq: ctx.data.nextSeq(),
    size: blob.size,
    etag: body.md5(),
    modified: ctx.clock.now(),
    segs: [{ sha: blob.sha, size: blob.size }],
    meta,
  };
  await commit(ctx, b, ctx.data.putStmts(row, b.versioning), [
    event(ctx, r, b, { name: 'ObjectCreated:Put', key, size: row.size, etag: row.etag, versionId: row.versionId, seq: row.seq, reason: 'PutObject' }),
  ]);
  const h: Record<string, string> = { etag: q(row.etag), ...versionHeader(row, b) };
  if (sum) {
    h[checksumHeader(sum.algorithm)] = sum.value;
    h['x-amz-checksum-type'] = 'FULL_OBJECT';
  }
  await send(r, 200, h);
}

/** The version a GET/HEAD/DELETE names (versionId query), or the current one; errors as S3 words them. */
async function target(ctx: S3Ctx, r: S3Request, b: Bucket, key: string): Promise<ObjectRow> {
  const vid = r.query.get('versionId');
  if (vid !== null) {
    if (vid === '') throw invalidArgument('Version id cannot be the empty string', 'versionId', '');
    const row = await ctx.data.version(b.name, key, vid);
    if (!row) {
      if (vid !== 'null' && !/^[A-Za-z0-9._-]{32}$/.test(vid)) throw invalidArgument('Invalid version id specified', 'versionId', vid);
      throw noSuchVersion(key, vid);
    }
    if (row.deleteMarker) throw Object.assign(methodNotAllowedOnDeleteMarker(), {});
    return row;
  }
  const row = await ctx.data.current(b.name, key);
  if (!row) throw noSuchKey(key);
  if (row.deleteMarker) {
    const e = noSuchKey(key);
    e.headers['x-amz-delete-marker'] = 'true';
    e.headers['x-amz-version-id'] = row.versionId;
    throw e;
  }
  return row;
}

export function objectHeaders(row: ObjectRow, b: Bucket, r: S3Request): Record<string, string> {
  const m = row.meta;
  const h: Record<string, string> = {
    etag: q(row.etag),
    'last-modified': httpDate(row.modified),
    'accept-ranges': 'bytes',
    'content-type': m.contentType ?? 'binary/octet-stream',
    ...versionHeader(row, b),
  };
  if (m.contentEncoding) h['content-encoding'] = m.contentEncoding;
  if (m.contentDisposition) h['content-disposition'] = m.contentDisposition;
  if (m.contentLanguage) h['content-language'] = m.contentLanguage;
  if (m.cacheControl) h['cache-control'] = m.cacheControl;
  if (m.expires) h['expires'] = m.expires;
  if (m.storageClass) h['x-amz-storage-class'] = m.storageClass;
  if (m.tags && Object.keys(m.tags).length) h['x-amz-tagging-count'] = String(Object.keys(m.tags).length);
  if (m.parts) h['x-amz-mp-parts-count'] = String(m.parts.length);
  for (const [k, v] of Object.entries(m.user)) h[`x-amz-meta-${k}`] = v;
  for (const [param, header] of OVERRIDES) {
    const v = r.query.get(param);
    if (v !== null) h[header] = v;
  }
  return h;
}

const OVERRIDES: [string, string][] = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

/** GetObject and HeadObject: conditions, ranges (or ?partNumber), checksum mode, the streamed body. */
export async function getObject(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  const key = requireKey(r);
  const row = await target(ctx, r, b, key);
  const headers = objectHeaders(row, b, r);
  const cond = checkConditions(
    { ifMatch: r.header('if-match'), ifNoneMatch: r.header('if-none-match'), ifModifiedSince: r.header('if-modified-since'), ifUnmodifiedSince: r.header('if-unmodified-since') },
    row.etag,
    row.modified,
  );
  if (cond === 'not-modified') {
    const h: Record<string, string> = { etag: headers['etag']!, 'last-modified': headers['last-modified']! };
    if (headers['x-amz-version-id']) h['x-amz-version-id'] = headers['x-amz-version-id'];
    return send(r, 304, h);
  }
  let range: { start: number; end: number } | undefined;
  const partNumber = r.query.get('partNumber');
  if (partNumber !== null) {
    const n = Number(partNumber);
    const parts = row.meta.parts ?? [row.size];
    if (!Number.isInteger(n) || n < 1 || n > 10000) throw invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', partNumber);
    if (n > parts.length) throw invalidRange(row.size, `partNumber=${partNumber}`);
    const start = parts.slice(0, n - 1).reduce((a, x) => a + x, 0);
    range = { start, end: start + parts[n - 1]! - 1 };
    headers['x-amz-mp-parts-count'] = String(parts.length);
  } else {
    const rh = r.header('range');
    const pr = parseRange(rh, row.size);
    if (pr === 'unsatisfiable') throw invalidRange(row.size, rh ?? '');
    range = pr;
  }
  const whole = !range || (range.start === 0 && range.end === row.size - 1 && partNumber === null && r.header('range') === undefined);
  if (whole && r.header('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED' && row.meta.checksum) {
    headers[checksumHeader(row.meta.checksum.algorithm as never)] = row.meta.checksum.value;
    headers['x-amz-checksum-type'] = row.meta.checksum.type;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? row.size - 1;
  headers['content-length'] = String(Math.max(0, end - start + 1));
  let status = 200;
  if (range && !(partNumber !== null && row.meta.parts === undefined)) {
    status = 206;
    headers['content-range'] = `bytes ${start}-${end}/${row.size}`;
  }
  if (r.method === 'HEAD' || end < start) return send(r, status, headers);
  const stream = await readSegs(ctx.blobs, row.segs, start, end);
  await send(r, status, headers, stream);
}

export async function deleteObject(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  const key = requireKey(r);
  const out = await removeOne(ctx, r, b, key, r.query.get('versionId') ?? undefined, 'DeleteObject');
  const h: Record<string, string> = {};
  if (out.deleteMarker) h['x-amz-delete-marker'] = 'true';
  if (out.versionId !== undefined && (b.versioning !== '' || out.versionId !== 'null')) h['x-amz-version-id'] = out.versionId;
  await send(r, 204, h);
}

/** Deletes a key (a delete marker when versioning is on) or one version of it, as S3 does; missing keys are fine. */
async function removeOne(ctx: S3Ctx, r: S3Request, b: Bucket, key: string, versionId: string | undefined, reason: string): Promise<{ deleteMarker: boolean; versionId?: string }> {
  const seq = ctx.data.nextSeq();
  if (versionId !== undefined) {
    const row = await ctx.data.version(b.name, key, versionId);
    if (!row) {
      if (versionId !== 'null' && !/^[A-Za-z0-9._-]{32}$/.test(versionId)) throw invalidArgument('Invalid version id specified', 'versionId', versionId);
      return { deleteMarker: false, versionId };
    }
    await commit(ctx, b, ctx.data.removeVersionStmts(b.name, key, versionId), [
      event(ctx, r, b, { name: 'ObjectRemoved:Delete', key, versionId, seq, reason, deletionType: 'Permanently Deleted' }),
    ]);
    return { deleteMarker: row.deleteMarker, versionId };
  }
  if (b.versioning === '') {
    const row = await ctx.data.version(b.name, key, 'null');
    if (!row) return { deleteMarker: false };
    await commit(ctx, b, ctx.data.removeVersionStmts(b.name, key, 'null'), [
      event(ctx, r, b, { name: 'ObjectRemoved:Delete', key, seq, reason, deletionType: 'Permanently Deleted' }),
    ]);
    return { deleteMarker: false };
  }
  const marker: ObjectRow = { bucket: b.name, key, versionId: versionFor(b), latest: true, deleteMarker: true, seq, size: 0, etag: '', modified: ctx.clock.now(), segs: [], meta: { user: {} } };
  await commit(ctx, b, ctx.data.putStmts(marker, b.versioning), [
    event(ctx, r, b, { name: 'ObjectRemoved:DeleteMarkerCreated', key, versionId: marker.versionId, seq, reason, deletionType: 'Delete Marker Created' }),
  ]);
  return { deleteMarker: true, versionId: marker.versionId };
}

export async function deleteObjects(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  const doc = await r.xml();
  if (doc?.root !== 'Delete') throw malformedXml();
  const objects = arr(doc.value['Object']);
  if (objects.length === 0 || objects.length > 1000) throw malformedXml();
  const quiet = str(doc.value['Quiet'])?.toLowerCase() === 'true';
  const out: [string, XmlNode][] = [];
  for (const o of objects) {
    const x = o as Record<string, unknown>;
    const key = str(x['Key']);
    if (key === undefined) throw malformedXml();
    const vid = str(x['VersionId']) || undefined;
    try {
      const res = await removeOne(ctx, r, b, key, vid, 'DeleteObjects');
      if (quiet) continue;
      const n: [string, string | undefined][] = [['Key', key]];
      if (vid !== undefined) n.push(['VersionId', vid]);
      if (res.deleteMarker) {
        n.push(['DeleteMarker', 'true']);
        if (vid === undefined) n.push(['DeleteMarkerVersionId', res.versionId]);
      }
      out.push(['Deleted', n]);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      out.push(['Error', [['Key', key], ['VersionId', vid], ['Code', err.code ?? 'InternalError'], ['Message', err.message ?? '']]]);
    }
  }
  await sendXml(r, 'DeleteResult', out);
}

/** `x-amz-copy-source: /bucket/key?versionId=…` (URL-encoded; the leading slash optional). */
export function parseCopySource(v: string): { bucket: string; key: string; versionId?: string } {
  let s = v;
  let versionId: string | undefined;
  const qi = s.indexOf('?');
  if (qi >= 0) {
    versionId = new URLSearchParams(s.slice(qi + 1)).get('versionId') ?? undefined;
    s = s.slice(0, qi);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(s);
  } catch {
    throw invalidArgument('Invalid copy source encoding', 'x-amz-copy-source', v);
  }
  if (decoded.startsWith('/')) decoded = decoded.slice(1);
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) throw invalidArgument('Invalid copy source object key', 'x-amz-copy-source', v);
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1), versionId };
}

/** The source of a copy (CopyObject, UploadPartCopy), its x-amz-copy-source-if-* conditions checked. */
export async function copySource(ctx: S3Ctx, r: S3Request): Promise<{ row: ObjectRow; bucket: Bucket }> {
  const src = parseCopySource(r.header('x-amz-copy-source')!);
  const sb = await ctx.data.bucket(src.bucket);
  let row: ObjectRow | undefined;
  if (src.versionId !== undefined) {
    row = await ctx.data.version(sb.name, src.key, src.versionId);
    if (!row) throw noSuchVersion(src.key, src.versionId);
    if (row.deleteMarker) throw invalidArgument('The source of a copy request may not specifically refer to a delete marker by version id.');
  } else {
    row = await ctx.data.current(sb.name, src.key);
    if (!row || row.deleteMarker) throw noSuchKey(src.key);
  }
  checkConditions(
    {
      ifMatch: r.header('x-amz-copy-source-if-match'),
      ifNoneMatch: r.header('x-amz-copy-source-if-none-match'),
      ifModifiedSince: r.header('x-amz-copy-source-if-modified-since'),
      ifUnmodifiedSince: r.header('x-amz-copy-source-if-unmodified-since'),
    },
    row.etag,
    row.modified,
    true,
  );
  return { row, bucket: sb };
}

export async function copyObject(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  const key = requireKey(r);
  r.req.resume();
  const { row: src, bucket: sb } = await copySource(ctx, r);
  const directive = (r.header('x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') throw invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
  const tagDirective = (r.header('x-amz-tagging-directive') ?? 'COPY').toUpperCase();
  if (sb.name === b.name && src.key === key && directive === 'COPY' && r.query.get('versionId') === null && !r.header('x-amz-storage-class') && src.versionId === (await ctx.data.current(b.name, key))?.versionId) {
    throw invalidCopyRequest();
  }
  let meta: ObjectMeta = directive === 'REPLACE' ? metaFromHeaders(r) : { ...src.meta, user: { ...src.meta.user } };
  if (directive === 'REPLACE' && src.meta.checksum) meta.checksum = src.meta.checksum;
  if (tagDirective === 'REPLACE') {
    const t = metaFromHeaders(r).tags;
    meta = { ...meta, tags: t };
  } else meta = { ...meta, tags: src.meta.tags };
  const alg = r.header('x-amz-checksum-algorithm')?.toUpperCase();
  if (alg !== undefined && !isAlgorithm(alg)) throw invalidArgument('Checksum algorithm provided is unsupported.', 'x-amz-checksum-algorithm', alg);
  const row: ObjectRow = {
    bucket: b.name,
    key,
    versionId: versionFor(b),
    latest: true,
    deleteMarker: false,
    seq: ctx.data.nextSeq(),
    size: src.size,
    etag: src.etag,
    modified: ctx.clock.now(),
    segs: src.segs.map((s): Seg => ({ ...s })),
    meta,
  };
  await commit(ctx, b, ctx.data.putStmts(row, b.versioning), [
    event(ctx, r, b, { name: 'ObjectCreated:Copy', key, size: row.size, etag: row.etag, versionId: row.versionId, seq: row.seq, reason: 'CopyObject' }),
  ]);
  const h: Record<string, string> = versionHeader(row, b);
  if (src.versionId !== 'null' || sb.versioning !== '') h['x-amz-copy-source-version-id'] = src.versionId;
  const res: [string, string | undefined][] = [
    ['ETag', q(row.etag)],
    ['LastModified', isoDate(row.modified)],
  ];
  if (meta.checksum && meta.checksum.type === 'FULL_OBJECT') {
    res.push(['ChecksumType', meta.checksum.type], [`Checksum${meta.checksum.algorithm}`, meta.checksum.value]);
  }
  await sendXml(r, 'CopyObjectResult', res, h);
}

// ---- object tagging

export function parseTagSet(v: Record<string, unknown>, max: number): Record<string, string> {
  const set = v['TagSet'] as Record<string, unknown> | undefined;
  const tags = arr(set && typeof set === 'object' ? set['Tag'] : undefined);
  const out: Record<string, string> = {};
  for (const t of tags) {
    const x = t as Record<string, unknown>;
    const k = str(x['Key']);
    const val = str(x['Value']) ?? '';
    if (k === undefined) throw malformedXml();
    if (k in out) throw invalidTag('Cannot provide multiple Tags with the same key');
    if (k.length > 128) throw invalidTag('The TagKey you have provided is too long, max 128');
    if (val.length > 256) throw invalidTag('The TagValue you have provided is too long, max 256');
    out[k] = val;
  }
  if (Object.keys(out).length > max) throw invalidTag(`Object tags cannot be greater than ${max}`);
  return out;
}

export function tagSetXml(tags: Record<string, string>): XmlNode {
  return [['TagSet', Object.entries(tags).map(([k, v]): [string, XmlNode] => ['Tag', [['Key', k], ['Value', v]]])]];
}

export async function objectTagging(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  const key = requireKey(r);
  const row = await target(ctx, r, b, key);
  const vh = versionHeader(row, b);
  if (r.method === 'GET') return sendXml(r, 'Tagging', tagSetXml(row.meta.tags ?? {}), vh);
  let tags: Record<string, string> | undefined;
  if (r.method === 'PUT') {
    const doc = await r.xml();
    if (doc?.root !== 'Tagging') throw malformedXml();
    tags = parseTagSet(doc.value, 10);
  } else r.req.resume();
  const meta = { ...row.meta, tags };
  const stmt: Stmt = ['UPDATE s3_objects SET meta = ? WHERE bucket = ? AND key = ? AND version_id = ?', [JSON.stringify(meta), b.name, key, row.versionId]];
  const events: ObjectEvent[] = [event(ctx, r, b, { name: r.method === 'PUT' ? 'ObjectTagging:Put' : 'ObjectTagging:Delete', key, versionId: row.versionId, seq: ctx.data.nextSeq(), reason: 'PutObjectTagging' })];
  await commit(ctx, b, [stmt], events);
  await send(r, r.method === 'PUT' ? 200 : 204, vh);
}
