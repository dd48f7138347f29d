// The journal's writer thread: commits batches of statement groups on its own SQLite connection, so that the fsync
// of a group commit overlaps with the main thread serving the next requests instead of blocking it. Each group runs
// in a savepoint: a failing group is rolled back alone and reported to its own caller.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

type Stmt = [sql: string, params: (string | number | null | Uint8Array)[]];
type Batch = { id: number; groups: Stmt[][] };
type Out = { changes: number; rows?: unknown[] };
type GroupResult = { out: Out[] } | { error: string };

const db = new Database((workerData as { path: string }).path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
db.defaultSafeIntegers(false);
const stmts = new Map<string, Database.Statement>();
const prep = (sql: string): Database.Statement => {
  let s = stmts.get(sql);
  if (!s) stmts.set(sql, (s = db.prepare(sql)));
  return s;
};
// A Buffer posted to this thread arrives as a plain Uint8Array, which better-sqlite3 does not bind as a BLOB.
const bind = (p: unknown): unknown => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p);

function runGroup(group: Stmt[]): Out[] {
  return group.map(([sql, params]) => {
    const s = prep(sql);
    const args = params.map(bind);
    if (s.reader) {
      const rows = s.all(...args);
      return { changes: rows.length, rows };
    }
    return { changes: s.run(...args).changes };
  });
}

function apply(groups: Stmt[][]): GroupResult[] {
  db.exec('BEGIN IMMEDIATE');
  try {
    const results = groups.map((g): GroupResult => {
      if (groups.length === 1) return { out: runGroup(g) };
      db.exec('SAVEPOINT g');
      try {
        const out = runGroup(g);
        db.exec('RELEASE g');
        return { out };
      } catch (e) {
        db.exec('ROLLBACK TO g');
        db.exec('RELEASE g');
        return { error: e instanceof Error ? e.message : String(e) };
      }
    });
    db.exec('COMMIT');
    return results;
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  }
}

parentPort!.on('message', (m: Batch | 'close') => {
  if (m === 'close') {
    db.close();
    parentPort!.close();
    return;
  }
  try {
    parentPort!.postMessage({ id: m.id, results: apply(m.groups) });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
