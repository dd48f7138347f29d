// Where a stream mapping is in each shard: the durable checkpoint (the position after the last record processed,
// whether the shard is finished, and a tumbling window's state), written fenced by the shard lease's epoch.
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
   * Durably records a checkpoint. `epoch` is the writer's shard lease epoch (0 on one node): a write from an older
   * epoch than the last one recorded (a node that lost its lease while stalled) changes nothing and returns false.
   */
  async save(uuid: string, shardId: string, cp: ShardCheckpoint, epoch: number): Promise<boolean> {
    const r = await this.store.run(
      `INSERT INTO lambda_esm_shards (uuid, shard_id, position, ended, win_state, epoch) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (uuid, shard_id) DO UPDATE SET position = excluded.position, ended = excluded.ended,
         win_state = excluded.win_state, epoch = excluded.epoch
       WHERE lambda_esm_shards.epoch <= excluded.epoch`,
      [uuid, shardId, JSON.stringify(cp.position), cp.ended ? 1 : 0, cp.window ? JSON.stringify(cp.window) : null, epoch],
    );
    return r.changes === 1;
  }

  /** Drops a deleted mapping's checkpoints. */
  async forget(uuid: string): Promise<void> {
    await this.store.run('DELETE FROM lambda_esm_shards WHERE uuid = ?', [uuid]);
  }
}
