// One contract for the object blobs of both stores: streamed in and hashed, read back by range on another node,
// a failed check leaves nothing, listed and removed for the sweep.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INLINE_MAX, openStore, type OpenedStore } from '../../src/store/index.js';
import { freshPgDatabase, pgUnavailable, type PgDatabase } from '../helpers/pg.js';
import { removeDir } from '../helpers/server.js';

const pgSkip = await pgUnavailable();

async function* pieces(buf: Buffer, size: number): AsyncIterable<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function collect(s: AsyncIterable<unknown>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(c as Buffer);
  return Buffer.concat(out);
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`object blobs contract (${kind})`, { skip: kind === 'postgres' ? pgSkip : undefined }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'selfless-objblobs-'));
    let db: PgDatabase | undefined;
    let a: OpenedStore;
    let b: OpenedStore;
    before(async () => {
      if (kind === 'postgres') db = await freshPgDatabase();
      mkdirSync(join(dir, 'a'));
      mkdirSync(join(dir, 'b'));
      a = await openStore(db?.url, join(dir, 'a'));
      // The second node shares the database (PostgreSQL) or, for SQLite, is the same store reopened after a close.
      b = db ? await openStore(db.url, join(dir, 'b')) : a;
    });
    after(async () => {
      if (b !== a) await b.close();
      await a.close();
      await db?.drop();
      removeDir(dir);
    });

    test('a streamed blob (over one chunk) is addressed by its SHA-256 and read back whole and by range on any node', async () => {
      const data = randomBytes(9 * 1024 * 1024 + 17);
      const w = await a.store.blobs.objects.write(pieces(data, 65536));
      assert.equal(w.sha, createHash('sha256').update(data).digest('hex'));
      assert.equal(w.size, data.length);
      assert.equal(await b.store.blobs.objects.has(w.sha), true);
      assert.deepEqual(await collect(await b.store.blobs.objects.read(w.sha)), data);
      const start = 4 * 1024 * 1024 - 5;
      assert.deepEqual(await collect(await b.store.blobs.objects.read(w.sha, start, start + 9)), data.subarray(start, start + 10));
      assert.ok((await a.store.blobs.objects.list()).some((x) => x.sha === w.sha));
      await a.store.blobs.objects.remove(w.sha);
      assert.equal(await a.store.blobs.objects.has(w.sha), false);
    });

    test('blobs on either side of the inline size (kept in the database on SQLite) read back whole and by range, and are listed and removed', async () => {
      for (const size of [1, INLINE_MAX, INLINE_MAX + 1]) {
        const data = randomBytes(size);
        const w = await a.store.blobs.objects.write(pieces(data, 7000));
        assert.equal(w.sha, createHash('sha256').update(data).digest('hex'));
        assert.equal(w.size, size);
        assert.deepEqual(await collect(await b.store.blobs.objects.read(w.sha)), data);
        assert.deepEqual(await collect(await b.store.blobs.objects.read(w.sha, 0, 0)), data.subarray(0, 1));
        assert.deepEqual(await collect(await b.store.blobs.objects.read(w.sha, size - 1, size - 1)), data.subarray(size - 1));
        assert.ok((await a.store.blobs.objects.list()).some((x) => x.sha === w.sha), `listed (${size} bytes)`);
        await a.store.blobs.objects.remove(w.sha);
        assert.equal(await b.store.blobs.objects.has(w.sha), false, `removed (${size} bytes)`);
      }
    });

    test('a failing check discards the blob; an empty blob is fine', async () => {
      const data = Buffer.from('to be refused');
      await assert.rejects(
        a.store.blobs.objects.write(pieces(data, 4), () => {
          throw new Error('bad digest');
        }),
        /bad digest/,
      );
      assert.equal(await a.store.blobs.objects.has(createHash('sha256').update(data).digest('hex')), false);
      assert.equal((await a.store.blobs.objects.list()).filter((x) => x.sha.endsWith('.tmp')).length, 0);
      const e = await a.store.blobs.objects.write(pieces(Buffer.alloc(0), 1));
      assert.equal(e.size, 0);
      assert.equal((await collect(await a.store.blobs.objects.read(e.sha))).length, 0);
    });
  });
}
