// The poller of one Kinesis or DynamoDB Streams mapping: finds the stream's shards, runs a ShardWorker for each
// shard whose parents are finished, and in a cluster takes each shard by lease (one node per shard, a fair share
// per node; checkpoints fenced by the epoch of each claim); wakes workers on the stream's notifier channel and a timer.
import type { Clock } from '../../../lib/clock.js';
import type { ShardStreamSource, StreamShard } from '../../../lib/shard-stream.js';
import type { Notifier } from '../../../store/notifier.js';
import type { Leases } from '../../../store/leases.js';
import type { Membership } from '../../../store/nodes.js';
import type { LambdaInvoker } from '../invoker.js';
import type { Checkpoints } from './stream-checkpoints.js';
import { ShardWorker, type StreamMappingConfig } from './stream-shard.js';

/** How often the shard list is read again (resharding, parents finished elsewhere, leases lapsed). */
const RECONCILE_MS = 5000;

export interface StreamPollerDeps {
  clock: Clock;
  invoker: LambdaInvoker;
  source: ShardStreamSource;
  checkpoints: Checkpoints;
  deliver(destination: string, body: string): Promise<void>;
  log(msg: string): void;
  onResult?(uuid: string, result: string): void;
  notifier?: Notifier;
  /** Absent: one node reads every shard itself. */
  cluster?: { leases: Leases; membership: Membership };
}

export const shardLease = (uuid: string, shardId: string): string => `esm-shard:${uuid}:${shardId}`;

/** Shards that may be read now: not finished, and every parent still listed is finished (parents before children). */
export function readyShards(shards: readonly StreamShard[], finished: ReadonlySet<string>): StreamShard[] {
  const listed = new Set(shards.map((s) => s.shardId));
  const done = (p: string | undefined): boolean => p === undefined || !listed.has(p) || finished.has(p);
  return shards.filter((s) => !finished.has(s.shardId) && done(s.parentShardId) && done(s.adjacentParentShardId));
}

export class StreamPoller {
  private readonly workers = new Map<string, ShardWorker>();
  private running = false;
  private unlisten: (() => void) | undefined;
  private cancelTimer: (() => void) | undefined;
  private reconciling: Promise<void> = Promise.resolve();

  constructor(
    private readonly d: StreamPollerDeps,
    readonly config: StreamMappingConfig,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unlisten = this.d.notifier?.listen(this.d.source.wakeChannel(this.config.streamArn), () => {
      for (const w of this.workers.values()) w.wake();
    });
    const arm = (): void => {
      this.cancelTimer = this.d.clock.setTimer(RECONCILE_MS, () => {
        void this.reconcileNow().finally(() => {
          if (this.running) arm();
        });
      });
    };
    arm();
    void this.reconcileNow();
  }

  /** Stops every shard worker; with `wait`, once their batches in flight are settled. Gives the shard leases back. */
  async stop(wait = true): Promise<void> {
    this.running = false;
    this.unlisten?.();
    this.cancelTimer?.();
    await this.reconciling;
    const ws = [...this.workers.entries()];
    this.workers.clear();
    await Promise.all(ws.map(([, w]) => w.stop(wait)));
    const c = this.d.cluster;
    if (c) for (const [id] of ws) await c.leases.release(shardLease(this.config.uuid, id)).catch(() => undefined);
  }

  /** The shards this poller reads right now (tests and diagnostics). */
  activeShards(): string[] {
    return [...this.workers.keys()].sort();
  }

  reconcileNow(): Promise<void> {
    const run = this.reconciling.then(() => this.reconcile()).catch((e: unknown) => {
      this.d.log(`selfless: event source mapping ${this.config.uuid}: ${e instanceof Error ? e.message : String(e)}`);
    });
    this.reconciling = run;
    return run;
  }

  private async reconcile(): Promise<void> {
    if (!this.running) return;
    const c = this.config;
    const shards = await this.d.source.shards(c.streamArn);
    const cps = await this.d.checkpoints.all(c.uuid);
    const finished = new Set([...cps].filter(([, cp]) => cp.ended).map(([id]) => id));
    const ready = readyShards(shards, finished);
    const readyIds = new Set(ready.map((s) => s.shardId));
    // Workers of shards that are no longer listed (trimmed away) stop.
    for (const [id, w] of this.workers) {
      if (readyIds.has(id)) continue;
      this.workers.delete(id);
      await w.stop(false);
    }
    const cluster = this.d.cluster;
    if (!cluster) {
      for (const s of ready) if (!this.workers.has(s.shardId)) this.startWorker(s.shardId);
      return;
    }
    const now = this.d.clock.now();
    const leases = new Map((await cluster.leases.list(`esm-shard:${c.uuid}:`)).map((l) => [l.name, l]));
    // Shards whose lease lapsed and went to another node stop here.
    for (const [id, w] of this.workers) {
      const l = leases.get(shardLease(c.uuid, id));
      if (l && l.owner === cluster.leases.owner && l.expiresAt > now) continue;
      this.workers.delete(id);
      await w.stop(false);
    }
    const live = Math.max(1, (await cluster.membership.live()).length);
    const share = Math.ceil(ready.length / live);
    for (const s of ready) {
      if (!this.running || this.workers.size >= share) break;
      if (this.workers.has(s.shardId)) continue;
      const name = shardLease(c.uuid, s.shardId);
      const l = leases.get(name);
      if (l && l.owner !== cluster.leases.owner && l.expiresAt > now) continue;
      if ((await cluster.leases.acquire(name)) && this.running) this.startWorker(s.shardId);
    }
    // More than a fair share (a node joined): hand one shard back per round.
    if (this.workers.size > share) {
      const [id, w] = [...this.workers][0]!;
      this.workers.delete(id);
      await w.stop();
      await cluster.leases.release(shardLease(c.uuid, id));
    }
  }

  private startWorker(shardId: string): void {
    const w = new ShardWorker(
      { ...this.d, onResult: (r) => this.d.onResult?.(this.config.uuid, r) },
      this.config,
      shardId,
      (ended) => {
        if (this.workers.get(shardId) !== w) return;
        this.workers.delete(shardId);
        // A finished parent lets its children start at once; a worker fenced out waits for the next round.
        if (ended && this.running) {
          if (this.d.cluster) void this.d.cluster.leases.release(shardLease(this.config.uuid, shardId)).catch(() => undefined);
          void this.reconcileNow();
        }
      },
    );
    this.workers.set(shardId, w);
    w.start();
  }
}
