// The Kinesis Data Streams module and its module API: `streams`, the ShardStreamSource Lambda's mappings read.
import type { ShardStreamSource } from '../../lib/shard-stream.js';
import type { ServiceModule } from '../../server/service.js';
import { kinesisRoutes } from './api.js';
import { Consumers } from './consumers.js';
import { Records, type PutEntry, type PutResult } from './records.js';

export type { PutEntry, PutResult } from './records.js';
import { Streams } from './streams.js';

export interface KinesisApi {
  /** Shards and records of Kinesis streams, for event source mappings (eventSource `aws:kinesis`). */
  readonly streams: ShardStreamSource;
  /**
   * Puts records to a stream by its ARN (EventBridge and Pipes targets), as PutRecords does: durably, in order, each
   * answered with its shard and sequence number, or an error code. ResourceNotFoundException for a missing stream.
   */
  putRecords(streamArn: string, records: readonly PutEntry[]): Promise<PutResult[]>;
}
export type KinesisDeps = Record<string, never>;

/** How often records past retention are deleted (reads already skip them). */
const TRIM_EVERY_MS = 60_000;

export const kinesisService: ServiceModule<KinesisDeps, KinesisApi> = {
  name: 'kinesis',
  async create(ctx) {
    const streams = new Streams({ store: ctx.store, clock: ctx.clock, notifier: ctx.notifier, accountId: ctx.config.accountId });
    await streams.init();
    const records = new Records(streams, ctx.journal);
    const consumers = new Consumers(streams);
    let cancel: (() => void) | undefined;
    let running: Promise<unknown> = Promise.resolve();
    const sweep = (): void => {
      cancel = ctx.clock.setTimer(TRIM_EVERY_MS, () => {
        running = records.trim().catch((e: unknown) => ctx.log(`selfless: kinesis retention sweep failed: ${e instanceof Error ? e.message : String(e)}`)).finally(() => {
          if (cancel) sweep();
        });
      });
    };
    return {
      routes: kinesisRoutes({ streams, records, consumers }),
      api: {
        streams: records.source(),
        putRecords: async (arn, entries) => records.put(await streams.find(ctx.config.defaultRegion, { arn }), entries),
      },
      start: async () => sweep(),
      stop: async () => {
        cancel?.();
        cancel = undefined;
        await running;
      },
    };
  },
};
