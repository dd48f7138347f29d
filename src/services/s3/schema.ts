// The S3 service's tables (prefixed s3_) and the row shapes it reads back; keys sort as S3 sorts them (UTF-8 bytes).
import type { Migration } from '../../store/store.js';

// PostgreSQL compares text by the database's collation; S3 lists keys in UTF-8 byte order, which is COLLATE "C".
const tables = (key: string, int: string): string => `
  CREATE TABLE s3_buckets (name TEXT PRIMARY KEY, region TEXT NOT NULL, created_at ${int} NOT NULL, versioning TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL DEFAULT '{}');
  CREATE TABLE s3_objects (bucket TEXT NOT NULL, key ${key} NOT NULL, version_id TEXT NOT NULL, latest ${int} NOT NULL,
    marker ${int} NOT NULL DEFAULT 0, seq ${int} NOT NULL, size ${int} NOT NULL, etag TEXT NOT NULL, modified ${int} NOT NULL,
    segs TEXT NOT NULL, meta TEXT NOT NULL, PRIMARY KEY (bucket, key, version_id));
  CREATE INDEX s3_objects_current ON s3_objects (bucket, latest, key);
  CREATE TABLE s3_uploads (upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key ${key} NOT NULL, initiated ${int} NOT NULL, meta TEXT NOT NULL);
  CREATE INDEX s3_uploads_bucket ON s3_uploads (bucket, key, initiated);
  CREATE TABLE s3_parts (upload_id TEXT NOT NULL, part_number ${int} NOT NULL, size ${int} NOT NULL, md5 TEXT NOT NULL,
    checksum TEXT, modified ${int} NOT NULL, segs TEXT NOT NULL, PRIMARY KEY (upload_id, part_number))`;

export const S3_MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: { sqlite: tables('TEXT', 'INTEGER'), postgres: tables('TEXT COLLATE "C"', 'BIGINT') },
  },
];

/** A piece of an object's bytes: a whole blob or a byte range of one (multipart objects are several). */
export interface Seg {
  sha: string;
  size: number;
  /** Offset into the blob (UploadPartCopy of a range); 0 by default. */
  off?: number;
}

export interface ObjectMeta {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
  user: Record<string, string>;
  checksum?: { algorithm: string; value: string; type: 'FULL_OBJECT' | 'COMPOSITE' };
  /** Multipart: each part's size, for GET ?partNumber and the parts count. */
  parts?: number[];
  storageClass?: string;
  tags?: Record<string, string>;
}

export interface ObjectRow {
  bucket: string;
  key: string;
  versionId: string;
  latest: boolean;
  deleteMarker: boolean;
  seq: number;
  size: number;
  etag: string;
  modified: number;
  segs: Seg[];
  meta: ObjectMeta;
}

export interface DbObject {
  bucket: string;
  key: string;
  version_id: string;
  latest: number;
  marker: number;
  seq: number;
  size: number;
  etag: string;
  modified: number;
  segs: string;
  meta: string;
}

export function fromDb(r: DbObject): ObjectRow {
  return {
    bucket: r.bucket,
    key: r.key,
    versionId: r.version_id,
    latest: Number(r.latest) === 1,
    deleteMarker: Number(r.marker) === 1,
    seq: Number(r.seq),
    size: Number(r.size),
    etag: r.etag,
    modified: Number(r.modified),
    segs: JSON.parse(r.segs) as Seg[],
    meta: JSON.parse(r.meta) as ObjectMeta,
  };
}

export const OBJECT_COLS = 'bucket, key, version_id, latest, marker, seq, size, etag, modified, segs, meta';
