// PostgreSQL for tests: a fresh database per suite on the machine's server (SELFLESS_TEST_PG, default 127.0.0.1:5432).
import pg from 'pg';
import { hex } from '../../src/lib/ids.js';

const ADMIN = process.env['SELFLESS_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface PgDatabase {
  url: string;
  drop(): Promise<void>;
}

let reachable: Promise<string | undefined> | undefined;

/** Why PostgreSQL tests skip here, or undefined when a server answers. */
export function pgUnavailable(): Promise<string | undefined> {
  return (reachable ??= (async () => {
    const c = new pg.Client({ connectionString: ADMIN, connectionTimeoutMillis: 3_000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return undefined;
    } catch (e) {
      return `no PostgreSQL at ${ADMIN} (${e instanceof Error ? e.message : String(e)}); set SELFLESS_TEST_PG`;
    } finally {
      await c.end().catch(() => undefined);
    }
  })());
}

/** Creates an empty database for one suite; drop() removes it (ending any connection still open to it). */
export async function freshPgDatabase(): Promise<PgDatabase> {
  const name = `selfless_t_${hex(6)}`;
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const a = new pg.Client({ connectionString: ADMIN });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
