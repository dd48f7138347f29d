// The S3 domain's persistence: buckets (cached, invalidated through the notifier), object versions, multipart
// uploads and parts; object writes commit through the journal together with their notification work items.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import type { Journal, Stmt } from '../../store/journal.js';
import type { Notifier } from '../../store/notifier.js';
import type { Store } from '../../store/store.js';
import { bucketAlreadyOwnedByYou, bucketNotEmpty, noSuchBucket } from './errors.js';
import { fromDb, OBJECT_COLS, S3_MIGRATIONS, type DbObject, type ObjectMeta, type ObjectRow, type Seg } from './schema.js';
import type { CorsRule } from './cors.js';
import type { NotificationConfig } from './notify-config.js';

export interface BucketConfig {
  tags?: { Key: string; Value: string }[];
  policy?: string;
  cors?: CorsRule[];
  notification?: NotificationConfig;
}

export interface Bucket {
  name: string;
  region: string;
  createdAt: number;
  versioning: '' | 'Enabled' | 'Suspended';
  config: BucketConfig;
}

export interface Upload {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number;
  meta: ObjectMeta & { checksumAlgorithm?: string; checksumType?: string };
}

export interface Part {
  partNumber: number;
  size: number;
  md5: string;
  checksum?: string;
  modified: number;
  segs: Seg[];
}

const CHANNEL = 's3:bucket';

