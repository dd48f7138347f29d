// Enhanced fan-out consumers of a stream: register, describe, list, deregister (SubscribeToShard is not served).
import * as E from './errors.js';
import { parseArn } from './keys.js';
import type { ConsumerRow, StreamRow } from './schema.js';
import type { Streams } from './streams.js';

/** Consumers a stream may have at once (AWS's quota). */
export const CONSUMER_LIMIT = 20;

export const consumerArnOf = (streamArn: string, name: string, createdMs: number): string => `${streamArn}/consumer/${name}:${Math.floor(createdMs / 1000)}`;

export class Consumers {
  constructor(private readonly streams: Streams) {}

  private get o(): Streams['o'] {
    return this.streams.o;
  }

  async register(region: string, streamArn: string, name: string, tags: Record<string, string>): Promise<ConsumerRow> {
    const s = await this.streams.find(region, { arn: streamArn });
    const now = this.o.clock.now();
    const row: ConsumerRow = { stream_arn: s.arn, name, arn: consumerArnOf(s.arn, name, now), created_ms: now, tags: JSON.stringify(tags) };
    await this.o.store.tx(async (q) => {
      if (await q.get('SELECT name FROM kinesis_consumers WHERE stream_arn = ? AND name = ?', [s.arn, name])) throw E.consumerExists(name, s.arn);
      const n = await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM kinesis_consumers WHERE stream_arn = ?', [s.arn]);
      if (Number(n?.n ?? 0) >= CONSUMER_LIMIT) throw E.limit(`Consumer limit of ${CONSUMER_LIMIT} for stream ${s.arn} has been reached.`);
      const ins = await q.run('INSERT INTO kinesis_consumers (stream_arn, name, arn, created_ms, tags) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', [row.stream_arn, row.name, row.arn, row.created_ms, row.tags]);
      if (!ins.changes) throw E.consumerExists(name, s.arn);
    });
    return row;
  }

  /** A consumer by its ARN, or by its stream's ARN and its name. */
  async find(region: string, p: { streamArn?: string; name?: string; consumerArn?: string }): Promise<ConsumerRow> {
    if (p.consumerArn !== undefined) {
      const r = await this.o.store.get<ConsumerRow>('SELECT * FROM kinesis_consumers WHERE arn = ?', [p.consumerArn]);
      if (!r) throw E.consumerNotFound(p.consumerArn);
      return r;
    }
    if (p.streamArn === undefined || p.name === undefined) throw E.invalid('Either ConsumerARN or both ConsumerName and StreamARN must be provided.');
    const s = await this.streams.find(region, { arn: p.streamArn });
    const r = await this.o.store.get<ConsumerRow>('SELECT * FROM kinesis_consumers WHERE stream_arn = ? AND name = ?', [s.arn, p.name]);
    if (!r) throw E.consumerNotFound(`${p.name} under stream ${s.arn}`);
    return r;
  }

  async list(s: StreamRow): Promise<ConsumerRow[]> {
    return this.o.store.all<ConsumerRow>('SELECT * FROM kinesis_consumers WHERE stream_arn = ? ORDER BY created_ms, name', [s.arn]);
  }

  async count(s: StreamRow): Promise<number> {
    const r = await this.o.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM kinesis_consumers WHERE stream_arn = ?', [s.arn]);
    return Number(r?.n ?? 0);
  }

  async deregister(region: string, p: { streamArn?: string; name?: string; consumerArn?: string }): Promise<void> {
    const c = await this.find(region, p);
    await this.o.store.run('DELETE FROM kinesis_consumers WHERE arn = ?', [c.arn]);
  }

  async retag(c: ConsumerRow, add: Record<string, string>, remove: readonly string[]): Promise<void> {
    const tags = { ...(JSON.parse(c.tags) as Record<string, string>), ...add };
    for (const k of remove) delete tags[k];
    if (Object.keys(tags).length > 50) throw E.invalid(`A consumer cannot have more than 50 tags associated with it.`);
    await this.o.store.run('UPDATE kinesis_consumers SET tags = ? WHERE arn = ?', [JSON.stringify(tags), c.arn]);
  }

  /** Whether an ARN is a consumer's (for the TagResource family). */
  static isConsumerArn(arn: string): boolean {
    return parseArn(arn)?.consumer !== undefined;
  }
}
