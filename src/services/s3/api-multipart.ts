// Multipart uploads: create, upload part (and part copy, by reference), complete (parts concatenated by reference,
// never copied), abort, list parts, list uploads.
import { createHash } from 'node:crypto';
import { checksumHeader, compositeChecksum, isAlgorithm, multipartEtag } from './checksums.js';
import { commit, event, metaFromHeaders, readSegs, requireKey, type S3Ctx } from './context.js';
import { newVersionId } from './data.js';
import { send, sendXml, type S3Request } from './door.js';
import { entityTooSmall, invalidArgument, invalidPart, invalidPartOrder, invalidRange, invalidRequest, malformedXml, noSuchUpload } from './errors.js';
import { isoDate, urlEncodeKey } from './http-rules.js';
import type { ObjectRow, Seg } from './schema.js';
import { uploadBody } from './upload.js';
import { arr, str, type XmlNode } from './xml.js';
import { copySource } from './api-objects.js';
import { maxKeys, owner } from './api-buckets.js';

const MIN_PART = 5 * 1024 * 1024;

function uploadIdOf(): string {
  return createHash('sha256').update(newVersionId()).digest('base64url');
}

export async function createUpload(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  const key = requireKey(r);
  r.req.resume();
  const alg = r.header('x-amz-checksum-algorithm')?.toUpperCase();
  if (alg !== undefined && !isAlgorithm(alg)) throw invalidRequest('Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
  const type = r.header('x-amz-checksum-type')?.toUpperCase();
  if (type !== undefined && type !== 'COMPOSITE' && type !== 'FULL_OBJECT') throw invalidRequest('Value for x-amz-checksum-type header is invalid.');
  const meta = { ...metaFromHeaders(r), checksumAlgorithm: alg, checksumType: alg ? (type ?? 'COMPOSITE') : undefined };
  const uploadId = uploadIdOf();
  await ctx.data.createUpload({ uploadId, bucket: b.name, key, initiated: ctx.clock.now(), meta });
  const h: Record<string, string> = {};
  if (alg) {
    h['x-amz-checksum-algorithm'] = alg;
    h['x-amz-checksum-type'] = meta.checksumType!;
  }
  await sendXml(
    r,
    'InitiateMultipartUploadResult',
    [
      ['Bucket', b.name],
      ['Key', key],
      ['UploadId', uploadId],
    ],
    h,
  );
}

function partNumberOf(r: S3Request): number {
  const v = r.query.get('partNumber') ?? '';
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 10000) throw invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', v);
  return n;
}

async function theUpload(ctx: S3Ctx, r: S3Request) {
  const id = r.query.get('uploadId') ?? '';
  const u = await ctx.data.upload(id);
  if (!u || u.bucket !== r.bucket || u.key !== (r.key ?? '')) throw noSuchUpload(id);
  return u;
}

export async function uploadPart(ctx: S3Ctx, r: S3Request): Promise<void> {
  await ctx.data.bucket(r.bucket!);
  const n = partNumberOf(r);
  const u = await theUpload(ctx, r);
  const body = uploadBody(r.req);
  r.bodyRead = true;
  const blob = await ctx.blobs.write(body.source, () => body.check());
  const sum = body.checksum();
  if (u.meta.checksumAlgorithm && sum && sum.algorithm !== u.meta.checksumAlgorithm) {
    throw invalidRequest(`Checksum Type mismatch occurred, expected checksum Type: ${u.meta.checksumAlgorithm.toLowerCase()}, actual checksum Type: ${sum.algorithm.toLowerCase()}`);
  }
  const md5 = body.md5();
  await ctx.data.putPart(u.uploadId, { partNumber: n, size: blob.size, md5, checksum: sum ? `${sum.algorithm}:${sum.value}` : undefined, modified: ctx.clock.now(), segs: [{ sha: blob.sha, size: blob.size }] });
  const h: Record<string, string> = { etag: `"${md5}"` };
  if (sum) h[checksumHeader(sum.algorithm)] = sum.value;
  await send(r, 200, h);
}

