// Cluster-wide concurrency counts on a shared (PostgreSQL) store: one row per key (a function with reserved
// concurrency, or the account pool) with the units taken in the whole cluster, and one row per (key, node) with this
// node's share, so that the share of a node that died (its heartbeat lapsed) is given back by whichever node sweeps.
//
// A take is one conditional upsert (`used < limit`, row-locked, so concurrent takes on other nodes queue on the row
// and re-check it), chained to the node's row in the same statement. Every statement locks the key's row before the
// node's row, so takes and gives never deadlock. The counts are soft state (a dead node's are reclaimed), so they
// commit without waiting for the disk: the key's row lock is then held for a round trip, not for an fsync, which
// would otherwise bound the whole cluster's invoke rate on the account pool's one row. A large account pool is taken
// in chunks of a few units per node and handed out locally, so most invokes make no round trip for it.
import { POOL_KEY, type SharedCounter } from '../../engine/concurrency.js';
import type { Membership } from '../../store/nodes.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../../lib/clock.js';

export const CONCURRENCY_MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE lambda_concurrency (ckey TEXT PRIMARY KEY, used INTEGER NOT NULL);
         CREATE TABLE lambda_concurrency_nodes (ckey TEXT NOT NULL, node TEXT NOT NULL, used INTEGER NOT NULL, PRIMARY KEY (ckey, node));
         CREATE INDEX lambda_concurrency_nodes_node ON lambda_concurrency_nodes (node)`,
  },
];

/** How often a node looks for the counts of dead nodes (takeover within the lease TTL plus this). */
const SWEEP_MS = 5_000;
/** Units of the account pool a node takes at once, when the pool has at least CHUNK_FROM (smaller: one by one). */
const CHUNK = 8;
const CHUNK_FROM = 64;

export class ClusterConcurrency implements SharedCounter {
  private cancel: (() => void) | undefined;
  /** Gives not yet committed, by key: a take of the key waits for them (an invoke answered before its give committed
   *  must not make the next invoke on this node look throttled), and a stop waits for all. */
  private readonly giving = new Map<string, Set<Promise<unknown>>>();
  /** This node's share of the account pool: units held from the store, in use, and taken one by one (small pool). */
  private readonly pool = { held: 0, used: 0, exact: 0 };

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly node: string,
    private readonly membership: Membership,
    private readonly onError: (e: unknown) => void,
  ) {}

  async init(): Promise<void> {
    await this.store.migrate('lambda_concurrency', CONCURRENCY_MIGRATIONS);
  }

  async take(key: string, limit: number): Promise<boolean> {
    if (limit <= 0) return false;
    if (key === POOL_KEY && limit >= CHUNK_FROM) {
      // The account pool is large: this node takes units in chunks and hands them out without a round trip.
      if (this.pool.used < this.pool.held) {
        this.pool.used++;
        return true;
      }
      for (const n of [CHUNK, 1]) {
        if (await this.takeUnits(key, n, limit)) {
          this.pool.held += n;
          this.pool.used++;
          return true;
        }
      }
      return false;
    }
    if (!(await this.takeUnits(key, 1, limit))) return false;
    if (key === POOL_KEY) this.pool.exact++;
    return true;
  }

  give(key: string): void {
    if (key === POOL_KEY) {
      if (this.pool.exact > 0) this.pool.exact--;
      else {
        this.pool.used--;
        // More spare than two chunks: hand one back now (the sweep hands back the rest of an idle node's spare).
        if (this.pool.held - this.pool.used > 2 * CHUNK) {
          this.pool.held -= CHUNK;
          this.giveUnits(key, CHUNK);
        }
        return;
      }
    }
    this.giveUnits(key, 1);
  }

  /** Takes `n` units of `key` if that keeps the cluster within `limit` (n <= limit). */
  private async takeUnits(key: string, n: number, limit: number): Promise<boolean> {
    const pending = this.giving.get(key);
    if (pending) await Promise.all([...pending]);
    const sql = `WITH t AS (
        INSERT INTO lambda_concurrency (ckey, used) VALUES (?, ?)
        ON CONFLICT (ckey) DO UPDATE SET used = lambda_concurrency.used + ? WHERE lambda_concurrency.used + ? <= ?
        RETURNING ckey)
      INSERT INTO lambda_concurrency_nodes (ckey, node, used) SELECT ckey, ?, ? FROM t
      ON CONFLICT (ckey, node) DO UPDATE SET used = lambda_concurrency_nodes.used + excluded.used
      RETURNING used`;
    const row = await this.store.tx((q) => q.get<{ used: number }>(sql, [key, n, n, n, limit, this.node, n]), { durable: false });
    return row !== undefined;
  }

  private giveUnits(key: string, n: number): void {
    const sql = `WITH t AS (
        UPDATE lambda_concurrency SET used = CASE WHEN used > ? THEN used - ? ELSE 0 END
        WHERE ckey = ? AND EXISTS (SELECT 1 FROM lambda_concurrency_nodes n WHERE n.ckey = ? AND n.node = ? AND n.used > 0)
        RETURNING ckey)
      UPDATE lambda_concurrency_nodes SET used = CASE WHEN lambda_concurrency_nodes.used > ? THEN lambda_concurrency_nodes.used - ? ELSE 0 END FROM t
      WHERE lambda_concurrency_nodes.ckey = t.ckey AND lambda_concurrency_nodes.node = ?`;
    const p = this.store.tx((q) => q.run(sql, [n, n, key, key, this.node, n, n, this.node]), { durable: false }).catch((e: unknown) => this.onError(e));
    let set = this.giving.get(key);
    if (!set) this.giving.set(key, (set = new Set()));
    set.add(p);
    void p.finally(() => {
      set.delete(p);
      if (set.size === 0 && this.giving.get(key) === set) this.giving.delete(key);
    });
  }

  start(): void {
    const arm = (): void => {
      this.cancel = this.clock.setTimer(SWEEP_MS, () => {
        this.sweep()
          .catch((e: unknown) => this.onError(e))
          .finally(() => {
            if (this.cancel) arm();
          });
      });
    };
    arm();
  }

  async stop(): Promise<void> {
    const c = this.cancel;
    this.cancel = undefined;
    c?.();
    await Promise.all([...this.giving.values()].flatMap((s) => [...s]));
  }

  /** Gives back the units of nodes that are no longer live (killed: their invocations ended with them), and this
   *  node's spare pool units, so that an idle node does not sit on a share others could use. */
  async sweep(): Promise<void> {
    const spare = this.pool.held - this.pool.used;
    if (spare > 0) {
      this.pool.held -= spare;
      this.giveUnits(POOL_KEY, spare);
    }
    const live = new Set((await this.membership.live()).map((n) => n.id));
    const nodes = await this.store.all<{ node: string }>('SELECT DISTINCT node FROM lambda_concurrency_nodes');
    for (const { node } of nodes) {
      if (live.has(node) || node === this.node) continue;
      await this.store.run(
        `WITH d AS (DELETE FROM lambda_concurrency_nodes WHERE node = ? RETURNING ckey, used)
         UPDATE lambda_concurrency SET used = CASE WHEN lambda_concurrency.used > d.used THEN lambda_concurrency.used - d.used ELSE 0 END
         FROM d WHERE lambda_concurrency.ckey = d.ckey`,
        [node],
      );
    }
  }
}