/** AWS's version ids: 32 URL-safe characters. */
export function newVersionId(): string {
  return randomBytes(24).toString('base64').replace(/\+/g, '.').replace(/\//g, '_');
}

export class S3Data {
  private readonly buckets = new Map<string, Bucket>();
  private unlisten: (() => void) | undefined;
  private counter = 0;

  constructor(
    readonly store: Store,
    private readonly journal: Journal,
    private readonly clock: Clock,
    private readonly notifier: Notifier,
  ) {}

  async init(): Promise<void> {
    await this.store.migrate('s3', S3_MIGRATIONS);
    for (const r of await this.store.all<DbBucket>('SELECT name, region, created_at, versioning, config FROM s3_buckets')) this.buckets.set(r.name, bucketOf(r));
    this.unlisten = this.notifier.listen(CHANNEL, (name) => void this.reload(String(name ?? '')));
  }

  close(): void {
    this.unlisten?.();
  }

  private async reload(name: string): Promise<void> {
    const r = await this.store.get<DbBucket>('SELECT name, region, created_at, versioning, config FROM s3_buckets WHERE name = ?', [name]);
    if (r) this.buckets.set(name, bucketOf(r));
    else this.buckets.delete(name);
  }

  /** An increasing number per write: versions' order and notifications' sequencer. */
  nextSeq(): number {
    this.counter = (this.counter + 1) % 1000;
    return this.clock.now() * 1000 + this.counter;
  }

  /**
   * The bucket, from the cache; a miss reads the store (another node may have made it a moment ago). On a shared
   * store every call reads the row: another node's configuration change (versioning, notifications) must hold for
   * the next request here, and its notifier hint may still be on its way (one primary-key read per request).
   */
  async bucket(name: string): Promise<Bucket> {
    let b = this.store.kind === 'postgres' ? undefined : this.buckets.get(name);
    if (!b) {
      await this.reload(name);
      b = this.buckets.get(name);
    }
    if (!b) throw noSuchBucket(name);
    return b;
  }

  findBucket(name: string): Bucket | undefined {
    return this.buckets.get(name);
  }

  /** Every bucket; on a shared store read from the store, so a bucket another node made a moment ago is listed. */
  async listBuckets(): Promise<Bucket[]> {
    const all = this.store.kind === 'postgres'
      ? (await this.store.all<DbBucket>('SELECT name, region, created_at, versioning, config FROM s3_buckets')).map(bucketOf)
      : [...this.buckets.values()];
    return all.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async createBucket(name: string, region: string): Promise<'created' | 'exists'> {
    const r = await this.store.run('INSERT INTO s3_buckets (name, region, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING', [name, region, this.clock.now()]);
    if (r.changes === 0) {
      await this.reload(name);
      const b = this.buckets.get(name);
      // us-east-1 answers 200 to a repeated CreateBucket of your own bucket there; elsewhere 409.
      if (b && b.region === 'us-east-1' && region === 'us-east-1') return 'exists';
      throw bucketAlreadyOwnedByYou(name);
    }
    await this.changed(name);
    return 'created';
  }

  async deleteBucket(name: string): Promise<void> {
    await this.bucket(name);
    const ok = await this.store.tx(async (q) => {
      if (await q.get('SELECT 1 AS x FROM s3_objects WHERE bucket = ? LIMIT 1', [name])) return false;
      if (await q.get('SELECT 1 AS x FROM s3_uploads WHERE bucket = ? LIMIT 1', [name])) return false;
      await q.run('DELETE FROM s3_buckets WHERE name = ?', [name]);
      return true;
    });
    if (!ok) throw bucketNotEmpty(name);
    await this.changed(name);
  }

  async setVersioning(name: string, status: 'Enabled' | 'Suspended'): Promise<void> {
    await this.store.run('UPDATE s3_buckets SET versioning = ? WHERE name = ?', [status, name]);
    await this.changed(name);
  }

  async updateConfig(name: string, fn: (c: BucketConfig) => BucketConfig): Promise<void> {
    await this.store.tx(async (q) => {
      const r = await q.get<{ config: string }>('SELECT config FROM s3_buckets WHERE name = ?', [name]);
      if (!r) throw noSuchBucket(name);
      await q.run('UPDATE s3_buckets SET config = ? WHERE name = ?', [JSON.stringify(fn(JSON.parse(r.config) as BucketConfig)), name]);
    });
    await this.changed(name);
  }

  private async changed(name: string): Promise<void> {
    await this.reload(name);
    this.notifier.notify(CHANNEL, name);
  }

  // ---- objects

  async current(bucket: string, key: string): Promise<ObjectRow | undefined> {
    const r = await this.store.get<DbObject>(`SELECT ${OBJECT_COLS} FROM s3_objects WHERE bucket = ? AND key = ? AND latest = 1`, [bucket, key]);
    return r ? fromDb(r) : undefined;
  }

  async version(bucket: string, key: string, versionId: string): Promise<ObjectRow | undefined> {
    const r = await this.store.get<DbObject>(`SELECT ${OBJECT_COLS} FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?`, [bucket, key, versionId]);
    return r ? fromDb(r) : undefined;
  }

  /**
   * The statements that make `row` the current version of its key: the previous current version stops being it,
   * and without versioning (or suspended) the `null` version is replaced. With `extra` (work items), one commit.
   */
  putStmts(row: ObjectRow, versioning: Bucket['versioning']): Stmt[] {
    const s: Stmt[] = [['UPDATE s3_objects SET latest = 0 WHERE bucket = ? AND key = ? AND latest = 1', [row.bucket, row.key]]];
    if (versioning !== 'Enabled') s.push(['DELETE FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?', [row.bucket, row.key, 'null']]);
    s.push([
      `INSERT INTO s3_objects (${OBJECT_COLS}) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)`,
      [row.bucket, row.key, row.versionId, row.deleteMarker ? 1 : 0, row.seq, row.size, row.etag, row.modified, JSON.stringify(row.segs), JSON.stringify(row.meta)],
    ]);
    return s;
  }

  /** Removes one version; when it was the current one, the newest remaining version becomes current. */
  removeVersionStmts(bucket: string, key: string, versionId: string): Stmt[] {
    return [
      ['DELETE FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?', [bucket, key, versionId]],
      [
        `UPDATE s3_objects SET latest = 1 WHERE bucket = ? AND key = ? AND NOT EXISTS (SELECT 1 FROM s3_objects o WHERE o.bucket = ? AND o.key = ? AND o.latest = 1)
           AND seq = (SELECT MAX(seq) FROM s3_objects o2 WHERE o2.bucket = ? AND o2.key = ?)`,
        [bucket, key, bucket, key, bucket, key],
      ],
    ];
  }

  async write(stmts: Stmt[]): Promise<void> {
    await this.journal.write(stmts);
  }

  /** Current, non-deleted objects of a bucket with `key > after` and the prefix, in key order. */
  async currentPage(bucket: string, prefix: string, after: string, limit: number): Promise<ObjectRow[]> {
    const rows = await this.store.all<DbObject>(
      `SELECT ${OBJECT_COLS} FROM s3_objects WHERE bucket = ? AND latest = 1 AND marker = 0 AND key > ? AND substr(key, 1, ?) = ? ORDER BY key LIMIT ?`,
      [bucket, after, prefix.length, prefix, limit],
    );
    return rows.map(fromDb);
  }

  /** Every version (delete markers too) of keys after (key, seq) in key order, newest first per key. */
  async versionsPage(bucket: string, prefix: string, afterKey: string, afterSeq: number | undefined, limit: number): Promise<ObjectRow[]> {
    const rows =
      afterSeq === undefined
        ? await this.store.all<DbObject>(`SELECT ${OBJECT_COLS} FROM s3_objects WHERE bucket = ? AND key > ? AND substr(key, 1, ?) = ? ORDER BY key, seq DESC LIMIT ?`, [
            bucket,
            afterKey,
            prefix.length,
            prefix,
            limit,
          ])
        : await this.store.all<DbObject>(
            `SELECT ${OBJECT_COLS} FROM s3_objects WHERE bucket = ? AND ((key = ? AND seq < ?) OR key > ?) AND substr(key, 1, ?) = ? ORDER BY key, seq DESC LIMIT ?`,
            [bucket, afterKey, afterSeq, afterKey, prefix.length, prefix, limit],
          );
    return rows.map(fromDb);
  }

  /** Every blob an object version or a part refers to, for the sweep. */
  async referencedBlobs(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const r of await this.store.all<{ segs: string }>('SELECT segs FROM s3_objects UNION ALL SELECT segs FROM s3_parts')) {
      for (const s of JSON.parse(r.segs) as Seg[]) out.add(s.sha);
    }
    return out;
  }

  // ---- multipart

  async createUpload(u: Upload): Promise<void> {
    await this.journal.write([['INSERT INTO s3_uploads (upload_id, bucket, key, initiated, meta) VALUES (?, ?, ?, ?, ?)', [u.uploadId, u.bucket, u.key, u.initiated, JSON.stringify(u.meta)]]]);
  }

  async upload(uploadId: string): Promise<Upload | undefined> {
    const r = await this.store.get<{ upload_id: string; bucket: string; key: string; initiated: number; meta: string }>(
      'SELECT upload_id, bucket, key, initiated, meta FROM s3_uploads WHERE upload_id = ?',
      [uploadId],
    );
    return r ? { uploadId: r.upload_id, bucket: r.bucket, key: r.key, initiated: Number(r.initiated), meta: JSON.parse(r.meta) as Upload['meta'] } : undefined;
  }

  async uploads(bucket: string, prefix: string, afterKey: string, afterId: string, limit: number): Promise<Upload[]> {
    const rows = await this.store.all<{ upload_id: string; bucket: string; key: string; initiated: number; meta: string }>(
      `SELECT upload_id, bucket, key, initiated, meta FROM s3_uploads WHERE bucket = ? AND substr(key, 1, ?) = ? AND (key > ? OR (key = ? AND upload_id > ?))
       ORDER BY key, initiated, upload_id LIMIT ?`,
      [bucket, prefix.length, prefix, afterKey, afterKey, afterId, limit],
    );
    return rows.map((r) => ({ uploadId: r.upload_id, bucket: r.bucket, key: r.key, initiated: Number(r.initiated), meta: JSON.parse(r.meta) as Upload['meta'] }));
  }

  async putPart(uploadId: string, p: Part): Promise<void> {
    await this.journal.write([
      [
        `INSERT INTO s3_parts (upload_id, part_number, size, md5, checksum, modified, segs) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, md5 = excluded.md5, checksum = excluded.checksum, modified = excluded.modified, segs = excluded.segs`,
        [uploadId, p.partNumber, p.size, p.md5, p.checksum ?? null, p.modified, JSON.stringify(p.segs)],
      ],
    ]);
  }

  async parts(uploadId: string, after = 0, limit = 10_001): Promise<Part[]> {
    const rows = await this.store.all<{ part_number: number; size: number; md5: string; checksum: string | null; modified: number; segs: string }>(
      'SELECT part_number, size, md5, checksum, modified, segs FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?',
      [uploadId, after, limit],
    );
    return rows.map((r) => ({
      partNumber: Number(r.part_number),
      size: Number(r.size),
      md5: r.md5,
      checksum: r.checksum ?? undefined,
      modified: Number(r.modified),
      segs: JSON.parse(r.segs) as Seg[],
    }));
  }

  endUploadStmts(uploadId: string): Stmt[] {
    return [
      ['DELETE FROM s3_parts WHERE upload_id = ?', [uploadId]],
      ['DELETE FROM s3_uploads WHERE upload_id = ?', [uploadId]],
    ];
  }
}

interface DbBucket {
  name: string;
  region: string;
  created_at: number;
  versioning: string;
  config: string;
}

function bucketOf(r: DbBucket): Bucket {
  return { name: r.name, region: r.region, createdAt: Number(r.created_at), versioning: r.versioning as Bucket['versioning'], config: JSON.parse(r.config) as BucketConfig };
}
