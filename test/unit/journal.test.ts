// Unit: the group-commit journal: what a commit waits for, and lazy statements that ride along with the next commit
// instead of calling for one of their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite.js';
import { Journal } from '../../src/store/journal.js';

async function withJournal(body: (j: Journal, rows: () => Promise<number[]>) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'journal-'));
  const store = new SqliteStore(dir);
  await store.migrate('journal-test', [{ version: 1, up: 'CREATE TABLE t (n INTEGER PRIMARY KEY)' }]);
  const j = new Journal(store, () => undefined, join(dir, 'selfless.db'));
  const rows = async () => (await store.all<{ n: number }>('SELECT n FROM t ORDER BY n')).map((r) => r.n);
  try {
    await body(j, rows);
  } finally {
    await j.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('Journal: a commit resolves once every statement added before it is in the database', async () => {
  await withJournal(async (j, rows) => {
    j.add('INSERT INTO t (n) VALUES (?)', [1]);
    j.add('INSERT INTO t (n) VALUES (?)', [2]);
    await j.commit();
    assert.deepEqual(await rows(), [1, 2]);
  });
});

test('Journal: a lazy statement waits for the next commit, joins it, and is written within 100 ms without one', async () => {
  await withJournal(async (j, rows) => {
    j.add('INSERT INTO t (n) VALUES (?)', [1], true);
    await sleep(30);
    assert.deepEqual(await rows(), [], 'not committed on its own at once');
    j.add('INSERT INTO t (n) VALUES (?)', [2]);
    await j.commit();
    assert.deepEqual(await rows(), [1, 2], 'rode along with the next commit');
    j.add('INSERT INTO t (n) VALUES (?)', [3], true);
    await sleep(250);
    assert.deepEqual(await rows(), [1, 2, 3], 'written by the lazy deadline');
  });
});

test('Journal: closing commits lazy statements still pending', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'journal-'));
  const store = new SqliteStore(dir);
  await store.migrate('journal-test', [{ version: 1, up: 'CREATE TABLE t (n INTEGER PRIMARY KEY)' }]);
  const j = new Journal(store, () => undefined, join(dir, 'selfless.db'));
  j.add('INSERT INTO t (n) VALUES (?)', [7], true);
  await j.close();
  assert.deepEqual(await store.all('SELECT n FROM t'), [{ n: 7 }]);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
