// The cluster notifier: PostgreSQL LISTEN/NOTIFY on one channel, so every node hears every node's notifications.
//
// Notifications of one event-loop turn go out together as one NOTIFY (a JSON list of [channel, payload]), identical
// ones once. After a lost connection it reconnects and wakes every listener, since notifications sent while it was
// away are gone: a listener re-reads the store either way.
import pg from 'pg';
import { LocalNotifier, type Listener, type Notifier } from './notifier.js';

const CHANNEL = 'selfless';
/** PostgreSQL refuses payloads of 8,000 bytes or more. */
const MAX_PAYLOAD = 7_000;

export class PgNotifier implements Notifier {
  private readonly local = new LocalNotifier();
  private readonly channels = new Set<string>();
  private client: pg.Client | undefined;
  private pending = new Map<string, [string, string]>();
  private flushing = false;
  private closed = false;

  private constructor(
    private readonly url: string,
    private readonly pool: pg.Pool,
  ) {}

  static async open(url: string, pool: pg.Pool): Promise<PgNotifier> {
    const n = new PgNotifier(url, pool);
    await n.connect();
    return n;
  }

  private async connect(): Promise<void> {
    const c = new pg.Client({ connectionString: this.url });
    c.on('notification', (m) => {
      if (m.channel !== CHANNEL || !m.payload) return;
      let list: [string, string][];
      try {
        list = JSON.parse(m.payload) as [string, string][];
      } catch {
        return;
      }
      for (const [ch, p] of list) if (this.channels.has(ch)) this.local.notify(ch, p);
    });
    c.on('error', () => this.reconnect(c));
    c.on('end', () => this.reconnect(c));
    await c.connect();
    await c.query(`LISTEN ${CHANNEL}`);
    this.client = c;
  }

  private reconnect(c: pg.Client): void {
    if (this.closed || this.client !== c) return;
    this.client = undefined;
    const retry = (delay: number): void => {
      setTimeout(() => {
        if (this.closed) return;
        this.connect().then(
          () => {
            for (const ch of this.channels) this.local.notify(ch, '');
          },
          () => retry(Math.min(delay * 2, 5_000)),
        );
      }, delay).unref();
    };
    retry(100);
  }

  notify(channel: string, payload = ''): void {
    if (this.closed) return;
    this.pending.set(`${channel}\u0000${payload}`, [channel, payload]);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.flushing = false;
    const chunks: [string, string][][] = [[]];
    let size = 2;
    for (const item of batch) {
      const len = JSON.stringify(item).length + 1;
      if (size + len > MAX_PAYLOAD && chunks[chunks.length - 1]!.length > 0) {
        chunks.push([]);
        size = 2;
      }
      chunks[chunks.length - 1]!.push(item);
      size += len;
    }
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      // A notification that cannot be sent is only a missed hint: waiters also re-check on their own timers.
      await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(chunk)]).catch(() => undefined);
    }
  }

  listen(channel: string, fn: Listener): () => void {
    this.channels.add(channel);
    return this.local.listen(channel, fn);
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
    await this.local.close();
  }
}
