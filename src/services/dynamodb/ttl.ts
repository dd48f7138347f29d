// The TTL sweeper: on one node at a time (a cluster lease), deletes items whose TTL attribute is in the past.
import type { Clock } from '../../lib/clock.js';
import type { Leases } from '../../store/leases.js';
import type { Item } from './expr/index.js';
import type { Items } from './items.js';
import type { Tables } from './tables.js';

const LEASE = 'dynamodb:ttl-sweeper';

/** Whether an item's TTL attribute (a Number of epoch seconds) has passed. */
export function isExpired(item: Item | undefined, attr: string, nowSeconds: number): boolean {
  const v = item?.[attr];
  return !!v && 'N' in v && Number.isFinite(Number(v.N)) && Number(v.N) <= nowSeconds;
}

export class TtlSweeper {
  private cancel: (() => void) | undefined;
  private running = false;
  private stopped = false;

  constructor(private readonly o: { tables: Tables; items: Items; clock: Clock; leases: Leases; intervalMs?: number; log: (m: string) => void }) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
    await this.o.leases.release(LEASE).catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.cancel = this.o.clock.setTimer(this.o.intervalMs ?? 5000, () => {
      void this.sweep().catch((e: unknown) => this.o.log(`dynamodb: TTL sweep failed: ${e instanceof Error ? e.message : String(e)}`)).finally(() => this.schedule());
    });
  }

  /** One pass over every table with TTL enabled; returns how many items it deleted. */
  async sweep(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      if (!(await this.o.leases.acquire(LEASE))) return 0;
      let n = 0;
      const now = Math.floor(this.o.clock.now() / 1000);
      for (const { def } of await this.o.tables.all()) {
        if (!def.ttl?.enabled) continue;
        const attr = def.ttl.attr;
        for (const key of await this.o.items.expired(def, now, 100)) {
          if (this.stopped) return n;
          await this.o.items.tx([{ def, key }], async (q) => {
            const old = await this.o.items.get(def, key, q);
            if (!isExpired(old, attr, now)) return { changes: [], result: undefined };
            n++;
            return { changes: [{ def, key, old, next: undefined, service: true }], result: undefined };
          });
        }
      }
      return n;
    } finally {
      this.running = false;
    }
  }
}
