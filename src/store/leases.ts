// Ownership of long-running work by lease: one node runs an execution, polls a mapping, fires a schedule; when
// its lease lapses (the node died) another node may take it over. Each change of holder bumps an epoch, a fencing
// token the new holder can compare against what it reads.
import type { Clock } from '../lib/clock.js';
import type { Migration, Store } from './store.js';

export const LEASE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE store_leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL, epoch INTEGER NOT NULL);
         CREATE INDEX store_leases_owner ON store_leases (owner)`,
  },
];

export interface LeaseInfo {
  name: string;
  owner: string;
  expiresAt: number;
  epoch: number;
}

export class Leases {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** Who holds: this node's id. */
    readonly owner: string,
    readonly ttlMs = 30_000,
  ) {}

  async init(): Promise<void> {
    await this.store.migrate('store_leases', LEASE_MIGRATIONS);
  }

  /** Takes the lease if it is free, lapsed or already ours; returns whether this owner holds it now. */
  async acquire(name: string): Promise<boolean> {
    const now = this.clock.now();
    const r = await this.store.run(
      `INSERT INTO store_leases (name, owner, expires_at, epoch) VALUES (?, ?, ?, 1)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
         epoch = store_leases.epoch + CASE WHEN store_leases.owner = excluded.owner THEN 0 ELSE 1 END
       WHERE store_leases.owner = excluded.owner OR store_leases.expires_at <= ?`,
      [name, this.owner, now + this.ttlMs, now],
    );
    return r.changes === 1;
  }

  async release(name: string): Promise<void> {
    await this.store.run('DELETE FROM store_leases WHERE name = ? AND owner = ?', [name, this.owner]);
  }

  /** Whether this owner still holds the lease (it may have lapsed while the node was stalled). */
  async holds(name: string): Promise<boolean> {
    const r = await this.store.get<{ owner: string; expires_at: number }>('SELECT owner, expires_at FROM store_leases WHERE name = ?', [name]);
    return r !== undefined && r.owner === this.owner && r.expires_at > this.clock.now();
  }

  async get(name: string): Promise<LeaseInfo | undefined> {
    const r = await this.store.get<{ name: string; owner: string; expires_at: number; epoch: number }>('SELECT name, owner, expires_at, epoch FROM store_leases WHERE name = ?', [name]);
    return r && { name: r.name, owner: r.owner, expiresAt: r.expires_at, epoch: r.epoch };
  }

  /** Leases whose names start with `prefix`, held by anyone. */
  async list(prefix: string): Promise<LeaseInfo[]> {
    const rows = await this.store.all<{ name: string; owner: string; expires_at: number; epoch: number }>(
      'SELECT name, owner, expires_at, epoch FROM store_leases WHERE substr(name, 1, ?) = ?',
      [prefix.length, prefix],
    );
    return rows.map((r) => ({ name: r.name, owner: r.owner, expiresAt: r.expires_at, epoch: r.epoch }));
  }

  /** Extends every lease this owner holds; the node's heartbeat calls it. */
  async renewAll(): Promise<void> {
    await this.store.run('UPDATE store_leases SET expires_at = ? WHERE owner = ?', [this.clock.now() + this.ttlMs, this.owner]);
  }

  /** A clean stop gives every lease back at once, so other nodes take the work over without waiting for expiry. */
  async releaseAll(): Promise<void> {
    await this.store.run('DELETE FROM store_leases WHERE owner = ?', [this.owner]);
  }
}