/** UploadPartCopy: the part refers to the source's blobs (a byte range of them); its MD5 is computed by streaming. */
export async function uploadPartCopy(ctx: S3Ctx, r: S3Request): Promise<void> {
  await ctx.data.bucket(r.bucket!);
  const n = partNumberOf(r);
  const u = await theUpload(ctx, r);
  r.req.resume();
  const { row } = await copySource(ctx, r);
  let start = 0;
  let end = row.size - 1;
  const rh = r.header('x-amz-copy-source-range');
  if (rh !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rh);
    if (!m) throw invalidArgument('The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', 'x-amz-copy-source-range', rh);
    start = Number(m[1]);
    end = Number(m[2]);
    if (end < start || end >= row.size) throw invalidRange(row.size, rh);
  }
  const segs = sliceSegs(row.segs, start, end);
  const md5 = createHash('md5');
  for await (const c of await readSegs(ctx.blobs, row.segs, start, end)) md5.update(c as Buffer);
  const etag = md5.digest('hex');
  const modified = ctx.clock.now();
  await ctx.data.putPart(u.uploadId, { partNumber: n, size: end - start + 1, md5: etag, modified, segs });
  await sendXml(r, 'CopyPartResult', [
    ['ETag', `"${etag}"`],
    ['LastModified', isoDate(modified)],
  ]);
}

/** The segments covering bytes [start, end] of an object made of `segs`. */
export function sliceSegs(segs: Seg[], start: number, end: number): Seg[] {
  const out: Seg[] = [];
  let pos = 0;
  for (const s of segs) {
    const a = Math.max(start, pos);
    const b = Math.min(end, pos + s.size - 1);
    if (a <= b) out.push({ sha: s.sha, size: b - a + 1, off: (s.off ?? 0) + a - pos });
    pos += s.size;
  }
  return out;
}

