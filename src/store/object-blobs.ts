// Large content-addressed blobs (S3 objects): streamed in (hashed while written, temp file + fsync + rename) and
// streamed out by byte range, on local disk or in PostgreSQL chunk rows that every node of a cluster reaches. On the
// embedded store, small blobs go into a table through the group commit instead (one fsync for many uploads).
//
// They live apart from the code blobs (`put`/`read`) so that they can be collected: what no object row references
// any more is removed by the S3 service's sweep (`list` + `remove`).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { Readable as ReadableStream } from 'node:stream';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { hex } from '../lib/ids.js';
import type { Queryable } from './store.js';
import type { Stmt, WriteResult } from './journal.js';

export interface WrittenBlob {
  sha: string;
  size: number;
}

export interface ObjectBlobs {
  /**
   * Streams `src` into a blob; durable before it resolves. `check` runs once every byte is in and before the blob
   * becomes visible: when it throws, the blob is discarded and the error rethrown (a bad digest leaves nothing).
   */
  write(src: AsyncIterable<Uint8Array>, check?: () => void | Promise<void>): Promise<WrittenBlob>;
  /** The bytes [start, end] (inclusive) of a blob; the whole blob without a range. */
  read(sha: string, start?: number, end?: number): Promise<Readable>;
  has(sha: string): Promise<boolean>;
  /** Every blob with its creation time (ms), for a sweep that removes unreferenced ones past a grace period. */
  list(): Promise<{ sha: string; at: number }[]>;
  remove(sha: string): Promise<void>;
}

