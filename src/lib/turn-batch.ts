// Calls that arrive for one key in the same turn of the event loop are handed to one flush together (up to a cap):
// SQS merges concurrent SendMessage and DeleteMessage calls of a queue into one multi-row statement, so a busy queue
// costs the store one statement per turn instead of one per request. A failed flush rejects each of its callers.

export class TurnBatch<K, T> {
  private readonly pending = new Map<K, { items: T[]; weight: number; waiters: { resolve: () => void; reject: (e: unknown) => void }[] }>();

  constructor(
    private readonly flush: (key: K, items: T[]) => Promise<void>,
    /** A flush holds at most this much (a call's items are never split): `weigh` gives an item's share (default 1). */
    private readonly limit = 100,
    private readonly weigh: (item: T) => number = () => 1,
  ) {}

  /** Resolves once the flush holding these items has finished. */
  add(key: K, items: readonly T[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const weight = items.reduce((w, t) => w + this.weigh(t), 0);
      let p = this.pending.get(key);
      if (!p || (p.items.length > 0 && p.weight + weight > this.limit)) {
        if (p) this.run(key);
        p = { items: [], weight: 0, waiters: [] };
        this.pending.set(key, p);
        setImmediate(() => {
          if (this.pending.get(key) === p) this.run(key);
        });
      }
      p.items.push(...items);
      p.weight += weight;
      p.waiters.push({ resolve, reject });
    });
  }

  /** Flushes these items alone, now. */
  flushNow(key: K, items: T[]): Promise<void> {
    return this.flush(key, items);
  }

  private run(key: K): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    this.flush(key, p.items).then(
      () => p.waiters.forEach((w) => w.resolve()),
      (e: unknown) => p.waiters.forEach((w) => w.reject(e)),
    );
  }
}