export async function completeUpload(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  const u = await theUpload(ctx, r);
  const doc = await r.xml();
  if (doc?.root !== 'CompleteMultipartUpload') throw malformedXml();
  const listed = arr(doc.value['Part']).map((p) => {
    const x = p as Record<string, unknown>;
    const num = Number(str(x['PartNumber']));
    const etag = (str(x['ETag']) ?? '').replace(/"/g, '');
    if (!Number.isInteger(num)) throw malformedXml();
    return { num, etag, given: x };
  });
  if (listed.length === 0) throw malformedXml();
  for (let i = 1; i < listed.length; i++) if (listed[i]!.num <= listed[i - 1]!.num) throw invalidPartOrder();
  const stored = new Map((await ctx.data.parts(u.uploadId)).map((p) => [p.partNumber, p]));
  const parts = listed.map((l) => {
    const p = stored.get(l.num);
    if (!p || p.md5 !== l.etag) throw invalidPart(l.num, l.etag);
    return p;
  });
  parts.forEach((p, i) => {
    if (i < parts.length - 1 && p.size < MIN_PART) throw entityTooSmall(p.size);
  });
  const alg = u.meta.checksumAlgorithm;
  let checksum: ObjectRow['meta']['checksum'];
  if (alg && isAlgorithm(alg) && parts.every((p) => p.checksum?.startsWith(`${alg}:`))) {
    const values = parts.map((p) => p.checksum!.slice(alg.length + 1));
    checksum = { algorithm: alg, value: await compositeChecksum(alg, values), type: 'COMPOSITE' };
  }
  const { checksumAlgorithm: _a, checksumType: _t, ...meta } = u.meta;
  const row: ObjectRow = {
    bucket: b.name,
    key: u.key,
    versionId: b.versioning === 'Enabled' ? newVersionId() : 'null',
    latest: true,
    deleteMarker: false,
    seq: ctx.data.nextSeq(),
    size: parts.reduce((a, p) => a + p.size, 0),
    etag: multipartEtag(parts.map((p) => p.md5)),
    modified: ctx.clock.now(),
    segs: parts.flatMap((p) => p.segs),
    meta: { ...meta, checksum, parts: parts.map((p) => p.size) },
  };
  await commit(ctx, b, [...ctx.data.putStmts(row, b.versioning), ...ctx.data.endUploadStmts(u.uploadId)], [
    event(ctx, r, b, { name: 'ObjectCreated:CompleteMultipartUpload', key: u.key, size: row.size, etag: row.etag, versionId: row.versionId, seq: row.seq, reason: 'CompleteMultipartUpload' }),
  ]);
  const h: Record<string, string> = {};
  if (b.versioning !== '') h['x-amz-version-id'] = row.versionId;
  const node: [string, string | undefined][] = [
    ['Location', `${r.url.protocol}//${r.req.headers.host ?? '127.0.0.1'}/${b.name}/${urlEncodeKey(u.key)}`],
    ['Bucket', b.name],
    ['Key', u.key],
    ['ETag', `"${row.etag}"`],
  ];
  if (checksum) node.push([`Checksum${checksum.algorithm}`, checksum.value], ['ChecksumType', checksum.type]);
  await sendXml(r, 'CompleteMultipartUploadResult', node, h);
}

export async function abortUpload(ctx: S3Ctx, r: S3Request): Promise<void> {
  await ctx.data.bucket(r.bucket!);
  const u = await theUpload(ctx, r);
  r.req.resume();
  await ctx.data.write(ctx.data.endUploadStmts(u.uploadId));
  await send(r, 204, {});
}

export async function listParts(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  const u = await theUpload(ctx, r);
  const max = maxKeys(r, 'max-parts');
  const marker = Number(r.query.get('part-number-marker') ?? 0) || 0;
  const parts = await ctx.data.parts(u.uploadId, marker, max + 1);
  const page = parts.slice(0, max);
  const node: [string, XmlNode | string | number | boolean | undefined][] = [
    ['Bucket', b.name],
    ['Key', u.key],
    ['UploadId', u.uploadId],
    ['PartNumberMarker', marker],
    ['NextPartNumberMarker', page.length ? page[page.length - 1]!.partNumber : 0],
    ['MaxParts', max],
    ['IsTruncated', parts.length > max],
  ];
  if (u.meta.checksumAlgorithm) node.push(['ChecksumAlgorithm', u.meta.checksumAlgorithm], ['ChecksumType', u.meta.checksumType]);
  for (const p of page) {
    const pn: [string, string | number][] = [
      ['PartNumber', p.partNumber],
      ['LastModified', isoDate(p.modified)],
      ['ETag', `"${p.md5}"`],
      ['Size', p.size],
    ];
    if (p.checksum) {
      const [a, v] = p.checksum.split(':') as [string, string];
      pn.push([`Checksum${a}`, v]);
    }
    node.push(['Part', pn]);
  }
  node.push(['Initiator', owner(ctx)], ['Owner', owner(ctx)], ['StorageClass', u.meta.storageClass ?? 'STANDARD']);
  await sendXml(r, 'ListPartsResult', node);
}

export async function listUploads(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  const max = maxKeys(r, 'max-uploads');
  const prefix = r.query.get('prefix') ?? '';
  const keyMarker = r.query.get('key-marker') ?? '';
  const idMarker = r.query.get('upload-id-marker') ?? '';
  const ups = await ctx.data.uploads(b.name, prefix, keyMarker, idMarker, max + 1);
  const page = ups.slice(0, max);
  const node: [string, XmlNode | string | number | boolean | undefined][] = [
    ['Bucket', b.name],
    ['KeyMarker', keyMarker],
    ['UploadIdMarker', idMarker],
    ['NextKeyMarker', page.length ? page[page.length - 1]!.key : ''],
    ['NextUploadIdMarker', page.length ? page[page.length - 1]!.uploadId : ''],
    ['MaxUploads', max],
    ['IsTruncated', ups.length > max],
  ];
  if (r.query.get('prefix') !== null) node.push(['Prefix', prefix]);
  for (const u of page) {
    node.push([
      'Upload',
      [
        ['Key', u.key],
        ['UploadId', u.uploadId],
        ['Initiator', owner(ctx)],
        ['Owner', owner(ctx)],
        ['StorageClass', u.meta.storageClass ?? 'STANDARD'],
        ['Initiated', isoDate(u.initiated)],
      ],
    ]);
  }
  await sendXml(r, 'ListMultipartUploadsResult', node);
}