async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Writes a stream to a temp file beside `dir`, hashing it; returns the temp path (fsynced when `durable`). */
async function spool(dir: string, src: AsyncIterable<Uint8Array>, durable: boolean): Promise<{ tmp: string; sha: string; size: number }> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${hex(8)}.tmp`);
  const ws = createWriteStream(tmp, { highWaterMark: 1 << 20, flush: durable });
  const hash = createHash('sha256');
  let size = 0;
  let failed: unknown;
  ws.on('error', (e) => (failed = e));
  try {
    for await (const chunk of src) {
      if (failed) throw failed;
      hash.update(chunk);
      size += chunk.length;
      if (!ws.write(chunk)) await once(ws, 'drain');
    }
    ws.end();
    await once(ws, 'close');
    if (failed) throw failed;
  } catch (e) {
    ws.destroy();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return { tmp, sha: hash.digest('hex'), size };
}

function rangeStream(path: string, start?: number, end?: number): Promise<ReadStream> {
  return new Promise((resolve, reject) => {
    const rs = createReadStream(path, { start, end, highWaterMark: 1 << 20 });
    rs.once('open', () => resolve(rs));
    rs.once('error', reject);
  });
}

/** Blobs up to this size are kept in the database on the embedded store (a file and two fsyncs each otherwise). */
export const INLINE_MAX = 128 * 1024;

export const INLINE_BLOBS_DDL = 'CREATE TABLE IF NOT EXISTS store_inline_blobs (sha TEXT PRIMARY KEY, data BLOB NOT NULL, created_at INTEGER NOT NULL)';

/** Where small blobs go: the store's group commit for writes, a query for reads. */
export interface InlineBlobs {
  readonly q: Queryable;
  write(group: readonly Stmt[]): Promise<WriteResult[]>;
}

/** Reads up to INLINE_MAX bytes of `src`: the chunks, and the rest of the stream when it was longer. */
async function head(src: AsyncIterable<Uint8Array>): Promise<{ chunks: Uint8Array[]; size: number; rest?: AsyncIterable<Uint8Array> }> {
  const it = src[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const r = await it.next();
    if (r.done) return { chunks, size };
    chunks.push(r.value);
    size += r.value.length;
    if (size > INLINE_MAX) {
      const first = chunks;
      const rest = async function* (): AsyncIterable<Uint8Array> {
        yield* first;
        for (;;) {
          const n = await it.next();
          if (n.done) return;
          yield n.value;
        }
      };
      return { chunks, size, rest: rest() };
    }
  }
}

/** Object blobs on local disk: `<dir>/<aa>/<sha256hex>`, and small ones in the database when `inline` is given. */
export class DiskObjectBlobs implements ObjectBlobs {
  private inline: InlineBlobs | undefined;
  constructor(private readonly dir: string) {}

  /** Keeps blobs up to INLINE_MAX in `store_inline_blobs`, committed through the group commit. */
  useInline(inline: InlineBlobs): void {
    this.inline = inline;
  }

  path(sha: string): string {
    return join(this.dir, sha.slice(0, 2), sha);
  }

  async write(src: AsyncIterable<Uint8Array>, check?: () => void | Promise<void>): Promise<WrittenBlob> {
    if (this.inline) {
      const h = await head(src);
      if (!h.rest) {
        const data = Buffer.concat(h.chunks);
        const sha = createHash('sha256').update(data).digest('hex');
        await check?.();
        await this.inline.write([['INSERT INTO store_inline_blobs (sha, data, created_at) VALUES (?, ?, ?) ON CONFLICT (sha) DO NOTHING', [sha, data, Date.now()]]]);
        return { sha, size: data.length };
      }
      src = h.rest;
    }
    const { tmp, sha, size } = await spool(this.dir, src, true);
    try {
      await check?.();
      const final = this.path(sha);
      await mkdir(join(final, '..'), { recursive: true });
      await rename(tmp, final);
      await syncDir(join(final, '..'));
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    return { sha, size };
  }

  private async small(sha: string): Promise<Buffer | undefined> {
    return (await this.inline?.q.get<{ data: Buffer }>('SELECT data FROM store_inline_blobs WHERE sha = ?', [sha]))?.data;
  }

  async read(sha: string, start?: number, end?: number): Promise<Readable> {
    const data = await this.small(sha);
    if (data) return ReadableStream.from([data.subarray(start ?? 0, end === undefined ? data.length : end + 1)], { objectMode: false });
    return rangeStream(this.path(sha), start, end);
  }

  async has(sha: string): Promise<boolean> {
    if (this.inline && (await this.inline.q.get('SELECT 1 AS x FROM store_inline_blobs WHERE sha = ?', [sha]))) return true;
    return stat(this.path(sha)).then(
      () => true,
      () => false,
    );
  }

  async list(): Promise<{ sha: string; at: number }[]> {
    const out: { sha: string; at: number }[] = [];
    for (const r of (await this.inline?.q.all<{ sha: string; created_at: number }>('SELECT sha, created_at FROM store_inline_blobs')) ?? []) out.push({ sha: r.sha, at: Number(r.created_at) });
    let subs: string[];
    try {
      subs = await readdir(this.dir);
    } catch {
      return out;
    }
    for (const s of subs) {
      const sub = join(this.dir, s);
      if (s.endsWith('.tmp')) {
        // A spool left by a crash mid-upload: never visible, removed by the sweep once old.
        const st = await stat(sub).catch(() => undefined);
        if (st) out.push({ sha: s, at: st.mtimeMs });
        continue;
      }
      for (const f of await readdir(sub).catch(() => [] as string[])) {
        const st = await stat(join(sub, f)).catch(() => undefined);
        if (st) out.push({ sha: f, at: st.mtimeMs });
      }
    }
    return out;
  }

  async remove(sha: string): Promise<void> {
    if (this.inline && !sha.endsWith('.tmp')) await this.inline.write([['DELETE FROM store_inline_blobs WHERE sha = ?', [sha]]]);
    await unlink(sha.endsWith('.tmp') ? join(this.dir, sha) : this.path(sha)).catch(() => undefined);
  }
}

const CHUNK = 4 * 1024 * 1024;

export const PG_OBJECT_BLOBS_DDL = [
  'CREATE TABLE IF NOT EXISTS store_object_blobs (sha TEXT PRIMARY KEY, size BIGINT NOT NULL, chunks INTEGER NOT NULL, created_at BIGINT NOT NULL)',
  'CREATE TABLE IF NOT EXISTS store_object_chunks (sha TEXT NOT NULL, n INTEGER NOT NULL, data BYTEA NOT NULL, PRIMARY KEY (sha, n))',
];

export interface PgTx {
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
}

/**
 * Object blobs in PostgreSQL as rows of 4 MB chunks (every node reaches them), with this node's disk as a cache: the
 * node that wrote a blob, or read it once, serves it from the file. Chunk rows rather than large objects: they are
 * plain rows (dumped, replicated and deleted like any other), and reading them back in order is as fast.
 */
export class PgObjectBlobs implements ObjectBlobs {
  private readonly cache: DiskObjectBlobs;
  private ready: Promise<unknown> | undefined;
  constructor(
    private readonly db: Queryable & PgTx,
    private readonly cacheDir: string,
  ) {
    this.cache = new DiskObjectBlobs(cacheDir);
  }

  private init(): Promise<unknown> {
    return (this.ready ??= (async () => {
      for (const s of PG_OBJECT_BLOBS_DDL) await this.db.run(s);
    })());
  }

  async write(src: AsyncIterable<Uint8Array>, check?: () => void | Promise<void>): Promise<WrittenBlob> {
    await this.init();
    // The cache copy needs no fsync: the database commit is the durability point.
    const { tmp, sha, size } = await spool(this.cacheDir, src, false);
    try {
      await check?.();
      const known = await this.db.get('SELECT 1 AS x FROM store_object_blobs WHERE sha = ?', [sha]);
      if (!known) {
        const fh = await open(tmp, 'r');
        try {
          const chunks = Math.max(1, Math.ceil(size / CHUNK));
          await this.db.tx(async (q) => {
            const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1)));
            for (let n = 0; n < chunks; n++) {
              const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, size - n * CHUNK), n * CHUNK);
              await q.run('INSERT INTO store_object_chunks (sha, n, data) VALUES (?, ?, ?) ON CONFLICT (sha, n) DO NOTHING', [sha, n, buf.subarray(0, bytesRead)]);
            }
            await q.run('INSERT INTO store_object_blobs (sha, size, chunks, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha) DO NOTHING', [sha, size, chunks, Date.now()]);
          });
        } finally {
          await fh.close();
        }
      }
      const final = this.cache.path(sha);
      await mkdir(join(final, '..'), { recursive: true });
      await rename(tmp, final);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    return { sha, size };
  }

  async read(sha: string, start?: number, end?: number): Promise<Readable> {
    if (!(await this.cache.has(sha))) await this.fetch(sha);
    return this.cache.read(sha, start, end);
  }

  /** Copies a blob's chunks into this node's cache, a few at a time (never the whole blob in memory). */
  private async fetch(sha: string): Promise<void> {
    await this.init();
    const meta = await this.db.get<{ chunks: number }>('SELECT chunks FROM store_object_blobs WHERE sha = ?', [sha]);
    if (!meta) throw Object.assign(new Error(`no object blob ${sha}`), { code: 'ENOENT' });
    const db = this.db;
    async function* chunks(): AsyncIterable<Uint8Array> {
      for (let n = 0; n < meta!.chunks; n += 4) {
        const rows = await db.all<{ data: Buffer }>('SELECT data FROM store_object_chunks WHERE sha = ? AND n >= ? AND n < ? ORDER BY n', [sha, n, n + 4]);
        for (const r of rows) yield r.data;
      }
    }
    const { tmp } = await spool(this.cacheDir, chunks(), false);
    const final = this.cache.path(sha);
    await mkdir(join(final, '..'), { recursive: true });
    await rename(tmp, final);
  }

  async has(sha: string): Promise<boolean> {
    await this.init();
    return (await this.db.get('SELECT 1 AS x FROM store_object_blobs WHERE sha = ?', [sha])) !== undefined;
  }

  async list(): Promise<{ sha: string; at: number }[]> {
    await this.init();
    const rows = await this.db.all<{ sha: string; created_at: number }>('SELECT sha, created_at FROM store_object_blobs');
    const local = (await this.cache.list()).filter((b) => b.sha.endsWith('.tmp'));
    return [...rows.map((r) => ({ sha: r.sha, at: Number(r.created_at) })), ...local];
  }

  async remove(sha: string): Promise<void> {
    await this.cache.remove(sha);
    if (sha.endsWith('.tmp')) return;
    await this.init();
    await this.db.tx(async (q) => {
      await q.run('DELETE FROM store_object_blobs WHERE sha = ?', [sha]);
      await q.run('DELETE FROM store_object_chunks WHERE sha = ?', [sha]);
    });
  }
}
