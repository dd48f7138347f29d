// The embedded store: SQLite (better-sqlite3) in WAL mode with synchronous=FULL, so a commit is on disk.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { Migration, Queryable, SqlValue, Store } from './store.js';
import { DiskBlobStore } from './blobs.js';
import { SQLITE } from './dialect.js';
import { Journal } from './journal.js';
import { INLINE_BLOBS_DDL } from './object-blobs.js';
import { checkNotNewer, StoreOpenError } from './schema.js';

/** `PRAGMA application_id` of a selfless database ('SLFS'), so that another program's SQLite file is told apart. */
const APPLICATION_ID = 0x534c4653;

/**
 * Refuses, before anything is written to it, a file that is not a selfless database: not SQLite at all (random bytes,
 * a truncated or damaged header), another application's SQLite file (its own application_id, or tables without
 * selfless's bookkeeping), or a damaged one (SQLite's quick_check, which reads every page once).
 */
function checkOurs(db: Database.Database, path: string): void {
  let appId: number;
  let tables: string[];
  try {
    appId = Number(db.pragma('application_id', { simple: true }));
    tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/malformed|corrupt/i.test(msg)) throw new StoreOpenError(`${path} is damaged (${msg}); restore it from a backup or move it away`);
    throw new StoreOpenError(`${path} is not a selfless database (${msg}); move it away or choose another data directory with --data`);
  }
  if (appId !== 0 && appId !== APPLICATION_ID) {
    throw new StoreOpenError(`${path} is the SQLite database of another application (application_id 0x${appId.toString(16)}), not selfless's; move it away or choose another data directory with --data`);
  }
  if (tables.length > 0 && !tables.includes('store_migrations')) {
    const some = tables.slice(0, 3).join(', ');
    throw new StoreOpenError(`${path} is the SQLite database of another application (tables ${some}${tables.length > 3 ? ', …' : ''}), not selfless's; move it away or choose another data directory with --data`);
  }
  let verdict: string;
  try {
    verdict = String(db.pragma('quick_check(1)', { simple: true }));
  } catch (e) {
    verdict = e instanceof Error ? e.message : String(e);
  }
  if (verdict !== 'ok') throw new StoreOpenError(`${path} is damaged (SQLite quick_check: ${verdict.split('\n')[0]}); restore it from a backup or move it away`);
}

/** Serialises async transactions: better-sqlite3 has one connection, and an async tx must not interleave. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  lock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly dialect = SQLITE;
  readonly blobs: DiskBlobStore;
  private readonly db: Database.Database;
  private readonly stmts = new Map<string, Database.Statement>();
  private readonly mutex = new Mutex();
  private inTx = false;
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'selfless.db');
    this.db = new Database(this.path);
    try {
      checkOurs(this.db, this.path);
    } catch (e) {
      this.db.close();
      throw e;
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.db.exec('CREATE TABLE IF NOT EXISTS store_migrations (owner TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (owner, version))');
    if (this.db.pragma('application_id', { simple: true }) === 0) this.db.pragma(`application_id = ${APPLICATION_ID}`);
    this.blobs = new DiskBlobStore(join(dataDir, 'blobs'));
    this.journal = new Journal(this, (e) => process.stderr.write(`selfless: journal write failed: ${e instanceof Error ? e.message : String(e)}\n`), this.path);
    this.db.exec(INLINE_BLOBS_DDL);
    this.blobs.objects.useInline({ q: this.direct, write: (g) => this.journal.write(g) });
  }
  readonly journal: Journal;

  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  private readonly direct: Queryable = {
    get: async <T>(sql: string, params: readonly SqlValue[] = []) => this.stmt(sql).get(...params) as T | undefined,
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => this.stmt(sql).all(...params) as T[],
    run: async (sql: string, params: readonly SqlValue[] = []) => ({ changes: this.stmt(sql).run(...params).changes }),
  };

  // Outside a transaction, statements wait for any running transaction so that they never join it by accident.
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.inTx ? this.mutex.lock(() => this.direct.get<T>(sql, params)) : this.direct.get<T>(sql, params);
  }
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.inTx ? this.mutex.lock(() => this.direct.all<T>(sql, params)) : this.direct.all<T>(sql, params);
  }
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.inTx ? this.mutex.lock(() => this.direct.run(sql, params)) : this.direct.run(sql, params);
  }

  tx<T>(fn: (q: Queryable) => Promise<T>, opts?: { durable?: boolean }): Promise<T> {
    const relaxed = opts?.durable === false;
    return this.mutex.lock(async () => {
      // In WAL mode synchronous=NORMAL commits without an fsync (which would block the event loop); FULL is restored
      // after, so every other commit still waits for the disk, and also makes this one durable.
      if (relaxed) this.db.pragma('synchronous = NORMAL');
      this.db.exec('BEGIN IMMEDIATE');
      this.inTx = true;
      try {
        const out = await fn(this.direct);
        this.db.exec('COMMIT');
        return out;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      } finally {
        this.inTx = false;
        if (relaxed) this.db.pragma('synchronous = FULL');
      }
    });
  }

  async migrate(owner: string, migrations: readonly Migration[]): Promise<void> {
    const done = new Set(
      (this.db.prepare('SELECT version FROM store_migrations WHERE owner = ?').all(owner) as { version: number }[]).map((r) => r.version),
    );
    checkNotNewer(owner, done, migrations, this.path);
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      const sql = typeof m.up === 'string' ? m.up : m.up.sqlite;
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db.prepare('INSERT INTO store_migrations (owner, version) VALUES (?, ?)').run(owner, m.version);
      })();
    }
  }

  async close(): Promise<void> {
    await this.journal.close();
    await this.mutex.lock(async () => undefined);
    this.stmts.clear();
    this.db.close();
  }
}
