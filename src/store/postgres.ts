// The cluster store: PostgreSQL (pg), shared by every node; portable SQL rewritten once per statement text.
import pg from 'pg';
import { createHash } from 'node:crypto';
import type { Migration, Queryable, SqlValue, Store } from './store.js';
import { numberPlaceholders, postgresDdl, POSTGRES } from './dialect.js';
import { PgBlobStore } from './pg-blobs.js';
import { checkNotNewer, StoreOpenError } from './schema.js';
import { Journal } from './journal.js';

// BIGINT columns hold milliseconds and counters, all far below 2^53: read them as numbers, as SQLite gives them.
pg.types.setTypeParser(20, (v) => Number(v));

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly dialect = POSTGRES;
  readonly blobs: PgBlobStore;
  private readonly texts = new Map<string, { name: string; text: string }>();

  private constructor(
    readonly pool: pg.Pool,
    readonly url: string,
    cacheDir: string,
  ) {
    this.blobs = new PgBlobStore(this, cacheDir);
    // Groups of write() run at once, each its own transaction on a pooled connection: PostgreSQL commits them in
    // parallel and groups their WAL flushes itself. Loose add() statements are still batched, up to four flushes at once.
    this.journal = new Journal(this, (e) => process.stderr.write(`selfless: journal write failed: ${e instanceof Error ? e.message : String(e)}\n`), undefined, { maxInFlight: 4, direct: true });
  }
  readonly journal: Journal;

  /** Connects (and checks the server answers) or throws a StoreOpenError with one line saying why. */
  static async open(url: string, cacheDir: string, poolSize = 20): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: url, max: poolSize, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 });
    // An idle client that loses its server emits 'error' on the pool; without a listener that would end the process.
    pool.on('error', () => undefined);
    try {
      await pool.query('SELECT 1');
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new StoreOpenError(`cannot reach the PostgreSQL store at ${redact(url)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const s = new PostgresStore(pool, url, cacheDir);
    await s.pool.query('CREATE TABLE IF NOT EXISTS store_migrations (owner TEXT NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (owner, version))');
    return s;
  }

  /** Prepared-statement config for a portable SQL text: named, so each connection parses it once. */
  private stmt(sql: string, params: readonly SqlValue[] = []): pg.QueryConfig {
    let t = this.texts.get(sql);
    if (!t) {
      t = { name: `s${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`, text: numberPlaceholders(sql) };
      this.texts.set(sql, t);
    }
    return { name: t.name, text: t.text, values: params as unknown[] };
  }

  private on(client: pg.Pool | pg.PoolClient): Queryable {
    return {
      get: async <T>(sql: string, params?: readonly SqlValue[]) => (await client.query(this.stmt(sql, params))).rows[0] as T | undefined,
      all: async <T>(sql: string, params?: readonly SqlValue[]) => (await client.query(this.stmt(sql, params))).rows as T[],
      run: async (sql: string, params?: readonly SqlValue[]) => ({ changes: (await client.query(this.stmt(sql, params))).rowCount ?? 0 }),
    };
  }

  private get direct(): Queryable {
    return (this.directQ ??= this.on(this.pool));
  }
  private directQ: Queryable | undefined;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.direct.get<T>(sql, params);
  }
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.direct.all<T>(sql, params);
  }
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.direct.run(sql, params);
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>, opts?: { durable?: boolean }): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Logs may be lost to a crash (as on SQLite): their commits do not wait for the WAL flush.
      if (opts?.durable === false) await client.query('SET LOCAL synchronous_commit = off');
      const out = await fn(this.on(client));
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async migrate(owner: string, migrations: readonly Migration[]): Promise<void> {
    // Nodes starting together take turns: the advisory lock is held until each migration's transaction ends.
    await this.tx(async (q) => {
      await q.run("SELECT pg_advisory_xact_lock(hashtext('selfless:migrate'))");
      const done = new Set((await q.all<{ version: number }>('SELECT version FROM store_migrations WHERE owner = ?', [owner])).map((r) => r.version));
      checkNotNewer(owner, done, migrations, redact(this.url));
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(m.version)) continue;
        const sql = typeof m.up === 'string' ? postgresDdl(m.up) : m.up.postgres;
        for (const part of splitStatements(sql)) await q.run(part);
        await q.run('INSERT INTO store_migrations (owner, version) VALUES (?, ?)', [owner, m.version]);
      }
    });
  }

  async close(): Promise<void> {
    await this.journal.close();
    await this.pool.end();
  }
}

/** A migration text's statements (pg's extended protocol runs one at a time); migrations hold no `;` in literals. */
function splitStatements(sql: string): string[] {
  return sql
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the given URL';
  }
}
