// One contract for both stores: transactions, migrations, blobs, work queues with claims, leases, the notifier and
// membership behave alike on the embedded SQLite store and on PostgreSQL.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/lib/clock.js';
import { coordination, lockDataDir, nodeIdentity, openStore, StoreOpenError, type OpenedStore } from '../../src/store/index.js';
import { freshPgDatabase, pgUnavailable, type PgDatabase } from '../helpers/pg.js';
import { removeDir } from '../helpers/server.js';

const pgSkip = await pgUnavailable();

interface Fixture {
  open(): Promise<OpenedStore>;
  cleanup(): Promise<void>;
}

function sqliteFixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'selfless-store-'));
  return { open: () => openStore(undefined, dir), cleanup: async () => removeDir(dir) };
}

async function pgFixture(): Promise<Fixture> {
  const db: PgDatabase = await freshPgDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'selfless-store-'));
  return {
    // Each open is another node: its own pool, notifier and blob cache, on the same database.
    open: () => openStore(db.url, mkdtempSync(join(dir, 'node-'))),
    cleanup: async () => {
      await db.drop();
      removeDir(dir);
    },
  };
}

/** A store of `kind` for one suite, opened before its tests with `ddl` applied, closed and removed after them. */
function suiteStore(kind: 'sqlite' | 'postgres', ddl: string): { fx: () => Fixture; a: () => OpenedStore } {
  let fx: Fixture | undefined;
  let a: OpenedStore | undefined;
  before(async () => {
    fx = kind === 'sqlite' ? sqliteFixture() : await pgFixture();
    a = await fx.open();
    await a.store.migrate(`suite_${ddl.length}`, [{ version: 1, up: ddl }]);
  });
  after(async () => {
    await a?.close();
    await fx?.cleanup();
  });
  return { fx: () => fx!, a: () => a! };
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`store contract (${kind})`, { skip: kind === 'postgres' ? pgSkip : undefined }, () => {
    const suite = suiteStore(kind, 'CREATE TABLE t_items (k TEXT PRIMARY KEY, n INTEGER NOT NULL, b BLOB)');
    let fx: Fixture;
    let a: OpenedStore;
    const clock = new FakeClock();
    before(() => {
      fx = suite.fx();
      a = suite.a();
    });

    test('a transaction that throws leaves nothing behind', async () => {
      await assert.rejects(
        a.store.tx(async (q) => {
          await q.run('INSERT INTO t_items (k, n) VALUES (?, ?)', ['rolled', 1]);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await a.store.get('SELECT k FROM t_items WHERE k = ?', ['rolled']), undefined);
    });

    test('integers come back as numbers (milliseconds beyond 2^31 included) and blobs as Buffers', async () => {
      const big = Date.UTC(2030, 0, 1);
      await a.store.run('INSERT INTO t_items (k, n, b) VALUES (?, ?, ?) ON CONFLICT (k) DO UPDATE SET n = excluded.n, b = excluded.b', ['big', big, Buffer.from([0, 1, 255])]);
      const r = await a.store.get<{ n: number; b: Buffer }>('SELECT n, b FROM t_items WHERE k = ?', ['big']);
      assert.equal(r?.n, big);
      assert.deepEqual([...(r?.b ?? [])], [0, 1, 255]);
    });

    test('migrations run once, and a database of a newer schema is refused with one line', async () => {
      // The second call would fail on the existing table if it ran again.
      await a.store.migrate('t', [{ version: 1, up: 'CREATE TABLE t_once (k TEXT PRIMARY KEY)' }]);
      await a.store.migrate('t', [{ version: 1, up: 'CREATE TABLE t_once (k TEXT PRIMARY KEY)' }]);
      await a.store.migrate('t2', [{ version: 3, up: 'CREATE TABLE t2_x (k TEXT)' }]);
      await assert.rejects(a.store.migrate('t2', [{ version: 1, up: 'CREATE TABLE t2_x (k TEXT)' }]), (e: unknown) => e instanceof StoreOpenError && /schema version 3 of 't2', newer than this selfless knows \(1\)/.test(e.message));
    });

    test('blobs are content-addressed, durable and readable from another node', async () => {
      const data = Buffer.from(`blob ${kind} ${Date.now()}`);
      const sha = await a.store.blobs.put(data);
      assert.match(sha, /^[0-9a-f]{64}$/);
      assert.equal(await a.store.blobs.has(sha), true);
      assert.equal(await a.store.blobs.has('0'.repeat(64)), false);
      assert.deepEqual(await readFile(await a.store.blobs.localPath(sha)), data);
      if (kind === 'postgres') {
        const b = await fx.open();
        try {
          assert.deepEqual(await b.store.blobs.read(sha), data);
          assert.deepEqual(await readFile(await b.store.blobs.localPath(sha)), data);
        } finally {
          await b.close();
        }
      }
    });

    test('work queues: concurrent claimers get disjoint items, each exactly once', async () => {
      const one = await coordination({ store: a.store, notifier: a.notifier, clock, nodeId: 'n1' });
      const b = kind === 'postgres' ? await fx.open() : a;
      try {
        const two = await coordination({ store: b.store, notifier: b.notifier, clock, nodeId: 'n2' });
        const ids = Array.from({ length: 200 }, (_, i) => `i${String(i).padStart(4, '0')}`);
        await one.work.add('q:disjoint', ids.map((id) => ({ id, payload: Buffer.from(id) })));
        const got: string[] = [];
        const drain = async (c: typeof one): Promise<void> => {
          for (;;) {
            const items = await c.work.claim('q:disjoint', 7);
            if (items.length === 0) return;
            for (const it of items) {
              assert.equal(it.payload.toString(), it.id);
              got.push(it.id);
              assert.equal(await c.work.complete('q:disjoint', it.id), true);
            }
          }
        };
        await Promise.all([drain(one), drain(two), drain(one), drain(two)]);
        assert.deepEqual([...got].sort(), ids);
      } finally {
        if (b !== a) await b.close();
      }
    });

    test('work queues: a lapsed lease makes the item claimable by another owner, and the old owner can no longer complete it', async () => {
      const one = await coordination({ store: a.store, notifier: a.notifier, clock, nodeId: 'n1', leaseMs: 1_000 });
      const two = await coordination({ store: a.store, notifier: a.notifier, clock, nodeId: 'n2', leaseMs: 1_000 });
      await one.work.add('q:lapse', [{ id: 'x', payload: Buffer.from('p') }]);
      assert.equal((await one.work.claim('q:lapse', 10)).length, 1);
      assert.equal((await two.work.claim('q:lapse', 10)).length, 0, 'held while the lease runs');
      clock.advance(500);
      await one.work.renewAll();
      clock.advance(800);
      assert.equal((await two.work.claim('q:lapse', 10)).length, 0, 'renewed by the heartbeat');
      clock.advance(1_000);
      const again = await two.work.claim('q:lapse', 10);
      assert.equal(again.length, 1);
      assert.equal(again[0]!.attempts, 2);
      assert.equal(await one.work.complete('q:lapse', 'x'), false);
      assert.equal(await two.work.complete('q:lapse', 'x'), true);
      assert.equal(await one.work.count('q:lapse'), 0);
    });

    test('work queues: release with a delay hides the item until then; releaseAll hands everything back', async () => {
      const one = await coordination({ store: a.store, notifier: a.notifier, clock, nodeId: 'n1' });
      await one.work.add('q:delay', [{ id: 'a', payload: Buffer.from('1') }, { id: 'b', payload: Buffer.from('2') }]);
      const [first, second] = await one.work.claim('q:delay', 10);
      assert.deepEqual([first?.id, second?.id], ['a', 'b']);
      assert.equal(await one.work.release('q:delay', 'a', { availableAt: clock.now() + 5_000, payload: Buffer.from('retry') }), true);
      assert.equal(await one.work.nextAt('q:delay'), clock.now() + 5_000);
      await one.work.releaseAll();
      const two = await coordination({ store: a.store, notifier: a.notifier, clock, nodeId: 'n2' });
      assert.deepEqual((await two.work.claim('q:delay', 10)).map((i) => i.id), ['b']);
      clock.advance(5_000);
      const late = await two.work.claim('q:delay', 10);
      assert.deepEqual(late.map((i) => [i.id, i.payload.toString()]), [['a', 'retry']]);
      assert.deepEqual(await two.work.queues('q:del'), ['q:delay']);
    });

    test('leases: one holder at a time; a lapsed lease passes to another with a new epoch; releaseAll frees them', async () => {
      const one = await coordination({ store: a.store, notifier: a.notifier, clock, nodeId: 'n1', leaseMs: 1_000 });
      const two = await coordination({ store: a.store, notifier: a.notifier, clock, nodeId: 'n2', leaseMs: 1_000 });
      assert.equal(await one.leases.acquire('exec:1'), true);
      assert.equal(await one.leases.acquire('exec:1'), true, 'the holder may re-acquire');
      assert.equal(await two.leases.acquire('exec:1'), false);
      assert.equal((await one.leases.get('exec:1'))?.epoch, 1);
      clock.advance(1_001);
      assert.equal(await one.leases.holds('exec:1'), false);
      assert.equal(await two.leases.acquire('exec:1'), true);
      assert.equal((await two.leases.get('exec:1'))?.epoch, 2);
      assert.equal(await two.leases.acquire('exec:2'), true);
      assert.deepEqual((await one.leases.list('exec:')).map((l) => l.owner), ['n2', 'n2']);
      await two.leases.releaseAll();
      assert.equal(await one.leases.acquire('exec:2'), true);
    });

    test('the notifier wakes listeners on every node after the write, and stops when unsubscribed', async () => {
      const b = kind === 'postgres' ? await fx.open() : a;
      try {
        const heard: string[] = [];
        const off = b.notifier.listen('chan:x', (p) => heard.push(p));
        // LISTEN on PostgreSQL is asynchronous to set up; give it a round trip.
        await b.store.get('SELECT 1 AS one');
        const arrived = new Promise<void>((r) => {
          const stop = b.notifier.listen('chan:x', () => {
            stop();
            r();
          });
        });
        a.notifier.notify('chan:x', 'hello');
        await arrived;
        assert.deepEqual(heard, ['hello']);
        off();
        a.notifier.notify('chan:x', 'again');
        await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(heard, ['hello']);
      } finally {
        if (b !== a) await b.close();
      }
    });

    test('membership: started nodes are live with their address; a stopped or silent node is not', async () => {
      const one = await coordination({ store: a.store, notifier: a.notifier, clock, nodeId: 'm1', heartbeatMs: 1_000, environments: () => 3 });
      const two = await coordination({ store: a.store, notifier: a.notifier, clock, nodeId: 'm2', heartbeatMs: 1_000 });
      await one.membership.start('http://127.0.0.1:1');
      await two.membership.start('http://127.0.0.1:2');
      let live = await one.membership.live();
      assert.deepEqual(live.filter((n) => n.id.startsWith('m')).map((n) => [n.id, n.address, n.environments]), [['m1', 'http://127.0.0.1:1', 3], ['m2', 'http://127.0.0.1:2', 0]]);
      await two.membership.stop();
      live = await one.membership.live();
      assert.deepEqual(live.filter((n) => n.id.startsWith('m')).map((n) => n.id), ['m1']);
      await one.membership.stop();
    });
  });
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`store contract: group-commit writes (${kind})`, { skip: kind === 'postgres' ? pgSkip : undefined }, () => {
    const suite = suiteStore(kind, 'CREATE TABLE w_items (k TEXT PRIMARY KEY, n INTEGER NOT NULL)');
    let a: OpenedStore;
    before(() => {
      a = suite.a();
    });

    test('a write resolves once committed and is then visible to reads, with the rows RETURNING gives', async () => {
      const [ins, upd] = await a.store.journal.write([
        ['INSERT INTO w_items (k, n) VALUES (?, ?)', ['a', 1]],
        ['UPDATE w_items SET n = n + 1 WHERE k = ? RETURNING n', ['a']],
      ]);
      assert.equal(ins?.changes, 1);
      assert.deepEqual(upd?.rows, [{ n: 2 }]);
      assert.deepEqual(await a.store.get('SELECT n FROM w_items WHERE k = ?', ['a']), { n: 2 });
    });

    test('writes issued together: a failing group is rolled back alone and rejects only its caller', async () => {
      const ok1 = a.store.journal.write([['INSERT INTO w_items (k, n) VALUES (?, ?)', ['b', 1]]]);
      const bad = a.store.journal.write([
        ['INSERT INTO w_items (k, n) VALUES (?, ?)', ['c', 1]],
        // 'a' exists since the test before: this group fails whatever order the groups commit in.
        ['INSERT INTO w_items (k, n) VALUES (?, ?)', ['a', 9]],
      ]);
      const ok2 = a.store.journal.write([['INSERT INTO w_items (k, n) VALUES (?, ?)', ['d', 1]]]);
      const refused = assert.rejects(bad, /UNIQUE|unique|duplicate/);
      await ok1;
      await ok2;
      await refused;
      const keys = (await a.store.all<{ k: string }>('SELECT k FROM w_items ORDER BY k')).map((r) => r.k);
      assert.deepEqual(keys, ['a', 'b', 'd'], 'the failing group left no row behind');
    });
  });
}

test('a data directory is refused to a second process, naming the holder; a node keeps its identity across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfless-lock-'));
  const unlock = await lockDataDir(dir);
  try {
    // The lock is a pid file: a live holder refuses; our own pid stands for "another live process" here.
    await assert.rejects(lockDataDir(dir), (e: unknown) => e instanceof StoreOpenError && /in use by another selfless \(pid \d+\)/.test(e.message));
  } finally {
    await unlock();
  }
  const again = await lockDataDir(dir);
  await again();
  const id = await nodeIdentity(dir);
  assert.match(id, /^[0-9a-f]{16}$/);
  assert.equal(await nodeIdentity(dir), id);
  removeDir(dir);
});
