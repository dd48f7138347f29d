// Listing operations: ListObjects (v1, Marker), ListObjectsV2 (ContinuationToken, StartAfter, KeyCount),
// ListObjectVersions, with prefix, delimiter, CommonPrefixes and EncodingType=url.
import type { S3Ctx } from './context.js';
import { sendXml, type S3Request } from './door.js';
import { invalidArgument } from './errors.js';
import { isoDate, urlEncodeKey } from './http-rules.js';
import { decodeToken, encodeToken, listPage, pastPrefix } from './listing.js';
import type { ObjectRow } from './schema.js';
import type { XmlNode } from './xml.js';
import { maxKeys, owner } from './api-buckets.js';

function encoder(r: S3Request): (s: string) => string {
  const et = r.query.get('encoding-type');
  if (et !== null && et !== 'url') throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', et);
  return et === 'url' ? urlEncodeKey : (s) => s;
}

function contents(ctx: S3Ctx, o: ObjectRow, enc: (s: string) => string, withOwner: boolean): XmlNode {
  const n: [string, XmlNode | string | number | undefined][] = [
    ['Key', enc(o.key)],
    ['LastModified', isoDate(o.modified)],
    ['ETag', `"${o.etag}"`],
  ];
  if (o.meta.checksum) n.push(['ChecksumAlgorithm', o.meta.checksum.algorithm], ['ChecksumType', o.meta.checksum.type]);
  n.push(['Size', o.size]);
  if (withOwner) n.push(['Owner', owner(ctx)]);
  n.push(['StorageClass', o.meta.storageClass ?? 'STANDARD']);
  return n;
}

export async function listObjects(ctx: S3Ctx, r: S3Request, v2: boolean): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  const enc = encoder(r);
  const prefix = r.query.get('prefix') ?? '';
  const delimiter = r.query.get('delimiter') ?? '';
  const max = maxKeys(r);
  let after = '';
  const token = r.query.get('continuation-token');
  const startAfter = r.query.get('start-after');
  const marker = r.query.get('marker');
  if (v2) {
    if (token !== null) {
      const t = decodeToken(token);
      if (t === undefined) throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
      after = t;
    } else if (startAfter !== null) after = startAfter;
  } else if (marker !== null) after = marker;
  const page = await listPage((a, n) => ctx.data.currentPage(b.name, prefix, a, n), { prefix, delimiter: delimiter || undefined, after, maxKeys: max });
  const node: [string, XmlNode | string | number | boolean | undefined][] = [
    ['Name', b.name],
    ['Prefix', enc(prefix)],
  ];
  if (v2) {
    if (startAfter !== null) node.push(['StartAfter', enc(startAfter)]);
    if (token !== null) node.push(['ContinuationToken', token]);
    if (page.truncated && page.last !== undefined) node.push(['NextContinuationToken', encodeToken(page.last)]);
    node.push(['KeyCount', page.contents.length + page.commonPrefixes.length]);
  } else {
    node.push(['Marker', enc(marker ?? '')]);
    if (page.truncated && delimiter && page.last !== undefined) node.push(['NextMarker', enc(page.last)]);
  }
  node.push(['MaxKeys', max]);
  if (delimiter) node.push(['Delimiter', enc(delimiter)]);
  node.push(['IsTruncated', page.truncated]);
  if (r.query.get('encoding-type') === 'url') node.push(['EncodingType', 'url']);
  for (const o of page.contents) node.push(['Contents', contents(ctx, o, enc, !v2 || r.query.get('fetch-owner') === 'true')]);
  for (const p of page.commonPrefixes) node.push(['CommonPrefixes', [['Prefix', enc(p)]]]);
  await sendXml(r, 'ListBucketResult', node);
}

export async function listVersions(ctx: S3Ctx, r: S3Request): Promise<void> {
  const b = await ctx.data.bucket(r.bucket!);
  const enc = encoder(r);
  const prefix = r.query.get('prefix') ?? '';
  const delimiter = r.query.get('delimiter') ?? '';
  const max = maxKeys(r);
  const keyMarker = r.query.get('key-marker') ?? '';
  const vidMarker = r.query.get('version-id-marker');
  if (vidMarker !== null && keyMarker === '') throw invalidArgument('A version-id marker cannot be specified without a key marker.', 'version-id-marker', vidMarker);
  let afterKey = keyMarker;
  let afterSeq: number | undefined;
  if (vidMarker) {
    const v = await ctx.data.version(b.name, keyMarker, vidMarker);
    if (!v) throw invalidArgument('Invalid version id specified', 'version-id-marker', vidMarker);
    afterSeq = v.seq;
  }
  const items: [string, XmlNode][] = [];
  const cps: string[] = [];
  let truncated = false;
  let next: { key: string; vid?: string } | undefined;
  let count = 0;
  outer: for (;;) {
    const rows = await ctx.data.versionsPage(b.name, prefix, afterKey, afterSeq, Math.min(1000, max + 1));
    if (rows.length === 0) break;
    for (const o of rows) {
      let cp: string | undefined;
      if (delimiter) {
        const i = o.key.indexOf(delimiter, prefix.length);
        if (i >= 0) cp = o.key.slice(0, i + delimiter.length);
      }
      if (count >= max) {
        truncated = true;
        break outer;
      }
      count++;
      if (cp !== undefined) {
        cps.push(cp);
        next = { key: cp };
        afterKey = pastPrefix(cp);
        afterSeq = undefined;
        continue outer;
      }
      const common: [string, XmlNode | string | boolean | number][] = [
        ['Key', enc(o.key)],
        ['VersionId', o.versionId],
        ['IsLatest', o.latest],
        ['LastModified', isoDate(o.modified)],
      ];
      if (o.deleteMarker) items.push(['DeleteMarker', [...common, ['Owner', owner(ctx)]]]);
      else items.push(['Version', [...common, ['ETag', `"${o.etag}"`], ['Size', o.size], ['StorageClass', o.meta.storageClass ?? 'STANDARD'], ['Owner', owner(ctx)]]]);
      next = { key: o.key, vid: o.versionId };
      afterKey = o.key;
      afterSeq = o.seq;
    }
    if (rows.length < Math.min(1000, max + 1)) break;
  }
  const node: [string, XmlNode | string | number | boolean | undefined][] = [
    ['Name', b.name],
    ['Prefix', enc(prefix)],
    ['KeyMarker', enc(keyMarker)],
    ['VersionIdMarker', vidMarker ?? ''],
  ];
  if (truncated && next) {
    node.push(['NextKeyMarker', enc(next.key)]);
    if (next.vid) node.push(['NextVersionIdMarker', next.vid]);
  }
  node.push(['MaxKeys', max]);
  if (delimiter) node.push(['Delimiter', enc(delimiter)]);
  node.push(['IsTruncated', truncated]);
  if (r.query.get('encoding-type') === 'url') node.push(['EncodingType', 'url']);
  node.push(...items);
  for (const p of cps) node.push(['CommonPrefixes', [['Prefix', enc(p)]]]);
  await sendXml(r, 'ListVersionsResult', node);
}
