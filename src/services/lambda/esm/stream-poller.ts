// The poller of one Kinesis or DynamoDB Streams mapping: finds the stream's shards, runs a ShardWorker for each
// shard whose parents are finished, and in a cluster takes each shard by lease (one node per shard, a fair share
// per node); wakes workers on the stream's notifier channel and a timer. Also the durable checkpoints: the position
// after the last record processed per shard, claimed by each new reader and written fenced by that claim's epoch.
import type { ShardPosition, ShardStreamSource, StreamShard } from '../../../lib/shard-stream.js';
import type { Store } from '../../../store/store.js';
import type { Notifier } from '../../../store/notifier.js';
import type { Leases } from '../../../store/leases.js';
import type { Membership } from '../../../store/nodes.js';
import { ShardWorker, type ShardWorkerDeps, type StreamMappingConfig } from './stream-shard.js';

/** How often the shard list is read again (resharding, parents finished elsewhere, leases lapsed). */
const RECONCILE_MS = 5000;

export interface StreamPollerDeps extends Omit<ShardWorkerDeps, 'onResult'> {
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
// the epoch of that claim.

/** Migration of the `lambda_esm` owner that adds the checkpoints (see ESM_MIGRATIONS). */
export const CHECKPOINTS_MIGRATION = {
  version: 2,
  up: `CREATE TABLE lambda_esm_shards (uuid TEXT NOT NULL, shard_id TEXT NOT NULL, position TEXT NOT NULL,
         ended INTEGER NOT NULL, win_state TEXT, epoch INTEGER NOT NULL, PRIMARY KEY (uuid, shard_id))`,
};

/** A tumbling window in progress: its bounds and the state the function returned last. */
export interface WindowState {
  startMs: number;
  endMs: number;
  state: unknown;
}

export interface ShardCheckpoint {
  position: ShardPosition;
  /** Every record of the (closed) shard is processed: its children may start. */
  ended: boolean;
  window?: WindowState;
}

interface Row {
  shard_id: string;
  position: string;
  ended: number;
  win_state: string | null;
}

const decode = (r: Row): ShardCheckpoint => ({
  position: JSON.parse(r.position) as ShardPosition,
  ended: r.ended === 1,
  ...(r.win_state ? { window: JSON.parse(r.win_state) as WindowState } : {}),
});

export class Checkpoints {
  constructor(private readonly store: Store) {}

  async get(uuid: string, shardId: string): Promise<ShardCheckpoint | undefined> {
    const r = await this.store.get<Row>('SELECT shard_id, position, ended, win_state FROM lambda_esm_shards WHERE uuid = ? AND shard_id = ?', [uuid, shardId]);
    return r && decode(r);
  }

  async all(uuid: string): Promise<Map<string, ShardCheckpoint>> {
    const rows = await this.store.all<Row>('SELECT shard_id, position, ended, win_state FROM lambda_esm_shards WHERE uuid = ?', [uuid]);
    return new Map(rows.map((r) => [r.shard_id, decode(r)]));
  }

  /**
   * Takes the shard's checkpoint over for a new reader (the holder of the shard's lease, or the only node): creates
   * it at `initial` when there is none, and bumps its epoch, the fencing token the reader's saves must carry. A
   * reader that lost the shard (it stalled past its lease) still has the old epoch, so its saves change nothing.
   */
  async claim(uuid: string, shardId: string, initial: ShardPosition): Promise<{ epoch: number; checkpoint: ShardCheckpoint }> {
    return this.store.tx(async (q) => {
      await q.run(
        `INSERT INTO lambda_esm_shards (uuid, shard_id, position, ended, win_state, epoch) VALUES (?, ?, ?, 0, NULL, 1)
         ON CONFLICT (uuid, shard_id) DO UPDATE SET epoch = lambda_esm_shards.epoch + 1`,
        [uuid, shardId, JSON.stringify(initial)],
      );
      const r = await q.get<Row & { epoch: number }>('SELECT shard_id, position, ended, win_state, epoch FROM lambda_esm_shards WHERE uuid = ? AND shard_id = ?', [uuid, shardId]);
      if (!r) throw new Error(`checkpoint of ${uuid}/${shardId} vanished`);
      return { epoch: Number(r.epoch), checkpoint: decode(r) };
    });
  }

  /** Durably records a checkpoint; false when a newer reader has claimed the shard (this one must stop). */
  async save(uuid: string, shardId: string, cp: ShardCheckpoint, epoch: number): Promise<boolean> {
    const r = await this.store.run('UPDATE lambda_esm_shards SET position = ?, ended = ?, win_state = ? WHERE uuid = ? AND shard_id = ? AND epoch = ?', [
      JSON.stringify(cp.position),
      cp.ended ? 1 : 0,
      cp.window ? JSON.stringify(cp.window) : null,
      uuid,
      shardId,
      epoch,
    ]);
    return r.changes === 1;
  }

  /** Drops a deleted mapping's checkpoints. */
  async forget(uuid: string): Promise<void> {
    await this.store.run('DELETE FROM lambda_esm_shards WHERE uuid = ?', [uuid]);
  }
}
