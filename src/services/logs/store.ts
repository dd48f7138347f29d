// The log store: function output and platform lines by group and stream, written in small batches.
import type { Clock } from '../../lib/clock.js';
import type { LogEvent, LogSink } from '../../engine/types.js';
import type { Journal } from '../../store/journal.js';
import type { SqlValue, Store } from '../../store/store.js';

export const LOGS_MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE logs_streams (region TEXT NOT NULL, grp TEXT NOT NULL, stream TEXT NOT NULL, created INTEGER NOT NULL,
           first_ts INTEGER, last_ts INTEGER, last_ingest INTEGER, PRIMARY KEY (region, grp, stream));
         CREATE TABLE logs_groups (region TEXT NOT NULL, grp TEXT NOT NULL, created INTEGER NOT NULL, retention INTEGER,
           PRIMARY KEY (region, grp));
         CREATE TABLE logs_events (id INTEGER PRIMARY KEY AUTOINCREMENT, region TEXT NOT NULL, grp TEXT NOT NULL, stream TEXT NOT NULL,
           ts INTEGER NOT NULL, ingest INTEGER NOT NULL, message TEXT NOT NULL);
         CREATE INDEX logs_events_by_group ON logs_events (region, grp, ts);
         CREATE INDEX logs_events_by_stream ON logs_events (region, grp, stream, id);`,
  },
  // A log group's tags (JSON object), set at CreateLogGroup and by the tagging operations.
  { version: 2, up: 'ALTER TABLE logs_groups ADD COLUMN tags TEXT' },
];

const ROWS_PER_INSERT = 64;
/** Lines wait this long to be written together (reads flush first, so nobody sees the delay but a crash). */
const FLUSH_MS = 100;
const rowSql = new Map<number, string>();
const insertRows = (n: number): string => {
  let sql = rowSql.get(n);
  if (!sql) rowSql.set(n, (sql = Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?)').join(', ')));
  return sql;
};

interface Pending {
  region: string;
  group: string;
  stream: string;
  event: LogEvent;
}

export interface StoredEvent {
  id: number;
  grp: string;
  stream: string;
  ts: number;
  ingest: number;
  message: string;
}

export class LogStore implements LogSink {
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** The process's group-commit journal: lines then commit on its writer thread, never taking the write lock on
     *  the main thread (where waiting for it would stall every request). Without it, a relaxed transaction here. */
    private readonly journal?: Journal,
  ) {}

  async init(): Promise<void> {
    await this.store.migrate('logs', LOGS_MIGRATIONS);
  }

  append(region: string, group: string, stream: string, events: LogEvent[]): void {
    for (const event of events) this.pending.push({ region, group, stream, event });
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Writes everything appended so far; resolves once it is in the database. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const ingest = this.clock.now();
    const stmts: [string, SqlValue[]][] = [];
    const streams = new Map<string, { p: Pending; first: number; last: number }>();
    for (const p of batch) {
      const k = `${p.region}\u0000${p.group}\u0000${p.stream}`;
      const s = streams.get(k);
      if (s) s.last = p.event.timestamp;
      else streams.set(k, { p, first: p.event.timestamp, last: p.event.timestamp });
    }
    for (const { p, first, last } of streams.values()) {
      stmts.push(['INSERT INTO logs_groups (region, grp, created) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [p.region, p.group, ingest]]);
      stmts.push([
        `INSERT INTO logs_streams (region, grp, stream, created, first_ts, last_ts, last_ingest) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (region, grp, stream) DO UPDATE SET last_ts = excluded.last_ts, last_ingest = excluded.last_ingest`,
        [p.region, p.group, p.stream, ingest, first, last, ingest],
      ]);
    }
    // Many rows per statement: the per-statement cost, not SQLite's, dominates small log lines.
    for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) {
      const rows = batch.slice(i, i + ROWS_PER_INSERT);
      const params: (string | number)[] = [];
      for (const p of rows) params.push(p.region, p.group, p.stream, p.event.timestamp, ingest, p.event.message);
      stmts.push([`INSERT INTO logs_events (region, grp, stream, ts, ingest, message) VALUES ${insertRows(rows.length)}`, params]);
    }
    const journal = this.journal;
    this.flushing = (
      journal
        ? (() => {
            for (const [sql, params] of stmts) journal.add(sql, params);
            return journal.commit();
          })()
        : this.store.tx(async (q) => {
            for (const [sql, params] of stmts) await q.run(sql, params);
          }, { durable: false })
    )
      .finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  async close(): Promise<void> {
    await this.flush();
  }
}
