// A small durable catalog of JSON records keyed by (region, name), cached per node and re-read when another node
// announces a change: event buses, archives and replays each keep one.
import type { Notifier } from '../../store/notifier.js';
import type { Store } from '../../store/store.js';

export class Catalog<T extends { Name: string }> {
  private readonly items = new Map<string, T>();
  private unlisten?: () => void;

  constructor(
    private readonly store: Store,
    private readonly notifier: Notifier | undefined,
    /** events_buses, events_archives, events_replays. */
    private readonly table: string,
    private readonly onError: (e: unknown) => void,
  ) {}

  private static key(region: string, name: string): string {
    return JSON.stringify([region, name]);
  }

  private get channel(): string {
    return `events:${this.table}`;
  }

  async load(): Promise<void> {
    for (const r of await this.store.all<{ region: string; body: string }>(`SELECT region, body FROM ${this.table}`)) {
      const v = JSON.parse(r.body) as T;
      this.items.set(Catalog.key(r.region, v.Name), v);
    }
    this.unlisten ??= this.notifier?.listen(this.channel, (k) => {
      this.reload(k).catch((e: unknown) => this.onError(e));
    });
  }

  close(): void {
    this.unlisten?.();
    this.unlisten = undefined;
  }

  private async reload(k: string): Promise<void> {
    let parts: unknown;
    try {
      parts = JSON.parse(k);
    } catch {
      return;
    }
    if (!Array.isArray(parts) || parts.length !== 2) return;
    const row = await this.store.get<{ body: string }>(`SELECT body FROM ${this.table} WHERE region = ? AND name = ?`, [String(parts[0]), String(parts[1])]);
    if (row) this.items.set(k, JSON.parse(row.body) as T);
    else this.items.delete(k);
  }

  get(region: string, name: string): T | undefined {
    return this.items.get(Catalog.key(region, name));
  }

  /** Reads through to the store (a record another node wrote a moment ago, before its notification arrived). */
  async fresh(region: string, name: string): Promise<T | undefined> {
    const k = Catalog.key(region, name);
    await this.reload(k);
    return this.items.get(k);
  }

  list(region: string): T[] {
    const out: T[] = [];
    for (const [k, v] of this.items) if ((JSON.parse(k) as string[])[0] === region) out.push(v);
    return out.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  }

  all(): { region: string; value: T }[] {
    return [...this.items].map(([k, value]) => ({ region: (JSON.parse(k) as string[])[0]!, value }));
  }

  /** Inserts only when absent; false when the name is taken. */
  async create(region: string, v: T): Promise<boolean> {
    const r = await this.store.run(`INSERT INTO ${this.table} (region, name, body) VALUES (?, ?, ?) ON CONFLICT (region, name) DO NOTHING`, [region, v.Name, JSON.stringify(v)]);
    if (r.changes !== 1) return false;
    this.set(region, v);
    return true;
  }

  async put(region: string, v: T): Promise<void> {
    await this.store.run(`INSERT INTO ${this.table} (region, name, body) VALUES (?, ?, ?) ON CONFLICT (region, name) DO UPDATE SET body = excluded.body`, [region, v.Name, JSON.stringify(v)]);
    this.set(region, v);
  }

  private set(region: string, v: T): void {
    const k = Catalog.key(region, v.Name);
    this.items.set(k, v);
    this.notifier?.notify(this.channel, k);
  }

  async delete(region: string, name: string): Promise<boolean> {
    const r = await this.store.run(`DELETE FROM ${this.table} WHERE region = ? AND name = ?`, [region, name]);
    const k = Catalog.key(region, name);
    this.items.delete(k);
    this.notifier?.notify(this.channel, k);
    return r.changes === 1;
  }
}
