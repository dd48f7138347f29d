// Durable work queues with claims: an item is claimed with a lease, renewed while worked on, then completed,
// retried later or released; an item whose lease lapsed (its node died) is claimable again by any node.
//
// One table serves every queue (`async:<fn>`, …). Claims take rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so
// nodes claiming at once never wait for or take each other's rows; SQLite has one writer and needs no lock. Leases are
// renewed in one statement per owner (the node's heartbeat), not per item.
import type { Clock } from '../lib/clock.js';
import type { Notifier } from './notifier.js';
import type { Stmt } from './journal.js';
import type { Migration, Queryable, Store } from './store.js';

export const WORK_MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE store_work (queue TEXT NOT NULL, id TEXT NOT NULL, payload BLOB NOT NULL, available_at INTEGER NOT NULL,
           owner TEXT, lease_until INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (queue, id));
         CREATE INDEX store_work_ready ON store_work (queue, available_at);
         CREATE INDEX store_work_owner ON store_work (owner)`,
  },
];

export interface WorkItem {
  queue: string;
  id: string;
  payload: Buffer;
  /** Claims so far, this one included. */
  attempts: number;
  availableAt: number;
}

export interface NewWork {
  /** Unique within the queue; sorts in arrival order among items available at the same time. */
  id: string;
  payload: Buffer;
  availableAt?: number;
}

export class WorkQueues {
  constructor(
    private readonly store: Store,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    /** Who claims: this node's id. */
    readonly owner: string,
    readonly leaseMs = 30_000,
  ) {}

  async init(): Promise<void> {
    await this.store.migrate('store_work', WORK_MIGRATIONS);
  }

  /** Adds items inside the caller's transaction; call `wake(queue)` after it commits. */
  async put(q: Queryable, queue: string, items: readonly NewWork[]): Promise<void> {
    const now = this.clock.now();
    for (const it of items) {
      await q.run('INSERT INTO store_work (queue, id, payload, available_at) VALUES (?, ?, ?, ?)', [queue, it.id, it.payload, it.availableAt ?? now]);
    }
  }

  /** The statements that add items, for a caller's own journal group (atomic with its other writes); call
   *  `wake(queue)`, or tell its workers otherwise, once the group committed. */
  insertStatements(queue: string, items: readonly NewWork[]): Stmt[] {
    const now = this.clock.now();
    return items.map((it) => ['INSERT INTO store_work (queue, id, payload, available_at) VALUES (?, ?, ?, ?)', [queue, it.id, it.payload, it.availableAt ?? now]]);
  }

  /** Adds items durably and wakes the queue's listeners on every node. */
  async add(queue: string, items: readonly NewWork[]): Promise<void> {
    const now = this.clock.now();
    await this.store.journal.write(items.map((it) => ['INSERT INTO store_work (queue, id, payload, available_at) VALUES (?, ?, ?, ?)', [queue, it.id, it.payload, it.availableAt ?? now]]));
    this.wake(queue);
  }

  /** Adds items already claimed by this owner (the node that accepts work and runs it itself: no claim round trip). */
  async addClaimed(queue: string, items: readonly NewWork[]): Promise<void> {
    const now = this.clock.now();
    await this.store.journal.write(
      items.map((it) => [
        'INSERT INTO store_work (queue, id, payload, available_at, owner, lease_until, attempts) VALUES (?, ?, ?, ?, ?, ?, 1)',
        [queue, it.id, it.payload, it.availableAt ?? now, this.owner, now + this.leaseMs],
      ]),
    );
  }

  /** Records the progress of an item this owner keeps claimed: its payload, and when it is due should the claim lapse. */
  async update(queue: string, id: string, o: { availableAt: number; payload: Buffer }, lazy = false): Promise<boolean> {
    const [r] = await this.store.journal.write(
      [['UPDATE store_work SET available_at = ?, payload = ? WHERE queue = ? AND id = ? AND owner = ?', [o.availableAt, o.payload, queue, id, this.owner]]],
      lazy,
    );
    return r?.changes === 1;
  }

  /** Frees every claim in the queues starting with `prefix`: a node alone on its store takes over its previous run's. */
  async reset(prefix: string): Promise<void> {
    await this.store.run('UPDATE store_work SET owner = NULL, lease_until = 0 WHERE substr(queue, 1, ?) = ?', [prefix.length, prefix]);
  }

  /** Claims up to `limit` available items (oldest first) for this owner, each leased for leaseMs. */
  async claim(queue: string, limit: number): Promise<WorkItem[]> {
    const now = this.clock.now();
    // Through the group-commit journal: on SQLite the one writer thread serialises claims, so they never contend for
    // the write lock with other writes (which would block the event loop).
    const [res] = await this.store.journal.write([
      [
        `UPDATE store_work SET owner = ?, lease_until = ?, attempts = attempts + 1
        WHERE queue = ? AND id IN (SELECT id FROM store_work WHERE queue = ? AND available_at <= ? AND (owner IS NULL OR lease_until <= ?)
                                   ORDER BY available_at, id LIMIT ?${this.store.dialect.skipLocked})
        RETURNING id, payload, attempts, available_at`,
        [this.owner, now + this.leaseMs, queue, queue, now, now, limit],
      ],
    ]);
    const rows = (res?.rows ?? []) as { id: string; payload: Buffer; attempts: number; available_at: number }[];
    return rows
      .map((r) => ({ queue, id: r.id, payload: r.payload, attempts: r.attempts, availableAt: r.available_at }))
      .sort((a, b) => a.availableAt - b.availableAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Removes a claimed item; false when this owner no longer holds it (its lease lapsed and another took it). */
  async complete(queue: string, id: string, lazy = false): Promise<boolean> {
    const [r] = await this.store.journal.write([['DELETE FROM store_work WHERE queue = ? AND id = ? AND owner = ?', [queue, id, this.owner]]], lazy);
    return r?.changes === 1;
  }

  /** Hands a claimed item back, to be claimable again at `availableAt` (now by default), optionally with a new payload. */
  async release(queue: string, id: string, o: { availableAt?: number; payload?: Buffer } = {}): Promise<boolean> {
    const at = o.availableAt ?? this.clock.now();
    const [r] = await this.store.journal.write([
      o.payload
        ? ['UPDATE store_work SET owner = NULL, lease_until = 0, available_at = ?, payload = ? WHERE queue = ? AND id = ? AND owner = ?', [at, o.payload, queue, id, this.owner]]
        : ['UPDATE store_work SET owner = NULL, lease_until = 0, available_at = ? WHERE queue = ? AND id = ? AND owner = ?', [at, queue, id, this.owner]],
    ]);
    if (r?.changes === 1 && at <= this.clock.now()) this.wake(queue);
    return r?.changes === 1;
  }

  /** Brings an item forward to be claimable by `at` (now by default), whoever holds it; wakes its queue. A holder that
   *  releases it later sets its own time, so callers that must not be missed also leave a mark the holder re-reads. */
  async advance(queue: string, id: string, at = this.clock.now()): Promise<boolean> {
    const r = await this.store.run('UPDATE store_work SET available_at = ? WHERE queue = ? AND id = ? AND available_at > ?', [at, queue, id, at]);
    if (at <= this.clock.now()) this.wake(queue);
    return r.changes === 1;
  }

  /** Removes an item whoever holds it (the function was deleted, say). */
  async remove(queue: string, id?: string): Promise<number> {
    const r = id === undefined ? await this.store.run('DELETE FROM store_work WHERE queue = ?', [queue]) : await this.store.run('DELETE FROM store_work WHERE queue = ? AND id = ?', [queue, id]);
    return r.changes;
  }

  /** Extends the leases of everything this owner holds; the node's heartbeat calls it. */
  async renewAll(): Promise<void> {
    await this.store.run('UPDATE store_work SET lease_until = ? WHERE owner = ?', [this.clock.now() + this.leaseMs, this.owner]);
  }

  /** A clean stop hands this owner's claims back at once, and tells the other nodes. */
  async releaseAll(): Promise<void> {
    const queues = await this.store.all<{ queue: string }>('SELECT DISTINCT queue FROM store_work WHERE owner = ?', [this.owner]);
    await this.store.run('UPDATE store_work SET owner = NULL, lease_until = 0 WHERE owner = ?', [this.owner]);
    for (const r of queues) this.wake(r.queue);
  }

  /** The queues with items (claimed or not), for a worker that starts up or sweeps after a lapsed lease. */
  async queues(prefix: string): Promise<string[]> {
    return (await this.store.all<{ queue: string }>('SELECT DISTINCT queue FROM store_work WHERE substr(queue, 1, ?) = ?', [prefix.length, prefix])).map((r) => r.queue);
  }

  /** When the next item of `queue` becomes claimable (now or later), or undefined when it holds none. */
  async nextAt(queue: string): Promise<number | undefined> {
    const r = await this.store.get<{ at: number | null }>('SELECT MIN(CASE WHEN owner IS NULL OR lease_until <= available_at THEN available_at ELSE lease_until END) AS at FROM store_work WHERE queue = ?', [queue]);
    return r?.at ?? undefined;
  }

  async count(queue: string): Promise<number> {
    return (await this.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM store_work WHERE queue = ?', [queue]))?.n ?? 0;
  }

  wake(queue: string): void {
    this.notifier.notify(`work:${queue}`);
  }

  onWake(queue: string, fn: () => void): () => void {
    return this.notifier.listen(`work:${queue}`, fn);
  }
}
