// Content-addressed blobs kept in PostgreSQL, so any node can start any function; each node caches them on disk.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore, Queryable } from './store.js';
import { hex } from '../lib/ids.js';
import { PgObjectBlobs, type PgTx } from './object-blobs.js';

const MIGRATION = 'CREATE TABLE IF NOT EXISTS store_blobs (sha TEXT PRIMARY KEY, data BYTEA NOT NULL, size BIGINT NOT NULL)';

export class PgBlobStore implements BlobStore {
  private ready: Promise<unknown> | undefined;
  readonly objects: PgObjectBlobs;
  constructor(
    private readonly db: Queryable & PgTx,
    /** This node's cache: blobs fetched once, and what is derived from them (unpacked code). */
    private readonly dir: string,
  ) {
    this.objects = new PgObjectBlobs(db, join(dir, 'objects'));
  }

  private init(): Promise<unknown> {
    return (this.ready ??= this.db.run(MIGRATION));
  }

  private cached(sha: string): string {
    return join(this.dir, 'sha256', sha.slice(0, 2), sha);
  }

  derivedDir(kind: string, sha: string): string {
    return join(this.dir, kind, sha.slice(0, 2), sha);
  }

  async has(sha: string): Promise<boolean> {
    await this.init();
    return (await this.db.get('SELECT 1 AS x FROM store_blobs WHERE sha = ?', [sha])) !== undefined;
  }

  async read(sha: string): Promise<Buffer> {
    try {
      return await readFile(this.cached(sha));
    } catch {
      await this.init();
      const row = await this.db.get<{ data: Buffer }>('SELECT data FROM store_blobs WHERE sha = ?', [sha]);
      if (!row) throw Object.assign(new Error(`no blob ${sha}`), { code: 'ENOENT' });
      await this.cache(sha, row.data);
      return row.data;
    }
  }

  async localPath(sha: string): Promise<string> {
    const p = this.cached(sha);
    try {
      await stat(p);
    } catch {
      await this.read(sha);
    }
    return p;
  }

  async put(data: Buffer): Promise<string> {
    await this.init();
    const sha = createHash('sha256').update(data).digest('hex');
    // The commit of this INSERT is the durability point: PostgreSQL has it on disk before it answers.
    await this.db.run('INSERT INTO store_blobs (sha, data, size) VALUES (?, ?, ?) ON CONFLICT (sha) DO NOTHING', [sha, data, data.length]);
    await this.cache(sha, data);
    return sha;
  }

  private async cache(sha: string, data: Buffer): Promise<void> {
    const final = this.cached(sha);
    await mkdir(join(final, '..'), { recursive: true });
    const tmp = `${final}.${hex(6)}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, final);
  }
}
