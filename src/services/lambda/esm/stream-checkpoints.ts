// Where a stream mapping is in each shard: the durable checkpoint (the position after the last record processed,
// whether the shard is finished, and a tumbling window's state), claimed by each new reader and written fenced by
// the epoch of that claim.
import type { ShardPosition } from '../../../lib/shard-stream.js';
import type { Store } from '../../../store/store.js';

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
