// Cluster membership: each node registers itself, beats every few seconds (renewing its claims and leases in the
// same beat), and is listed as live while its last beat is recent. A clean stop removes it at once.
import type { Clock } from '../lib/clock.js';
import type { Migration, Store } from './store.js';

export const NODE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `CREATE TABLE store_nodes (id TEXT PRIMARY KEY, address TEXT NOT NULL, started_at INTEGER NOT NULL, heartbeat_at INTEGER NOT NULL,
           environments INTEGER NOT NULL DEFAULT 0)`,
  },
];

export interface NodeInfo {
  id: string;
  address: string;
  startedAt: number;
  heartbeatAt: number;
  environments: number;
}

export interface MembershipOptions {
  store: Store;
  clock: Clock;
  id: string;
  /** How often the node beats (ms); a node is live while its last beat is under 3 beats old. */
  heartbeatMs?: number;
  /** Runs with each beat: renewing this node's claims and leases. */
  onBeat?: () => Promise<void>;
  /** How many execution environments this node runs now. */
  environments?: () => number;
  onError?: (e: unknown) => void;
}

export class Membership {
  readonly heartbeatMs: number;
  private cancel: (() => void) | undefined;
  private address = '';
  private startedAt = 0;
  private beating: Promise<void> | undefined;

  constructor(private readonly o: MembershipOptions) {
    this.o = { ...o };
    this.heartbeatMs = o.heartbeatMs ?? 5_000;
  }

  get id(): string {
    return this.o.id;
  }

  /** Where the count of running environments comes from (the engine exists after the store). */
  environmentsOf(fn: () => number): void {
    this.o.environments = fn;
  }

  async init(): Promise<void> {
    await this.o.store.migrate('store_nodes', NODE_MIGRATIONS);
  }

  /** Registers the node at `address` and starts beating. */
  async start(address: string): Promise<void> {
    this.address = address;
    this.startedAt = this.o.clock.now();
    await this.beat();
    this.arm();
  }

  private arm(): void {
    this.cancel = this.o.clock.setTimer(this.heartbeatMs, () => {
      this.beating = this.beat()
        .catch((e: unknown) => this.o.onError?.(e))
        .finally(() => {
          this.beating = undefined;
          if (this.cancel) this.arm();
        });
    });
  }

  private async beat(): Promise<void> {
    const now = this.o.clock.now();
    await this.o.store.run(
      `INSERT INTO store_nodes (id, address, started_at, heartbeat_at, environments) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET address = excluded.address, heartbeat_at = excluded.heartbeat_at, environments = excluded.environments`,
      [this.o.id, this.address, this.startedAt, now, this.o.environments?.() ?? 0],
    );
    await this.o.onBeat?.();
  }

  /** Nodes whose last beat is recent, oldest first; dead ones' rows are removed as a side effect. */
  async live(): Promise<NodeInfo[]> {
    const now = this.o.clock.now();
    await this.o.store.run('DELETE FROM store_nodes WHERE heartbeat_at < ?', [now - 60 * this.heartbeatMs]);
    const rows = await this.o.store.all<{ id: string; address: string; started_at: number; heartbeat_at: number; environments: number }>(
      'SELECT id, address, started_at, heartbeat_at, environments FROM store_nodes WHERE heartbeat_at >= ? ORDER BY started_at, id',
      [now - 3 * this.heartbeatMs],
    );
    return rows.map((r) => ({ id: r.id, address: r.address, startedAt: r.started_at, heartbeatAt: r.heartbeat_at, environments: r.environments }));
  }

  /** Stops beating and leaves the cluster. */
  async stop(): Promise<void> {
    const c = this.cancel;
    this.cancel = undefined;
    c?.();
    await this.beating;
    await this.o.store.run('DELETE FROM store_nodes WHERE id = ?', [this.o.id]);
  }
}
