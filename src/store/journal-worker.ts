// The journal's writer thread: commits statement batches on its own SQLite connection, so that the fsync of a
// group commit overlaps with the main thread serving the next requests instead of blocking it.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

type Batch = { id: number; batch: [string, (string | number | null | Uint8Array)[]][] };

const db = new Database((workerData as { path: string }).path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
const stmts = new Map<string, Database.Statement>();
const prep = (sql: string): Database.Statement => {
  let s = stmts.get(sql);
  if (!s) stmts.set(sql, (s = db.prepare(sql)));
  return s;
};
// A Buffer posted to this thread arrives as a plain Uint8Array, which better-sqlite3 does not bind as a BLOB.
const bind = (p: unknown): unknown => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p);
const apply = db.transaction((batch: Batch['batch']) => {
  for (const [sql, params] of batch) prep(sql).run(...params.map(bind));
});

parentPort!.on('message', (m: Batch | 'close') => {
  if (m === 'close') {
    db.close();
    parentPort!.close();
    return;
  }
  try {
    apply.immediate(m.batch);
    parentPort!.postMessage({ id: m.id });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
